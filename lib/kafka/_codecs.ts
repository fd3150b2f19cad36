/**
 * Compression codecs for kafkajs: kafkajs ships only gzip, but a source
 * cluster may hold records compressed with any of Kafka's four codecs. These
 * adapters plug maintained implementations into kafkajs's codec registry:
 * snappy (`snappyjs`, with the xerial/snappy-java framing Java clients write),
 * LZ4 (`lz4js`, LZ4 frame format) and zstd (`node:zlib`).
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { zstdCompressSync, zstdDecompressSync } from "node:zlib";
import { compress as snappyCompress, uncompress as snappyUncompress } from "snappyjs";
import lz4 from "lz4js";

/** The shape kafkajs expects from a codec factory's product. */
interface KafkajsCodec {
  compress(encoder: { buffer: Buffer }): Promise<Buffer>;
  decompress(buffer: Buffer): Promise<Buffer>;
}

// snappy-java's stream header: magic, then version and compatible version (int32 BE).
const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER_LENGTH = 16;
const XERIAL_BLOCK = 32 * 1024;

function isXerial(buffer: Buffer): boolean {
  return buffer.length >= XERIAL_HEADER_LENGTH && buffer.subarray(0, 8).equals(XERIAL_MAGIC);
}

/** Snappy: raw blocks (librdkafka) or xerial-framed blocks (Java clients). */
const snappy: KafkajsCodec = {
  compress(encoder) {
    const input = encoder.buffer;
    const parts: Buffer[] = [XERIAL_MAGIC, Buffer.from([0, 0, 0, 1, 0, 0, 0, 1])];
    for (let i = 0; i < input.length; i += XERIAL_BLOCK) {
      const block = Buffer.from(snappyCompress(input.subarray(i, i + XERIAL_BLOCK)));
      const length = Buffer.alloc(4);
      length.writeUInt32BE(block.length);
      parts.push(length, block);
    }
    return Promise.resolve(Buffer.concat(parts));
  },
  decompress(buffer) {
    if (!isXerial(buffer)) return Promise.resolve(Buffer.from(snappyUncompress(buffer)));
    const parts: Buffer[] = [];
    let offset = XERIAL_HEADER_LENGTH;
    while (offset + 4 <= buffer.length) {
      const size = buffer.readUInt32BE(offset);
      offset += 4;
      parts.push(Buffer.from(snappyUncompress(buffer.subarray(offset, offset + size))));
      offset += size;
    }
    return Promise.resolve(Buffer.concat(parts));
  },
};

/** LZ4 frame format, as Kafka writes it since message format v1. */
const lz4Codec: KafkajsCodec = {
  compress(encoder) {
    return Promise.resolve(Buffer.from(lz4.compress(encoder.buffer)));
  },
  decompress(buffer) {
    return Promise.resolve(Buffer.from(lz4.decompress(buffer)));
  },
};

/** zstd frames. */
const zstd: KafkajsCodec = {
  compress(encoder) {
    return Promise.resolve(zstdCompressSync(encoder.buffer));
  },
  decompress(buffer) {
    return Promise.resolve(zstdDecompressSync(buffer));
  },
};

/**
 * Registers snappy, LZ4 and zstd in a kafkajs codec registry (gzip is built in).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { registerCodecs } from "./_codecs.ts";
 * const registry: Record<number, () => unknown> = {};
 * registerCodecs(registry, { Snappy: 2, LZ4: 3, ZSTD: 4 });
 * assert.ok(typeof registry[4] === "function");
 * ```
 */
export function registerCodecs(
  registry: Record<number, () => unknown>,
  types: { Snappy: number; LZ4: number; ZSTD: number },
): void {
  registry[types.Snappy] = () => snappy;
  registry[types.LZ4] = () => lz4Codec;
  registry[types.ZSTD] = () => zstd;
}
