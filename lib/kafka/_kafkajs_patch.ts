/**
 * Makes kafkajs 2.2.4 carry records exactly, which a migration needs and
 * kafkajs alone does not do, and fixes what made it slow or leaky for a copy:
 *
 * - **Headers in order.** kafkajs decodes headers into an object, so repeated
 *   keys lose their interleaving (`a, b, a` comes back as `{a: [1, 3], b: 2}`
 *   and is re-sent as `a, a, b`), integer-like keys are reordered by
 *   JavaScript's property order, and a null header value cannot be encoded at
 *   all. The record decoder below also returns `headerList`, the headers as
 *   read; the record encoder accepts a list under {@linkcode HEADER_LIST}.
 * - **Batch boundaries.** kafkajs flattens fetched record batches into records,
 *   so a batch emptied by compaction, or a control batch, vanishes together
 *   with its last offset. The fetch decoder below attaches each batch's
 *   offsets and flags as `records.batches`, so a reader can advance past them
 *   and account for every offset.
 * - **No orphaned sockets.** Concurrent first requests to a broker share one
 *   connect instead of each opening a socket (see `patchConnectionPool`).
 * - **CRC-32C speed.** kafkajs checksums every produced batch with a
 *   byte-at-a-time table; the seed spent over a quarter of its CPU there. The
 *   checksum is SheetJS `crc-32`'s CRC-32C (slicing-by-16, about 4× faster),
 *   same value.
 * - **One-buffer produce requests.** kafkajs copies each batch through six
 *   nested, doubling encoders and frames the request with two more copies; an
 *   uncompressed produce request is written into one exactly-sized buffer,
 *   byte for byte what kafkajs writes (compressed sends keep kafkajs's
 *   encoder), and framed with one copy.
 *
 * These replace kafkajs modules in the CommonJS module cache (and patch its
 * connection pool) before
 * kafkajs itself loads (this module must be imported before `kafkajs`);
 * {@linkcode assertKafkajsPatched} proves at run time that kafkajs really uses
 * them. The replacements are written against kafkajs's own encoder and
 * decoder primitives, and the version is pinned in `deno.json`.
 *
 * @module
 */

import { createRequire } from "node:module";
import { Buffer } from "node:buffer";
import CRC32C from "crc-32/crc32c.js";
import { KraftoverError } from "../errors.ts";

const require = createRequire(import.meta.url);

/** Symbol under which a message's `headers` carries an ordered header list. */
export const HEADER_LIST: unique symbol = Symbol.for("kraftover.headerList") as never;

/** One header as on the wire: key and value (null is a real, distinct value). */
export type RawHeader = readonly [key: string, value: Buffer | null];

/** A record batch's boundaries and flags, as fetched. */
export interface FetchedBatchInfo {
  /** Offset of the batch's first record (base offset). */
  firstOffset: bigint;
  /** Offset of its last record, kept by the broker even when compaction removed records. */
  lastOffset: bigint;
  /** A control batch (transaction commit/abort marker). */
  isControl: boolean;
  /** Written in a transaction. */
  inTransaction: boolean;
  /** Producer id (for matching aborted transactions). */
  producerId: bigint;
  /** Index of the batch's first record in the fetched records array. */
  recordStart: number;
  /** Records actually present in the batch. */
  recordCount: number;
}

type KafkajsDecoder = {
  readInt8(): number;
  readVarLong(): { toString(): string };
  readVarInt(): number;
  readVarIntBytes(): Buffer | null;
  readVarIntArray<T>(fn: (d: KafkajsDecoder) => T): T[];
  readVarIntString(): string;
  readInt32(): number;
  readBytes(n: number): Buffer;
  canReadBytes(n: number): boolean;
};

const base = "kafkajs/src/protocol/";

function replaceModule(path: string, exports: unknown): void {
  require(path);
  const entry = (require.cache as Record<string, { exports: unknown } | undefined>)[path];
  if (entry === undefined) throw new Error(`kafkajs module ${path} is not in the module cache`);
  entry.exports = exports;
}

// kafkajs internals the replacements use, loaded by applyPatch().
// deno-lint-ignore no-explicit-any
let Long: any, TimestampTypes: any, HeaderDecoder: any, Decoder: any;
// deno-lint-ignore no-explicit-any
let MessageSetDecoder: any, RecordBatchDecoder: any, MAGIC_BYTE: any;
/** kafkajs's own produce request v3, for compressed sends. */
let kafkajsProduceV3: (args: ProduceRequestArgs) => unknown;

/** Record decoder: kafkajs's fields, plus `headerList` in wire order. */
function decodeRecord(decoder: KafkajsDecoder, batchContext: Record<string, unknown> = {}) {
  const {
    firstOffset,
    firstTimestamp,
    magicByte,
    isControlBatch = false,
    timestampType,
    maxTimestamp,
  } = batchContext;
  const attributes = decoder.readInt8();
  const timestampDelta = decoder.readVarLong();
  const timestamp = timestampType === TimestampTypes.LOG_APPEND_TIME && maxTimestamp
    ? maxTimestamp
    : Long.fromValue(firstTimestamp).add(timestampDelta).toString();
  const offsetDelta = decoder.readVarInt();
  const offset = Long.fromValue(firstOffset).add(offsetDelta).toString();
  const key = decoder.readVarIntBytes();
  const value = decoder.readVarIntBytes();
  const list = decoder.readVarIntArray(HeaderDecoder) as { key: string; value: Buffer | null }[];
  const headerList: RawHeader[] = list.map((h) => [h.key, h.value] as const);
  const headers: Record<string, Buffer | null | (Buffer | null)[]> = Object.create(null);
  for (const [k, v] of headerList) {
    const prev = headers[k];
    headers[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return {
    magicByte,
    attributes,
    timestamp,
    offset,
    key,
    value,
    headers,
    headerList,
    isControlRecord: isControlBatch,
    batchContext,
  };
}

function headerEntries(headers: unknown): RawHeader[] {
  if (headers === null || headers === undefined) return [];
  const list = (headers as { [HEADER_LIST]?: RawHeader[] })[HEADER_LIST];
  if (list !== undefined) return list;
  const out: RawHeader[] = [];
  for (const [k, v] of Object.entries(headers as Record<string, unknown>)) {
    for (const value of Array.isArray(v) ? v : [v]) {
      out.push([k, value === null ? null : Buffer.from(value as string | Buffer)]);
    }
  }
  return out;
}

/** Bytes of a zigzag varint/varlong (exact for safe integers). */
function varintSize(value: number): number {
  let z = value >= 0 ? value * 2 : -value * 2 - 1;
  let n = 1;
  while (z >= 128) {
    z = Math.floor(z / 128);
    n++;
  }
  return n;
}

/** Writes a zigzag varint/varlong at `pos`; returns the next position. */
function writeVarint(buf: Buffer, pos: number, value: number): number {
  let z = value >= 0 ? value * 2 : -value * 2 - 1;
  while (z >= 128) {
    buf[pos++] = (z % 128) | 0x80;
    z = Math.floor(z / 128);
  }
  buf[pos++] = z;
  return pos;
}

function bytesSize(b: Uint8Array | null | undefined): number {
  return b === null || b === undefined ? 1 : varintSize(b.length) + b.length;
}

function writeBytes(buf: Buffer, pos: number, b: Uint8Array | null | undefined): number {
  if (b === null || b === undefined) return writeVarint(buf, pos, -1);
  pos = writeVarint(buf, pos, b.length);
  buf.set(b, pos);
  return pos + b.length;
}

/** A record ready to write: its parts as bytes and its body size, computed once. */
interface PlannedRecord {
  offsetDelta: number;
  timestampDelta: number;
  key: Uint8Array | null | undefined;
  value: Uint8Array | null | undefined;
  headers: (readonly [Uint8Array, Uint8Array | null])[];
  /** Bytes after the length varint. */
  body: number;
}

function planRecord(
  offsetDelta: number,
  timestampDelta: number,
  key: Uint8Array | string | null | undefined,
  value: Uint8Array | string | null | undefined,
  headers: unknown,
): PlannedRecord {
  const k = typeof key === "string" ? Buffer.from(key) : key;
  const v = typeof value === "string" ? Buffer.from(value) : value;
  const entries = headerEntries(headers).map(([hk, hv]) => [Buffer.from(hk), hv] as const);
  let body = 1 + varintSize(timestampDelta) + varintSize(offsetDelta) + bytesSize(k) +
    bytesSize(v) + varintSize(entries.length);
  for (const [hk, hv] of entries) body += bytesSize(hk) + bytesSize(hv);
  return { offsetDelta, timestampDelta, key: k, value: v, headers: entries, body };
}

function recordSize(r: PlannedRecord): number {
  return varintSize(r.body) + r.body;
}

/** Writes a planned record at `pos`; returns the next position. */
function writeRecord(buf: Buffer, pos: number, r: PlannedRecord): number {
  pos = writeVarint(buf, pos, r.body);
  buf[pos++] = 0; // record attributes: unused
  pos = writeVarint(buf, pos, r.timestampDelta);
  pos = writeVarint(buf, pos, r.offsetDelta);
  pos = writeBytes(buf, pos, r.key);
  pos = writeBytes(buf, pos, r.value);
  pos = writeVarint(buf, pos, r.headers.length);
  for (const [hk, hv] of r.headers) {
    pos = writeBytes(buf, pos, hk);
    pos = writeBytes(buf, pos, hv);
  }
  return pos;
}

/**
 * Record encoder: the record format kafkajs writes, with ordered header lists
 * and null header values, written straight into one exactly-sized buffer
 * (kafkajs allocates a zeroed 512-byte buffer and a small array per varint for
 * every record). Returns the minimal Encoder shape kafkajs's batch encoder
 * reads (`buf`, `buffer`). Used by kafkajs's compressed produce path; the
 * uncompressed one is {@linkcode produceRequestV3}.
 */
function encodeRecord(
  { offsetDelta = 0, timestampDelta = 0, key, value, headers }: {
    offsetDelta?: number;
    timestampDelta?: unknown;
    key: Buffer | string | null;
    value: Buffer | string | null;
    headers?: unknown;
  },
): { buf: Buffer; buffer: Buffer } {
  const r = planRecord(offsetDelta, Number(timestampDelta), key, value, headers);
  const buf = Buffer.allocUnsafe(recordSize(r));
  writeRecord(buf, 0, r);
  return { buf, buffer: buf };
}

/** What kafkajs passes to a produce request. */
export interface ProduceRequestArgs {
  acks: number;
  timeout: number;
  transactionalId?: string | null;
  producerId?: { getHighBits(): number; getLowBits(): number } | number;
  producerEpoch?: number;
  compression?: number;
  topicData: {
    topic: string;
    partitions: {
      partition: number;
      firstSequence?: number;
      messages: {
        key?: Buffer | string | null;
        value?: Buffer | string | null;
        headers?: unknown;
        timestamp?: string | number | null;
      }[];
    }[];
  }[];
}

/** An encoded request body in the shape kafkajs's request framing reads. */
interface EncodedBody {
  buf: Buffer;
  buffer: Buffer;
  size(): number;
}

/** A Kafka (nullable) STRING: int16 length (-1 for null), then the UTF-8 bytes. */
function writeString16(buf: Buffer, pos: number, bytes: Uint8Array | null): number {
  if (bytes === null) return buf.writeInt16BE(-1, pos);
  pos = buf.writeInt16BE(bytes.length, pos);
  buf.set(bytes, pos);
  return pos + bytes.length;
}

function encodedBody(buf: Buffer): EncodedBody {
  return { buf, buffer: buf, size: () => buf.length };
}

/** Record batch v2 bytes before the first record: offset, length, epoch, magic, CRC, attributes … count. */
const BATCH_HEADER = 61;
/** Where the CRC-32C'd part of a batch begins (attributes), from the batch's start. */
const BATCH_CRC_FROM = 21;
const TRANSACTIONAL_ATTRIBUTE = 16;

/**
 * Produce request v3 (and v4–v7, which reuse it) without compression,
 * written into one exactly-sized buffer: the same fields as kafkajs's
 * encoder, which instead copies each batch through six nested, doubling
 * encoders (it encoded at about 380 MB/s; this writes at the speed of the
 * checksum). Compressed sends go to kafkajs's own encoder. The batch's base
 * timestamp and max timestamp are the numeric minimum and maximum (kafkajs
 * sorts timestamps as strings, which differs only across digit counts), and a
 * record's timestamp is its own even when it is 0.
 */
function produceRequestV3(args: ProduceRequestArgs): unknown {
  if ((args.compression ?? 0) !== 0) return kafkajsProduceV3(args);
  return {
    apiKey: 0,
    apiVersion: 3,
    apiName: "Produce",
    expectResponse: () => args.acks !== 0,
    encode: () => Promise.resolve(encodeProduceV3(args)),
  };
}

function encodeProduceV3(args: ProduceRequestArgs): EncodedBody {
  const now = Date.now();
  const txid = args.transactionalId == null ? null : Buffer.from(args.transactionalId);
  const producerEpoch = args.producerEpoch ?? 0;
  // A Long for idempotent producers, a number (-1) otherwise; kafkajs writes either through Long.
  const producerId = Long.fromValue(args.producerId ?? -1);
  const topics = args.topicData.map((t) => ({
    name: Buffer.from(t.topic),
    partitions: t.partitions.map((p) => {
      let first = Infinity;
      let max = -Infinity;
      for (const m of p.messages) {
        if (m.timestamp == null) continue;
        const ts = Number(m.timestamp);
        if (ts < first) first = ts;
        if (ts > max) max = ts;
      }
      if (first === Infinity) first = max = now;
      const records = p.messages.map((m, i) =>
        planRecord(
          i,
          (m.timestamp == null ? now : Number(m.timestamp)) - first,
          m.key,
          m.value,
          m.headers,
        )
      );
      const size = BATCH_HEADER + records.reduce((sum, r) => sum + recordSize(r), 0);
      return {
        partition: p.partition,
        firstSequence: p.firstSequence ?? 0,
        first,
        max,
        records,
        size,
      };
    }),
  }));
  let total = 2 + (txid?.length ?? 0) + 2 + 4 + 4;
  for (const t of topics) {
    total += 2 + t.name.length + 4;
    for (const p of t.partitions) total += 4 + 4 + p.size;
  }
  const buf = Buffer.allocUnsafe(total);
  let pos = 0;
  pos = writeString16(buf, pos, txid);
  pos = buf.writeInt16BE(args.acks, pos);
  pos = buf.writeInt32BE(args.timeout, pos);
  pos = buf.writeInt32BE(topics.length, pos);
  for (const t of topics) {
    pos = writeString16(buf, pos, t.name);
    pos = buf.writeInt32BE(t.partitions.length, pos);
    for (const p of t.partitions) {
      pos = buf.writeInt32BE(p.partition, pos);
      pos = buf.writeInt32BE(p.size, pos);
      const start = pos;
      pos = buf.writeInt32BE(0, pos); // base offset (int64): 0
      pos = buf.writeInt32BE(0, pos);
      pos = buf.writeInt32BE(p.size - 12, pos); // batch length: the bytes after this field
      pos = buf.writeInt32BE(0, pos); // partition leader epoch
      pos = buf.writeInt8(2, pos); // magic
      pos += 4; // CRC-32C, written last
      pos = buf.writeInt16BE(txid === null ? 0 : TRANSACTIONAL_ATTRIBUTE, pos);
      pos = buf.writeInt32BE(p.records.length - 1, pos); // last offset delta
      pos = buf.writeBigInt64BE(BigInt(p.first), pos);
      pos = buf.writeBigInt64BE(BigInt(p.max), pos);
      pos = buf.writeInt32BE(producerId.getHighBits(), pos);
      pos = buf.writeInt32BE(producerId.getLowBits(), pos);
      pos = buf.writeInt16BE(producerEpoch, pos);
      pos = buf.writeInt32BE(p.firstSequence, pos);
      pos = buf.writeInt32BE(p.records.length, pos);
      for (const r of p.records) pos = writeRecord(buf, pos, r);
      buf.writeUInt32BE(crc32c(buf.subarray(start + BATCH_CRC_FROM, pos)), start + 17);
    }
  }
  return encodedBody(buf);
}

/**
 * kafkajs's own produce request v3 (kept for compressed sends), for tests that
 * compare it byte for byte with {@linkcode produceRequestV3}.
 */
export function kafkajsProduceRequestV3(args: ProduceRequestArgs): unknown {
  return kafkajsProduceV3(args);
}

/**
 * kafkajs's request framing (size, API key and version, correlation id,
 * client id, body) with one copy of the body instead of two.
 */
async function frameRequest(
  { correlationId, clientId, request: { apiKey, apiVersion, encode } }: {
    correlationId: number;
    clientId: string | null | undefined;
    request: { apiKey: number; apiVersion: number; encode(): Promise<{ buffer: Buffer }> };
  },
): Promise<EncodedBody> {
  const body = (await encode()).buffer;
  const id = clientId == null ? null : Buffer.from(clientId);
  const header = 2 + 2 + 4 + 2 + (id?.length ?? 0);
  const buf = Buffer.allocUnsafe(4 + header + body.length);
  let pos = buf.writeInt32BE(header + body.length, 0);
  pos = buf.writeInt16BE(apiKey, pos);
  pos = buf.writeInt16BE(apiVersion, pos);
  pos = buf.writeInt32BE(correlationId, pos);
  pos = writeString16(buf, pos, id);
  buf.set(body, pos);
  return encodedBody(buf);
}

const MAGIC_OFFSET = 16;
const RECORD_BATCH_OVERHEAD = 49;

/** Fetch record-set decoder: kafkajs's, plus `records.batches` with every batch's offsets. */
async function decodeMessages(decoder: KafkajsDecoder) {
  const messagesSize = decoder.readInt32();
  if (messagesSize <= 0 || !decoder.canReadBytes(messagesSize)) return attachBatches([], []);
  const messagesBuffer = decoder.readBytes(messagesSize);
  const messagesDecoder = new Decoder(messagesBuffer);
  const magicByte = messagesBuffer.subarray(MAGIC_OFFSET).readInt8(0);
  if (magicByte !== MAGIC_BYTE) {
    return attachBatches(await MessageSetDecoder(messagesDecoder, messagesSize), []);
  }
  const records: unknown[] = [];
  const batches: FetchedBatchInfo[] = [];
  while (messagesDecoder.canReadBytes(RECORD_BATCH_OVERHEAD)) {
    try {
      const batch = await RecordBatchDecoder(messagesDecoder);
      const first = BigInt(batch.firstOffset);
      batches.push({
        firstOffset: first,
        lastOffset: first + BigInt(batch.lastOffsetDelta),
        isControl: batch.isControlBatch,
        inTransaction: batch.inTransaction,
        producerId: BigInt(batch.producerId),
        recordStart: records.length,
        recordCount: batch.records.length,
      });
      for (const r of batch.records) records.push(r);
    } catch (error) {
      // A fetch may end in a partial batch (maxBytes): stop there, as kafkajs does.
      if ((error as { name?: string }).name === "KafkaJSPartialMessageError") break;
      throw error;
    }
  }
  return attachBatches(records, batches);
}

function attachBatches<T extends unknown[]>(records: T, batches: FetchedBatchInfo[]): T {
  Object.defineProperty(records, "batches", { value: batches, enumerable: false });
  return records;
}

/**
 * kafkajs groups a send's messages by partition with `[...current, message]`
 * per message: quadratic, seconds per send for the 10,000-record batches a
 * copy writes. Same result, linear.
 */
function groupMessagesPerPartition(
  { topic, partitionMetadata, messages, partitioner }: {
    topic: string;
    partitionMetadata: unknown[];
    messages: unknown[];
    partitioner: (
      args: { topic: string; partitionMetadata: unknown[]; message: unknown },
    ) => number;
  },
): Record<number, unknown[]> {
  const result: Record<number, unknown[]> = {};
  if (partitionMetadata.length === 0) return result;
  for (const message of messages) {
    const partition = partitioner({ topic, partitionMetadata, message });
    (result[partition] ??= []).push(message);
  }
  return result;
}

/** CRC-32C of a buffer as an unsigned 32-bit integer (what kafkajs's checksum module returns). */
export function crc32c(buffer: Uint8Array): number {
  return CRC32C.buf(buffer) >>> 0;
}

type PooledConnection = { isConnected(): boolean; connect(): Promise<unknown> };
const CONNECTING = Symbol("kraftover.connecting");

/**
 * One connect at a time per pooled connection. kafkajs 2.2.4 keeps two
 * connections per broker (one for fetches) and connects one on first use
 * without a lock: workers fetching concurrently from a fresh broker each call
 * `connect()`, each opens a socket, and all but the last are orphaned — open
 * until the broker's idle timeout, and keeping the process alive. Concurrent
 * callers now share the first caller's connect.
 */
function patchConnectionPool(
  ConnectionPool: {
    prototype: { pool: PooledConnection[]; getConnection(index?: number): unknown };
  },
): void {
  ConnectionPool.prototype.getConnection = async function (index = 0) {
    const connection = this.pool[index]! as PooledConnection & {
      [CONNECTING]?: Promise<unknown> | undefined;
    };
    if (!connection.isConnected()) {
      connection[CONNECTING] ??= connection.connect().finally(() => {
        connection[CONNECTING] = undefined;
      });
      await connection[CONNECTING];
    }
    return connection;
  };
}

/**
 * Loads kafkajs's internals and puts the replacements in its module cache.
 * Inside a single-file bundle there is no module cache to patch (kafkajs is
 * inlined): the patch is then skipped, and {@linkcode assertKafkajsPatched}
 * refuses to copy data rather than copy it inexactly.
 */
function applyPatch(): void {
  Long = require("kafkajs/src/utils/long");
  TimestampTypes = require(`${base}timestampTypes`);
  HeaderDecoder = require(`${base}recordBatch/header/v0/decoder`);
  Decoder = require(`${base}decoder`);
  replaceModule(
    require.resolve("kafkajs/src/producer/groupMessagesPerPartition.js"),
    groupMessagesPerPartition,
  );
  // The checksum and the record codec first: the batch encoder and decoder and the produce request
  // capture them when they load.
  replaceModule(require.resolve(`${base}recordBatch/crc32C/index.js`), crc32c);
  replaceModule(require.resolve(`${base}recordBatch/record/v0/decoder.js`), decodeRecord);
  replaceModule(require.resolve(`${base}recordBatch/record/v0/index.js`), encodeRecord);
  // The produce request and the framing: before the connection and produce v4–v7 load them.
  kafkajsProduceV3 = require(`${base}requests/produce/v3/request.js`);
  replaceModule(require.resolve(`${base}requests/produce/v3/request.js`), produceRequestV3);
  replaceModule(require.resolve(`${base}request.js`), frameRequest);
  MessageSetDecoder = require(`${base}messageSet/decoder`);
  RecordBatchDecoder = require(`${base}recordBatch/v0/decoder`);
  MAGIC_BYTE = require(`${base}recordBatch/v0`).MAGIC_BYTE;
  replaceModule(require.resolve(`${base}requests/fetch/v4/decodeMessages.js`), decodeMessages);

  patchConnectionPool(require("kafkajs/src/network/connectionPool.js"));

  // kafkajs schedules its request-queue throttle check with a negative delay
  // when it is not throttled; the runtime clamps it to 1 ms and prints a
  // TimeoutNegativeWarning on stderr for every connection. Same behaviour,
  // clamped here, without the noise.
  const RequestQueue = require("kafkajs/src/network/requestQueue/index.js");
  RequestQueue.prototype.scheduleCheckPendingRequests = function (this: {
    throttledUntil: number;
    throttleCheckTimeoutId: ReturnType<typeof setTimeout> | null;
    pending: unknown[];
    checkPendingRequests(): void;
  }) {
    if (this.throttleCheckTimeoutId) return;
    let scheduleAt = this.throttledUntil - Date.now();
    if (this.pending.length > 0 && scheduleAt <= 0) scheduleAt = 10; // kafkajs's CHECK_PENDING_REQUESTS_INTERVAL
    this.throttleCheckTimeoutId = setTimeout(() => {
      this.throttleCheckTimeoutId = null;
      this.checkPendingRequests();
    }, Math.max(1, scheduleAt));
  };
}

let patchError: unknown;
try {
  applyPatch();
} catch (error) {
  patchError = error;
}

/**
 * Proves that kafkajs uses the replacements: encodes a record batch with
 * interleaved, repeated and null-valued headers through kafkajs's own produce
 * path and decodes it through kafkajs's own fetch path. Throws when header
 * order or batch boundaries would be lost (for example in a bundle that
 * inlined kafkajs without its module cache).
 *
 * @example
 * ```ts
 * import { assertKafkajsPatched } from "./_kafkajs_patch.ts";
 * await assertKafkajsPatched();
 * ```
 */
export async function assertKafkajsPatched(): Promise<void> {
  if (patchError !== undefined) {
    throw new KraftoverError(
      "INTERNAL",
      "This build of kraftover cannot reach kafkajs's modules to make record copies exact " +
        `(${(patchError as Error).message}); it refuses to copy data. Run kraftover from source ` +
        "(deno run cli.ts) or as a compiled binary (deno task compile), not from a single-file bundle",
    );
  }
  // Encode through kafkajs's own produce request (which captured the record
  // encoder when it loaded), then decode its record set through kafkajs's own
  // fetch decoder: both must be ours for the headers to survive in order.
  const produceV3 = require(`${base}requests/produce/v3/request.js`);
  const FetchDecode = require(`${base}requests/fetch/v4/decodeMessages.js`);
  const list: RawHeader[] = [
    ["a", Buffer.from("1")],
    ["2", Buffer.from("b")],
    ["a", null],
    ["1", Buffer.alloc(0)],
  ];
  const request = produceV3({
    acks: -1,
    timeout: 1000,
    compression: 0,
    topicData: [{
      topic: "t",
      partitions: [{
        partition: 0,
        messages: [{
          key: null,
          value: Buffer.alloc(0),
          headers: { [HEADER_LIST]: list },
          timestamp: "1",
        }],
      }],
    }],
  });
  const wire = await request.encode();
  const decoder = new Decoder(Buffer.from(wire.buffer ?? wire));
  decoder.readString(); // transactional id
  decoder.readInt16(); // acks
  decoder.readInt32(); // timeout
  decoder.readInt32(); // topics
  decoder.readString(); // topic
  decoder.readInt32(); // partitions
  decoder.readInt32(); // partition
  const records = await FetchDecode(decoder);
  const got = records[0]?.headerList as RawHeader[] | undefined;
  const batches = (records as { batches?: FetchedBatchInfo[] }).batches;
  const same = got !== undefined && got.length === list.length &&
    got.every(([k, v], i) =>
      k === list[i]![0] && (v === null ? list[i]![1] === null : v.equals(list[i]![1]!))
    );
  if (
    !same || batches?.length !== 1 || records[0].key !== null || records[0].value.length !== 0
  ) {
    throw new KraftoverError(
      "INTERNAL",
      "kafkajs is not using kraftover's record codec (header order and batch offsets would be " +
        "lost); run kraftover from source or a compiled binary, not from a bundle that inlines kafkajs",
    );
  }
}

let checked: Promise<void> | undefined;

/**
 * {@linkcode assertKafkajsPatched}, run once per process: every reader and
 * writer of records calls it before copying anything.
 *
 * @example
 * ```ts
 * import { ensureExactRecordCodec } from "./_kafkajs_patch.ts";
 * await ensureExactRecordCodec();
 * ```
 */
export function ensureExactRecordCodec(): Promise<void> {
  checked ??= assertKafkajsPatched();
  return checked;
}
