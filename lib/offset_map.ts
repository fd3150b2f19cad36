/**
 * The offset map (SPEC §7): per partition, runs of copied records
 * `(source_start, target_start, count)` in which both sides are contiguous.
 * Lookup is a binary search. A committed source offset `c` translates to the
 * target offset of the first copied source record with offset ≥ `c`; when no
 * copied record is ≥ `c` (the group was caught up) it translates to the
 * target end after the sentinel, so no group ever consumes a sentinel.
 *
 * Offsets are JavaScript numbers: exact up to 2^53, far beyond any real log.
 *
 * @module
 */

import { KraftoverError } from "./errors.ts";

/** One run of records copied in order: both sides contiguous. */
export interface OffsetRun {
  /** First source offset of the run. */
  sourceStart: number;
  /** Target offset of that record. */
  targetStart: number;
  /** Records in the run. */
  count: number;
}

/** A run as stored in files: `[source_start, target_start, count]`. */
export type OffsetRunTuple = readonly [number, number, number];

/** `topic/partition`, the key of a partition everywhere in kraftover. */
export type PartitionKey = `${string}/${number}`;

/**
 * The key of a partition.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { partitionKey } from "./offset_map.ts";
 * assert.ok(partitionKey("orders", 3) === "orders/3");
 * ```
 */
export function partitionKey(topic: string, partition: number): PartitionKey {
  return `${topic}/${partition}`;
}

/**
 * Splits a partition key; topic names may contain `/`? No: Kafka topic names
 * are `[a-zA-Z0-9._-]`, so the last `/` separates the partition.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parsePartitionKey } from "./offset_map.ts";
 * assert.ok(parsePartitionKey("a.b/7").partition === 7);
 * ```
 */
export function parsePartitionKey(key: string): { topic: string; partition: number } {
  const i = key.lastIndexOf("/");
  return { topic: key.slice(0, i), partition: Number(key.slice(i + 1)) };
}

/** How a source offset was translated, for `status --offsets` and the evidence. */
export interface Translation {
  /** The committed source offset. */
  source: number;
  /** The target offset to commit. */
  target: number;
  /** Why: inside a run, the next copied record after a hole, or past the end. */
  via: "copied" | "next_copied" | "after_sentinel";
  /** The run used, when one was. */
  run?: OffsetRunTuple;
}

/** The offset map of one partition: growing arrays of runs, kept sorted by source offset. */
export class PartitionOffsetMap {
  #source: number[] = [];
  #target: number[] = [];
  #count: number[] = [];
  #copied = 0;

  /** Number of runs. */
  get runCount(): number {
    return this.#source.length;
  }

  /** Records copied (sum of run counts). */
  get copied(): number {
    return this.#copied;
  }

  /** One past the last copied source offset, or undefined when empty. */
  get sourceEnd(): number | undefined {
    const i = this.#source.length - 1;
    return i < 0 ? undefined : this.#source[i]! + this.#count[i]!;
  }

  /** One past the last written target offset, or undefined when empty. */
  get targetEnd(): number | undefined {
    const i = this.#source.length - 1;
    return i < 0 ? undefined : this.#target[i]! + this.#count[i]!;
  }

  /**
   * Appends a run after every existing one, merging it into the last run
   * when both sides continue it. Refuses runs that overlap or go backwards.
   */
  add(sourceStart: number, targetStart: number, count: number): void {
    if (count <= 0) return;
    if (
      !Number.isSafeInteger(sourceStart) || !Number.isSafeInteger(targetStart) ||
      !Number.isSafeInteger(count)
    ) {
      throw new KraftoverError(
        "INTERNAL",
        `Offset run out of range: ${sourceStart}, ${targetStart}, ${count}`,
      );
    }
    const i = this.#source.length - 1;
    if (i >= 0) {
      const sEnd = this.#source[i]! + this.#count[i]!;
      const tEnd = this.#target[i]! + this.#count[i]!;
      if (sourceStart < sEnd || targetStart < tEnd) {
        throw new KraftoverError(
          "INTERNAL",
          `Offset run (${sourceStart}, ${targetStart}, ${count}) overlaps the previous run ending at source ${sEnd}, target ${tEnd}`,
        );
      }
      if (sourceStart === sEnd && targetStart === tEnd) {
        this.#count[i] = this.#count[i]! + count;
        this.#copied += count;
        return;
      }
    }
    this.#source.push(sourceStart);
    this.#target.push(targetStart);
    this.#count.push(count);
    this.#copied += count;
  }

  /** The run with index `i`. */
  run(i: number): OffsetRun {
    return { sourceStart: this.#source[i]!, targetStart: this.#target[i]!, count: this.#count[i]! };
  }

  /** Every run as tuples. */
  runs(): OffsetRunTuple[] {
    return this.#source.map((s, i) => [s, this.#target[i]!, this.#count[i]!] as const);
  }

  /** Index of the first run whose last source offset is ≥ `offset`, or runCount. */
  #firstRunEndingAtOrAfter(offset: number): number {
    let lo = 0;
    let hi = this.#source.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#source[mid]! + this.#count[mid]! - 1 < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The target offset of the copied record with exactly this source offset, if copied. */
  targetOf(sourceOffset: number): number | undefined {
    const i = this.#firstRunEndingAtOrAfter(sourceOffset);
    if (i >= this.#source.length || this.#source[i]! > sourceOffset) return undefined;
    return this.#target[i]! + (sourceOffset - this.#source[i]!);
  }

  /**
   * Translates a committed source offset (SPEC §7). `endAfterSentinel` is the
   * target end offset after the sentinel, used when the group is caught up.
   */
  translate(committed: number, endAfterSentinel: number): Translation {
    const i = this.#firstRunEndingAtOrAfter(committed);
    if (i >= this.#source.length) {
      return { source: committed, target: endAfterSentinel, via: "after_sentinel" };
    }
    const s = this.#source[i]!;
    const t = this.#target[i]!;
    const run = [s, t, this.#count[i]!] as const;
    if (committed >= s) {
      return { source: committed, target: t + (committed - s), via: "copied", run };
    }
    return { source: committed, target: t, via: "next_copied", run };
  }
}

/** The offset map of a whole migration. */
export class OffsetMap {
  readonly #partitions = new Map<PartitionKey, PartitionOffsetMap>();

  /** The map of one partition (created empty when absent). */
  partition(topic: string, partition: number): PartitionOffsetMap {
    const key = partitionKey(topic, partition);
    let map = this.#partitions.get(key);
    if (map === undefined) {
      map = new PartitionOffsetMap();
      this.#partitions.set(key, map);
    }
    return map;
  }

  /** Whether a partition has any run. */
  has(topic: string, partition: number): boolean {
    return (this.#partitions.get(partitionKey(topic, partition))?.runCount ?? 0) > 0;
  }

  /** Appends a run to a partition. */
  add(
    topic: string,
    partition: number,
    sourceStart: number,
    targetStart: number,
    count: number,
  ): void {
    this.partition(topic, partition).add(sourceStart, targetStart, count);
  }

  /** Partition keys with runs, sorted. */
  keys(): PartitionKey[] {
    return [...this.#partitions.keys()].sort();
  }

  /** Total records copied. */
  get copied(): number {
    let n = 0;
    for (const map of this.#partitions.values()) n += map.copied;
    return n;
  }

  /** `{ "topic/partition": [[source_start, target_start, count], …] }`, sorted. */
  toJSON(): Record<string, OffsetRunTuple[]> {
    const out: Record<string, OffsetRunTuple[]> = {};
    for (const key of this.keys()) out[key] = this.#partitions.get(key)!.runs();
    return out;
  }

  /** Rebuilds a map from {@linkcode OffsetMap.toJSON} output. */
  static fromJSON(json: Readonly<Record<string, readonly OffsetRunTuple[]>>): OffsetMap {
    const map = new OffsetMap();
    for (const [key, runs] of Object.entries(json)) {
      const { topic, partition } = parsePartitionKey(key);
      const pm = map.partition(topic, partition);
      for (const [s, t, c] of runs) pm.add(s, t, c);
    }
    return map;
  }
}

/**
 * Splits copied records into runs. `sourceOffsets` are the source offsets of
 * records written, in order, to consecutive target offsets from `targetStart`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { runsOf } from "./offset_map.ts";
 * const runs = runsOf([5, 6, 7, 10, 11], 100);
 * assert.ok(JSON.stringify(runs) === "[[5,100,3],[10,103,2]]");
 * ```
 */
export function runsOf(sourceOffsets: readonly number[], targetStart: number): OffsetRunTuple[] {
  const runs: [number, number, number][] = [];
  for (let i = 0; i < sourceOffsets.length; i++) {
    const s = sourceOffsets[i]!;
    const last = runs[runs.length - 1];
    if (last !== undefined && last[0] + last[2] === s) last[2]++;
    else runs.push([s, targetStart + i, 1]);
  }
  return runs;
}
