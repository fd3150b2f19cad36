/**
 * The local sandbox of real Apache Kafka: `sandboxUp` starts, on 127.0.0.1,
 * a ZooKeeper-mode Kafka 3.9 source (with its ZooKeeper), a KRaft-mode
 * target, an S3-compatible store (moto) and a fake of the MSK control plane;
 * `sandboxDown` stops exactly what it started; `sandboxStatus` says what is
 * alive. Everything is recorded in `<stateDir>/sandbox.json`.
 *
 * @module
 */

import { resolve } from "node:path";
import { KraftoverError } from "../errors.ts";
import { type Logger, silentLogger } from "../logger.ts";
import { portAnswers } from "./_ports.ts";
import { isAlive, ownedBySandbox } from "./_process.ts";
import { kafkaAnswers } from "./_readiness.ts";
import { s3Answers } from "./_s3_server.ts";
import { startSandbox } from "./_start_sandbox.ts";
import { stopRecorded } from "./_stop_sandbox.ts";
import {
  defaultSandboxDir,
  readSandboxState,
  registerSandboxSecrets,
  type SandboxInfo,
  type StopOutcome,
} from "./sandbox_info.ts";
import { sandboxKafkaClientConfig } from "./sandbox_kafka_client.ts";

/** Source Kafka version: the newest 3.9 patch on Maven Central (ZooKeeper mode ends with 3.9). */
export const DEFAULT_SOURCE_VERSION = "3.9.2";
/** Target Kafka version: the newest 4.x on Maven Central when this was written. */
export const DEFAULT_TARGET_VERSION = "4.4.0";

/** Options for {@linkcode sandboxUp}. */
export interface SandboxUpOptions {
  /** State directory (state file, configs, data, certificates, logs). @default `$KRAFTOVER_SANDBOX_DIR`, else `.sandbox/` under the current directory */
  stateDir?: string;
  /** Brokers per cluster: 1 or 3. @default 1 */
  brokers?: 1 | 3;
  /** Kafka version of the ZooKeeper-mode source (3.x). @default {@linkcode DEFAULT_SOURCE_VERSION} */
  sourceVersion?: string;
  /** Kafka version of the KRaft target (3.7 or later). @default {@linkcode DEFAULT_TARGET_VERSION} */
  targetVersion?: string;
  /** Cache of jars, compiled classes and moto. @default `$KRAFTOVER_CACHE_DIR`, else `~/.cache/kraftover` */
  cacheDir?: string;
  /** How long to wait for every listener to answer. @default 180000 */
  readyTimeoutMs?: number;
  /** Progress. @default silentLogger */
  logger?: Logger;
  /** Cancels start-up (what was started is stopped). */
  signal?: AbortSignal;
}

/** What {@linkcode sandboxUp} returns. */
export interface SandboxUpReport {
  /** The running sandbox. */
  info: SandboxInfo;
  /** True when a healthy sandbox was already running and nothing was started. */
  reused: boolean;
  /** How long this call took, in milliseconds (start-up time when not reused). */
  elapsedMs: number;
}

/** Options for {@linkcode sandboxDown}. */
export interface SandboxDownOptions {
  /** State directory. @default as for {@linkcode SandboxUpOptions.stateDir} */
  stateDir?: string;
  /** Grace period between SIGTERM and SIGKILL, per process. @default 15000 */
  graceMs?: number;
  /** Keep `<stateDir>/logs/`. @default true */
  keepLogs?: boolean;
  /** Progress. @default silentLogger */
  logger?: Logger;
}

/** What {@linkcode sandboxDown} did. */
export interface SandboxDownReport {
  /** The state directory. */
  stateDir: string;
  /** Each recorded process and how it was stopped. */
  stopped: Array<{ name: string; pid: number; outcome: StopOutcome }>;
  /** Recorded ports that still accept connections (should be empty). */
  portsStillOpen: number[];
  /** Whether a sandbox was recorded at all. */
  wasRecorded: boolean;
}

/** Options for {@linkcode sandboxStatus}. */
export interface SandboxStatusOptions {
  /** State directory. @default as for {@linkcode SandboxUpOptions.stateDir} */
  stateDir?: string;
}

/** One part of the sandbox in {@linkcode SandboxStatusReport}. */
export interface SandboxPartStatus {
  /** e.g. `source-broker-1`, `source-zookeeper`, `s3`, `msk-fake`. */
  name: string;
  /** Process id. */
  pid: number;
  /** Process alive (and tagged as this sandbox's). */
  alive: boolean;
  /** Ports of the part and whether each accepts TCP connections. */
  ports: Array<{ port: number; listening: boolean }>;
}

/** What {@linkcode sandboxStatus} reports. */
export interface SandboxStatusReport {
  /** The state directory. */
  stateDir: string;
  /** `none` (nothing recorded), `starting`, or `running`. */
  recorded: "none" | "starting" | "running";
  /** Every part alive and listening. */
  healthy: boolean;
  /** Per part. */
  parts: SandboxPartStatus[];
  /** The recorded info when running. */
  info?: SandboxInfo;
}

function stateDirOf(dir: string | undefined): string {
  return resolve(dir ?? defaultSandboxDir());
}

/** Ports per process name, for status and health checks. */
function portsByProcess(info: SandboxInfo): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const c of [info.source, info.target]) {
    for (const b of c.brokers) {
      const p = b.ports;
      out.set(`${c.role}-broker-${b.id}`, [
        p.internal,
        ...(p.controller === undefined ? [] : [p.controller]),
        p.plaintext,
        p.scram,
        p.mtls,
        p.iam,
      ]);
    }
    if (c.zookeeper) out.set(`${c.role}-zookeeper`, [Number(c.zookeeper.address.split(":")[1])]);
  }
  out.set("s3", [Number(new URL(info.s3.endpoint).port)]);
  out.set("msk-fake", [Number(new URL(info.msk.endpoint).port)]);
  return out;
}

/**
 * Reports which parts of the recorded sandbox are alive and listening. Cheap:
 * process checks and TCP connects, no Kafka requests.
 *
 * @example
 * ```ts ignore
 * import { sandboxStatus } from "./sandbox.ts";
 * const s = await sandboxStatus();
 * console.log(s.healthy, s.parts.map((p) => `${p.name}:${p.alive}`));
 * ```
 */
export async function sandboxStatus(
  options: SandboxStatusOptions = {},
): Promise<SandboxStatusReport> {
  const stateDir = stateDirOf(options.stateDir);
  const state = await readSandboxState(stateDir);
  if (state === undefined) return { stateDir, recorded: "none", healthy: false, parts: [] };
  const ports = state.info ? portsByProcess(state.info) : new Map<string, number[]>();
  const parts = await Promise.all(state.processes.map(async (p) => ({
    name: p.name,
    pid: p.pid,
    alive: ownedBySandbox(p.pid, state.tag),
    ports: await Promise.all(
      (ports.get(p.name) ?? []).map(async (port) => ({ port, listening: await portAnswers(port) })),
    ),
  })));
  const healthy = state.status === "running" && parts.length > 0 &&
    parts.every((p) => p.alive && p.ports.every((x) => x.listening));
  return {
    stateDir,
    recorded: state.status,
    healthy,
    parts,
    ...(state.info === undefined ? {} : { info: state.info }),
  };
}

/**
 * Stops the processes the sandbox started (by the PIDs in its state file,
 * each a process group: SIGTERM, then SIGKILL after `graceMs`) and removes
 * their data, configs and certificates (logs are kept by default). A PID
 * that no longer carries the sandbox's tag is left alone. Safe to call when
 * nothing is running.
 *
 * @example
 * ```ts ignore
 * import { sandboxDown } from "./sandbox.ts";
 * const report = await sandboxDown();
 * if (report.portsStillOpen.length > 0) throw new Error("ports left open");
 * ```
 */
export async function sandboxDown(options: SandboxDownOptions = {}): Promise<SandboxDownReport> {
  const stateDir = stateDirOf(options.stateDir);
  const log = (options.logger ?? silentLogger).child({ component: "sandbox" });
  const state = await readSandboxState(stateDir);
  if (state === undefined) {
    log.info("No sandbox recorded; nothing to stop", { stateDir });
    return { stateDir, stopped: [], portsStillOpen: [], wasRecorded: false };
  }
  log.info("Stopping the sandbox", { stateDir, processes: state.processes.length });
  const result = await stopRecorded(stateDir, state, {
    log,
    graceMs: options.graceMs ?? 15_000,
    keepLogs: options.keepLogs ?? true,
  });
  const report = { stateDir, ...result, wasRecorded: true };
  if (report.portsStillOpen.length > 0) {
    log.warn("Ports still accept connections after the sandbox stopped", {
      ports: report.portsStillOpen,
    });
  }
  return report;
}

/** Whether a recorded sandbox is healthy: processes alive and every part answering. */
async function recordedHealthy(stateDir: string): Promise<SandboxInfo | undefined> {
  const status = await sandboxStatus({ stateDir });
  if (!status.healthy || status.info === undefined) return undefined;
  const info = status.info;
  const fakeOk = await fetch(`${info.msk.endpoint}/_fake/health`).then(async (r) => {
    await r.body?.cancel();
    return r.ok;
  }, () => false);
  if (!fakeOk || !(await s3Answers(info.s3.endpoint))) return undefined;
  const n = info.source.brokers.length;
  const ok = await Promise.all(
    (["source", "target"] as const).map((c) =>
      kafkaAnswers(sandboxKafkaClientConfig(info, c, { listener: "plaintext" }), n)
    ),
  );
  return ok.every(Boolean) ? info : undefined;
}

/**
 * Runs `fn` holding `<stateDir>/.lock` (a file with the holder's PID). A
 * concurrent `up` on the same directory waits for the holder, then finds its
 * sandbox and reuses it; a lock whose process is gone is taken over.
 */
async function withLock<T>(stateDir: string, fn: () => Promise<T>, waitMs = 300_000): Promise<T> {
  const lock = `${stateDir}/.lock`;
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      await Deno.writeTextFile(lock, String(Deno.pid), { createNew: true });
      break;
    } catch (e) {
      if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
    }
    const holder = Number(await Deno.readTextFile(lock).catch(() => "0"));
    if (!(holder > 0 && isAlive(holder))) {
      await Deno.remove(lock).catch(() => {});
      continue;
    }
    if (Date.now() > deadline) {
      throw new KraftoverError(
        "SANDBOX_START_FAILED",
        `Cannot start the sandbox: process ${holder} has been starting one in ${stateDir} for too long; stop it or remove ${lock}`,
        { phase: "sandbox", retriable: true },
      );
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  try {
    return await fn();
  } finally {
    await Deno.remove(lock).catch(() => {});
  }
}

function checkVersions(
  options: SandboxUpOptions,
): { source: string; target: string; brokers: 1 | 3 } {
  const source = options.sourceVersion ?? DEFAULT_SOURCE_VERSION;
  const target = options.targetVersion ?? DEFAULT_TARGET_VERSION;
  const brokers = options.brokers ?? 1;
  const [sMaj] = source.split(".").map(Number);
  const [tMaj, tMin] = target.split(".").map(Number);
  if (sMaj !== 3) {
    throw new KraftoverError(
      "USAGE",
      `Cannot use Kafka ${source} as the source: ZooKeeper mode needs a 3.x version, e.g. ${DEFAULT_SOURCE_VERSION}`,
      { phase: "sandbox" },
    );
  }
  if (tMaj === undefined || tMin === undefined || tMaj < 3 || (tMaj === 3 && tMin < 7)) {
    throw new KraftoverError(
      "USAGE",
      `Cannot use Kafka ${target} as the target: the sandbox needs 3.7 or later, e.g. ${DEFAULT_TARGET_VERSION}`,
      { phase: "sandbox" },
    );
  }
  if (brokers !== 1 && brokers !== 3) {
    throw new KraftoverError(
      "USAGE",
      `Cannot start ${String(brokers)} brokers per cluster: use 1 or 3`,
      { phase: "sandbox" },
    );
  }
  return { source, target, brokers };
}

function mismatch(info: SandboxInfo, options: SandboxUpOptions): string | undefined {
  const diffs: string[] = [];
  if (options.brokers !== undefined && options.brokers !== info.source.brokers.length) {
    diffs.push(`${info.source.brokers.length} broker(s), not ${options.brokers}`);
  }
  if (options.sourceVersion !== undefined && options.sourceVersion !== info.source.kafkaVersion) {
    diffs.push(`source ${info.source.kafkaVersion}, not ${options.sourceVersion}`);
  }
  if (options.targetVersion !== undefined && options.targetVersion !== info.target.kafkaVersion) {
    diffs.push(`target ${info.target.kafkaVersion}, not ${options.targetVersion}`);
  }
  return diffs.length === 0 ? undefined : diffs.join(", ");
}

/**
 * Starts the sandbox, or returns the recorded one when it is healthy
 * (idempotent). Waits until every listener of every broker answers a Kafka
 * metadata request, S3 answers and the MSK fake answers; on failure stops
 * whatever it started and throws `SANDBOX_START_FAILED` naming the log to read.
 *
 * @example
 * ```ts ignore
 * import { sandboxUp } from "./sandbox.ts";
 * const { info, reused, elapsedMs } = await sandboxUp({ brokers: 1 });
 * console.log(info.source.bootstrap.plaintext, reused, elapsedMs);
 * ```
 */
export async function sandboxUp(options: SandboxUpOptions = {}): Promise<SandboxUpReport> {
  const started = performance.now();
  const versions = checkVersions(options);
  const stateDir = stateDirOf(options.stateDir);
  const log = (options.logger ?? silentLogger).child({ component: "sandbox" });
  await Deno.mkdir(stateDir, { recursive: true });
  return await withLock(stateDir, async () => {
    const existing = await readSandboxState(stateDir);
    if (existing !== undefined) {
      const healthy = existing.status === "running" ? await recordedHealthy(stateDir) : undefined;
      if (healthy !== undefined) {
        const diff = mismatch(healthy, options);
        if (diff !== undefined) {
          throw new KraftoverError(
            "SANDBOX_START_FAILED",
            `Cannot start the sandbox: a different one is running in ${stateDir} (${diff}): run kraftover sandbox down first`,
            { phase: "sandbox" },
          );
        }
        registerSandboxSecrets(healthy);
        log.info("Sandbox already running", { stateDir });
        return { info: healthy, reused: true, elapsedMs: Math.round(performance.now() - started) };
      }
      log.warn("Found a sandbox that is not healthy; stopping what is left of it", { stateDir });
      await stopRecorded(stateDir, existing, { log, graceMs: 10_000, keepLogs: true });
    }
    const info = await startSandbox({
      stateDir,
      ...versions,
      ...(options.cacheDir === undefined ? {} : { cacheDir: options.cacheDir }),
      readyTimeoutMs: options.readyTimeoutMs ?? 180_000,
      log,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    }, started);
    return { info, reused: false, elapsedMs: info.startupMs };
  });
}
