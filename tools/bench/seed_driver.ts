// deno-lint-ignore-file no-console
/**
 * Runs one kraftover seed in its own process, so that its peak memory is its
 * own: `deno run -A tools/bench/seed_driver.ts --config FILE --journal DIR`.
 * Enters precheck (the analysis itself is not part of the seed and is not
 * run), copies the topology, then times `seed()` and prints one JSON line:
 * the seed report, the time of each phase and the process's peak resident
 * set (VmHWM) read from `/proc/self/status` as the seed ends.
 *
 * With `--tail TOPIC` the topic starts empty: after the (empty) seed the
 * driver prints `READY`, waits for a line on stdin (the benchmark produces the
 * data meanwhile), then times `tail()` until every partition of TOPIC reaches
 * the end offsets it finds at that moment — the tail's catch-up throughput.
 *
 * @module
 */

import { createMigrationContext } from "../../lib/context.ts";
import { loadConfig } from "../../lib/config/load_config.ts";
import { createLogger } from "../../lib/logger.ts";
import { enterPhase } from "../../lib/phases/_enter_phase.ts";
import { topologyCopy } from "../../lib/phases/topology_copy.ts";
import { seed } from "../../lib/phases/seed.ts";
import type { SeedReport } from "../../lib/phases/seed.ts";
import { tail } from "../../lib/phases/tail.ts";
import type { TailReport } from "../../lib/phases/tail.ts";
import { partitionKey } from "../../lib/offset_map.ts";
import { establishedSockets, procStatusKiB } from "./proc.ts";

/** What the driver prints. */
export interface SeedDriverResult {
  /** The seed's own report. */
  seed: SeedReport;
  /** Time to copy the topology (topic creation on the target), ms. */
  topologyMs: number;
  /** Wall time of `seed()`, ms. */
  seedMs: number;
  /** With `--tail`: the tail's report and wall time (ms). */
  tail?: { report: TailReport; ms: number };
  /** Peak resident set of this process (KiB), after the seed (and the tail). */
  vmHwmKiB: number;
  /** Resident set when the seed ended (KiB). */
  vmRssKiB: number;
  /**
   * Remote ports of TCP connections still established after the context was
   * closed: connections kraftover lost track of (they keep a process alive
   * until the broker's idle timeout, 10 minutes by default).
   */
  socketsLeftOpen: number[];
}

/** Waits for one line on stdin. */
async function readLine(): Promise<void> {
  const reader = Deno.stdin.readable.getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done || value.includes(10)) return;
    }
  } finally {
    reader.releaseLock();
  }
}

function flag(name: string): string {
  const i = Deno.args.indexOf(name);
  const value = i < 0 ? undefined : Deno.args[i + 1];
  if (value === undefined) {
    console.error(`seed_driver: ${name} is required`);
    Deno.exit(2);
  }
  return value;
}

if (import.meta.main) {
  const { config } = await loadConfig(flag("--config"));
  const ctx = createMigrationContext(config, {
    journalDir: flag("--journal"),
    logger: createLogger({ level: "warn", color: false }),
  });
  let result: Omit<SeedDriverResult, "socketsLeftOpen">;
  try {
    const journal = await ctx.journal();
    await enterPhase(journal, "precheck");
    const t0 = performance.now();
    await topologyCopy(ctx);
    const t1 = performance.now();
    const report = await seed(ctx, { settleMs: 0 });
    const t2 = performance.now();
    let tailed: SeedDriverResult["tail"];
    const tailTopic = Deno.args.includes("--tail") ? flag("--tail") : undefined;
    if (tailTopic !== undefined) {
      console.log("READY");
      await readLine();
      const offsets = await (await (await ctx.source()).admin()).fetchTopicOffsets(tailTopic);
      const until = new Map(
        offsets.map((o) => [partitionKey(tailTopic, o.partition), Number(o.high)]),
      );
      const t3 = performance.now();
      const tailReport = await tail(ctx, { until, stopWhenDrainReady: false, settleMs: 0 });
      tailed = { report: tailReport, ms: Math.round(performance.now() - t3) };
    }
    const status = await procStatusKiB("self");
    result = {
      seed: report,
      ...(tailed === undefined ? {} : { tail: tailed }),
      topologyMs: Math.round(t1 - t0),
      seedMs: Math.round(t2 - t1),
      vmHwmKiB: status.VmHWM ?? 0,
      vmRssKiB: status.VmRSS ?? 0,
    };
  } finally {
    await ctx.close();
  }
  console.log(JSON.stringify({ ...result, socketsLeftOpen: await establishedSockets() }));
  // Do not wait for connections kraftover may have lost track of to time out.
  Deno.exit(0);
}
