/**
 * Runs a kraftover seed of one topic from the sandbox source to its target
 * in a child process (`seed_driver.ts`), so its peak memory is measured
 * alone, and cleans up after it: the target topic, the staged segments and
 * the journal.
 *
 * @module
 */

import { join } from "node:path";
import { stringify } from "yaml";
import type { SandboxInfo } from "../../lib/sandbox/sandbox_info.ts";
import { createObjectStore } from "../../lib/store/create_object_store.ts";
import type { BenchCluster } from "./cluster.ts";
import type { SeedDriverResult } from "./seed_driver.ts";

/** Where a seed stages. */
export type SeedVia = "direct" | "staged-s3" | "staged-dir";

/** Options for {@linkcode runKraftoverSeed}. */
export interface RunKraftoverSeedOptions {
  /** The sandbox. */
  info: SandboxInfo;
  /** The target cluster (its copy of the topic is deleted before and after). */
  target: BenchCluster;
  /** Source topic. */
  topic: string;
  /** How. */
  via: SeedVia;
  /** Scratch directory (configs, journals, local staging). */
  workDir: string;
  /** `seed.max_concurrent_partitions`. */
  concurrency: number;
  /** Migration id (unique per run). */
  id: string;
  /** Write a V8 CPU profile of the seed process here. */
  cpuProfileDir?: string;
  /** Kill the seed after this long (ms). */
  timeoutMs: number;
  /**
   * Measure the tail instead: `topic` is empty for the seed; once the driver
   * is ready this fills it, then the driver times the tail's catch-up.
   */
  fillForTail?: () => Promise<void>;
}

/** What one kraftover seed run measured. */
export interface KraftoverSeedRun {
  /** The driver's figures. */
  result: SeedDriverResult;
  /** Records on the target after the seed (sum of end offsets). */
  targetRecords: number;
  /** Process start to exit, ms. */
  wallMs: number;
  /** Bytes the staged segments took in the store (staged only). */
  stagedBytes?: number;
}

const REPO = new URL("../../", import.meta.url).pathname;
const DRIVER = new URL("./seed_driver.ts", import.meta.url).pathname;

/** The config of one seed run. */
export function seedConfig(options: RunKraftoverSeedOptions): Record<string, unknown> {
  const { info } = options;
  const escaped = options.topic.replace(/\./g, "\\.");
  const cluster = (c: SandboxInfo["source"]) => ({
    bootstrap_servers: c.bootstrap.plaintext,
    region: info.region,
    auth: { mode: "plaintext" },
    tls: false,
  });
  const backup = options.via === "staged-s3"
    ? { s3_bucket: info.s3.buckets.backup, endpoint: info.s3.endpoint, region: info.s3.region }
    : options.via === "staged-dir"
    ? { directory: join(options.workDir, `${options.id}-staging`) }
    : undefined;
  return {
    migration: {
      id: options.id,
      source: cluster(info.source),
      target: cluster(info.target),
      topics: { include: [escaped] },
      seed: {
        via: options.via === "direct" ? "direct" : "staged",
        max_concurrent_partitions: options.concurrency,
      },
      ...(backup === undefined ? {} : { backup }),
    },
  };
}

/**
 * Seeds `topic` with kraftover and returns what it measured. The target
 * topic is deleted first (the seed creates it, as a migration would) and
 * after; staged segments and the journal are removed.
 */
export async function runKraftoverSeed(
  options: RunKraftoverSeedOptions,
): Promise<KraftoverSeedRun> {
  const configFile = join(options.workDir, `${options.id}.yaml`);
  const journalDir = join(options.workDir, `${options.id}-journal`);
  const config = seedConfig(options);
  await Deno.writeTextFile(configFile, stringify(config));
  await options.target.deleteTopics([options.topic]);
  const profile = options.cpuProfileDir === undefined ? [] : [
    "--cpu-prof",
    `--cpu-prof-dir=${options.cpuProfileDir}`,
    `--cpu-prof-name=${options.id}.cpuprofile`,
  ];
  const started = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    // --allow-all: Deno 2 lets only such programs read /proc/self/status (peak memory).
    args: [
      "run",
      "--allow-all",
      ...profile,
      DRIVER,
      "--config",
      configFile,
      "--journal",
      journalDir,
      ...(options.fillForTail === undefined ? [] : ["--tail", options.topic]),
    ],
    cwd: REPO,
    env: { ...options.info.env, NO_COLOR: "1" },
    stdin: options.fillForTail === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
  }, options.timeoutMs);
  const stderrText = new Response(child.stderr).text();
  const lines: string[] = [];
  let filling: Promise<void> | undefined;
  let partial = "";
  for await (const text of child.stdout.pipeThrough(new TextDecoderStream())) {
    partial += text;
    const complete = partial.split("\n");
    partial = complete.pop()!;
    for (const line of complete) {
      if (line === "READY" && options.fillForTail !== undefined && filling === undefined) {
        // The driver waits for this line; the tail's clock starts when it arrives.
        filling = options.fillForTail().then(async () => {
          const writer = child.stdin.getWriter();
          await writer.write(new TextEncoder().encode("GO\n"));
          await writer.close();
        });
        filling.catch(() => child.kill("SIGKILL"));
      } else {
        lines.push(line);
      }
    }
  }
  if (partial !== "") lines.push(partial);
  const status = await child.status.finally(() => clearTimeout(timer));
  await filling;
  const wallMs = performance.now() - started;
  const stderr = await stderrText;
  const last = lines[lines.length - 1] ?? "";
  if (!status.success || !last.startsWith("{")) {
    const why = status.signal === "SIGKILL"
      ? `killed after ${options.timeoutMs / 1000}s`
      : `exit ${status.code}`;
    throw new Error(
      `kraftover ${
        options.fillForTail === undefined ? "seed" : "tail"
      } (${options.via}) failed (${why}): ${stderr.trim().split("\n").slice(-5).join(" | ")}`,
    );
  }
  const result = JSON.parse(last) as SeedDriverResult;
  const targetRecords = await options.target.endOffsetSum(options.topic);
  const run: KraftoverSeedRun = { result, targetRecords, wallMs };
  try {
    const staged = await cleanStaging(options, config);
    if (staged !== undefined) run.stagedBytes = staged;
  } finally {
    await options.target.deleteTopics([options.topic]);
    await Deno.remove(journalDir, { recursive: true }).catch(() => {});
  }
  return run;
}

/** Removes a staged run's segments; returns the bytes they took. */
async function cleanStaging(
  options: RunKraftoverSeedOptions,
  config: Record<string, unknown>,
): Promise<number | undefined> {
  if (options.via === "direct") return undefined;
  const backup = (config.migration as { backup: { directory?: string } }).backup;
  const store = createObjectStore(
    options.via === "staged-s3"
      ? {
        s3_bucket: options.info.s3.buckets.backup,
        endpoint: options.info.s3.endpoint,
        region: options.info.s3.region,
      }
      : { directory: backup.directory! },
    { configPath: "backup" },
  );
  let bytes = 0;
  try {
    const prefix = `segments/${options.id}/`;
    const keys: string[] = [];
    for await (const entry of store.list(prefix)) {
      keys.push(entry.key);
      bytes += entry.size;
    }
    for (const key of keys) await store.delete(key);
  } finally {
    store.close();
  }
  if (backup.directory !== undefined) {
    await Deno.remove(backup.directory, { recursive: true }).catch(() => {});
  }
  return bytes;
}
