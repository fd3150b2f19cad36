/**
 * Detached child processes for the sandbox: each runs in its own process
 * group (so a JVM and anything it forks stop together), writes stdout and
 * stderr to a log file, carries a tag in its environment so that `down` stops
 * only what this sandbox started, and outlives the process that started it.
 *
 * @module
 */

import { KraftoverError } from "../errors.ts";

/** Environment variable that marks a process as started by one sandbox. */
export const SANDBOX_TAG_ENV = "KRAFTOVER_SANDBOX_TAG";

/** A process the sandbox started. */
export interface SandboxProcess {
  /** What it is, e.g. `source-broker-1`, `zookeeper`, `s3`, `msk-fake`. */
  name: string;
  /** Process id; also the process group id. */
  pid: number;
  /** Where its stdout and stderr go. */
  logFile: string;
}

/** Options for {@linkcode spawnDetached}. */
export interface SpawnDetachedOptions {
  /** Name recorded in the state file. */
  name: string;
  /** Program to run. */
  command: string;
  /** Its arguments. */
  args: string[];
  /** Log file (appended to). */
  logFile: string;
  /** Tag identifying the sandbox (stored in the process environment). */
  tag: string;
  /** Extra environment. @default {} */
  env?: Record<string, string>;
  /** Working directory. @default the current one */
  cwd?: string;
}

/** A started process and a promise of its exit code, for early-failure detection. */
export interface DetachedChild extends SandboxProcess {
  /** Resolves with the exit code if the process ends (while this process lives). */
  exited: Promise<number>;
}

/**
 * Starts a program in its own session and process group, detached from this
 * process, with output appended to `logFile`.
 */
export function spawnDetached(options: SpawnDetachedOptions): DetachedChild {
  const child = new Deno.Command("sh", {
    // `exec` keeps the pid: the program itself leads the new process group.
    args: ["-c", 'exec "$@" >>"$KRAFTOVER_LOG_FILE" 2>&1', "sh", options.command, ...options.args],
    env: { ...options.env, KRAFTOVER_LOG_FILE: options.logFile, [SANDBOX_TAG_ENV]: options.tag },
    stdin: "null",
    stdout: "null",
    stderr: "null",
    detached: true,
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
  }).spawn();
  child.unref();
  const exited = child.status.then((s) => s.code);
  // Nobody may wait for it; keep an unobserved exit from being reported.
  exited.catch(() => {});
  return { name: options.name, pid: child.pid, logFile: options.logFile, exited };
}

/** Runs a program to completion, capturing its output; throws on a non-zero exit. */
export async function runToCompletion(
  command: string,
  args: string[],
  options: { env?: Record<string, string>; cwd?: string; signal?: AbortSignal; what: string },
): Promise<string> {
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command(command, {
      args,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      ...(options.env === undefined ? {} : { env: options.env }),
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    }).output();
  } catch (cause) {
    throw new KraftoverError("SANDBOX_START_FAILED", `Cannot run ${command}: ${options.what}`, {
      phase: "sandbox",
      cause,
    });
  }
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  if (!out.success) {
    throw new KraftoverError(
      "SANDBOX_START_FAILED",
      `Cannot ${options.what}: ${command} exited with ${out.code}: ${lastLines(text, 15)}`,
      { phase: "sandbox" },
    );
  }
  return text;
}

/** The last `n` non-empty lines of a text, joined with " | ". */
export function lastLines(text: string, n: number): string {
  return text.split("\n").filter((l) => l.trim() !== "").slice(-n).join(" | ");
}

/** The last lines of a log file, or "" when it cannot be read. */
export async function logTail(path: string, n = 20): Promise<string> {
  try {
    return lastLines(await Deno.readTextFile(path), n);
  } catch {
    return "";
  }
}

function procAvailable(): boolean {
  try {
    return Deno.statSync("/proc/self").isDirectory;
  } catch {
    return false;
  }
}

/** Whether a process exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  if (procAvailable()) {
    try {
      const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
      const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
      return state !== "Z" && state !== "X";
    } catch {
      return false;
    }
  }
  const res = new Deno.Command("kill", {
    args: ["-0", String(pid)],
    stdout: "null",
    stderr: "null",
  })
    .outputSync();
  return res.success;
}

/**
 * Whether `pid` is a live process carrying this sandbox's tag (guards against
 * pid reuse). Where `/proc` is missing the tag cannot be read and liveness decides.
 */
export function ownedBySandbox(pid: number, tag: string): boolean {
  if (!isAlive(pid)) return false;
  if (!procAvailable()) return true;
  try {
    const environ = Deno.readTextFileSync(`/proc/${pid}/environ`);
    return environ.split("\0").includes(`${SANDBOX_TAG_ENV}=${tag}`);
  } catch {
    return false;
  }
}

function signalGroup(pid: number, signal: Deno.Signal): void {
  try {
    Deno.kill(-pid, signal);
  } catch {
    // The group is gone (ESRCH); try the process alone in case it left its group.
    try {
      Deno.kill(pid, signal);
    } catch {
      // gone
    }
  }
}

async function waitUntilDead(pid: number, deadline: number): Promise<boolean> {
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return !isAlive(pid);
}

/** How a process was stopped. */
export type StopOutcome = "not-running" | "not-ours" | "terminated" | "killed" | "survived";

/**
 * Stops a sandbox process group: SIGTERM, then SIGKILL after `graceMs`.
 * Processes without this sandbox's tag are left alone.
 */
export async function stopProcessGroup(
  pid: number,
  tag: string,
  graceMs = 15_000,
): Promise<StopOutcome> {
  if (!isAlive(pid)) return "not-running";
  if (!ownedBySandbox(pid, tag)) return "not-ours";
  signalGroup(pid, "SIGTERM");
  if (await waitUntilDead(pid, Date.now() + graceMs)) return "terminated";
  signalGroup(pid, "SIGKILL");
  return (await waitUntilDead(pid, Date.now() + 10_000)) ? "killed" : "survived";
}
