/**
 * `deno task bench` flags, parsed with commander (the CLI's own parser):
 * a handful of `--name value` options, each with a default.
 *
 * @module
 */

import { Command, CommanderError, InvalidArgumentError, Option } from "@commander-js/extra-typings";
import { parseSize } from "../../lib/config/units.ts";

/** The parts of the benchmark that `--skip` and `--only` name. */
export const BENCH_PARTS = [
  "direct",
  "tail",
  "staged-s3",
  "staged-dir",
  "kcat",
  "mm2",
  "memory",
  "freeze",
  "translation",
] as const;

/** One part of the benchmark. */
export type BenchPart = typeof BENCH_PARTS[number];

/** The benchmark's options. */
export interface BenchOptions {
  /** Volume of the seed topic (keys plus values). @default 1 GiB */
  volume: number;
  /** Partitions of the seed topic. @default 8 */
  partitions: number;
  /** kraftover `seed.max_concurrent_partitions` and MirrorMaker 2 `tasks.max`. @default 4 */
  concurrency: number;
  /** Runs of each throughput tool (median reported, tools interleaved). @default 1 */
  repeat: number;
  /** Parts to run. @default every part */
  parts: Set<BenchPart>;
  /** Where the JSON goes. @default bench-results/ */
  out: string;
  /** Partitions in the freeze scenario. @default 1000 */
  freezePartitions: number;
  /** Topics in the freeze scenario. @default 10 */
  freezeTopics: number;
  /** Consumer groups in the freeze scenario. @default 200 */
  freezeGroups: number;
  /** Partitions in the translation benchmark. @default 100000 */
  translationPartitions: number;
  /** Groups in the translation benchmark. @default 1000 */
  translationGroups: number;
  /** Longest full translation loop before it is sampled (s). @default 120 */
  translationMaxSeconds: number;
  /** MirrorMaker 2 version (Maven Central). @default 3.9.2 */
  mm2Version: string;
  /** Write V8 CPU profiles of the kraftover seed processes to `<out>/profiles/`. @default false */
  profile: boolean;
  /** Leave a sandbox the benchmark started running. @default false */
  keepSandbox: boolean;
  /** Print usage and exit. */
  help: boolean;
}

const DESCRIPTION = `Seeds a topic from the sandbox's ZooKeeper-mode source to its KRaft target with
kraftover (direct, staged through S3, staged through a directory), kcat (a
consume | produce pipe) and MirrorMaker 2, on the same data and brokers, and
times kraftover's tail catching up with the same data; then
the direct seed's memory at two volumes, the producer freeze window of a
cutover with many partitions and groups, and offset translation at scale.
Prints a table and writes bench-results/bench-<timestamp>.json.

Starts the sandbox (or reuses the one in $KRAFTOVER_SANDBOX_DIR, else .sandbox/)
and stops it afterwards if it started it.`;

/** A usage error. */
export class BenchUsageError extends Error {
  /** The error's name. */
  override name = "BenchUsageError";
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) {
    throw new InvalidArgumentError(`a positive integer was expected, not ${value}`);
  }
  return n;
}

function size(value: string): number {
  const n = parseSize(value);
  if (n === undefined || n <= 0) {
    throw new InvalidArgumentError(`a size like 1GiB or 256MiB was expected, not ${value}`);
  }
  return n;
}

function version(value: string): string {
  if (!/^\d+\.\d+\.\d+$/.test(value)) {
    throw new InvalidArgumentError(`a version like 3.9.2 was expected, not ${value}`);
  }
  return value;
}

function partList(value: string, previous: BenchPart[] | undefined): BenchPart[] {
  const parts = value.split(",").map((p) => p.trim()).filter((p) => p !== "");
  for (const p of parts) {
    if (!(BENCH_PARTS as readonly string[]).includes(p)) {
      throw new InvalidArgumentError(`unknown part ${p}; parts are ${BENCH_PARTS.join(", ")}`);
    }
  }
  return [...(previous ?? []), ...(parts as BenchPart[])];
}

function benchCommand() {
  return new Command("deno task bench")
    .description(DESCRIPTION)
    .addOption(
      new Option("--volume <size>", "seed topic volume, keys+values")
        .argParser(size)
        .default(1024 ** 3, "1GiB"),
    )
    .option("--partitions <n>", "seed topic partitions", positiveInt, 8)
    .option(
      "--concurrency <n>",
      "kraftover seed.max_concurrent_partitions and MirrorMaker 2 tasks.max",
      positiveInt,
      4,
    )
    .option(
      "--repeat <n>",
      "run each throughput tool N times, interleaved, and report the median (3 on a busy machine)",
      positiveInt,
      1,
    )
    .option(
      "--skip <parts>",
      `leave parts out (comma-separated: ${BENCH_PARTS.join(", ")})`,
      partList,
    )
    .option("--only <parts>", "run only these parts (comma-separated)", partList)
    .option("--out <dir>", "where the JSON goes", "bench-results")
    .option("--freeze-partitions <n>", "freeze scenario partitions", positiveInt, 1000)
    .option("--freeze-topics <n>", "… spread over N topics", positiveInt, 10)
    .option("--freeze-groups <n>", "… consumer groups", positiveInt, 200)
    .option("--translation-partitions <n>", "offset map partitions", positiveInt, 100_000)
    .option(
      "--translation-groups <n>",
      "groups translated on every partition",
      positiveInt,
      1000,
    )
    .option(
      "--translation-max-seconds <s>",
      "longest full translation loop before sampling",
      positiveInt,
      120,
    )
    .option("--mm2-version <v>", "MirrorMaker 2 from Maven Central", version, "3.9.2")
    .option("--profile", "V8 CPU profiles of kraftover's seeds in <out>/profiles/")
    .option("--keep-sandbox", "leave a sandbox the benchmark started running")
    .helpOption("-h, --help", "this text")
    .allowExcessArguments(false)
    .exitOverride()
    .configureOutput({ writeOut: () => {}, writeErr: () => {} });
}

/** Usage text. */
export const BENCH_USAGE: string = benchCommand().helpInformation() +
  "\nExample:\n  deno task bench --volume 256MiB --skip mm2,freeze\n";

/**
 * Parses the benchmark's command line.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseBenchArgs } from "./args.ts";
 * const o = parseBenchArgs(["--volume", "256MiB", "--skip", "mm2,freeze"]);
 * assert.equal(o.volume, 256 * 1024 * 1024);
 * assert.ok(!o.parts.has("mm2") && o.parts.has("kcat"));
 * ```
 */
export function parseBenchArgs(args: readonly string[]): BenchOptions {
  const command = benchCommand();
  try {
    command.parse([...args], { from: "user" });
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    if (error.code === "commander.helpDisplayed" || error.code === "commander.help") {
      return { ...defaults(), help: true };
    }
    throw new BenchUsageError(error.message.replace(/^error: /, ""));
  }
  const o = command.opts();
  const only = o.only ?? [...BENCH_PARTS];
  return {
    volume: o.volume,
    partitions: o.partitions,
    concurrency: o.concurrency,
    repeat: o.repeat,
    parts: new Set(only.filter((p) => !(o.skip ?? []).includes(p))),
    out: o.out,
    freezePartitions: o.freezePartitions,
    freezeTopics: o.freezeTopics,
    freezeGroups: o.freezeGroups,
    translationPartitions: o.translationPartitions,
    translationGroups: o.translationGroups,
    translationMaxSeconds: o.translationMaxSeconds,
    mm2Version: o.mm2Version,
    profile: o.profile === true,
    keepSandbox: o.keepSandbox === true,
    help: false,
  };
}

function defaults(): BenchOptions {
  return parseBenchArgs([]);
}
