/**
 * The seed phase (SPEC §2): every record from each partition's log start up
 * to the end offset captured when the seed began is copied to the same
 * partition on the target — staged through the backup store (`seed.via:
 * staged`, the default) or directly (`direct`) — and the offset map is built
 * as records land. Resumable at any instant: see `copy_partition.ts`.
 *
 * @module
 */

import type { MigrationContext } from "../context.ts";
import { KraftoverError } from "../errors.ts";
import { delay } from "../retry.ts";
import { partitionKey } from "../offset_map.ts";
import { reconcilePartition, writeChunk } from "../copy/copy_partition.ts";
import type { ChunkSource } from "../copy/copy_partition.ts";
import {
  openCopyEngine,
  runPool,
  settledTargetEnds,
  startPartitions,
} from "../copy/copy_engine.ts";
import type { CopyEngine } from "../copy/copy_engine.ts";
import { CHECKPOINT, journaledSegments, journaledTopics } from "../copy/copy_state.ts";
import type { PartitionCopyState, SegmentWrittenData } from "../copy/copy_state.ts";
import type { ProgressTask } from "../progress.ts";
import { decodeSegment, SegmentBuilder, segmentKey, segmentSha256 } from "../staging/segment.ts";
import type { Segment } from "../staging/segment.ts";
import type { ObjectStore } from "../store/object_store.ts";
import type { OffsetRange, ReadChunk } from "../kafka/source_reader.ts";
import { enterPhase } from "./_enter_phase.ts";

/** Options for {@linkcode seed}. */
export interface SeedOptions {
  /** Stops the seed (it resumes from the journal next time). */
  signal?: AbortSignal;
  /** Wait between two reads of the target's end offsets when resuming (ms). @default 1000 */
  settleMs?: number;
}

/** What {@linkcode seed} did. */
export interface SeedReport {
  /** How the seed went. */
  via: "staged" | "direct";
  /** Partitions seeded. */
  partitions: number;
  /** Records copied by this run. */
  records: number;
  /** Bytes copied by this run. */
  bytes: number;
  /** Records found on the target after a crash and counted instead of re-sent. */
  reconciled: number;
  /** Staged segments written by this run (staged only). */
  segmentsWritten: number;
  /** Staged segments reused from an earlier run (staged only). */
  segmentsReused: number;
  /** Duration of this run in ms. */
  durationMs: number;
}

/**
 * Runs (or resumes) the seed. The migration must be in `topology_copy` or
 * `seed` (or failed in seed); it is left in `seed` with every partition's
 * seed range copied — `execute` then moves on to tail.
 *
 * @example
 * ```ts ignore
 * const report = await seed(ctx, {});
 * console.log(`${report.records} records in ${report.durationMs} ms`);
 * ```
 */
export async function seed(ctx: MigrationContext, options: SeedOptions = {}): Promise<SeedReport> {
  const started = Date.now();
  const journal = await ctx.journal();
  await enterPhase(journal, "seed");
  const topics = journaledTopics(journal.records);
  if (topics.length === 0) {
    throw new KraftoverError(
      "ILLEGAL_TRANSITION",
      "The seed has no topics: topology_copy recorded none",
      {
        phase: "seed",
      },
    );
  }
  const engine = await openCopyEngine(ctx);
  const via = ctx.config.seed.via;
  const report: SeedReport = {
    via,
    partitions: 0,
    records: 0,
    bytes: 0,
    reconciled: 0,
    segmentsWritten: 0,
    segmentsReused: 0,
    durationMs: 0,
  };
  try {
    const wanted = topics.flatMap((t) =>
      Array.from({ length: t.partitions }, (_, partition) => ({ topic: t.topic, partition }))
    );
    const resumed = wanted.filter((w) =>
      engine.state.partitions.has(partitionKey(w.topic, w.partition))
    );
    const partitions = await startPartitions(engine, wanted);
    report.partitions = partitions.length;
    if (
      !journal.records.some((r) => r.type === "checkpoint" && r.name === CHECKPOINT.seedStarted)
    ) {
      await journal.append({
        type: "checkpoint",
        name: CHECKPOINT.seedStarted,
        data: {
          via,
          partitions: partitions.length,
          records_estimate: partitions.reduce((n, p) => n + (p.seedEnd - p.sourceStart), 0),
        },
      });
    }
    const todo = partitions.filter((p) => !p.seedDone);
    const remaining = todo.reduce((n, p) => n + Math.max(0, p.seedEnd - p.next), 0);
    const task = ctx.progress.start("seed", { records: remaining });
    const ends = resumed.length > 0
      ? await settledTargetEnds(
        engine,
        todo.filter((p) => resumed.some((r) => r.topic === p.topic && r.partition === p.partition)),
        {
          settleMs: options.settleMs ?? 1000,
          ...(options.signal === undefined ? {} : { signal: options.signal }),
        },
      )
      : new Map<string, number>();
    const store = via === "staged" ? ctx.backupStore() : undefined;
    await runPool(todo, ctx.config.seed.max_concurrent_partitions, async (p, worker, signal) => {
      const writer = await engine.writer(worker);
      const source = store === undefined
        ? engine.kafkaSource(p)
        : await stagePartition(ctx, engine, store, p, report, signal);
      const deps = {
        ...engine.depsFor(p, source, writer),
        onStep: (
          _: PartitionCopyState,
          step: { runs: readonly (readonly number[])[]; bytes: number },
        ) => {
          const n = step.runs.reduce((sum, run) => sum + run[2]!, 0);
          report.records += n;
          report.bytes += step.bytes;
          task.advance(n, step.bytes);
        },
      };
      const end = ends.get(partitionKey(p.topic, p.partition));
      if (end !== undefined) {
        report.reconciled += await reconcilePartition(deps, end, engine.readTarget(p), signal);
      }
      await copyUntil(deps.source, deps, p.seedEnd, task, signal);
      await journal.append({
        type: "checkpoint",
        name: CHECKPOINT.seedDone,
        data: { topic: p.topic, partition: p.partition },
      });
      p.seedDone = true;
    }, options.signal);
    task.done();
  } finally {
    await engine.close();
  }
  report.durationMs = Date.now() - started;
  ctx.logger.info("Seed complete", { ...report });
  return report;
}

/** Copies from a chunk source until the partition's next offset reaches `until`. */
async function copyUntil(
  source: ChunkSource,
  deps: Parameters<typeof writeChunk>[0],
  until: number,
  _task: ProgressTask,
  signal: AbortSignal,
): Promise<void> {
  const p = deps.partition;
  let idle = 0;
  while (p.next < until) {
    if (signal.aborted) throw signal.reason;
    const chunk = await source.read(p.next, signal);
    if (chunk.next === chunk.from) {
      // Nothing visible yet (an open transaction holds the last stable offset back).
      idle++;
      await delay(Math.min(2_000, 50 * 2 ** Math.min(idle, 6)), signal);
      continue;
    }
    idle = 0;
    await writeChunk(deps, chunk, "seed");
  }
}

/**
 * Stages a partition's seed range into segments in the backup store (reusing
 * segments an earlier run wrote and journaled), then returns a chunk source
 * that reads them back.
 */
async function stagePartition(
  ctx: MigrationContext,
  engine: CopyEngine,
  store: ObjectStore,
  p: PartitionCopyState,
  report: SeedReport,
  signal: AbortSignal,
): Promise<ChunkSource> {
  const journal = engine.journal;
  const key = partitionKey(p.topic, p.partition);
  const segments = journaledSegments(journal.records).get(key) ?? [];
  report.segmentsReused += segments.length;
  const migrationId = journal.migrationId;
  const limit = ctx.config.seed.segment_max_bytes;
  let position = segments.at(-1)?.next ?? p.sourceStart;
  let builder = new SegmentBuilder();
  let from = position;
  let aborted: OffsetRange[] = [];
  let control: OffsetRange[] = [];

  const flush = async () => {
    const index = segments.length;
    const bytes = builder.finish({
      migration_id: migrationId,
      topic: p.topic,
      partition: p.partition,
      index,
      from,
      next: position,
      aborted,
      control,
      compression: ctx.config.seed.compression,
    });
    const objectKey = segmentKey(migrationId, p.topic, p.partition, index);
    await store.put(objectKey, bytes, { signal });
    const data: SegmentWrittenData = {
      topic: p.topic,
      partition: p.partition,
      index,
      key: objectKey,
      from,
      next: position,
      records: builder.recordCount,
      bytes: bytes.length,
      sha256: segmentSha256(bytes),
    };
    await journal.append({
      type: "checkpoint",
      name: CHECKPOINT.segmentWritten,
      data: { ...data },
    });
    segments.push(data);
    report.segmentsWritten++;
    builder = new SegmentBuilder();
    from = position;
    aborted = [];
    control = [];
  };

  let idle = 0;
  while (position < p.seedEnd) {
    if (signal.aborted) throw signal.reason;
    const chunk = await engine.sourceReader.read(p.topic, p.partition, position, { signal });
    if (chunk.next === chunk.from) {
      idle++;
      await delay(Math.min(2_000, 50 * 2 ** Math.min(idle, 6)), signal);
      continue;
    }
    idle = 0;
    for (const r of chunk.records) builder.add(r);
    aborted.push(...chunk.aborted);
    control.push(...chunk.control);
    position = chunk.next;
    if (builder.bodyBytes >= limit || position >= p.seedEnd) await flush();
  }
  return segmentSource(store, segments, signal);
}

/** A chunk source over staged segments: each read returns the rest of one segment. */
function segmentSource(
  store: ObjectStore,
  segments: readonly SegmentWrittenData[],
  signal: AbortSignal,
): ChunkSource {
  let cached: { index: number; segment: Segment } | undefined;
  const load = async (meta: SegmentWrittenData): Promise<Segment> => {
    if (cached?.index === meta.index) return cached.segment;
    const bytes = await store.get(meta.key, { signal });
    if (bytes === undefined) {
      throw new KraftoverError(
        "STORE_INTEGRITY",
        `Staged segment ${meta.key} is missing from the backup store: it was deleted after it was written; ` +
          "roll back and start again (or restore the object)",
        { phase: "seed" },
      );
    }
    if (segmentSha256(bytes) !== meta.sha256) {
      throw new KraftoverError(
        "STORE_INTEGRITY",
        `Staged segment ${meta.key} does not match the checksum journaled when it was written`,
        { phase: "seed" },
      );
    }
    const segment = decodeSegment(bytes);
    cached = { index: meta.index, segment };
    return segment;
  };
  return {
    async read(from): Promise<ReadChunk> {
      const meta = segments.find((s) => s.from <= from && from < s.next);
      if (meta === undefined) {
        return {
          records: [],
          from,
          next: from,
          aborted: [],
          control: [],
          highWatermark: from,
          lastStableOffset: from,
          logStartOffset: 0,
          bytes: 0,
        };
      }
      const { header, records } = await load(meta);
      const clip = (ranges: readonly OffsetRange[]) =>
        ranges
          .map(([s, e]) => [Math.max(s, from), e] as const)
          .filter(([s, e]) => s < e);
      const rest = records.filter((r) => r.offset >= from);
      return {
        records: rest,
        from,
        next: header.next,
        aborted: clip(header.aborted),
        control: clip(header.control),
        highWatermark: header.next,
        lastStableOffset: header.next,
        logStartOffset: header.from,
        bytes: 0,
      };
    },
  };
}
