/**
 * `deno task bench` flags, parsed from `Deno.args` without a library: a
 * handful of `--name value` options, each with a default.
 *
 * @module
 */

import { parseSize } from "../../lib/config/units.ts";

/** The parts of the benchmark that `--skip` and `--only` name. */
export const BENCH_PARTS = [
  "direct",
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

/** Usage text. */
export const BENCH_USAGE = `deno task bench [options]

Seeds a topic from the sandbox's ZooKeeper-mode source to its KRaft target with
kraftover (direct, staged through S3, staged through a directory), kcat (a
consume | produce pipe) and MirrorMaker 2, on the same data and brokers; then
the direct seed's memory at two volumes, the producer freeze window of a
cutover with many partitions and groups, and offset translation at scale.
Prints a table and writes bench-results/bench-<timestamp>.json.

Starts the sandbox (or reuses the one in $KRAFTOVER_SANDBOX_DIR, else .sandbox/)
and stops it afterwards if it started it.

Options:
  --volume SIZE                 seed topic volume, keys+values (default 1GiB)
  --partitions N                seed topic partitions (default 8)
  --concurrency N               kraftover seed.max_concurrent_partitions and
                                MirrorMaker 2 tasks.max (default 4)
  --repeat N                    run each throughput tool N times, interleaved, and
                                report the median (default 1; 3 on a busy machine)
  --skip PART[,PART…]           leave parts out
  --only PART[,PART…]           run only these parts
                                parts: ${BENCH_PARTS.join(", ")}
  --out DIR                     where the JSON goes (default bench-results/)
  --freeze-partitions N         freeze scenario partitions (default 1000)
  --freeze-topics N             … spread over N topics (default 10)
  --freeze-groups N             … consumer groups (default 200)
  --translation-partitions N    offset map partitions (default 100000)
  --translation-groups N        groups translated on every partition (default 1000)
  --translation-max-seconds S   longest full loop before sampling (default 120)
  --mm2-version V               MirrorMaker 2 from Maven Central (default 3.9.2)
  --profile                     V8 CPU profiles of kraftover's seeds in <out>/profiles/
  --keep-sandbox                leave a sandbox the benchmark started running
  -h, --help                    this text

Example:
  deno task bench --volume 256MiB --skip mm2,freeze
`;

/** A usage error. */
export class BenchUsageError extends Error {
  /** The error's name. */
  override name = "BenchUsageError";
}

function positiveInt(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) {
    throw new BenchUsageError(`${flag} must be a positive integer, not ${value}`);
  }
  return n;
}

function partList(flag: string, value: string): BenchPart[] {
  const parts = value.split(",").map((p) => p.trim()).filter((p) => p !== "");
  for (const p of parts) {
    if (!(BENCH_PARTS as readonly string[]).includes(p)) {
      throw new BenchUsageError(`${flag}: unknown part ${p}; parts are ${BENCH_PARTS.join(", ")}`);
    }
  }
  return parts as BenchPart[];
}

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
  const options: BenchOptions = {
    volume: 1024 ** 3,
    partitions: 8,
    concurrency: 4,
    repeat: 1,
    parts: new Set(BENCH_PARTS),
    out: "bench-results",
    freezePartitions: 1000,
    freezeTopics: 10,
    freezeGroups: 200,
    translationPartitions: 100_000,
    translationGroups: 1000,
    translationMaxSeconds: 120,
    mm2Version: "3.9.2",
    profile: false,
    keepSandbox: false,
    help: false,
  };
  const skip: BenchPart[] = [];
  let only: BenchPart[] | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const eq = arg.indexOf("=");
    const flag = arg.startsWith("--") && eq > 0 ? arg.slice(0, eq) : arg;
    const inline = arg.startsWith("--") && eq > 0 ? arg.slice(eq + 1) : undefined;
    const value = (): string => {
      if (inline !== undefined) return inline;
      const v = args[++i];
      if (v === undefined) throw new BenchUsageError(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case "--volume": {
        const v = value();
        const n = parseSize(v);
        if (n === undefined || n <= 0) {
          throw new BenchUsageError(`--volume must be a size like 1GiB or 256MiB, not ${v}`);
        }
        options.volume = n;
        break;
      }
      case "--partitions":
        options.partitions = positiveInt(flag, value());
        break;
      case "--concurrency":
        options.concurrency = positiveInt(flag, value());
        break;
      case "--repeat":
        options.repeat = positiveInt(flag, value());
        break;
      case "--skip":
        skip.push(...partList(flag, value()));
        break;
      case "--only":
        only = [...(only ?? []), ...partList(flag, value())];
        break;
      case "--out":
        options.out = value();
        break;
      case "--freeze-partitions":
        options.freezePartitions = positiveInt(flag, value());
        break;
      case "--freeze-topics":
        options.freezeTopics = positiveInt(flag, value());
        break;
      case "--freeze-groups":
        options.freezeGroups = positiveInt(flag, value());
        break;
      case "--translation-partitions":
        options.translationPartitions = positiveInt(flag, value());
        break;
      case "--translation-groups":
        options.translationGroups = positiveInt(flag, value());
        break;
      case "--translation-max-seconds":
        options.translationMaxSeconds = positiveInt(flag, value());
        break;
      case "--mm2-version": {
        const v = value();
        if (!/^\d+\.\d+\.\d+$/.test(v)) {
          throw new BenchUsageError(`--mm2-version must look like 3.9.2, not ${v}`);
        }
        options.mm2Version = v;
        break;
      }
      case "--profile":
        options.profile = true;
        break;
      case "--keep-sandbox":
        options.keepSandbox = true;
        break;
      case "-h":
      case "--help":
        options.help = true;
        break;
      default:
        throw new BenchUsageError(`Unknown option ${arg} (see --help)`);
    }
  }
  options.parts = new Set((only ?? BENCH_PARTS).filter((p) => !skip.includes(p)));
  return options;
}
