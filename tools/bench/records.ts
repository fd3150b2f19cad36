/**
 * The benchmark's records: deterministic, mixed sizes (value sizes
 * log-uniform between 100 B and 10 KiB by default), printable ASCII keys and
 * values without tabs or newlines — so that the `kcat` pipe
 * (`-f '%k\t%s\n'` into `-K '\t'`) carries them unchanged and the comparison
 * is fair. Written as kcat producer input: `key<TAB>value<LF>` per record.
 *
 * @module
 */

/** Options for {@linkcode recordLines}. */
export interface RecordLinesOptions {
  /** Stop once keys and values add up to at least this many bytes. */
  bytes: number;
  /** Smallest value. @default 100 */
  minValue?: number;
  /** Largest value. @default 10240 */
  maxValue?: number;
  /** PRNG seed (same seed, same records). @default 1 */
  seed?: number;
  /** Prefix of every key (keeps two topics' keys apart). @default "k" */
  keyPrefix?: string;
  /** Bytes per yielded chunk (whole lines only). @default 1 MiB */
  chunkBytes?: number;
  /** Size of the random pool values are cut from. @default 16 MiB */
  poolBytes?: number;
}

/** What {@linkcode recordLines} produced, filled in as it goes. */
export interface RecordTally {
  /** Records. */
  records: number;
  /** Key plus value bytes (what every tool reports as copied). */
  bytes: number;
  /** Smallest value seen. */
  minValue: number;
  /** Largest value seen. */
  maxValue: number;
}

/**
 * A small, fast, seedable PRNG (mulberry32) returning floats in [0, 1).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mulberry32 } from "./records.ts";
 * const a = mulberry32(7), b = mulberry32(7);
 * assert.ok(a() === b());
 * ```
 */
export function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.,:;=+!";
const TAB = 9;
const LF = 10;

/**
 * Yields kcat producer input (`key\tvalue\n` lines) in chunks until the keys
 * and values reach `options.bytes`; `tally` counts what was yielded.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { recordLines } from "./records.ts";
 * const tally = { records: 0, bytes: 0, minValue: Infinity, maxValue: 0 };
 * let text = "";
 * for (const chunk of recordLines({ bytes: 50_000 }, tally)) text += new TextDecoder().decode(chunk);
 * assert.ok(text.split("\n").length - 1 === tally.records && tally.bytes >= 50_000);
 * ```
 */
export function* recordLines(
  options: RecordLinesOptions,
  tally: RecordTally,
): Generator<Uint8Array> {
  const min = options.minValue ?? 100;
  const max = options.maxValue ?? 10_240;
  const random = mulberry32(options.seed ?? 1);
  const prefix = options.keyPrefix ?? "k";
  const chunkBytes = options.chunkBytes ?? 1024 * 1024;
  // Values are windows into one random ASCII pool, so generating them costs next to nothing;
  // the pool is large enough that a compressor finds few repeats (about 0.7 with zstd), as in
  // real payloads, and staged segments are not flattered.
  const poolSize = options.poolBytes ?? 16 * 1024 * 1024;
  const pool = new Uint8Array(poolSize + max);
  for (let i = 0; i < pool.length; i++) {
    pool[i] = ALPHABET.charCodeAt(Math.floor(random() * ALPHABET.length));
  }
  const encoder = new TextEncoder();
  const logSpan = Math.log(max / min);
  // Room for one more record past chunkBytes (keys are far shorter than 64 bytes).
  let buffer = new Uint8Array(chunkBytes + max + 64);
  let at = 0;
  while (tally.bytes < options.bytes) {
    const key = encoder.encode(`${prefix}${tally.records.toString(36).padStart(8, "0")}`);
    const size = Math.min(max, Math.round(min * Math.exp(random() * logSpan)));
    const from = Math.floor(random() * poolSize);
    buffer.set(key, at);
    at += key.length;
    buffer[at++] = TAB;
    buffer.set(pool.subarray(from, from + size), at);
    at += size;
    buffer[at++] = LF;
    tally.records++;
    tally.bytes += key.length + size;
    if (size < tally.minValue) tally.minValue = size;
    if (size > tally.maxValue) tally.maxValue = size;
    if (at >= chunkBytes) {
      yield buffer.subarray(0, at);
      buffer = new Uint8Array(chunkBytes + max + 64);
      at = 0;
    }
  }
  if (at > 0) yield buffer.subarray(0, at);
}
