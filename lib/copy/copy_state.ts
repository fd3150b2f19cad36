/**
 * The copy's durable state, rebuilt from journal checkpoints: per partition,
 * where the copy began and stands on both sides, the holes met, and the
 * offset map. Every checkpoint name and payload the data plane writes is
 * defined here, so writers and readers cannot drift apart.
 *
 * @module
 */

import { KraftoverError } from "../errors.ts";
import type { JournalRecord } from "../journal.ts";
import { OffsetMap, partitionKey } from "../offset_map.ts";
import type { OffsetRunTuple, PartitionKey, PartitionOffsetMap } from "../offset_map.ts";
import type { HoleCounts } from "../kafka/source_reader.ts";

/** Checkpoint: a partition's copy is about to start (journaled before any write). */
export interface PartitionStartedData {
  topic: string;
  partition: number;
  /** First source offset to copy (the log start when the copy began). */
  source_start: number;
  /** Source end captured when the seed began: the seed copies [source_start, seed_end). */
  seed_end: number;
  /** Target end offset before kraftover wrote anything. */
  target_start: number;
}

/** Checkpoint: records copied (or only holes passed) on one partition. */
export interface CopyStepData {
  topic: string;
  partition: number;
  /** Source offset this step began at (the previous step's `next`). */
  from: number;
  /** Next source offset to read. */
  next: number;
  /** Target end offset after this step's writes. */
  target_end: number;
  /** Runs added to the offset map. */
  runs: OffsetRunTuple[];
  /** Holes met in [from, next). */
  holes: HoleCounts;
  /** Bytes of keys, values and headers copied. */
  bytes: number;
  /** Which phase copied. */
  phase: "seed" | "tail" | "cutover";
}

/** Checkpoint: a partition's seed range is fully copied. */
export interface SeedDoneData {
  topic: string;
  partition: number;
}

/** Checkpoint: the topics (and partition counts) the migration copies, from topology_copy. */
export interface TopologyTopicsData {
  topics: { topic: string; partitions: number }[];
}

/** Checkpoint: a staged segment was written to the backup store. */
export interface SegmentWrittenData {
  topic: string;
  partition: number;
  /** Position in the partition's sequence, from 0. */
  index: number;
  /** Store key. */
  key: string;
  /** First source offset covered. */
  from: number;
  /** One past the last source offset covered. */
  next: number;
  /** Records in it. */
  records: number;
  /** Size of the stored (compressed) file. */
  bytes: number;
  /** SHA-256 of the stored file. */
  sha256: string;
}

/** The checkpoint names of the data plane. */
export const CHECKPOINT = {
  topologyTopics: "topology.topics",
  partitionStarted: "copy.partition_started",
  step: "copy.step",
  seedStarted: "seed.started",
  seedDone: "seed.partition_done",
  segmentWritten: "stage.segment_written",
  stagingDone: "stage.partition_done",
} as const;

/** One partition's copy state. */
export interface PartitionCopyState {
  topic: string;
  partition: number;
  /** First source offset of the copy. */
  sourceStart: number;
  /** End of the seed range. */
  seedEnd: number;
  /** Target end offset before the copy. */
  targetStart: number;
  /** Next source offset to read. */
  next: number;
  /** Target end offset after the last journaled write. */
  targetEnd: number;
  /** Records copied. */
  copied: number;
  /** Bytes copied. */
  bytes: number;
  /** Holes met so far. */
  holes: HoleCounts;
  /** Whether the seed range is done. */
  seedDone: boolean;
  /** The partition's offset map. */
  map: PartitionOffsetMap;
}

/** The whole copy state. */
export interface CopyState {
  /** Per partition, in journal order. */
  partitions: Map<PartitionKey, PartitionCopyState>;
  /** The offset map of every partition. */
  offsetMap: OffsetMap;
}

/**
 * Creates an empty copy state.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { emptyCopyState } from "./copy_state.ts";
 * assert.ok(emptyCopyState().partitions.size === 0);
 * ```
 */
export function emptyCopyState(): CopyState {
  return { partitions: new Map(), offsetMap: new OffsetMap() };
}

/**
 * Applies one journal record to a copy state (ignoring records that are not copy checkpoints).
 * Throws `INTERNAL` when a step does not continue where the previous one ended.
 */
export function applyCopyRecord(state: CopyState, record: JournalRecord): void {
  if (record.type !== "checkpoint") return;
  if (record.name === CHECKPOINT.partitionStarted) {
    const d = record.data as unknown as PartitionStartedData;
    const key = partitionKey(d.topic, d.partition);
    if (state.partitions.has(key)) return;
    state.partitions.set(key, {
      topic: d.topic,
      partition: d.partition,
      sourceStart: d.source_start,
      seedEnd: d.seed_end,
      targetStart: d.target_start,
      next: d.source_start,
      targetEnd: d.target_start,
      copied: 0,
      bytes: 0,
      holes: { aborted: 0, control: 0, absent: 0 },
      seedDone: false,
      map: state.offsetMap.partition(d.topic, d.partition),
    });
  } else if (record.name === CHECKPOINT.step) {
    const d = record.data as unknown as CopyStepData;
    const p = state.partitions.get(partitionKey(d.topic, d.partition));
    if (p === undefined || d.from !== p.next) {
      throw new KraftoverError(
        "JOURNAL_CORRUPT",
        `Journal line ${record.seq}: copy step for ${d.topic}[${d.partition}] starts at ${d.from}, ` +
          `expected ${p?.next ?? "a started partition"}`,
        { phase: "journal" },
      );
    }
    for (const [s, t, c] of d.runs) {
      p.map.add(s, t, c);
      p.copied += c;
    }
    p.next = d.next;
    p.targetEnd = d.target_end;
    p.bytes += d.bytes;
    p.holes = {
      aborted: p.holes.aborted + d.holes.aborted,
      control: p.holes.control + d.holes.control,
      absent: p.holes.absent + d.holes.absent,
    };
  } else if (record.name === CHECKPOINT.seedDone) {
    const d = record.data as unknown as SeedDoneData;
    const p = state.partitions.get(partitionKey(d.topic, d.partition));
    if (p !== undefined) p.seedDone = true;
  }
}

/**
 * Rebuilds the copy state from journal records.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { replayCopyState } from "./copy_state.ts";
 * const state = replayCopyState([]);
 * assert.ok(state.offsetMap.copied === 0);
 * ```
 */
export function replayCopyState(records: readonly JournalRecord[]): CopyState {
  const state = emptyCopyState();
  for (const record of records) applyCopyRecord(state, record);
  return state;
}

/**
 * The topics the migration copies, as journaled by topology_copy (the last
 * such checkpoint wins: tail appends topics it discovers).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { journaledTopics } from "./copy_state.ts";
 * assert.ok(journaledTopics([]).length === 0);
 * ```
 */
export function journaledTopics(
  records: readonly JournalRecord[],
): { topic: string; partitions: number }[] {
  const topics = new Map<string, number>();
  for (const r of records) {
    if (r.type === "checkpoint" && r.name === CHECKPOINT.topologyTopics) {
      for (const t of (r.data as unknown as TopologyTopicsData).topics) {
        topics.set(t.topic, t.partitions);
      }
    }
  }
  return [...topics].map(([topic, partitions]) => ({ topic, partitions })).sort((a, b) =>
    a.topic.localeCompare(b.topic)
  );
}

/**
 * Staged segments journaled per partition, in order.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { journaledSegments } from "./copy_state.ts";
 * assert.ok(journaledSegments([]).size === 0);
 * ```
 */
export function journaledSegments(
  records: readonly JournalRecord[],
): Map<PartitionKey, SegmentWrittenData[]> {
  const out = new Map<PartitionKey, SegmentWrittenData[]>();
  for (const r of records) {
    if (r.type !== "checkpoint" || r.name !== CHECKPOINT.segmentWritten) continue;
    const d = r.data as unknown as SegmentWrittenData;
    const key = partitionKey(d.topic, d.partition);
    const list = out.get(key) ?? [];
    if (list.length === d.index) list.push(d);
    out.set(key, list);
  }
  return out;
}
