/**
 * Offset translation at scale (SPEC §11): an offset map of many partitions
 * with realistic runs, every group's committed offset on every partition
 * translated. Three ways are timed on the same map: the product's
 * `PartitionOffsetMap.translate` (binary search over runs), the cutover's
 * `translateGroups` (what `cutover` really runs: partition-key lookups and a
 * result object per offset), and a baseline linear scan over the runs. A way
 * whose full run would take longer than the budget is timed on a sample of
 * partitions (every k-th, so the mix of partition kinds is kept) and
 * extrapolated — and marked so.
 *
 * @module
 */

import { OffsetMap, partitionKey } from "../../lib/offset_map.ts";
import type { PartitionOffsetMap } from "../../lib/offset_map.ts";
import type { CopyState, PartitionCopyState } from "../../lib/copy/copy_state.ts";
import type { SentinelPosition } from "../../lib/cutover/cutover_state.ts";
import { translateGroups } from "../../lib/cutover/group_offsets.ts";
import type { GroupCommitted } from "../../lib/cutover/group_offsets.ts";
import { mulberry32 } from "./records.ts";
import type { TranslationMeasure, TranslationResult } from "./report.ts";

/** Options for {@linkcode benchTranslation}. */
export interface BenchTranslationOptions {
  /** Partitions in the map. @default 100000 */
  partitions?: number;
  /** Groups, each with a committed offset on every partition. @default 1000 */
  groups?: number;
  /** Longest a full binary-search run may take before it is sampled instead (s). @default 120 */
  maxSeconds?: number;
  /** Translations per sample. @default 1000000 */
  sample?: number;
  /** PRNG seed. @default 42 */
  seed?: number;
}

/** Partitions per topic in the generated map. */
const PARTITIONS_PER_TOPIC = 100;

/** The shape of the generated map, in words (kept beside the generator so they agree). */
export const MAP_SHAPE =
  "90% plain (1 run, log start > 0), 7% transactional (a marker hole every " +
  "10–500 records: 20–500 runs), 3% compacted (runs of 1–50 records between holes of 1–200 " +
  "offsets: 1,000–5,000 runs)";

/** A generated partition. */
interface GeneratedPartition {
  kind: "plain" | "transactional" | "compacted";
  topic: string;
  partition: number;
  map: PartitionOffsetMap;
  /** First copied source offset. */
  start: number;
  /** One past the last copied source offset. */
  end: number;
  /** Target offset of the sentinel (the target end before it). */
  sentinelTarget: number;
}

/** Builds the map: see {@linkcode MAP_SHAPE}. */
export function buildOffsetMap(
  partitions: number,
  seed = 42,
): { map: OffsetMap; parts: GeneratedPartition[]; runs: number } {
  const random = mulberry32(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  const map = new OffsetMap();
  const parts: GeneratedPartition[] = [];
  let runs = 0;
  for (let i = 0; i < partitions; i++) {
    const topic = `topic-${String(Math.floor(i / PARTITIONS_PER_TOPIC)).padStart(4, "0")}`;
    const partition = i % PARTITIONS_PER_TOPIC;
    const pm = map.partition(topic, partition);
    const kind = random();
    const start = int(0, 1_000_000);
    let s = start;
    let t = 0;
    if (kind < 0.9) {
      const count = int(1_000, 1_000_000);
      pm.add(s, t, count);
      s += count;
      t += count;
    } else if (kind < 0.97) {
      const n = int(20, 500);
      for (let r = 0; r < n; r++) {
        const count = int(10, 500);
        pm.add(s, t, count);
        s += count + 1;
        t += count;
      }
    } else {
      const n = int(1_000, 5_000);
      for (let r = 0; r < n; r++) {
        const count = int(1, 50);
        pm.add(s, t, count);
        s += count + int(1, 200);
        t += count;
      }
    }
    runs += pm.runCount;
    parts.push({
      kind: kind < 0.9 ? "plain" : kind < 0.97 ? "transactional" : "compacted",
      topic,
      partition,
      map: pm,
      start,
      end: s,
      sentinelTarget: t,
    });
  }
  return { map, parts, runs };
}

/** Group `g`'s committed offset on partition `i`: anywhere from its first copied offset to caught up. */
function committedOffset(p: GeneratedPartition, i: number, g: number): number {
  let h = Math.imul(i ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(g + 1, 0xc2b2ae35);
  h ^= h >>> 13;
  h = Math.imul(h, 0x27d4eb2f);
  h ^= h >>> 16;
  return p.start + ((h >>> 0) % (p.end - p.start + 1));
}

/** A linear scan over runs: the baseline a binary search is measured against. */
function linearTranslate(
  source: Float64Array,
  target: Float64Array,
  count: Float64Array,
  committed: number,
  afterSentinel: number,
): number {
  for (let i = 0; i < source.length; i++) {
    const s = source[i]!;
    if (s + count[i]! - 1 >= committed) {
      return committed >= s ? target[i]! + committed - s : target[i]!;
    }
  }
  return afterSentinel;
}

function measure(measured: number, ms: number, total: number): TranslationMeasure {
  const perSec = measured / (Math.max(ms, 0.001) / 1000);
  const extrapolated = measured < total;
  return {
    measured,
    ms: Math.round(ms),
    perSec: Math.round(perSec),
    totalMs: Math.round(extrapolated ? (total / perSec) * 1000 : ms),
    extrapolated,
  };
}

/** Keeps results alive so the JIT cannot drop the work. */
let sink = 0;

/** Times `PartitionOffsetMap.translate` over `indexes` × every group. */
function timeBinary(
  parts: readonly GeneratedPartition[],
  indexes: Iterable<number>,
  groups: number,
) {
  let n = 0;
  let acc = 0;
  const t0 = performance.now();
  for (const i of indexes) {
    const p = parts[i]!;
    const after = p.sentinelTarget + 1;
    for (let g = 0; g < groups; g++) {
      acc += p.map.translate(committedOffset(p, i, g), after).target;
      n++;
    }
  }
  const ms = performance.now() - t0;
  sink ^= acc;
  return { n, ms, acc };
}

/** Times the linear-scan baseline over `indexes` × every group (runs flattened first, untimed). */
function timeLinear(
  parts: readonly GeneratedPartition[],
  indexes: readonly number[],
  groups: number,
) {
  const flat = indexes.map((i) => {
    const r = parts[i]!.map.runs();
    return {
      s: Float64Array.from(r, (x) => x[0]),
      t: Float64Array.from(r, (x) => x[1]),
      c: Float64Array.from(r, (x) => x[2]),
    };
  });
  let n = 0;
  let acc = 0;
  const t0 = performance.now();
  indexes.forEach((i, k) => {
    const p = parts[i]!;
    const f = flat[k]!;
    const after = p.sentinelTarget + 1;
    for (let g = 0; g < groups; g++) {
      acc += linearTranslate(f.s, f.t, f.c, committedOffset(p, i, g), after);
      n++;
    }
  });
  const ms = performance.now() - t0;
  sink ^= acc;
  return { n, ms, acc };
}

function* stride(total: number, step: number): Generator<number> {
  for (let i = 0; i < total; i += step) yield i;
}

/**
 * Runs the translation benchmark and returns its figures.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { benchTranslation } from "./translation.ts";
 * const r = benchTranslation({ partitions: 200, groups: 5, sample: 500 });
 * assert.ok(r.status === "ok" && r.translations === 1000);
 * ```
 */
export function benchTranslation(options: BenchTranslationOptions = {}): TranslationResult {
  const partitions = options.partitions ?? 100_000;
  const groups = options.groups ?? 1_000;
  const total = partitions * groups;
  const sampleSize = Math.min(total, options.sample ?? 1_000_000);
  const budgetMs = (options.maxSeconds ?? 120) * 1000;

  const b0 = performance.now();
  const { parts, runs } = buildOffsetMap(partitions, options.seed ?? 42);
  const buildMs = performance.now() - b0;

  // Every k-th partition, all groups: the sample keeps the mix of partition kinds.
  const step = Math.max(1, Math.floor(total / sampleSize));
  const sampled = [...stride(partitions, step)];
  timeBinary(parts, sampled.slice(0, 50), groups); // warm the JIT
  const sample = timeBinary(parts, sampled, groups);
  let binarySearch = measure(sample.n, sample.ms, total);
  if (binarySearch.extrapolated && binarySearch.totalMs <= budgetMs) {
    const full = timeBinary(parts, stride(partitions, 1), groups);
    binarySearch = measure(full.n, full.ms, total);
  }

  // Baseline on the same sample.
  const linear = timeLinear(parts, sampled, groups);
  const linearScan = measure(linear.n, linear.ms, total);

  // Where runs are many (compacted partitions), on their own.
  const compacted = parts.flatMap((p, i) => (p.kind === "compacted" ? [i] : []));
  const compactedTotal = compacted.length * groups;
  const compactedSample = compacted.filter((_, k) =>
    k % Math.max(1, Math.floor(compactedTotal / sampleSize)) === 0
  );
  const cb = timeBinary(parts, compactedSample, groups);
  const cl = timeLinear(parts, compactedSample, groups);

  // The cutover's own function, on a sample of groups over every partition.
  const copy: CopyState = { partitions: new Map(), offsetMap: new OffsetMap() };
  const sentinels: SentinelPosition[] = [];
  for (const p of parts) {
    copy.partitions.set(partitionKey(p.topic, p.partition), {
      topic: p.topic,
      partition: p.partition,
      map: p.map,
    } as PartitionCopyState);
    sentinels.push({
      topic: p.topic,
      partition: p.partition,
      source_offset: p.end,
      target_offset: p.sentinelTarget,
    });
  }
  const sampleGroups = Math.max(1, Math.min(groups, Math.floor(sampleSize / partitions)));
  const committed: GroupCommitted[] = Array.from({ length: sampleGroups }, (_, g) => ({
    group: `group-${g}`,
    offsets: parts.map((p, i) => ({
      topic: p.topic,
      partition: p.partition,
      offset: committedOffset(p, i, g),
    })),
  }));
  const heap0 = Deno.memoryUsage().heapUsed;
  const c0 = performance.now();
  const translated = translateGroups(committed, copy, sentinels);
  const cutoverPath = measure(sampleGroups * partitions, performance.now() - c0, total);
  const heapPerOffset = (Deno.memoryUsage().heapUsed - heap0) / (sampleGroups * partitions);
  sink ^= translated.length;

  return {
    status: "ok",
    partitions,
    groups,
    translations: total,
    runs,
    shape: MAP_SHAPE,
    buildMs: Math.round(buildMs),
    binarySearch,
    cutoverPath,
    cutoverHeapBytesPerOffset: Math.max(0, Math.round(heapPerOffset)),
    baselineAgrees: sample.acc === linear.acc && cb.acc === cl.acc &&
      translated.every((g, k) =>
        g.offsets.every((o, i) =>
          o.target ===
            parts[i]!.map.translate(committed[k]!.offsets[i]!.offset, parts[i]!.sentinelTarget + 1)
              .target
        )
      ),
    linearScan,
    compacted: {
      partitions: compacted.length,
      meanRuns: Math.round(
        compacted.reduce((n, i) => n + parts[i]!.map.runCount, 0) / Math.max(1, compacted.length),
      ),
      binarySearch: measure(cb.n, cb.ms, compactedTotal),
      linearScan: measure(cl.n, cl.ms, compactedTotal),
    },
  };
}

/** For tests: the value that keeps the timed loops from being optimised away. */
export function translationSink(): number {
  return sink;
}
