// deno-lint-ignore-file no-console
/**
 * `deno task bench` (SPEC §11): kraftover's seed throughput beside a kcat
 * pipe and MirrorMaker 2 on the same data and brokers, the direct seed's
 * peak memory at two volumes, the producer freeze window of a cutover with
 * many partitions and groups, and offset translation at scale. Prints a
 * table and writes `bench-results/bench-<timestamp>.json`. `--help` lists
 * the options; `docs/benchmarks.md` explains every figure.
 *
 * @module
 */

import { join, resolve } from "node:path";
import { createLogger } from "../lib/logger.ts";
import { sandboxDown, sandboxUp } from "../lib/sandbox/sandbox.ts";
import type { SandboxInfo } from "../lib/sandbox/sandbox_info.ts";
import { BENCH_USAGE, BenchUsageError, parseBenchArgs } from "./bench/args.ts";
import type { BenchOptions, BenchPart } from "./bench/args.ts";
import { BenchCluster, produceWithKcat } from "./bench/cluster.ts";
import type { ProduceResult } from "./bench/cluster.ts";
import { runKraftoverSeed } from "./bench/kraftover_seed.ts";
import type { SeedVia } from "./bench/kraftover_seed.ts";
import { runKcatPipe } from "./bench/kcat_pipe.ts";
import { resolveMirrorMakerJars, runMirrorMaker } from "./bench/mirror_maker.ts";
import { benchFreezeWindow } from "./bench/freeze_window.ts";
import { benchTranslation } from "./bench/translation.ts";
import { formatBenchReport, rates, verdict } from "./bench/report.ts";
import { summarizeCpuProfile } from "./bench/cpu_profile.ts";
import type { CpuProfile, ProfileSummary } from "./bench/cpu_profile.ts";
import type { BenchReport, MemoryRow, ThroughputRow } from "./bench/report.ts";

const SEED_PARTS = [
  "direct",
  "tail",
  "staged-s3",
  "staged-dir",
  "kcat",
  "mm2",
] as const satisfies readonly BenchPart[];

function progress(message: string): void {
  console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}`);
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function commandLine(cmd: string, args: string[]): Promise<string | undefined> {
  try {
    const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    return out.success ? text.trim() : undefined;
  } catch {
    return undefined;
  }
}

async function machine(): Promise<BenchReport["machine"]> {
  const kcatText = await commandLine("kcat", ["-V"]);
  const kcatVersion = /Version\s+(\S+)/.exec(kcatText ?? "")?.[1];
  const librdkafka = /librdkafka\s+(\S+)/.exec(kcatText ?? "")?.[1];
  const kcat = kcatVersion === undefined
    ? undefined
    : `${kcatVersion}${librdkafka === undefined ? "" : ` (librdkafka ${librdkafka})`}`;
  const cpus = navigator.hardwareConcurrency;
  return {
    cpus,
    memoryGiB: Math.round(Deno.systemMemoryInfo().total / 1024 ** 3),
    os: `${Deno.build.os} ${Deno.osRelease()} ${Deno.build.arch}`,
    deno: Deno.version.deno,
    ...(kcat === undefined ? {} : { kcat }),
  };
}

/** The commit measured, and lib/ files changed since (others edit the tree concurrently). */
async function gitState(): Promise<{ commit?: string; dirty?: string[] }> {
  const root = new URL("../", import.meta.url).pathname;
  const commit = await commandLine("git", ["-C", root, "rev-parse", "--short", "HEAD"]);
  const status = await commandLine("git", ["-C", root, "status", "--porcelain", "--", "lib"]);
  return {
    ...(commit === undefined ? {} : { commit }),
    ...(status === undefined
      ? {}
      : { dirty: status.split("\n").filter((l) => l.trim() !== "").map((l) => l.slice(3)) }),
  };
}

function optionsJson(o: BenchOptions): Record<string, unknown> {
  return { ...o, parts: [...o.parts] };
}

/** Creates a topic and fills it with the benchmark's records. */
async function makeTopic(
  source: BenchCluster,
  topic: string,
  partitions: number,
  bytes: number,
  seed: number,
): Promise<ProduceResult> {
  await source.createTopics([{ topic, partitions }]);
  const produced = await produceWithKcat(source.bootstrap, topic, { bytes, seed });
  const onSource = await source.endOffsetSum(topic);
  if (onSource !== produced.records) {
    throw new Error(`kcat produced ${produced.records} records but ${topic} holds ${onSource}`);
  }
  return produced;
}

const KRAFTOVER_KEEPS =
  "key, value, headers (in order), timestamp, partition; offset map journaled";
const VIA_NAME: Record<SeedVia, string> = {
  "direct": "kraftover direct",
  "staged-s3": "kraftover staged (S3: moto)",
  "staged-dir": "kraftover staged (directory)",
};

const NOT_SELECTED = "not selected (--skip or --only)";

const TAIL_NAME = "kraftover tail (catch-up)";

/** PRNG seed of the seed topic's records; the tail part writes the same records again. */
const SEED_TOPIC_PRNG = 1;

const MM2_NAMES = ["MirrorMaker 2 (defaults)", "MirrorMaker 2 (tuned producer)"] as const;

/** The rows of a part that did not run. */
function skippedRows(part: typeof SEED_PARTS[number], reason: string): ThroughputRow[] {
  const names = part === "kcat"
    ? ["kcat pipe"]
    : part === "mm2"
    ? MM2_NAMES
    : part === "tail"
    ? [TAIL_NAME]
    : [VIA_NAME[part]];
  return names.map((name) => ({ name, status: "skipped", reason }));
}

interface SeedContext {
  info: SandboxInfo;
  source: BenchCluster;
  target: BenchCluster;
  options: BenchOptions;
  runId: string;
  workDir: string;
  outDir: string;
}

/** Time allowed for one copy of `bytes`: a minute plus 2 MB/s. */
function copyTimeout(bytes: number): number {
  return 60_000 + (bytes / 2e6) * 1000;
}

/** One run of one tool. */
interface Sample {
  /** Records on the target afterwards. */
  records: number;
  /** Copy time (ms). */
  copyMs: number;
  /** Process start to end (ms). */
  wallMs: number;
  /** Peak resident set (KiB). */
  peakRssKiB: number;
  /** What qualifies this run. */
  notes: string[];
  /** Where the CPU went (kraftover with --profile). */
  profile?: ProfileSummary;
}

/** A tool the throughput part runs, once per repetition. */
interface Tool {
  name: string;
  preserves: string;
  run(rep: number): Promise<Sample>;
}

const KCAT_KEEPS = "key and value as text lines only — NOT headers, timestamps (new CreateTime), " +
  "partitions (re-hashed by key), binary or multi-line values; acks=all, not idempotent";
const MM2_KEEPS = "key, value, headers, timestamp, partition (offsets differ; offset syncs kept)";

/** What a sandbox port is, for a note: `source broker 1 plaintext`, `S3`, or the bare number. */
function portName(info: SandboxInfo, port: number): string {
  for (const cluster of [info.source, info.target]) {
    for (const broker of cluster.brokers) {
      for (const [listener, p] of Object.entries(broker.ports)) {
        if (p === port) return `${cluster.role} broker ${broker.id} ${listener}`;
      }
    }
  }
  if (new URL(info.s3.endpoint).port === String(port)) return "S3";
  return `port ${port}`;
}

/** Seeds `topic` once with kraftover. */
async function kraftoverSample(
  c: SeedContext,
  via: SeedVia,
  topic: string,
  data: ProduceResult,
  id: string,
): Promise<Sample> {
  progress(`${VIA_NAME[via]}: seeding ${topic}`);
  const run = await runKraftoverSeed({
    info: c.info,
    target: c.target,
    topic,
    via,
    workDir: c.workDir,
    concurrency: c.options.concurrency,
    id,
    timeoutMs: copyTimeout(data.bytes),
    ...(c.options.profile ? { cpuProfileDir: join(c.outDir, "profiles") } : {}),
  });
  const r = run.result;
  if (run.targetRecords !== data.records || r.seed.records !== data.records) {
    throw new Error(
      `copied ${r.seed.records} records, target holds ${run.targetRecords}, expected ${data.records}`,
    );
  }
  const notes = [
    `copy time is seed() alone; topology copy took ${(r.topologyMs / 1000).toFixed(2)} s more`,
    `kraftover counted ${r.seed.bytes.toLocaleString("en-US")} bytes of keys+values (benchmark: ${
      data.bytes.toLocaleString("en-US")
    })`,
  ];
  if (run.stagedBytes !== undefined) {
    notes.push(
      `staged ${(run.stagedBytes / 1e6).toFixed(1)} MB in ${r.seed.segmentsWritten} zstd ` +
        `segments (×${(run.stagedBytes / data.bytes).toFixed(2)} of the data); staging and ` +
        "restoring both counted",
    );
  }
  let profile: ProfileSummary | undefined;
  if (c.options.profile) {
    const file = join(c.outDir, "profiles", `${id}.cpuprofile`);
    try {
      profile = summarizeCpuProfile(JSON.parse(await Deno.readTextFile(file)) as CpuProfile, 12);
      notes.push(`CPU profile: ${file}`);
    } catch (error) {
      notes.push(`no CPU profile (${errorText(error)})`);
    }
  }
  if (r.socketsLeftOpen.length > 0) {
    notes.push(
      `${r.socketsLeftOpen.length} TCP connection(s) still open after the context closed ` +
        `(${r.socketsLeftOpen.map((port) => portName(c.info, port)).join(", ")})`,
    );
  }
  return {
    records: run.targetRecords,
    copyMs: r.seedMs,
    wallMs: Math.round(run.wallMs),
    peakRssKiB: r.vmHwmKiB,
    notes,
    ...(profile === undefined ? {} : { profile }),
  };
}

/**
 * The tail's catch-up once: an empty topic of the same shape is migrated to
 * tail (the seed has nothing to copy), kcat then fills it with the same data,
 * and the tail copies it until every partition reaches the end it finds.
 */
async function tailSample(c: SeedContext, data: ProduceResult, topic: string): Promise<Sample> {
  progress(`${TAIL_NAME}: ${topic} empty, migrated to tail, then filled with kcat`);
  await c.source.createTopics([{ topic, partitions: c.options.partitions }]);
  try {
    const run = await runKraftoverSeed({
      info: c.info,
      target: c.target,
      topic,
      via: "direct",
      workDir: c.workDir,
      concurrency: c.options.concurrency,
      id: topic,
      timeoutMs: copyTimeout(data.bytes) + 120_000,
      fillForTail: async () => {
        const filled = await produceWithKcat(c.source.bootstrap, topic, {
          bytes: c.options.volume,
          seed: SEED_TOPIC_PRNG,
        });
        if (filled.records !== data.records) {
          throw new Error(`kcat produced ${filled.records} records, expected ${data.records}`);
        }
      },
    });
    const tailed = run.result.tail;
    if (tailed === undefined || run.targetRecords !== data.records) {
      throw new Error(`the target holds ${run.targetRecords} records, expected ${data.records}`);
    }
    return {
      records: run.targetRecords,
      copyMs: tailed.ms,
      wallMs: Math.round(run.wallMs),
      peakRssKiB: run.result.vmHwmKiB,
      notes: [
        "copy time is tail() from the moment the data is on the source to every partition " +
        "reaching its end; topic, migration and producing are outside it",
        `the tail counted ${tailed.report.records.toLocaleString("en-US")} records, ` +
        `${tailed.report.bytes.toLocaleString("en-US")} bytes`,
      ],
    };
  } finally {
    await c.source.deleteTopics([topic]);
  }
}

/** Copies `topic` once with the kcat pipe. */
async function kcatSample(c: SeedContext, topic: string, data: ProduceResult): Promise<Sample> {
  progress(`kcat pipe: copying ${topic}`);
  const run = await runKcatPipe({
    source: c.source.bootstrap,
    target: c.target,
    topic,
    targetTopic: `${topic}.kcat`,
    partitions: c.options.partitions,
    timeoutMs: copyTimeout(data.bytes),
  });
  if (run.targetRecords !== data.records) {
    throw new Error(`target holds ${run.targetRecords} records, expected ${data.records}`);
  }
  return {
    records: run.targetRecords,
    copyMs: Math.round(run.wallMs),
    wallMs: Math.round(run.wallMs),
    peakRssKiB: run.peakRssKiB,
    notes: [`command: ${run.command}`, "copy time is the whole pipe, start to exit"],
  };
}

/** MirrorMaker 2's producer batching raised to what kraftover and librdkafka batch. */
const MM2_TUNED_PRODUCER = { "batch.size": "524288", "linger.ms": "20" };

/** Replicates `topic` once with MirrorMaker 2. */
async function mm2Sample(
  c: SeedContext,
  libs: string,
  tuned: boolean,
  topic: string,
  data: ProduceResult,
  alias: string,
): Promise<Sample> {
  const producer = tuned ? MM2_TUNED_PRODUCER : {};
  progress(
    `${MM2_NAMES[tuned ? 1 : 0]}: replicating ${topic} (tasks.max ${c.options.concurrency})`,
  );
  let run;
  try {
    run = await runMirrorMaker({
      libs,
      source: c.source,
      target: c.target,
      topic,
      alias,
      tasks: c.options.concurrency,
      producer,
      expectedRecords: data.records,
      workDir: c.workDir,
      timeoutMs: copyTimeout(data.bytes) + 60_000,
    });
  } catch (error) {
    const kept = join(c.outDir, `${alias}.log`);
    await Deno.copyFile(join(c.workDir, `${alias}.log`), kept).catch(() => {});
    throw new Error(`${errorText(error)} (log kept in ${kept})`);
  }
  const settings = Object.entries(producer).map(([k, v]) => `dst.producer.${k}=${v}`);
  const notes = [
    `Kafka ${c.options.mm2Version} dedicated mode, tasks.max ${c.options.concurrency}, ` +
    `heap ${run.heap}, ${settings.length === 0 ? "shipped client defaults" : settings.join(", ")}`,
    "copy time is last poll of an empty target topic → all records there (50 ms polls); " +
    "JVM, Connect and task start-up " +
    `took ${(run.startupMs / 1000).toFixed(1)} s before it (in wall)`,
  ];
  if (run.targetRecords > data.records) {
    notes.push(`${run.targetRecords - data.records} duplicate records (at-least-once)`);
  }
  return {
    records: run.targetRecords,
    copyMs: run.copyMs,
    wallMs: run.wallMs,
    peakRssKiB: run.peakRssKiB,
    notes,
  };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** A row from a tool's runs: median times, highest peak memory, every run kept. */
function rowOf(
  tool: { name: string; preserves: string },
  samples: readonly Sample[],
  data: ProduceResult,
): ThroughputRow {
  const copyMs = Math.round(median(samples.map((x) => x.copyMs)));
  const first = samples[0]!;
  return {
    name: tool.name,
    status: "ok",
    records: first.records,
    bytes: data.bytes,
    copyMs,
    wallMs: Math.round(median(samples.map((x) => x.wallMs))),
    ...rates(data.bytes, data.records, copyMs),
    peakRssKiB: Math.max(...samples.map((x) => x.peakRssKiB)),
    preserves: tool.preserves,
    notes: [...new Set(samples.flatMap((x) => x.notes))],
    ...(samples.length > 1
      ? {
        runs: samples.map((x) => ({
          copyMs: x.copyMs,
          wallMs: x.wallMs,
          peakRssKiB: x.peakRssKiB,
          mbPerSec: rates(data.bytes, data.records, x.copyMs).mbPerSec,
        })),
      }
      : {}),
    ...(first.profile === undefined ? {} : { profile: first.profile }),
  };
}

/**
 * Runs every selected tool `repeat` times, the tools interleaved within each
 * repetition so that a noisy moment of a shared machine does not land on one
 * tool only.
 */
async function throughputRows(
  c: SeedContext,
  topic: string,
  data: ProduceResult,
): Promise<{ rows: ThroughputRow[]; direct?: { peakRssKiB: number; seedMs: number } }> {
  const parts = new Set(c.options.parts);
  const tools: (Tool & { part: typeof SEED_PARTS[number] })[] = [];
  const skippedHere: ThroughputRow[] = [];
  for (const via of ["direct", "staged-s3", "staged-dir"] as const) {
    if (!parts.has(via)) continue;
    tools.push({
      part: via,
      name: VIA_NAME[via],
      preserves: KRAFTOVER_KEEPS,
      run: (rep) => kraftoverSample(c, via, topic, data, `bench-${c.runId}-${via}-f${rep}`),
    });
  }
  if (parts.has("tail")) {
    tools.push({
      part: "tail",
      name: TAIL_NAME,
      preserves: KRAFTOVER_KEEPS,
      run: (rep) => tailSample(c, data, `bench-${c.runId}-tail-f${rep}`),
    });
  }
  if (parts.has("kcat")) {
    tools.push({
      part: "kcat",
      name: "kcat pipe",
      preserves: KCAT_KEEPS,
      run: () => kcatSample(c, topic, data),
    });
  }
  if (parts.has("mm2")) {
    try {
      progress(`MirrorMaker 2: resolving org.apache.kafka:connect-mirror:${c.options.mm2Version}`);
      const libs = await resolveMirrorMakerJars(c.options.mm2Version, c.info.cacheDir);
      for (const tuned of [false, true]) {
        tools.push({
          part: "mm2",
          name: MM2_NAMES[tuned ? 1 : 0],
          preserves: MM2_KEEPS,
          run: (rep) =>
            mm2Sample(c, libs, tuned, topic, data, `mm2${c.runId}${tuned ? "t" : "d"}${rep}`),
        });
      }
    } catch (error) {
      progress(`MirrorMaker 2 cannot run: ${errorText(error)}`);
      skippedHere.push(...skippedRows("mm2", `cannot get MirrorMaker 2: ${errorText(error)}`));
    }
  }
  const samples = new Map<string, Sample[]>();
  const failures = new Map<string, string>();
  for (let rep = 0; rep < c.options.repeat; rep++) {
    if (c.options.repeat > 1) progress(`throughput: repetition ${rep + 1} of ${c.options.repeat}`);
    for (const tool of tools) {
      if (failures.has(tool.name)) continue;
      try {
        const sample = await tool.run(rep);
        samples.set(tool.name, [...(samples.get(tool.name) ?? []), sample]);
      } catch (error) {
        progress(`${tool.name} failed: ${errorText(error)}`);
        failures.set(tool.name, errorText(error));
      }
    }
  }
  const rows: ThroughputRow[] = [];
  for (const part of SEED_PARTS) {
    const mine = tools.filter((t) => t.part === part);
    if (mine.length === 0) {
      const skipped = skippedHere.filter((r) =>
        skippedRows(part, "").some((x) => x.name === r.name)
      );
      rows.push(...(skipped.length > 0 ? skipped : skippedRows(part, NOT_SELECTED)));
      continue;
    }
    for (const tool of mine) {
      const failed = failures.get(tool.name);
      rows.push(
        failed !== undefined
          ? { name: tool.name, status: "failed", reason: failed }
          : rowOf(tool, samples.get(tool.name)!, data),
      );
    }
  }
  const direct = samples.get(VIA_NAME.direct);
  return {
    rows,
    ...(direct === undefined ? {} : {
      direct: {
        peakRssKiB: Math.max(...direct.map((x) => x.peakRssKiB)),
        seedMs: Math.round(median(direct.map((x) => x.copyMs))),
      },
    }),
  };
}

async function main(): Promise<number> {
  let options: BenchOptions;
  try {
    options = parseBenchArgs(Deno.args);
  } catch (error) {
    if (!(error instanceof BenchUsageError)) throw error;
    console.error(`deno task bench: ${error.message}`);
    return 2;
  }
  if (options.help) {
    console.log(BENCH_USAGE);
    return 0;
  }
  const started = new Date();
  const stamp = started.toISOString().replace(/[:.]/g, "-");
  const runId = started.toISOString().replace(/\D/g, "").slice(4, 14);
  const outDir = resolve(options.out);
  await Deno.mkdir(outDir, { recursive: true });
  const report: BenchReport = {
    version: 1,
    startedAt: started.toISOString(),
    finishedAt: "",
    command: ["deno task bench", ...Deno.args].join(" "),
    machine: await machine(),
    options: { ...optionsJson(options), git: await gitState() },
    throughput: [],
  };
  const skipped = (part: BenchPart) => !options.parts.has(part);

  // Offset translation needs no cluster: run it first, on a quiet machine.
  if (skipped("translation")) {
    report.translation = { status: "skipped", reason: NOT_SELECTED };
  } else {
    progress(
      `offset translation: ${options.translationPartitions} partitions × ${options.translationGroups} groups`,
    );
    try {
      report.translation = benchTranslation({
        partitions: options.translationPartitions,
        groups: options.translationGroups,
        maxSeconds: options.translationMaxSeconds,
      });
    } catch (error) {
      report.translation = { status: "failed", reason: errorText(error) };
    }
  }

  const needsSandbox = [...options.parts].some((p) => p !== "translation");
  const workDir = await Deno.makeTempDir({ prefix: "kraftover-bench-" });
  let stateDir: string | undefined;
  let startedSandbox = false;
  let source: BenchCluster | undefined;
  let target: BenchCluster | undefined;
  try {
    if (needsSandbox) {
      progress("sandbox: starting (or reusing) the local Kafka clusters");
      const up = await sandboxUp({ logger: createLogger({ level: "warn" }) });
      const info = up.info;
      stateDir = info.stateDir;
      startedSandbox = !up.reused;
      for (const [k, v] of Object.entries(info.env)) Deno.env.set(k, v);
      report.sandbox = {
        stateDir: info.stateDir,
        reused: up.reused,
        source: `Kafka ${info.source.kafkaVersion} (${info.source.mode})`,
        target: `Kafka ${info.target.kafkaVersion} (${info.target.mode})`,
      };
      source = new BenchCluster(info.source.bootstrap.plaintext[0]!);
      target = new BenchCluster(info.target.bootstrap.plaintext[0]!);
      const c: SeedContext = { info, source, target, options, runId, workDir, outDir };
      const prefix = `kraftover-bench-${runId}`;

      // 1. Seed throughput.
      let full: ProduceResult | undefined;
      const fullTopic = `${prefix}-seed`;
      const created: string[] = [];
      try {
        if (SEED_PARTS.some((p) => options.parts.has(p)) || options.parts.has("memory")) {
          progress(
            `data: producing ${(options.volume / 1024 ** 2).toFixed(0)} MiB into ${fullTopic} ` +
              `(${options.partitions} partitions) with kcat`,
          );
          created.push(fullTopic);
          full = await makeTopic(
            source,
            fullTopic,
            options.partitions,
            options.volume,
            SEED_TOPIC_PRNG,
          );
          report.data = {
            topic: fullTopic,
            partitions: options.partitions,
            records: full.records,
            bytes: full.bytes,
            valueBytes: {
              min: full.minValue,
              max: full.maxValue,
              mean: Math.round(full.bytes / full.records - 10),
            },
            produceMs: Math.round(full.ms),
          };
        }
        let directFull: { peakRssKiB: number; seedMs: number } | undefined;
        if (full === undefined) {
          for (const part of SEED_PARTS) report.throughput.push(...skippedRows(part, NOT_SELECTED));
        } else {
          const measured = await throughputRows(c, fullTopic, full);
          report.throughput.push(...measured.rows);
          directFull = measured.direct;
        }
        const said = verdict(report.throughput);
        if (said !== undefined) report.verdict = said;

        // 2. Memory as volume grows.
        if (skipped("memory") || full === undefined) {
          report.memory = {
            status: "skipped",
            reason: NOT_SELECTED,
            rows: [],
          };
        } else {
          try {
            const quarterTopic = `${prefix}-quarter`;
            progress(`memory: producing a quarter of the volume into ${quarterTopic}`);
            created.push(quarterTopic);
            const quarter = await makeTopic(
              source,
              quarterTopic,
              options.partitions,
              Math.round(options.volume / 4),
              2,
            );
            const q = await kraftoverSample(
              c,
              "direct",
              quarterTopic,
              quarter,
              `bench-${c.runId}-direct-q`,
            );
            if (directFull === undefined) {
              const f = await kraftoverSample(
                c,
                "direct",
                fullTopic,
                full,
                `bench-${c.runId}-direct-m`,
              );
              directFull = { peakRssKiB: f.peakRssKiB, seedMs: f.copyMs };
            }
            const rows: MemoryRow[] = [
              {
                bytes: quarter.bytes,
                records: quarter.records,
                seedMs: q.copyMs,
                peakRssKiB: q.peakRssKiB,
              },
              {
                bytes: full.bytes,
                records: full.records,
                seedMs: directFull.seedMs!,
                peakRssKiB: directFull.peakRssKiB,
              },
            ];
            report.memory = { status: "ok", rows };
          } catch (error) {
            report.memory = { status: "failed", reason: errorText(error), rows: [] };
          }
        }
      } finally {
        await source.deleteTopics(created).catch(() => {});
      }

      // 3. Producer freeze window.
      if (skipped("freeze")) {
        report.freeze = { status: "skipped", reason: NOT_SELECTED };
      } else {
        progress(
          `freeze window: ${options.freezePartitions} partitions, ${options.freezeGroups} groups`,
        );
        try {
          report.freeze = await benchFreezeWindow({
            info,
            source,
            target,
            prefix: `kob-${runId}`,
            partitions: options.freezePartitions,
            topics: options.freezeTopics,
            groups: options.freezeGroups,
            concurrency: options.concurrency,
            workDir,
            log: (line) => progress(`freeze window: ${line}`),
          });
        } catch (error) {
          progress(`freeze window failed: ${errorText(error)}`);
          report.freeze = { status: "failed", reason: errorText(error) };
        }
      }
    } else {
      for (const part of SEED_PARTS) {
        report.throughput.push(...skippedRows(part, NOT_SELECTED));
      }
      report.memory = { status: "skipped", reason: NOT_SELECTED, rows: [] };
      report.freeze = { status: "skipped", reason: NOT_SELECTED };
    }
  } finally {
    await source?.close();
    await target?.close();
    if (startedSandbox && !options.keepSandbox) {
      progress("sandbox: stopping what this run started");
      await sandboxDown({ stateDir: stateDir!, keepLogs: false }).catch((e) =>
        progress(`sandbox: could not stop it: ${errorText(e)}`)
      );
    }
    await Deno.remove(workDir, { recursive: true }).catch(() => {});
  }

  report.finishedAt = new Date().toISOString();
  const file = join(outDir, `bench-${stamp}.json`);
  await Deno.writeTextFile(file, JSON.stringify(report, null, 2) + "\n");
  console.log(formatBenchReport(report));
  console.log(`\nFigures written to ${file}`);
  return 0;
}

Deno.exit(await main());
