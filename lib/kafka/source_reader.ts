/**
 * Reads a source partition exactly: READ_COMMITTED fetches without a consumer
 * group (so nothing is ever written to the source, not even group metadata),
 * aborted transactions and control batches filtered the way the Java consumer
 * does it, and every offset of the range accounted for — copied, or a hole
 * with its reason (aborted, control record, or absent: compacted away).
 *
 * @module
 */

import type { Buffer } from "node:buffer";
import { KraftoverError } from "../errors.ts";
import type { KafkaConnection } from "./connect.ts";
import { createLowLevelCluster } from "./_low_level_cluster.ts";
import type { DecodedRecord, KafkajsBroker } from "./_low_level_cluster.ts";
import { ensureExactRecordCodec } from "./kafkajs.ts";
import type { FetchedBatchInfo, RawHeader } from "./kafkajs.ts";
import { delay } from "../retry.ts";

/** One record as copied: everything the target must reproduce. */
export interface CopyRecord {
  /** Source offset. */
  offset: number;
  /** CreateTime (or the source's LogAppendTime) in ms, as a decimal string. */
  timestamp: string;
  /** Key; null and empty are different. */
  key: Buffer | null;
  /** Value; null is a tombstone, empty is not. */
  value: Buffer | null;
  /** Headers in wire order, repeated keys and null values kept. */
  headers: RawHeader[];
}

/** Offsets of a range that hold no copyable record, by reason. */
export interface HoleCounts {
  /** Offsets of records in aborted transactions. */
  aborted: number;
  /** Offsets of control records (transaction markers). */
  control: number;
  /** Offsets with no record at all (compaction, or batches removed). */
  absent: number;
}

/** A half-open offset range `[start, end)`. */
export type OffsetRange = readonly [start: number, end: number];

/** What one read returned. */
export interface ReadChunk {
  /** Copyable records, in offset order. */
  records: CopyRecord[];
  /** The offset the read started at. */
  from: number;
  /** Where the next read starts; every offset in [from, next) is a record or a hole. */
  next: number;
  /** Ranges of aborted transactional records in [from, next). */
  aborted: OffsetRange[];
  /** Ranges of control records (transaction markers) in [from, next). */
  control: OffsetRange[];
  /** Source high watermark at the time of the read. */
  highWatermark: number;
  /** Source last stable offset (READ_COMMITTED visibility). */
  lastStableOffset: number;
  /** Source log start offset. */
  logStartOffset: number;
  /** Bytes of keys, values and headers read. */
  bytes: number;
}

/** Log bounds of a partition. */
export interface PartitionBounds {
  /** Log start offset. */
  logStart: number;
  /** High watermark (end offset). */
  highWatermark: number;
}

/** Options for {@linkcode SourceReader.read}. */
export interface ReadOptions {
  /** Largest response for the partition. @default 4 MiB */
  maxBytes?: number;
  /** How long the broker may wait for data. @default 500 */
  maxWaitMs?: number;
  /** Aborts the read. */
  signal?: AbortSignal;
}

/** Reads source partitions (READ_COMMITTED, group-less). */
export interface SourceReader {
  /** Reads from `offset`; may return no records when nothing new is visible yet. */
  read(topic: string, partition: number, offset: number, options?: ReadOptions): Promise<ReadChunk>;
  /** Log start and high watermark. */
  bounds(topic: string, partition: number): Promise<PartitionBounds>;
  /** Releases connections. */
  close(): Promise<void>;
}

const ABORT_MARKER_TYPE = 0;

function isRetriableKafkaError(error: unknown): boolean {
  const e = error as { retriable?: boolean; type?: string; name?: string };
  return e.retriable === true || e.name === "KafkaJSConnectionError" ||
    e.name === "KafkaJSRequestTimeoutError" ||
    e.type === "NOT_LEADER_FOR_PARTITION" || e.type === "LEADER_NOT_AVAILABLE" ||
    e.type === "UNKNOWN_TOPIC_OR_PARTITION";
}

/**
 * Creates a reader over a connected cluster.
 *
 * @example
 * ```ts ignore
 * const reader = await createSourceReader(source);
 * const chunk = await reader.read("orders", 0, 0);
 * ```
 */
export async function createSourceReader(connection: KafkaConnection): Promise<SourceReader> {
  await ensureExactRecordCodec();
  const cluster = createLowLevelCluster(connection);
  try {
    await cluster.connect();
  } catch (error) {
    throw connection.classify(error, "connecting the reader");
  }
  const known = new Set<string>();

  async function leaderOf(topic: string, partition: number): Promise<KafkajsBroker> {
    if (!known.has(topic)) {
      await cluster.addTargetTopic(topic);
      known.add(topic);
    }
    const meta = cluster.findTopicPartitionMetadata(topic).find((p) => p.partitionId === partition);
    if (meta === undefined) {
      await cluster.refreshMetadata();
      const again = cluster.findTopicPartitionMetadata(topic).find((p) =>
        p.partitionId === partition
      );
      if (again === undefined) {
        throw new KraftoverError(
          "KAFKA_ERROR",
          `The source has no partition ${topic}[${partition}]`,
          {
            phase: "seed",
            retriable: true,
          },
        );
      }
      return await cluster.findBroker({ nodeId: String(again.leader) });
    }
    return await cluster.findBroker({ nodeId: String(meta.leader) });
  }

  async function withLeaderRetry<T>(
    what: string,
    fn: () => Promise<T>,
    signal?: AbortSignal,
  ): Promise<T> {
    for (let attempt = 1;; attempt++) {
      try {
        return await fn();
      } catch (error) {
        if (error instanceof KraftoverError) throw error;
        if (!isRetriableKafkaError(error) || attempt >= 8 || signal?.aborted) {
          throw connection.classify(error, what, "seed");
        }
        await cluster.refreshMetadata().catch(() => {});
        await delay(Math.min(5_000, 100 * 2 ** attempt), signal);
      }
    }
  }

  async function bounds(topic: string, partition: number): Promise<PartitionBounds> {
    return await withLeaderRetry(`reading offsets of ${topic}[${partition}]`, async () => {
      if (!known.has(topic)) {
        await cluster.addTargetTopic(topic);
        known.add(topic);
      }
      const [low, high] = await Promise.all(
        [true, false].map((fromBeginning) =>
          cluster.fetchTopicsOffset([{ topic, partitions: [{ partition }], fromBeginning }])
        ),
      );
      const find = (r: typeof low) =>
        Number(r![0]!.partitions.find((p) => p.partition === partition)!.offset);
      return { logStart: find(low), highWatermark: find(high) };
    });
  }

  async function read(
    topic: string,
    partition: number,
    offset: number,
    options: ReadOptions = {},
  ): Promise<ReadChunk> {
    const maxBytes = options.maxBytes ?? 4 * 1024 * 1024;
    const response = await withLeaderRetry(
      `reading ${topic}[${partition}] at ${offset}`,
      async () => {
        const broker = await leaderOf(topic, partition);
        try {
          return await broker.fetch({
            isolationLevel: 1,
            maxWaitTime: options.maxWaitMs ?? 500,
            minBytes: 1,
            maxBytes,
            topics: [{ topic, partitions: [{ partition, fetchOffset: String(offset), maxBytes }] }],
          });
        } catch (error) {
          if ((error as { type?: string }).type === "OFFSET_OUT_OF_RANGE") {
            const b = await bounds(topic, partition);
            if (offset < b.logStart) {
              throw new KraftoverError(
                "DATA_EXPIRED",
                `Records ${offset}..${
                  b.logStart - 1
                } of ${topic}[${partition}] were deleted from the source ` +
                  "(retention or DeleteRecords) before kraftover copied them: they cannot be migrated. Raise the " +
                  "topic's retention.ms/retention.bytes on the source, then roll back and start again, or accept " +
                  "the loss explicitly by excluding the topic",
                { phase: "seed", detail: { topic, partition, from: offset, logStart: b.logStart } },
              );
            }
          }
          throw error;
        }
      },
      options.signal,
    );
    const data = response.responses[0]?.partitions[0];
    if (data === undefined) {
      throw new KraftoverError("KAFKA_ERROR", `Empty fetch response for ${topic}[${partition}]`);
    }
    return decodeChunk(data, offset);
  }

  return {
    read,
    bounds,
    async close() {
      await cluster.disconnect().catch(() => {});
    },
  };
}

/**
 * Turns a READ_COMMITTED fetch response into copyable records and counted
 * holes, following the Java consumer's aborted-transaction algorithm: an
 * aborted transaction starts at its first offset (from the response's list)
 * and ends at its producer's abort marker.
 */
export function decodeChunk(
  data: {
    highWatermark: string;
    lastStableOffset: string;
    lastStartOffset: string;
    abortedTransactions: { producerId: string; firstOffset: string }[];
    messages: DecodedRecord[] & { batches?: FetchedBatchInfo[] };
  },
  from: number,
): ReadChunk {
  const batches = data.messages.batches ?? [];
  const pending = [...data.abortedTransactions]
    .map((t) => ({ producerId: BigInt(t.producerId), firstOffset: BigInt(t.firstOffset) }))
    .sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0));
  const aborting = new Set<bigint>();
  const records: CopyRecord[] = [];
  const aborted: OffsetRange[] = [];
  const control: OffsetRange[] = [];
  const start = BigInt(from);
  let next = start;
  let bytes = 0;
  for (const batch of batches) {
    if (batch.lastOffset < start) continue;
    while (pending.length > 0 && pending[0]!.firstOffset <= batch.lastOffset) {
      aborting.add(pending.shift()!.producerId);
    }
    const rangeStart = batch.firstOffset > start ? batch.firstOffset : start;
    const range = [Number(rangeStart), Number(batch.lastOffset) + 1] as const;
    if (batch.isControl) {
      control.push(range);
      const marker = data.messages[batch.recordStart];
      const type = marker?.key && marker.key.length >= 4 ? marker.key.readInt16BE(2) : -1;
      if (type === ABORT_MARKER_TYPE) aborting.delete(batch.producerId);
    } else if (batch.inTransaction && aborting.has(batch.producerId)) {
      aborted.push(range);
    } else {
      for (let i = batch.recordStart; i < batch.recordStart + batch.recordCount; i++) {
        const r = data.messages[i]!;
        const offset = Number(r.offset);
        if (offset < from) continue;
        records.push({
          offset,
          timestamp: r.timestamp,
          key: r.key,
          value: r.value,
          headers: r.headerList,
        });
        bytes += (r.key?.length ?? 0) + (r.value?.length ?? 0);
        for (const [k, v] of r.headerList) bytes += k.length + (v?.length ?? 0);
      }
    }
    next = batch.lastOffset + 1n;
  }
  return {
    records,
    from,
    next: Number(next),
    aborted,
    control,
    highWatermark: Number(data.highWatermark),
    lastStableOffset: Number(data.lastStableOffset),
    logStartOffset: Number(data.lastStartOffset),
    bytes,
  };
}

/**
 * The holes of a chunk within `[from, to)`: aborted and control ranges
 * intersected, and every other offset without a copied record counted as
 * absent (compacted away or never written).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { holesIn } from "./source_reader.ts";
 * import { Buffer } from "node:buffer";
 * const rec = (offset: number) => ({ offset, timestamp: "0", key: null, value: Buffer.from("v"), headers: [] });
 * const chunk = { records: [rec(0), rec(3)], aborted: [[1, 2] as const], control: [[4, 5] as const] };
 * const h = holesIn(chunk, 0, 6);
 * assert.ok(h.aborted === 1 && h.control === 1 && h.absent === 2);
 * ```
 */
export function holesIn(
  chunk: Pick<ReadChunk, "records" | "aborted" | "control">,
  from: number,
  to: number,
): HoleCounts {
  const overlap = (ranges: readonly OffsetRange[]) =>
    ranges.reduce((n, [s, e]) => n + Math.max(0, Math.min(e, to) - Math.max(s, from)), 0);
  const aborted = overlap(chunk.aborted);
  const control = overlap(chunk.control);
  let copied = 0;
  for (const r of chunk.records) if (r.offset >= from && r.offset < to) copied++;
  return { aborted, control, absent: to - from - copied - aborted - control };
}
