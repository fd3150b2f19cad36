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

const MM2_NAMES = ["MirrorMaker 2 (defaults)", "MirrorMaker 2 (tuned producer)"] as const;

/** The rows of a part that did not run. */
function skippedRows(part: typeof SEED_PARTS[number], reason: string): ThroughputRow[] {
  const names = part === "kcat" ? ["kcat pipe"] : part === "mm2" ? MM2_NAMES : [VIA_NAME[part]];
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

async function kraftoverRow(
  c: SeedContext,
  via: SeedVia,
  topic: string,
  data: ProduceResult,
): Promise<{ row: ThroughputRow; peakRssKiB?: number; seedMs?: number }> {
  const name = VIA_NAME[via];
  const id = `bench-${c.runId}-${via}-${topic.endsWith("quarter") ? "q" : "f"}`;
  try {
    progress(`${name}: seeding ${topic}`);
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
        `staged ${
          (run.stagedBytes / 1e6).toFixed(1)
        } MB in ${r.seed.segmentsWritten} zstd segments ` +
          `(×${
            (run.stagedBytes / data.bytes).toFixed(2)
          } of the data); staging and restoring both counted`,
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
    if (r.socketsLeftOpen > 0) {
      notes.push(
        `${r.socketsLeftOpen} TCP connection(s) still open after the context closed (leaked; ` +
          "they keep a process alive until the broker's idle timeout)",
      );
    }
    return {
      row: {
        name,
        status: "ok",
        records: run.targetRecords,
        bytes: data.bytes,
        copyMs: r.seedMs,
        wallMs: Math.round(run.wallMs),
        ...rates(data.bytes, data.records, r.seedMs),
        peakRssKiB: r.vmHwmKiB,
        preserves: KRAFTOVER_KEEPS,
        notes,
        ...(profile === undefined ? {} : { profile }),
      },
      peakRssKiB: r.vmHwmKiB,
      seedMs: r.seedMs,
    };
  } catch (error) {
    progress(`${name} failed: ${errorText(error)}`);
    return { row: { name, status: "failed", reason: errorText(error) } };
  }
}

async function kcatRow(c: SeedContext, topic: string, data: ProduceResult): Promise<ThroughputRow> {
  const name = "kcat pipe";
  try {
    progress(`${name}: copying ${topic}`);
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
      name,
      status: "ok",
      records: run.targetRecords,
      bytes: data.bytes,
      copyMs: Math.round(run.wallMs),
      wallMs: Math.round(run.wallMs),
      ...rates(data.bytes, data.records, run.wallMs),
      peakRssKiB: run.peakRssKiB,
      preserves: "key and value as text lines only — NOT headers, timestamps (new CreateTime), " +
        "partitions (re-hashed by key), binary or multi-line values; acks=all, not idempotent",
      notes: [`command: ${run.command}`, "copy time is the whole pipe, start to exit"],
    };
  } catch (error) {
    progress(`${name} failed: ${errorText(error)}`);
    return { name, status: "failed", reason: errorText(error) };
  }
}

/** MirrorMaker 2's producer batching raised to what kraftover and librdkafka batch. */
const MM2_TUNED_PRODUCER = { "batch.size": "524288", "linger.ms": "20" };

async function mm2Rows(
  c: SeedContext,
  topic: string,
  data: ProduceResult,
): Promise<ThroughputRow[]> {
  const names = MM2_NAMES;
  let libs: string;
  try {
    progress(`MirrorMaker 2: resolving org.apache.kafka:connect-mirror:${c.options.mm2Version}`);
    libs = await resolveMirrorMakerJars(c.options.mm2Version, c.info.cacheDir);
  } catch (error) {
    progress(`MirrorMaker 2 cannot run: ${errorText(error)}`);
    return skippedRows("mm2", `cannot get MirrorMaker 2: ${errorText(error)}`);
  }
  const rows: ThroughputRow[] = [];
  for (const [i, name] of names.entries()) {
    const alias = `mm2${c.runId}${i === 0 ? "d" : "t"}`;
    const producer = i === 0 ? {} : MM2_TUNED_PRODUCER;
    try {
      progress(`${name}: replicating ${topic} (tasks.max ${c.options.concurrency})`);
      const run = await runMirrorMaker({
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
      const settings = Object.entries(producer).map(([k, v]) => `dst.producer.${k}=${v}`);
      const notes = [
        `Kafka ${c.options.mm2Version} dedicated mode, tasks.max ${c.options.concurrency}, heap ${run.heap}, ` +
        (settings.length === 0 ? "shipped client defaults" : settings.join(", ")),
        `copy time is first record → last record on the target; JVM, Connect and task start-up ` +
        `took ${(run.startupMs / 1000).toFixed(1)} s before it (in wall)`,
      ];
      if (run.targetRecords > data.records) {
        notes.push(`${run.targetRecords - data.records} duplicate records (at-least-once)`);
      }
      rows.push({
        name,
        status: "ok",
        records: run.targetRecords,
        bytes: data.bytes,
        copyMs: run.copyMs,
        wallMs: run.wallMs,
        ...rates(data.bytes, data.records, run.copyMs),
        peakRssKiB: run.peakRssKiB,
        preserves: "key, value, headers, timestamp, partition (offsets differ; offset syncs kept)",
        notes,
      });
    } catch (error) {
      progress(`${name} failed: ${errorText(error)}`);
      const kept = join(c.outDir, `${alias}.log`);
      await Deno.copyFile(join(c.workDir, `${alias}.log`), kept).catch(() => {});
      rows.push({ name, status: "failed", reason: `${errorText(error)} (log kept in ${kept})` });
    }
  }
  return rows;
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
    report.translation = { status: "skipped", reason: "--skip translation" };
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
          full = await makeTopic(source, fullTopic, options.partitions, options.volume, 1);
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
        let directFull: { peakRssKiB?: number; seedMs?: number } | undefined;
        for (const part of SEED_PARTS) {
          if (skipped(part) || full === undefined) {
            report.throughput.push(...skippedRows(part, `--skip ${part}`));
            continue;
          }
          if (part === "kcat") report.throughput.push(await kcatRow(c, fullTopic, full));
          else if (part === "mm2") report.throughput.push(...(await mm2Rows(c, fullTopic, full)));
          else {
            const r = await kraftoverRow(c, part, fullTopic, full);
            report.throughput.push(r.row);
            if (part === "direct" && r.row.status === "ok") directFull = r;
          }
        }
        const said = verdict(report.throughput);
        if (said !== undefined) report.verdict = said;

        // 2. Memory as volume grows.
        if (skipped("memory") || full === undefined) {
          report.memory = { status: "skipped", reason: "--skip memory", rows: [] };
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
            const q = await kraftoverRow(c, "direct", quarterTopic, quarter);
            if (q.row.status !== "ok") throw new Error(q.row.reason);
            directFull ??= await kraftoverRow(c, "direct", fullTopic, full);
            if (directFull.peakRssKiB === undefined) throw new Error("the full direct seed failed");
            const rows: MemoryRow[] = [
              {
                bytes: quarter.bytes,
                records: quarter.records,
                seedMs: q.seedMs!,
                peakRssKiB: q.peakRssKiB!,
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
        report.freeze = { status: "skipped", reason: "--skip freeze" };
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
      for (const part of SEED_PARTS) report.throughput.push(...skippedRows(part, `--skip ${part}`));
      report.memory = { status: "skipped", reason: "--skip memory", rows: [] };
      report.freeze = { status: "skipped", reason: "--skip freeze" };
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
