/**
 * Writes copied records to a target partition: an idempotent producer with
 * acks=all, one record batch per send, each record's key, value, ordered
 * headers and timestamp kept, and the target offsets it landed at returned.
 *
 * @module
 */

import type { Buffer } from "node:buffer";
import { KraftoverError } from "../errors.ts";
import type { KafkaConnection } from "./connect.ts";
import { CompressionTypes, ensureExactRecordCodec, HEADER_LIST } from "./kafkajs.ts";
import type { Producer } from "./kafkajs.ts";
import type { CopyRecord } from "./source_reader.ts";

/** Where a written batch landed. */
export interface WriteResult {
  /** Target offset of the first record. */
  baseOffset: number;
  /** Records written (their target offsets are baseOffset … baseOffset + count - 1). */
  count: number;
}

/** Options for {@linkcode createTargetWriter}. */
export interface CreateTargetWriterOptions {
  /** Compression of written batches. @default "none" */
  compression?: "none" | "gzip" | "zstd";
}

/** Writes batches of records to target partitions. */
export interface TargetWriter {
  /** Writes records to one partition as one batch (the caller keeps batches under the size limit). */
  write(topic: string, partition: number, records: readonly CopyRecord[]): Promise<WriteResult>;
  /** Disconnects the producer. */
  close(): Promise<void>;
}

/**
 * The wire size of a record, near enough to keep a batch under `max.message.bytes`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { recordSize } from "./target_writer.ts";
 * assert.ok(recordSize({ offset: 0, timestamp: "0", key: null, value: null, headers: [] }) > 0);
 * ```
 */
export function recordSize(record: CopyRecord): number {
  let size = 24 + (record.key?.length ?? 0) + (record.value?.length ?? 0);
  for (const [k, v] of record.headers) size += 10 + k.length * 3 + (v?.length ?? 0);
  return size;
}

/**
 * Splits records into batches of at most `maxBytes` (a record larger than that goes alone).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { splitBatches } from "./target_writer.ts";
 * import { Buffer } from "node:buffer";
 * const r = (n: number) => ({ offset: n, timestamp: "0", key: null, value: Buffer.alloc(100), headers: [] });
 * assert.ok(splitBatches([r(0), r(1), r(2)], 320).length === 2);
 * ```
 */
export function splitBatches(records: readonly CopyRecord[], maxBytes: number): CopyRecord[][] {
  const batches: CopyRecord[][] = [];
  let current: CopyRecord[] = [];
  let size = 61; // record batch header
  for (const record of records) {
    const s = recordSize(record);
    if (current.length > 0 && size + s > maxBytes) {
      batches.push(current);
      current = [];
      size = 61;
    }
    current.push(record);
    size += s;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

const COMPRESSION = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
  zstd: CompressionTypes.ZSTD,
} as const;

/**
 * Creates a writer with its own idempotent producer (one per concurrent
 * partition worker, so workers do not queue behind each other).
 *
 * @example
 * ```ts ignore
 * const writer = await createTargetWriter(target);
 * const { baseOffset } = await writer.write("orders", 0, records);
 * ```
 */
export async function createTargetWriter(
  connection: KafkaConnection,
  options: CreateTargetWriterOptions = {},
): Promise<TargetWriter> {
  await ensureExactRecordCodec();
  let producer: Producer | undefined = await connection.producer({ idempotent: true });
  const compression = COMPRESSION[options.compression ?? "none"];

  return {
    async write(topic, partition, records) {
      if (records.length === 0) throw new KraftoverError("INTERNAL", "Empty write");
      producer ??= await connection.producer({ idempotent: true });
      let result;
      try {
        result = await producer.send({
          topic,
          acks: -1,
          compression,
          messages: records.map((r) => ({
            partition,
            key: r.key,
            value: r.value,
            timestamp: r.timestamp,
            headers: { [HEADER_LIST]: r.headers } as unknown as Record<string, Buffer>,
          })),
        });
      } catch (error) {
        // A failed idempotent producer may hold stale sequence state: start afresh next time.
        const failed = producer;
        producer = undefined;
        await failed.disconnect().catch(() => {});
        throw connection.classify(error, `writing to ${topic}[${partition}]`, "seed");
      }
      const meta = result.find((m) => m.partition === partition);
      if (meta?.baseOffset === undefined || Number(meta.errorCode) !== 0) {
        throw new KraftoverError(
          "KAFKA_ERROR",
          `The target did not acknowledge the write to ${topic}[${partition}] (error code ${meta?.errorCode})`,
          { phase: "seed", retriable: true },
        );
      }
      return { baseOffset: Number(meta.baseOffset), count: records.length };
    },
    async close() {
      await producer?.disconnect().catch(() => {});
      producer = undefined;
    },
  };
}
