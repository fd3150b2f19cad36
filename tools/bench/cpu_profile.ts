/**
 * Reads a V8 CPU profile (`deno run --cpu-prof`) and says where the time
 * went: self time per function, and per area (kafkajs, kraftover's own code,
 * Node compatibility layer, garbage collector, idle).
 *
 * @module
 */

/** The parts of a `.cpuprofile` used here. */
export interface CpuProfile {
  /** Call-tree nodes. */
  nodes: {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
    children?: number[];
  }[];
  /** Node id of each sample. */
  samples: number[];
  /** Microseconds since the previous sample. */
  timeDeltas: number[];
}

/** Self time of one function. */
export interface ProfileRow {
  /** Function (or V8's pseudo-frame, e.g. `(garbage collector)`). */
  name: string;
  /** Where: file (shortened) and line. */
  location: string;
  /** Self time (ms). */
  selfMs: number;
  /** Share of all sampled time (%). */
  pct: number;
}

/** A profile summarised. */
export interface ProfileSummary {
  /** Sampled time (ms). */
  totalMs: number;
  /** Idle time (ms): the process waited on I/O. */
  idleMs: number;
  /** Self time per area. */
  areas: { area: string; ms: number; pct: number }[];
  /** Functions with the most self time. */
  top: ProfileRow[];
}

function shorten(url: string): string {
  const nm = url.indexOf("/node_modules/");
  if (nm >= 0) {
    const rest = url.slice(nm + "/node_modules/".length).replace(
      /^\.deno\/[^/]+\/node_modules\//,
      "",
    );
    return rest;
  }
  const lib = url.search(/\/(lib|tools|hooks|plugins)\//);
  return lib >= 0 ? url.slice(lib + 1) : url.replace(/^file:\/\//, "");
}

/** The area a frame belongs to. */
export function areaOf(name: string, url: string): string {
  if (name === "(idle)") return "idle (waiting on I/O)";
  if (name === "(garbage collector)") return "garbage collector";
  if (name === "(program)" || name === "(root)") return "V8/runtime (native)";
  if (url.includes("/kafkajs/")) return "kafkajs (protocol encode/decode, network)";
  if (url.includes("/lib/kafka/")) {
    return "kraftover lib/kafka (record codec patch, reader, writer)";
  }
  if (url.includes("/lib/")) return "kraftover lib (copy, journal, offset map)";
  if (url.startsWith("node:") || url.includes("ext:deno_node") || url.includes("ext:node")) {
    return "Node compatibility (Buffer, net, zlib…)";
  }
  if (url.startsWith("ext:")) return "Deno runtime (ext:)";
  if (url === "") return "V8 builtins";
  return "other";
}

/**
 * Summarises a profile: areas and the `top` functions by self time.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { summarizeCpuProfile } from "./cpu_profile.ts";
 * const s = summarizeCpuProfile({
 *   nodes: [
 *     { id: 1, callFrame: { functionName: "(root)", url: "", lineNumber: -1 }, children: [2] },
 *     { id: 2, callFrame: { functionName: "encode", url: "file:///x/node_modules/kafkajs/src/a.js", lineNumber: 9 } },
 *   ],
 *   samples: [2, 2, 1],
 *   timeDeltas: [1000, 1000, 1000],
 * });
 * assert.equal(s.top[0]!.name, "encode");
 * assert.equal(s.top[0]!.selfMs, 2);
 * ```
 */
export function summarizeCpuProfile(profile: CpuProfile, top = 15): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = (profile.timeDeltas[i] ?? 0) / 1000;
    self.set(id, (self.get(id) ?? 0) + dt);
    total += dt;
  });
  const functions = new Map<string, ProfileRow>();
  const areas = new Map<string, number>();
  let idle = 0;
  for (const [id, ms] of self) {
    const frame = byId.get(id)?.callFrame;
    if (frame === undefined) continue;
    const name = frame.functionName || "(anonymous)";
    const area = areaOf(frame.functionName, frame.url);
    areas.set(area, (areas.get(area) ?? 0) + ms);
    if (frame.functionName === "(idle)") idle += ms;
    const location = `${shorten(frame.url)}:${frame.lineNumber + 1}`;
    const key = `${name} ${location}`;
    const row = functions.get(key) ?? { name, location, selfMs: 0, pct: 0 };
    row.selfMs += ms;
    functions.set(key, row);
  }
  const pct = (ms: number) => Math.round((ms / Math.max(total, 1e-9)) * 1000) / 10;
  return {
    totalMs: Math.round(total),
    idleMs: Math.round(idle),
    areas: [...areas].map(([area, ms]) => ({ area, ms: Math.round(ms), pct: pct(ms) }))
      .sort((a, b) => b.ms - a.ms),
    top: [...functions.values()].sort((a, b) => b.selfMs - a.selfMs).slice(0, top).map((r) => ({
      ...r,
      selfMs: Math.round(r.selfMs),
      pct: pct(r.selfMs),
    })),
  };
}
