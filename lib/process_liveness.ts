/**
 * Whether a local process is alive, without signalling it: `/proc` where
 * readable (Deno needs `--allow-all` for `/proc`), else `kill -0` (needs
 * `--allow-run`), else unknown — callers then fall back to other evidence.
 *
 * @module
 */

/** What is known about a process. */
export type ProcessState = "alive" | "dead" | "unknown";

function isPermissionError(error: unknown): boolean {
  return error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied;
}

/**
 * The process's start time (field 22 of `/proc/<pid>/stat`), to tell a
 * process from a later one that reused its id; undefined when unreadable.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { processStartTime } from "./process_liveness.ts";
 * const start = processStartTime(Deno.pid);
 * assert.ok(start === undefined || /^\d+$/.test(start));
 * ```
 */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

/**
 * Whether `pid` is alive (a zombie counts as dead).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { processState } from "./process_liveness.ts";
 * assert.ok(processState(Deno.pid) !== "dead");
 * ```
 */
export function processState(pid: number): ProcessState {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state === "Z" || state === "X" ? "dead" : "alive";
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return "dead";
    if (!isPermissionError(error)) return "unknown";
  }
  try {
    const out = new Deno.Command("kill", {
      args: ["-0", String(pid)],
      stdout: "null",
      stderr: "piped",
    })
      .outputSync();
    if (out.success) return "alive";
    return /no such process/i.test(new TextDecoder().decode(out.stderr)) ? "dead" : "alive";
  } catch {
    return "unknown";
  }
}
