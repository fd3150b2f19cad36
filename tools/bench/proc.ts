/**
 * Memory of running processes, from Linux's `/proc/<pid>/status`: the peak
 * resident set (`VmHWM`) and the current one (`VmRSS`), and a sampler that
 * follows a process (and the processes it started) until it exits. Deno 2
 * lets only `--allow-all` programs read `/proc/<pid>/status`: the seed driver
 * runs with it; the benchmark itself samples through bash.
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
 * `/proc/self/fd` matched against `/proc/net/tcp` and `/proc/net/tcp6`, as
 * their remote ports. Empty where there is no `/proc`.
 */
export async function establishedSockets(): Promise<number[]> {
  const inodes = new Set<string>();
  try {
    for await (const e of Deno.readDir("/proc/self/fd")) {
      const link = await Deno.readLink(`/proc/self/fd/${e.name}`).catch(() => "");
      const m = /^socket:\[(\d+)\]$/.exec(link);
      if (m !== null) inodes.add(m[1]!);
    }
  } catch {
    return [];
  }
  const remotes: number[] = [];
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    const text = await Deno.readTextFile(table).catch(() => "");
    for (const line of text.split("\n").slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols[3] === "01" && inodes.has(cols[9] ?? "")) {
        remotes.push(parseInt(cols[2]?.split(":")[1] ?? "0", 16));
      }
    }
  }
  return remotes;
}

/**
 * The sampler: bash reading `/proc` itself, because Deno 2 lets only
 * `--allow-all` programs read `/proc/<pid>/status`. Every 100 ms, while the
 * root process lives, it prints `<pid> <VmHWM kB>` for the root and all its
 * descendants; `read` and `[` are bash builtins, so a sample spawns nothing
 * but `sleep`.
 */
const SAMPLER = `
root=$1
while kill -0 "$root" 2>/dev/null; do
  all="$root"; queue="$root"
  while [ -n "$queue" ]; do
    next=""
    for p in $queue; do
      for f in /proc/$p/task/*/children; do
        c=""; read -r c 2>/dev/null < "$f"; next="$next $c"
      done
    done
    queue=$(echo $next); all="$all $queue"
  done
  for p in $all; do
    while read -r k v _; do
      if [ "$k" = "VmHWM:" ]; then echo "$p $v"; break; fi
    done 2>/dev/null < /proc/$p/status
  done
  sleep 0.1
done
`;

/** Follows peak memory of a process tree while it runs. */
export interface PeakSampler {
  /** Peak resident set seen per pid (KiB), from VmHWM. */
  readonly peaks: ReadonlyMap<number, number>;
  /** Highest single-process peak (KiB). */
  max(): number;
  /** Sum of every process's peak (KiB): an upper bound for a pipeline's peak. */
  sum(): number;
  /** Waits for the sampler to see the root exit (or stops it after `graceMs`). */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Samples VmHWM of `root` and its descendants every 100 ms (through bash,
 * see above). VmHWM is the kernel's own high-water mark, so a sample only
 * has to come before a process exits: growth in its last 100 ms is missed.
 */
export function samplePeaks(root: number): PeakSampler {
  const peaks = new Map<number, number>();
  const child = new Deno.Command("bash", {
    args: ["-c", SAMPLER, "sampler", String(root)],
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reading = (async () => {
    let rest = "";
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      const lines = (rest + chunk).split("\n");
      rest = lines.pop() ?? "";
      for (const line of lines) {
        const [pid, kib] = line.split(" ").map(Number);
        if (pid !== undefined && kib !== undefined && Number.isFinite(kib)) {
          peaks.set(pid, Math.max(peaks.get(pid) ?? 0, kib));
        }
      }
    }
  })();
  return {
    peaks,
    max: () => Math.max(0, ...peaks.values()),
    sum: () => [...peaks.values()].reduce((a, b) => a + b, 0),
    async stop(graceMs = 2_000) {
      const timer = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch { /* gone */ }
      }, graceMs);
      await child.status;
      clearTimeout(timer);
      await reading;
    },
  };
}
