/**
 * The kcat baseline: the source topic consumed from the beginning and piped
 * into a producer on the target, as an operator would type it —
 * `kcat -C -e -o beginning -f '%k\t%s\n' | kcat -P -K '\t'` — into a fresh
 * target topic with the same partition count. The pipe carries only keys
 * and values as text lines: headers, timestamps and partitions are not kept
 * (records are re-partitioned by key hash), binary or multi-line values would
 * break it; the benchmark's records are printable so it carries them intact.
 *
 * @module
 */

import type { BenchCluster } from "./cluster.ts";
import { samplePeaks } from "./proc.ts";

/** Options for {@linkcode runKcatPipe}. */
export interface RunKcatPipeOptions {
  /** Source bootstrap (PLAINTEXT). */
  source: string;
  /** Target cluster. */
  target: BenchCluster;
  /** Source topic. */
  topic: string;
  /** Target topic to create (deleted afterwards). */
  targetTopic: string;
  /** Partitions of the target topic. */
  partitions: number;
  /** Kill the pipe after this long (ms). */
  timeoutMs: number;
}

/** What the pipe measured. */
export interface KcatPipeRun {
  /** Records on the target topic afterwards. */
  targetRecords: number;
  /** Pipe start to both ends exited (ms). */
  wallMs: number;
  /** Peak resident set of the consumer plus the producer (KiB). */
  peakRssKiB: number;
  /** The shell command that ran. */
  command: string;
}

function quote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** The shell pipeline. */
export function kcatPipeCommand(
  source: string,
  topic: string,
  target: string,
  targetTopic: string,
): string {
  const consumer = ["kcat", "-C", "-b", source, "-t", topic, "-o", "beginning", "-e", "-q"];
  const producer = ["kcat", "-P", "-b", target, "-t", targetTopic, "-K", "\\t"];
  return `${consumer.map(quote).join(" ")} -f '%k\\t%s\\n' | ${producer.map(quote).join(" ")}`;
}

/**
 * Runs the pipe (bash joins the two kcat processes with a kernel pipe, so
 * no bytes pass through the benchmark's own process) and checks the count.
 */
export async function runKcatPipe(options: RunKcatPipeOptions): Promise<KcatPipeRun> {
  await options.target.deleteTopics([options.targetTopic]);
  await options.target.createTopics([{
    topic: options.targetTopic,
    partitions: options.partitions,
  }]);
  const command = kcatPipeCommand(
    options.source,
    options.topic,
    options.target.bootstrap,
    options.targetTopic,
  );
  try {
    const started = performance.now();
    const child = new Deno.Command("bash", {
      args: ["-c", `set -o pipefail; ${command}`],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const sampler = samplePeaks(child.pid);
    const timer = setTimeout(() => {
      try {
        child.kill("SIGKILL");
      } catch { /* gone */ }
    }, options.timeoutMs);
    const out = await child.output().finally(() => clearTimeout(timer));
    const wallMs = performance.now() - started;
    await sampler.stop();
    const stderr = new TextDecoder().decode(out.stderr);
    if (!out.success || /ERROR|Delivery failed/.test(stderr)) {
      throw new Error(
        `kcat pipe failed (exit ${out.code}): ${stderr.split("\n").slice(0, 3).join(" | ")}`,
      );
    }
    // The shell's own memory is not the copy's: count the two kcat processes only.
    const kcats = [...sampler.peaks].filter(([pid]) => pid !== child.pid).map(([, kib]) => kib);
    return {
      targetRecords: await options.target.endOffsetSum(options.targetTopic),
      wallMs,
      peakRssKiB: kcats.reduce((a, b) => a + b, 0),
      command,
    };
  } finally {
    await options.target.deleteTopics([options.targetTopic]);
  }
}
