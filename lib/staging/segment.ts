/**
 * Staged segments (`docs/segment-format.md`): a run of one partition's
 * records, exactly as read from the source, with the holes of its offset
 * range, compressed and checksummed. A segment covers the source offsets
 * `[from, next)`; every offset in it is a record or a recorded hole.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import { gunzipSync, gzipSync, zstdCompressSync, zstdDecompressSync } from "node:zlib";
import { KraftoverError } from "../errors.ts";
import type { CopyRecord, OffsetRange } from "../kafka/source_reader.ts";

/** The magic bytes every segment starts with. */
export const SEGMENT_MAGIC = "KRFTSEG1";
/** The format name in the header. */
export const SEGMENT_FORMAT = "kraftover-segment/1";

/** Segment compression. */
export type SegmentCompression = "zstd" | "gzip" | "none";

/** A segment's header (JSON, stored uncompressed after the magic). */
export interface SegmentHeader {
  /** Always {@linkcode SEGMENT_FORMAT}. */
  format: typeof SEGMENT_FORMAT;
  /** Migration that wrote it. */
  migration_id: string;
  /** Source topic. */
  topic: string;
  /** Source partition. */
  partition: number;
  /** Position of the segment in the partition's sequence, from 0. */
  index: number;
  /** First source offset covered. */
  from: number;
  /** One past the last source offset covered. */
  next: number;
  /** Records in the body. */
  record_count: number;
  /** Aborted-transaction ranges within [from, next). */
  aborted: OffsetRange[];
  /** Control-record ranges within [from, next). */
  control: OffsetRange[];
  /** Body compression. */
  compression: SegmentCompression;
  /** Body size before compression. */
  body_bytes: number;
  /** SHA-256 (hex) of the uncompressed body. */
  body_sha256: string;
}

/** A decoded segment. */
export interface Segment {
  /** The header. */
  header: SegmentHeader;
  /** The records, in offset order. */
  records: CopyRecord[];
}

class Writer {
  #buf = Buffer.allocUnsafe(64 * 1024);
  #len = 0;

  #ensure(n: number): void {
    if (this.#len + n <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < this.#len + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.#buf.copy(next, 0, 0, this.#len);
    this.#buf = next;
  }

  i32(v: number): void {
    this.#ensure(4);
    this.#buf.writeInt32BE(v, this.#len);
    this.#len += 4;
  }

  i64(v: bigint): void {
    this.#ensure(8);
    this.#buf.writeBigInt64BE(v, this.#len);
    this.#len += 8;
  }

  bytes(v: Uint8Array | null): void {
    if (v === null) {
      this.i32(-1);
      return;
    }
    this.i32(v.length);
    this.#ensure(v.length);
    this.#buf.set(v, this.#len);
    this.#len += v.length;
  }

  get length(): number {
    return this.#len;
  }

  result(): Buffer {
    return this.#buf.subarray(0, this.#len);
  }
}

function compress(body: Buffer, compression: SegmentCompression): Buffer {
  if (compression === "zstd") return zstdCompressSync(body);
  if (compression === "gzip") return gzipSync(body);
  return body;
}

function decompress(body: Buffer, compression: SegmentCompression): Buffer {
  if (compression === "zstd") return zstdDecompressSync(body);
  if (compression === "gzip") return gunzipSync(body);
  return body;
}

function sha256(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** What {@linkcode encodeSegment} needs besides the records. */
export type SegmentDescription = Omit<
  SegmentHeader,
  "format" | "record_count" | "body_bytes" | "body_sha256"
>;

/**
 * Encodes a segment: magic, header length, header JSON, compressed body.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeSegment, encodeSegment } from "./segment.ts";
 * import { Buffer } from "node:buffer";
 * const bytes = encodeSegment({
 *   migration_id: "m", topic: "t", partition: 0, index: 0, from: 0, next: 2,
 *   aborted: [], control: [[1, 2]], compression: "zstd",
 * }, [{ offset: 0, timestamp: "1700000000000", key: null, value: Buffer.from("v"), headers: [["h", null]] }]);
 * const { header, records } = decodeSegment(bytes);
 * assert.ok(header.record_count === 1 && records[0]!.headers[0]![1] === null);
 * ```
 */
export function encodeSegment(
  description: SegmentDescription,
  records: readonly CopyRecord[],
): Uint8Array {
  const builder = new SegmentBuilder();
  for (const r of records) builder.add(r);
  return builder.finish(description);
}

/**
 * Builds a segment record by record, so a reader can drop each record as soon
 * as it is appended: memory is the segment's encoded size, whatever the volume.
 */
export class SegmentBuilder {
  #body = new Writer();
  #count = 0;

  /** Records added so far. */
  get recordCount(): number {
    return this.#count;
  }

  /** Uncompressed body bytes so far. */
  get bodyBytes(): number {
    return this.#body.length;
  }

  /** Appends a record (records must come in offset order). */
  add(r: CopyRecord): void {
    const body = this.#body;
    body.i64(BigInt(r.offset));
    body.i64(BigInt(r.timestamp));
    body.bytes(r.key);
    body.bytes(r.value);
    body.i32(r.headers.length);
    for (const [k, v] of r.headers) {
      body.bytes(Buffer.from(k, "utf8"));
      body.bytes(v);
    }
    this.#count++;
  }

  /** The segment file: magic, header length, header JSON, compressed body. */
  finish(description: SegmentDescription): Uint8Array {
    const raw = this.#body.result();
    const header: SegmentHeader = {
      format: SEGMENT_FORMAT,
      ...description,
      record_count: this.#count,
      body_bytes: raw.length,
      body_sha256: sha256(raw),
    };
    const headerBytes = Buffer.from(JSON.stringify(header), "utf8");
    const compressed = compress(raw, description.compression);
    const out = Buffer.allocUnsafe(8 + 4 + headerBytes.length + compressed.length);
    out.write(SEGMENT_MAGIC, 0, "ascii");
    out.writeUInt32BE(headerBytes.length, 8);
    headerBytes.copy(out, 12);
    compressed.copy(out, 12 + headerBytes.length);
    return out;
  }
}

function integrity(message: string): KraftoverError {
  return new KraftoverError("STORE_INTEGRITY", `Staged segment is damaged: ${message}`, {
    phase: "seed",
  });
}

/**
 * Decodes and verifies a segment (magic, header, body checksum, record count).
 * Throws `STORE_INTEGRITY` on any damage.
 */
export function decodeSegment(bytes: Uint8Array): Segment {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 12 || buf.toString("ascii", 0, 8) !== SEGMENT_MAGIC) {
    throw integrity("bad magic");
  }
  const headerLength = buf.readUInt32BE(8);
  if (12 + headerLength > buf.length) throw integrity("truncated header");
  let header: SegmentHeader;
  try {
    header = JSON.parse(buf.toString("utf8", 12, 12 + headerLength)) as SegmentHeader;
  } catch {
    throw integrity("unreadable header");
  }
  if (header.format !== SEGMENT_FORMAT) throw integrity(`unknown format ${header.format}`);
  let raw: Buffer;
  try {
    raw = decompress(buf.subarray(12 + headerLength), header.compression);
  } catch (error) {
    throw integrity(`cannot decompress (${(error as Error).message})`);
  }
  if (raw.length !== header.body_bytes || sha256(raw) !== header.body_sha256) {
    throw integrity("body checksum mismatch");
  }
  const records: CopyRecord[] = [];
  let pos = 0;
  const bytesAt = (): Buffer | null => {
    const n = raw.readInt32BE(pos);
    pos += 4;
    if (n < 0) return null;
    const v = raw.subarray(pos, pos + n);
    pos += n;
    return v;
  };
  while (pos < raw.length) {
    const offset = Number(raw.readBigInt64BE(pos));
    const timestamp = raw.readBigInt64BE(pos + 8).toString();
    pos += 16;
    const key = bytesAt();
    const value = bytesAt();
    const count = raw.readInt32BE(pos);
    pos += 4;
    const headers: [string, Buffer | null][] = [];
    for (let i = 0; i < count; i++) {
      const k = bytesAt();
      headers.push([k === null ? "" : k.toString("utf8"), bytesAt()]);
    }
    records.push({ offset, timestamp, key, value, headers });
  }
  if (records.length !== header.record_count) throw integrity("record count mismatch");
  return { header, records };
}

/**
 * SHA-256 (hex) of a whole segment file, journaled when it is written and
 * checked before it is restored.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { segmentSha256 } from "./segment.ts";
 * assert.ok(segmentSha256(new Uint8Array()).length === 64);
 * ```
 */
export function segmentSha256(bytes: Uint8Array): string {
  return sha256(bytes);
}

/**
 * The store key of a segment: `segments/<migration>/<topic>/<partition>/<index>.seg`
 * (index zero-padded so listings sort).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { segmentKey } from "./segment.ts";
 * assert.ok(segmentKey("m", "t", 3, 12) === "segments/m/t/3/000000000012.seg");
 * ```
 */
export function segmentKey(
  migrationId: string,
  topic: string,
  partition: number,
  index: number,
): string {
  return `segments/${migrationId}/${topic}/${partition}/${String(index).padStart(12, "0")}.seg`;
}
