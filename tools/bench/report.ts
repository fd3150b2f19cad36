/**
 * The benchmark's figures (the JSON written to `bench-results/`) and their
 * text rendering: one table per part, figures side by side, and a verdict
 * that says plainly whether kraftover's direct seed kept up with the kcat
 * pipe. Throughput is always bytes (keys plus values) and records counted on
 * the target, divided by measured wall time; MB are 10^6 bytes.
 *
 * @module
 */

import type { ProfileSummary } from "./cpu_profile.ts";

/** Whether a part ran. */
export type PartStatus = "ok" | "skipped" | "failed";

/** One tool copying the benchmark topic. */
export interface ThroughputRow {
  /** What ran, e.g. `kraftover direct`. */
  name: string;
  /** Whether it ran. */
  status: PartStatus;
  /** Why it was skipped or how it failed. */
  reason?: string;
  /** Records on the target afterwards (end offsets), for the copy measured. */
  records?: number;
  /** Key plus value bytes copied. */
  bytes?: number;
  /** Copy time (ms): see {@linkcode BenchReport} docs for what each tool's clock covers. */
  copyMs?: number;
  /** Process start to exit (ms). */
  wallMs?: number;
  /** bytes / copy time, in MB/s (10^6 bytes). */
  mbPerSec?: number;
  /** records / copy time. */
  recordsPerSec?: number;
  /** Peak resident set (KiB) of the copying process(es). */
  peakRssKiB?: number;
  /** What the copy keeps of each record. */
  preserves?: string;
  /** Anything that qualifies the figure. */
  notes?: string[];
  /** Every run when the tool ran more than once (`--repeat`); the row holds the medians. */
  runs?: { copyMs: number; wallMs: number; peakRssKiB: number; mbPerSec: number }[];
  /** Where the process's CPU went (`--profile`). */
  profile?: ProfileSummary;
}

/** Peak memory of the direct seed at one volume. */
export interface MemoryRow {
  /** Key plus value bytes seeded. */
  bytes: number;
  /** Records seeded. */
  records: number;
  /** Seed time (ms). */
  seedMs: number;
  /** Peak resident set of the seed process (KiB). */
  peakRssKiB: number;
}

/** The producer-freeze scenario. */
export interface FreezeResult {
  /** Whether it ran. */
  status: PartStatus;
  /** Why not, or how it failed. */
  reason?: string;
  /** Topics. */
  topics?: number;
  /** Partitions in all. */
  partitions?: number;
  /** Consumer groups with committed offsets on the source. */
  groups?: number;
  /** Committed offsets (group × partition) translated and committed on the target. */
  committedOffsets?: number;
  /** Records on the source before the migration. */
  records?: number;
  /** Creating topics, producing and committing the groups' offsets (ms). */
  setupMs?: number;
  /** `execute` up to drain-ready (ms). */
  executeMs?: number;
  /** The whole `cutover` call (ms). */
  cutoverMs?: number;
  /** The cutover report's freeze window: freeze hooks returned → group offsets committed (ms). */
  freezeWindowMs?: number;
  /** Where the freeze window went, in ms since the freeze began (from the cutover's journal and debug lines). */
  breakdown?: {
    /** Sentinels written to the source. */
    sentinelsWrittenMs?: number;
    /** Every sentinel copied to the target. */
    sentinelsDrainedMs?: number;
    /** Group offsets read on the source and translated (journaled). */
    translatedMs?: number;
    /** Group offsets committed on the target (journaled). */
    committedMs?: number;
  };
  /** Before the freeze: final catch-up and finding the groups (ms). */
  beforeFreezeMs?: number;
  /** Records copied during the freeze (the sentinels, as no producer runs). */
  drainRecords?: number;
}

/** One way of translating offsets, measured. */
export interface TranslationMeasure {
  /** Translations actually timed. */
  measured: number;
  /** Time they took (ms). */
  ms: number;
  /** Translations per second. */
  perSec: number;
  /** Time for every translation (ms): measured when `extrapolated` is false. */
  totalMs: number;
  /** Whether `totalMs` is extrapolated from a sample rather than measured. */
  extrapolated: boolean;
}

/** The offset-translation benchmark. */
export interface TranslationResult {
  /** Whether it ran. */
  status: PartStatus;
  /** Why not, or how it failed. */
  reason?: string;
  /** Partitions in the map. */
  partitions?: number;
  /** Groups, each with an offset on every partition. */
  groups?: number;
  /** partitions × groups. */
  translations?: number;
  /** Runs in the map. */
  runs?: number;
  /** The map's make-up, in words. */
  shape?: string;
  /** Time to build the map (ms). */
  buildMs?: number;
  /** `PartitionOffsetMap.translate` (binary search) on every (partition, group). */
  binarySearch?: TranslationMeasure;
  /** `translateGroups` — what cutover runs: partition-key lookups, objects per offset. */
  cutoverPath?: TranslationMeasure;
  /** Heap held per translated offset by `translateGroups`'s result (bytes). */
  cutoverHeapBytesPerOffset?: number;
  /** Baseline: a linear scan over the runs. */
  linearScan?: TranslationMeasure;
  /** The three ways gave the same target offsets on the sample (else the comparison is void). */
  baselineAgrees?: boolean;
  /** The compacted partitions alone (many runs each): where the search method matters. */
  compacted?: {
    /** Compacted partitions in the map. */
    partitions: number;
    /** Mean runs per compacted partition. */
    meanRuns: number;
    /** Binary search on them. */
    binarySearch: TranslationMeasure;
    /** Linear scan on them. */
    linearScan: TranslationMeasure;
  };
}

/** Everything one `deno task bench` measured. */
export interface BenchReport {
  /** Format version of this document. */
  version: 1;
  /** When the run began and ended (ISO 8601). */
  startedAt: string;
  /** When it ended. */
  finishedAt: string;
  /** The command line. */
  command: string;
  /** The machine. */
  machine: { cpus: number; memoryGiB: number; os: string; deno: string; kcat?: string };
  /** The options used. */
  options: Record<string, unknown>;
  /** The sandbox used. */
  sandbox?: { stateDir: string; reused: boolean; source: string; target: string };
  /** The benchmark topic. */
  data?: {
    /** Source topic. */
    topic: string;
    /** Partitions. */
    partitions: number;
    /** Records. */
    records: number;
    /** Key plus value bytes. */
    bytes: number;
    /** Value sizes. */
    valueBytes: { min: number; max: number; mean: number };
    /** Producing it with kcat (ms). */
    produceMs: number;
  };
  /** Seed throughput of each tool on the same topic. */
  throughput: ThroughputRow[];
  /** Direct seed peak memory at two volumes. */
  memory?: { status: PartStatus; reason?: string; rows: MemoryRow[] };
  /** Producer freeze window. */
  freeze?: FreezeResult;
  /** Offset translation. */
  translation?: TranslationResult;
  /** kraftover direct vs the kcat pipe, in words. */
  verdict?: string;
}

/**
 * A throughput row's rates from real counts and wall time.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { rates } from "./report.ts";
 * const r = rates(2_000_000, 1000, 500);
 * assert.ok(r.mbPerSec === 4 && r.recordsPerSec === 2000);
 * ```
 */
export function rates(
  bytes: number,
  records: number,
  ms: number,
): { mbPerSec: number; recordsPerSec: number } {
  const s = Math.max(ms, 1) / 1000;
  return {
    mbPerSec: Math.round((bytes / 1e6 / s) * 10) / 10,
    recordsPerSec: Math.round(records / s),
  };
}

/**
 * The verdict: kraftover's direct seed beside the kcat pipe.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { verdict } from "./report.ts";
 * const rows = [
 *   { name: "kraftover direct", status: "ok" as const, mbPerSec: 50 },
 *   { name: "kcat pipe", status: "ok" as const, mbPerSec: 100 },
 * ];
 * assert.ok(verdict(rows)!.includes("SLOWER"));
 * ```
 */
export function verdict(rows: readonly ThroughputRow[]): string | undefined {
  const direct = rows.find((r) => r.name === "kraftover direct" && r.status === "ok");
  const kcat = rows.find((r) => r.name === "kcat pipe" && r.status === "ok");
  if (direct?.mbPerSec === undefined || kcat?.mbPerSec === undefined) return undefined;
  const ratio = direct.mbPerSec / kcat.mbPerSec;
  const pct = Math.round(Math.abs(ratio - 1) * 100);
  if (ratio >= 1) {
    return `kraftover direct seed ${direct.mbPerSec} MB/s vs kcat pipe ${kcat.mbPerSec} MB/s: ` +
      `as fast or faster (+${pct}%) — goal met`;
  }
  return `kraftover direct seed ${direct.mbPerSec} MB/s vs kcat pipe ${kcat.mbPerSec} MB/s: ` +
    `SLOWER than the kcat pipe by ${pct}% — goal not met`;
}

function mib(kib: number | undefined): string {
  return kib === undefined ? "-" : `${(kib / 1024).toFixed(0)} MiB`;
}

function sec(ms: number | undefined): string {
  return ms === undefined
    ? "-"
    : ms < 10_000
    ? `${(ms / 1000).toFixed(2)} s`
    : `${(ms / 1000).toFixed(1)} s`;
}

function num(n: number | undefined): string {
  return n === undefined ? "-" : n.toLocaleString("en-US");
}

function bytesText(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(i === 0 ? 0 : 2)} ${units[i]}`;
}

/**
 * Lays out rows of cells as a text table (first row is the header; columns
 * after the first are right-aligned).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { table } from "./report.ts";
 * const text = table([["tool", "MB/s"], ["kcat", "12.5"]]);
 * assert.ok(text.split("\n")[2]!.endsWith("12.5"));
 * ```
 */
export function table(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  }
  const line = (row: readonly string[]) =>
    row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
      .join("  ").trimEnd();
  const [head, ...body] = rows;
  if (head === undefined) return "";
  return [line(head), widths.map((w) => "-".repeat(w)).join("  "), ...body.map(line)].join("\n");
}

function measureRow(name: string, m: TranslationMeasure | undefined): string[] {
  if (m === undefined) return [name, "-", "-", "-", "-"];
  return [
    name,
    num(m.measured),
    `${(m.perSec / 1e6).toFixed(1)} M/s`,
    sec(m.totalMs),
    m.extrapolated ? "extrapolated" : "measured",
  ];
}

/**
 * Renders a report as text: every figure, side by side, with notes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatBenchReport } from "./report.ts";
 * const text = formatBenchReport({
 *   version: 1, startedAt: "", finishedAt: "", command: "deno task bench",
 *   machine: { cpus: 2, memoryGiB: 24, os: "linux", deno: "2.9.6" }, options: {},
 *   throughput: [{ name: "kcat pipe", status: "skipped", reason: "--skip kcat" }],
 * });
 * assert.ok(text.includes("kcat pipe") && text.includes("--skip kcat"));
 * ```
 */
export function formatBenchReport(report: BenchReport): string {
  const out: string[] = [];
  const m = report.machine;
  out.push(
    `kraftover benchmark — ${report.startedAt} — ${m.cpus} CPUs, ${m.memoryGiB} GiB, ${m.os}, ` +
      `Deno ${m.deno}${m.kcat === undefined ? "" : `, kcat ${m.kcat}`}`,
  );
  out.push(`command: ${report.command}`);
  if (report.sandbox !== undefined) {
    const s = report.sandbox;
    out.push(
      `sandbox: ${s.source} → ${s.target} (${s.reused ? "reused" : "started"} in ${s.stateDir})`,
    );
  }
  if (report.data !== undefined) {
    const d = report.data;
    out.push("");
    out.push(
      `Data: ${d.topic}, ${d.partitions} partitions, ${num(d.records)} records, ` +
        `${bytesText(d.bytes)} of keys+values (values ${d.valueBytes.min}–${d.valueBytes.max} B, ` +
        `mean ${d.valueBytes.mean} B), produced with kcat in ${sec(d.produceMs)}`,
    );
  }

  out.push("");
  const repeated = report.throughput.some((r) => (r.runs?.length ?? 0) > 1);
  out.push("1. Seed throughput (same topic, same brokers; MB = 10^6 bytes of keys+values)");
  if (repeated) out.push("   medians of the runs; MB/s range = slowest–fastest run");
  const range = (r: ThroughputRow) => {
    const all = r.runs?.map((x) => x.mbPerSec) ?? [];
    return all.length < 2 ? "-" : `${Math.min(...all).toFixed(0)}–${Math.max(...all).toFixed(0)}`;
  };
  out.push(table([
    [
      "tool",
      "records",
      "copy time",
      "MB/s",
      ...(repeated ? ["MB/s range"] : []),
      "records/s",
      "peak RSS",
      "wall",
    ],
    ...report.throughput.map((r) =>
      r.status === "ok"
        ? [
          r.name,
          num(r.records),
          sec(r.copyMs),
          r.mbPerSec?.toFixed(1) ?? "-",
          ...(repeated ? [range(r)] : []),
          num(r.recordsPerSec),
          mib(r.peakRssKiB),
          sec(r.wallMs),
        ]
        : [r.name, r.status.toUpperCase(), "-", "-", ...(repeated ? ["-"] : []), "-", "-", "-"]
    ),
  ]));
  for (const r of report.throughput) {
    if (r.status !== "ok") out.push(`  ${r.name}: ${r.status}: ${r.reason ?? ""}`);
    if (r.preserves !== undefined) out.push(`  ${r.name} keeps: ${r.preserves}`);
    for (const note of r.notes ?? []) out.push(`  ${r.name}: ${note}`);
    if (r.profile !== undefined) {
      const p = r.profile;
      out.push(
        `  ${r.name}: CPU profile, ${(p.totalMs / 1000).toFixed(1)} s sampled, ` +
          `${(p.idleMs / 1000).toFixed(1)} s idle; by area: ` +
          p.areas.slice(0, 6).map((a) => `${a.area} ${a.pct}%`).join(", "),
      );
      out.push(
        `  ${r.name}: hottest functions (self time): ` +
          p.top.filter((t) => t.name !== "(idle)").slice(0, 6).map((t) =>
            `${t.name} ${t.location} ${t.pct}%`
          ).join("; "),
      );
    }
  }
  if (report.verdict !== undefined) out.push(`  => ${report.verdict}`);

  out.push("");
  out.push("2. Direct seed peak memory as volume grows");
  const mem = report.memory;
  if (mem === undefined || mem.status !== "ok") {
    out.push(`  ${mem?.status ?? "skipped"}: ${mem?.reason ?? ""}`);
  } else {
    out.push(table([
      ["volume", "records", "seed time", "MB/s", "peak RSS"],
      ...mem.rows.map((r) => [
        bytesText(r.bytes),
        num(r.records),
        sec(r.seedMs),
        rates(r.bytes, r.records, r.seedMs).mbPerSec.toFixed(1),
        mib(r.peakRssKiB),
      ]),
    ]));
    const [a, b] = [mem.rows[0], mem.rows[mem.rows.length - 1]];
    if (a !== undefined && b !== undefined && a !== b) {
      out.push(
        `  volume ×${(b.bytes / a.bytes).toFixed(1)} → peak RSS ×${
          (b.peakRssKiB / a.peakRssKiB).toFixed(2)
        }`,
      );
    }
  }

  out.push("");
  out.push("3. Producer freeze window");
  const f = report.freeze;
  if (f === undefined || f.status !== "ok") {
    out.push(`  ${f?.status ?? "skipped"}: ${f?.reason ?? ""}`);
  } else {
    out.push(
      `  ${num(f.partitions)} partitions in ${f.topics} topics, ${f.groups} groups, ` +
        `${num(f.committedOffsets)} committed offsets, ${num(f.records)} records`,
    );
    out.push(table([
      ["step", "time"],
      ["setup (topics, data, group offsets)", sec(f.setupMs)],
      ["execute to drain-ready", sec(f.executeMs)],
      ["cutover, whole call", sec(f.cutoverMs)],
      ["  before the freeze (catch-up, finding groups)", sec(f.beforeFreezeMs)],
      ["  FREEZE WINDOW (freeze returned → offsets committed)", sec(f.freezeWindowMs)],
      ["    sentinels written (since freeze)", sec(f.breakdown?.sentinelsWrittenMs)],
      ["    sentinels drained to the target", sec(f.breakdown?.sentinelsDrainedMs)],
      ["    group offsets read and translated", sec(f.breakdown?.translatedMs)],
      ["    group offsets committed on the target", sec(f.breakdown?.committedMs)],
    ]));
  }

  out.push("");
  out.push("4. Offset translation");
  const t = report.translation;
  if (t === undefined || t.status !== "ok") {
    out.push(`  ${t?.status ?? "skipped"}: ${t?.reason ?? ""}`);
  } else {
    out.push(
      `  ${num(t.partitions)} partitions × ${num(t.groups)} groups = ${num(t.translations)} ` +
        `translations; ${num(t.runs)} runs (${t.shape}); map built in ${sec(t.buildMs)}`,
    );
    out.push(table([
      ["method", "timed", "rate", "all translations", ""],
      measureRow("binary search (PartitionOffsetMap.translate)", t.binarySearch),
      measureRow("cutover path (translateGroups)", t.cutoverPath),
      measureRow("baseline: linear scan over runs", t.linearScan),
    ]));
    if (t.baselineAgrees !== undefined) {
      out.push(
        t.baselineAgrees
          ? "  the three methods gave the same target offsets on the sample"
          : "  WARNING: the methods disagree on the sample: these figures compare different work",
      );
    }
    if (t.compacted !== undefined) {
      const c = t.compacted;
      out.push(
        `  on the ${num(c.partitions)} compacted partitions alone (mean ${
          num(c.meanRuns)
        } runs): ` +
          `binary search ${(c.binarySearch.perSec / 1e6).toFixed(2)} M/s, linear scan ` +
          `${(c.linearScan.perSec / 1e6).toFixed(3)} M/s (×${
            (c.binarySearch.perSec / Math.max(1, c.linearScan.perSec)).toFixed(0)
          })`,
      );
    }
    if (t.binarySearch !== undefined && t.linearScan !== undefined) {
      out.push(
        `  whole map: binary search ×${
          (t.linearScan.totalMs / Math.max(1, t.binarySearch.totalMs)).toFixed(1)
        } the linear scan's speed (most partitions have one run)`,
      );
    }
    if (t.cutoverHeapBytesPerOffset !== undefined && t.translations !== undefined) {
      out.push(
        `  translateGroups holds ~${t.cutoverHeapBytesPerOffset} B of heap per translated offset: ` +
          `${bytesText(t.cutoverHeapBytesPerOffset * t.translations)} for all ${
            num(t.translations)
          }`,
      );
    }
  }
  return out.join("\n");
}
