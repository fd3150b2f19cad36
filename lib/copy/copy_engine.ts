/**
 * What seed, tail and cutover share: opening readers and writers on both
 * clusters, starting partitions durably, settling the target's end offsets
 * after a crash, and reading target records back for reconciliation.
 *
 * @module
 */

import type { MigrationContext } from "../context.ts";
import type { Journal } from "../journal.ts";
import { delay } from "../retry.ts";
import { createSourceReader } from "../kafka/source_reader.ts";
import type { CopyRecord, SourceReader } from "../kafka/source_reader.ts";
import { createTargetWriter } from "../kafka/target_writer.ts";
import type { TargetWriter } from "../kafka/target_writer.ts";
import { partitionKey } from "../offset_map.ts";
import type { PartitionKey } from "../offset_map.ts";
import { applyCopyRecord, CHECKPOINT, replayCopyState } from "./copy_state.ts";
import type { CopyState, PartitionCopyState, PartitionStartedData } from "./copy_state.ts";
import type { ChunkSource, PartitionCopyDeps, ReadTarget } from "./copy_partition.ts";
import type { KafkaConnection } from "../kafka/connect.ts";

/** Largest batch written to the target by default: under Kafka's 1 MiB default `max.message.bytes`. */
export const DEFAULT_MAX_BATCH_BYTES = 900 * 1024;

/** Open readers and writers for a copy. */
export interface CopyEngine {
  /** The journal. */
  journal: Journal;
  /** The copy state replayed from the journal (kept current by the steps). */
  state: CopyState;
  /** Source connection. */
  source: KafkaConnection;
  /** Target connection. */
  target: KafkaConnection;
  /** Reads the source. */
  sourceReader: SourceReader;
  /** Reads the target (bounds and reconciliation). */
  targetReader: SourceReader;
  /** The writer of worker `index` (each worker has its own idempotent producer), made on first use. */
  writer(index: number): Promise<TargetWriter>;
  /** Dependencies for copying one partition from a chunk source with a writer. */
  depsFor(p: PartitionCopyState, source: ChunkSource, writer: TargetWriter): PartitionCopyDeps;
  /** A chunk source reading the source cluster. */
  kafkaSource(p: PartitionCopyState, options?: { maxWaitMs?: number }): ChunkSource;
  /** Reads target records for reconciliation. */
  readTarget(p: PartitionCopyState): ReadTarget;
  /** Closes readers and writers. */
  close(): Promise<void>;
}

/**
 * Opens a copy engine over the context's clusters and journal.
 */
export async function openCopyEngine(ctx: MigrationContext): Promise<CopyEngine> {
  const journal = await ctx.journal();
  const state = replayCopyState(journal.records);
  const source = await ctx.source();
  const target = await ctx.target();
  const sourceReader = await createSourceReader(source);
  const targetReader = await createSourceReader(target);
  const writers: Promise<TargetWriter>[] = [];
  const compression = "none" as const;
  return {
    journal,
    state,
    source,
    target,
    sourceReader,
    targetReader,
    writer(index) {
      writers[index] ??= createTargetWriter(target, { compression });
      return writers[index];
    },
    depsFor(p, chunkSource, writer) {
      return {
        journal,
        state,
        partition: p,
        source: chunkSource,
        writer,
        maxBatchBytes: DEFAULT_MAX_BATCH_BYTES,
        logger: ctx.logger,
      };
    },
    kafkaSource(p, options = {}) {
      return {
        read: (from, signal) =>
          sourceReader.read(p.topic, p.partition, from, {
            ...(options.maxWaitMs === undefined ? {} : { maxWaitMs: options.maxWaitMs }),
            ...(signal === undefined ? {} : { signal }),
          }),
      };
    },
    readTarget(p) {
      return async (from, count) => {
        const out: CopyRecord[] = [];
        let at = from;
        for (let empty = 0; out.length < count && empty < 20;) {
          const chunk = await targetReader.read(p.topic, p.partition, at, { maxWaitMs: 100 });
          if (chunk.next === chunk.from) {
            empty++;
            continue;
          }
          out.push(...chunk.records.slice(0, count - out.length));
          at = chunk.next;
        }
        return out;
      };
    },
    async close() {
      await Promise.allSettled(writers.splice(0).map(async (w) => (await w).close()));
      await sourceReader.close();
      await targetReader.close();
    },
  };
}

/**
 * Journals the start of every partition not started yet (before anything is
 * written to it): its log start, the seed end (the current high watermark)
 * and the target's current end.
 */
export async function startPartitions(
  engine: CopyEngine,
  partitions: readonly { topic: string; partition: number }[],
): Promise<PartitionCopyState[]> {
  const started: PartitionCopyState[] = [];
  for (const { topic, partition } of partitions) {
    const key = partitionKey(topic, partition);
    const existing = engine.state.partitions.get(key);
    if (existing !== undefined) {
      started.push(existing);
      continue;
    }
    const [src, tgt] = await Promise.all([
      engine.sourceReader.bounds(topic, partition),
      engine.targetReader.bounds(topic, partition),
    ]);
    const data: PartitionStartedData = {
      topic,
      partition,
      source_start: src.logStart,
      seed_end: src.highWatermark,
      target_start: tgt.highWatermark,
    };
    const record = await engine.journal.append({
      type: "checkpoint",
      name: CHECKPOINT.partitionStarted,
      data: data as unknown as Record<string, unknown>,
    });
    applyCopyRecord(engine.state, record);
    started.push(engine.state.partitions.get(key)!);
  }
  return started;
}

/**
 * The target's end offsets once they stop moving: a run that died may have
 * left a write in flight, so ends are read, then read again after `settleMs`,
 * until two reads agree (at most `rounds` times).
 */
export async function settledTargetEnds(
  engine: CopyEngine,
  partitions: readonly PartitionCopyState[],
  options: { settleMs: number; rounds?: number; signal?: AbortSignal },
): Promise<Map<PartitionKey, number>> {
  const ends = new Map<PartitionKey, number>();
  const read = async (list: readonly PartitionCopyState[]) => {
    const values = await Promise.all(
      list.map((p) =>
        engine.targetReader.bounds(p.topic, p.partition).then((b) => b.highWatermark)
      ),
    );
    return new Map(list.map((p, i) => [partitionKey(p.topic, p.partition), values[i]!] as const));
  };
  let pending = [...partitions];
  let last = await read(pending);
  for (let round = 0; round < (options.rounds ?? 10) && pending.length > 0; round++) {
    await delay(options.settleMs, options.signal);
    const now = await read(pending);
    const moving: PartitionCopyState[] = [];
    for (const p of pending) {
      const key = partitionKey(p.topic, p.partition);
      if (now.get(key) === last.get(key)) ends.set(key, now.get(key)!);
      else moving.push(p);
    }
    pending = moving;
    last = now;
  }
  for (const p of pending) {
    const key = partitionKey(p.topic, p.partition);
    ends.set(key, last.get(key)!);
  }
  return ends;
}

/**
 * Runs `work` for each item with at most `concurrency` at once; the first
 * failure aborts the others (through the signal given to each) and is thrown.
 */
export async function runPool<T>(
  items: readonly T[],
  concurrency: number,
  work: (item: T, worker: number, signal: AbortSignal) => Promise<void>,
  outer?: AbortSignal,
): Promise<void> {
  const controller = new AbortController();
  const onAbort = () => controller.abort(outer?.reason);
  outer?.addEventListener("abort", onAbort, { once: true });
  let index = 0;
  let failure: unknown;
  const worker = async (id: number) => {
    while (failure === undefined && !controller.signal.aborted) {
      const i = index++;
      if (i >= items.length) return;
      try {
        await work(items[i]!, id, controller.signal);
      } catch (error) {
        if (failure === undefined) failure = error;
        controller.abort(error);
      }
    }
  };
  try {
    await Promise.all(
      Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, (_, i) => worker(i)),
    );
  } finally {
    outer?.removeEventListener("abort", onAbort);
  }
  if (failure !== undefined) throw failure;
  if (outer?.aborted) throw outer.reason;
}
