/**
 * Copies one partition, chunk by chunk, and makes every step durable: a
 * batch is written to the target (idempotent, acks=all), then a journal
 * checkpoint records its offset-map runs, the holes passed and both sides'
 * positions. A crash between the two is repaired by
 * {@linkcode reconcilePartition}: the target's end offset is the truth, and
 * records it holds beyond the last checkpoint are counted (after checking they
 * are the expected ones), never re-sent.
 *
 * @module
 */

import { KraftoverError } from "../errors.ts";
import type { Journal } from "../journal.ts";
import type { Logger } from "../logger.ts";
import { runsOf } from "../offset_map.ts";
import { holesIn } from "../kafka/source_reader.ts";
import type { CopyRecord, ReadChunk } from "../kafka/source_reader.ts";
import { splitBatches } from "../kafka/target_writer.ts";
import type { TargetWriter } from "../kafka/target_writer.ts";
import { applyCopyRecord, CHECKPOINT } from "./copy_state.ts";
import type { CopyState, CopyStepData, PartitionCopyState } from "./copy_state.ts";

/** Where a partition's records come from: the source cluster, or staged segments. */
export interface ChunkSource {
  /** Reads from a source offset; may return nothing new yet (`next === from`). */
  read(from: number, signal?: AbortSignal): Promise<ReadChunk>;
}

/** What {@linkcode copyStep} and friends need. */
export interface PartitionCopyDeps {
  /** The journal checkpoints go to. */
  journal: Journal;
  /** The copy state (updated as checkpoints are appended). */
  state: CopyState;
  /** This partition's state within it. */
  partition: PartitionCopyState;
  /** Where records come from. */
  source: ChunkSource;
  /** Where records go. */
  writer: TargetWriter;
  /** Largest batch written at once (below the target's `max.message.bytes`). */
  maxBatchBytes: number;
  /** Logger. */
  logger: Logger;
  /** Called after each durable step. */
  onStep?: (partition: PartitionCopyState, step: CopyStepData) => void;
}

async function appendStep(deps: PartitionCopyDeps, step: CopyStepData): Promise<void> {
  const record = await deps.journal.append({
    type: "checkpoint",
    name: CHECKPOINT.step,
    data: step as unknown as Record<string, unknown>,
  });
  applyCopyRecord(deps.state, record);
  deps.onStep?.(deps.partition, step);
}

function recordBytes(records: readonly CopyRecord[]): number {
  let bytes = 0;
  for (const r of records) {
    bytes += (r.key?.length ?? 0) + (r.value?.length ?? 0);
    for (const [k, v] of r.headers) bytes += k.length + (v?.length ?? 0);
  }
  return bytes;
}

/**
 * Writes one chunk: each batch to the target, then its checkpoint. Returns
 * the records written. A chunk with no records records its holes only.
 */
export async function writeChunk(
  deps: PartitionCopyDeps,
  chunk: ReadChunk,
  phase: CopyStepData["phase"],
): Promise<number> {
  const p = deps.partition;
  if (chunk.from !== p.next) {
    throw new KraftoverError(
      "INTERNAL",
      `Chunk of ${p.topic}[${p.partition}] starts at ${chunk.from}, not ${p.next}`,
    );
  }
  if (chunk.next === chunk.from) return 0;
  const batches = splitBatches(chunk.records, deps.maxBatchBytes);
  if (batches.length === 0) {
    await appendStep(deps, {
      topic: p.topic,
      partition: p.partition,
      from: chunk.from,
      next: chunk.next,
      target_end: p.targetEnd,
      runs: [],
      holes: holesIn(chunk, chunk.from, chunk.next),
      bytes: 0,
      phase,
    });
    return 0;
  }
  let cursor = chunk.from;
  for (let i = 0; i < batches.length; i++) {
    const batch = batches[i]!;
    const expected = p.targetEnd;
    const written = await deps.writer.write(p.topic, p.partition, batch);
    if (written.baseOffset !== expected) {
      throw new KraftoverError(
        "TARGET_DIVERGED",
        `The target partition ${p.topic}[${p.partition}] took kraftover's batch at offset ${written.baseOffset}, ` +
          `expected ${expected}: something else writes to it. Stop other producers on the target ` +
          "until cutover, then re-run (the records already written are counted, not duplicated)",
        {
          phase: phase === "cutover" ? "cutover" : phase,
          detail: { topic: p.topic, partition: p.partition },
        },
      );
    }
    const cut = i === batches.length - 1 ? chunk.next : batch[batch.length - 1]!.offset + 1;
    await appendStep(deps, {
      topic: p.topic,
      partition: p.partition,
      from: cursor,
      next: cut,
      target_end: written.baseOffset + written.count,
      runs: runsOf(batch.map((r) => r.offset), written.baseOffset),
      holes: holesIn(chunk, cursor, cut),
      bytes: recordBytes(batch),
      phase,
    });
    cursor = cut;
  }
  return chunk.records.length;
}

/** Reads target records `[from, from + count)` for reconciliation. */
export type ReadTarget = (from: number, count: number) => Promise<CopyRecord[]>;

function sameRecord(a: CopyRecord, b: CopyRecord): boolean {
  const eq = (x: Uint8Array | null, y: Uint8Array | null) =>
    x === null || y === null ? x === y : x.length === y.length && x.every((v, i) => v === y[i]);
  return a.timestamp === b.timestamp && eq(a.key, b.key) && eq(a.value, b.value) &&
    a.headers.length === b.headers.length &&
    a.headers.every(([k, v], i) => k === b.headers[i]![0] && eq(v, b.headers[i]![1]));
}

/**
 * Brings the journal up to the target after a crash: when the target's end
 * offset is past the last checkpoint, the records in between were written by
 * a run that died before journaling them. They are matched one by one with the
 * next source records (byte for byte) and journaled as copied. A target behind
 * the journal, or holding other records, is `TARGET_DIVERGED`.
 */
export async function reconcilePartition(
  deps: PartitionCopyDeps,
  targetEnd: number,
  readTarget: ReadTarget,
  signal?: AbortSignal,
): Promise<number> {
  const p = deps.partition;
  if (targetEnd < p.targetEnd) {
    throw new KraftoverError(
      "TARGET_DIVERGED",
      `The target partition ${p.topic}[${p.partition}] ends at ${targetEnd}, but kraftover had written up to ` +
        `${p.targetEnd}: records were lost on the target (unclean leader election or deletion). Roll back and ` +
        "start again with an empty target topic",
      { phase: "seed", detail: { topic: p.topic, partition: p.partition } },
    );
  }
  let missing = targetEnd - p.targetEnd;
  if (missing === 0) return 0;
  deps.logger.warn(
    "Target holds records written after the last checkpoint: counting them, not re-sending",
    {
      topic: p.topic,
      partition: p.partition,
      records: missing,
    },
  );
  const total = missing;
  while (missing > 0) {
    const chunk = await deps.source.read(p.next, signal);
    if (chunk.next === chunk.from) {
      throw new KraftoverError(
        "TARGET_DIVERGED",
        `The target partition ${p.topic}[${p.partition}] holds ${missing} more records than the source can account for`,
        { phase: "seed" },
      );
    }
    const take = chunk.records.slice(0, missing);
    const onTarget = await readTarget(p.targetEnd, take.length);
    take.forEach((r, i) => {
      const t = onTarget[i];
      if (t === undefined || !sameRecord(r, t)) {
        throw new KraftoverError(
          "TARGET_DIVERGED",
          `Target record ${p.topic}[${p.partition}]@${
            p.targetEnd + i
          } is not source record @${r.offset}: ` +
            "something else wrote to the target partition. Roll back and start again with an empty target topic",
          { phase: "seed", detail: { topic: p.topic, partition: p.partition } },
        );
      }
    });
    const cut = take.length === chunk.records.length
      ? chunk.next
      : take[take.length - 1]!.offset + 1;
    await appendStep(deps, {
      topic: p.topic,
      partition: p.partition,
      from: chunk.from,
      next: cut,
      target_end: p.targetEnd + take.length,
      runs: runsOf(take.map((r) => r.offset), p.targetEnd),
      holes: holesIn(chunk, chunk.from, cut),
      bytes: recordBytes(take),
      phase: "seed",
    });
    missing -= take.length;
  }
  return total;
}
