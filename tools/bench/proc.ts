/**
 * Memory of running processes, from Linux's `/proc/<pid>/status`: the peak
 * resident set (`VmHWM`) and the current one (`VmRSS`), and a sampler that
 * follows a process (and the processes it started) until it exits.
 *
 * @module
 */

/**
 * The `kB` fields of `/proc/<pid>/status` (VmHWM, VmRSS, …), or an empty
 * object when the process is gone or there is no `/proc`.
 *
 * @example
 * ```ts ignore
 * import { procStatusKiB } from "./proc.ts";
 * console.log((await procStatusKiB("self")).VmHWM);
 * ```
 */
export async function procStatusKiB(pid: number | "self"): Promise<Record<string, number>> {
  let text: string;
  try {
    text = await Deno.readTextFile(`/proc/${pid}/status`);
  } catch {
    return {};
  }
  const out: Record<string, number> = {};
  for (const line of text.split("\n")) {
    const m = /^(\w+):\s+(\d+) kB$/.exec(line);
    if (m !== null) out[m[1]!] = Number(m[2]);
  }
  return out;
}

/**
 * TCP connections of this process in state ESTABLISHED: socket inodes of
 * `/proc/self/fd` matched against `/proc/net/tcp` and `/proc/net/tcp6`.
 * Returns 0 where there is no `/proc`.
 */
export async function establishedSockets(): Promise<number> {
  const inodes = new Set<string>();
  try {
    for await (const e of Deno.readDir("/proc/self/fd")) {
      const link = await Deno.readLink(`/proc/self/fd/${e.name}`).catch(() => "");
      const m = /^socket:\[(\d+)\]$/.exec(link);
      if (m !== null) inodes.add(m[1]!);
    }
  } catch {
    return 0;
  }
  let count = 0;
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    const text = await Deno.readTextFile(table).catch(() => "");
    for (const line of text.split("\n").slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols[3] === "01" && inodes.has(cols[9] ?? "")) count++;
    }
  }
  return count;
}

/** Direct children of a process (Linux 3.5+ `/proc/<pid>/task/<pid>/children`). */
async function childrenOf(pid: number): Promise<number[]> {
  try {
    const text = await Deno.readTextFile(`/proc/${pid}/task/${pid}/children`);
    return text.trim() === "" ? [] : text.trim().split(/\s+/).map(Number);
  } catch {
    return [];
  }
}

/** Follows peak memory of a set of processes while they run. */
export interface PeakSampler {
  /** Peak resident set seen per pid (KiB), from VmHWM. */
  readonly peaks: ReadonlyMap<number, number>;
  /** Highest single-process peak (KiB). */
  max(): number;
  /** Sum of every process's peak (KiB): an upper bound for a pipeline's peak. */
  sum(): number;
  /** Stops sampling (takes one last sample first). */
  stop(): Promise<void>;
}

/**
 * Samples VmHWM of `pids` (and their descendants) every `everyMs`. VmHWM is
 * the kernel's own high-water mark, so sampling only has to happen before the
 * process exits; the last sample before exit is at most `everyMs` stale.
 */
export function samplePeaks(pids: readonly number[], everyMs = 100): PeakSampler {
  const peaks = new Map<number, number>();
  let running = true;
  const sample = async () => {
    const seen = new Set<number>();
    const queue = [...pids];
    while (queue.length > 0) {
      const pid = queue.shift()!;
      if (seen.has(pid)) continue;
      seen.add(pid);
      const hwm = (await procStatusKiB(pid)).VmHWM;
      if (hwm !== undefined) peaks.set(pid, Math.max(peaks.get(pid) ?? 0, hwm));
      queue.push(...(await childrenOf(pid)));
    }
  };
  const loop = (async () => {
    while (running) {
      await sample();
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    peaks,
    max: () => Math.max(0, ...peaks.values()),
    sum: () => [...peaks.values()].reduce((a, b) => a + b, 0),
    async stop() {
      running = false;
      await loop;
      await sample();
    },
  };
}
