/**
 * `execute` (SPEC §3): precheck → topology_copy → seed → tail → drain_ready,
 * resuming from the journal wherever the last run stopped. With `follow`, it
 * keeps tailing after drain-ready until interrupted or until `cutover` asks
 * it to hand over.
 *
 * @module
 */

import { join } from "node:path";
import type { MigrationContext } from "../context.ts";
import { KraftoverError } from "../errors.ts";
import type { MigrationState } from "../state_machine.ts";
import { precheck, precheckBlockedError } from "../precheck/precheck.ts";
import type { PrecheckReport } from "../precheck/precheck.ts";
import { topologyCopy } from "./topology_copy.ts";
import type { TopologyReport } from "./topology_copy.ts";
import { seed } from "./seed.ts";
import type { SeedReport } from "./seed.ts";
import { tail } from "./tail.ts";
import type { TailReport } from "./tail.ts";
import { enterPhase } from "./_enter_phase.ts";

/** The file a `cutover` run creates in the journal directory to take over from `execute --follow`. */
export const HANDOVER_FILE = "handover.request";

/** Options for {@linkcode execute}. */
export interface ExecuteOptions {
  /** Keep tailing after drain-ready, until the signal aborts or cutover takes over. @default false */
  follow?: boolean;
  /** Stops the run; the next run resumes from the journal. */
  signal?: AbortSignal;
  /** Wait between two reads of the target's end offsets when resuming (ms). @default 1000 */
  settleMs?: number;
}

/** What {@linkcode execute} did. */
export interface ExecuteReport {
  /** The migration id. */
  migrationId: string;
  /** The state the migration is in now. */
  state: MigrationState;
  /** The precheck, when this run ran it. */
  precheck?: PrecheckReport;
  /** The topology copy, when this run ran it. */
  topology?: TopologyReport;
  /** The seed, when this run ran (or resumed) it. */
  seed?: SeedReport;
  /** The tail. */
  tail?: TailReport;
}

const ORDER: readonly MigrationState[] = [
  "planned",
  "precheck",
  "topology_copy",
  "seed",
  "tail",
  "drain_ready",
];

/**
 * Runs the migration up to drain-ready (or keeps tailing with `follow`).
 * A failure moves the migration to `failed` with the reason and whether a
 * re-run can help; an interruption (the signal) leaves it resumable as is.
 *
 * @example
 * ```ts ignore
 * const report = await execute(ctx, { follow: false });
 * console.log(report.state); // "drain_ready"
 * ```
 */
export async function execute(
  ctx: MigrationContext,
  options: ExecuteOptions = {},
): Promise<ExecuteReport> {
  if (!ctx.config.enabled) {
    throw new KraftoverError(
      "USAGE",
      "The migration is disabled in the config (enabled: false): set it to true to run it",
      {
        phase: "planned",
      },
    );
  }
  const journal = await ctx.journal();
  const report: ExecuteReport = { migrationId: journal.migrationId, state: journal.state.state };
  const resumeFrom = journal.state.state === "failed"
    ? journal.state.failedFrom ?? "planned"
    : journal.state.state;
  const at = ORDER.indexOf(resumeFrom);
  if (at === -1) {
    throw new KraftoverError(
      "ILLEGAL_TRANSITION",
      `execute runs the migration up to drain-ready, but it is in ${resumeFrom}: use ` +
        (resumeFrom === "cutover" ? "kraftover cutover" : "kraftover status to see the next step"),
      { phase: resumeFrom },
    );
  }
  const settle = options.settleMs === undefined ? {} : { settleMs: options.settleMs };
  const signal = options.signal === undefined ? {} : { signal: options.signal };
  try {
    if (at <= ORDER.indexOf("precheck")) {
      await enterPhase(journal, "precheck");
      const found = await precheck(ctx, signal);
      report.precheck = found;
      await journal.append({
        type: "checkpoint",
        name: "precheck.report",
        data: {
          passed: found.passed,
          findings: found.findings.map((f) => ({
            code: f.code,
            severity: f.severity,
            subject: f.subject,
          })),
        },
      });
      if (!found.passed) throw precheckBlockedError(found);
    }
    if (at <= ORDER.indexOf("topology_copy")) report.topology = await topologyCopy(ctx, signal);
    if (at <= ORDER.indexOf("seed")) report.seed = await seed(ctx, { ...signal, ...settle });
    if (journal.state.state === "seed") await enterPhase(journal, "tail");
    report.tail = await tail(ctx, {
      ...signal,
      ...settle,
      stopWhenDrainReady: !options.follow,
      handoverFile: join(ctx.journalDir, HANDOVER_FILE),
      onDrainReady: async () => {
        if (journal.state.state === "tail") {
          await journal.transition("drain_ready");
          ctx.logger.info("Drain-ready: every partition is within the lag threshold", {
            next: "kraftover cutover --config FILE",
          });
        }
      },
    });
  } catch (error) {
    const interrupted = options.signal?.aborted === true ||
      (error instanceof KraftoverError && error.code === "ABORTED");
    const blocked = error instanceof KraftoverError && error.code === "PRECHECK_BLOCKED";
    if (!interrupted && !blocked && journal.state.state !== "failed") {
      const k = error instanceof KraftoverError ? error : undefined;
      await journal.transition("failed", {
        reason: (error as Error).message,
        ...(k === undefined ? {} : { error_code: k.code, retriable: k.retriable }),
      }).catch(() => {});
    }
    throw error;
  }
  report.state = journal.state.state;
  return report;
}
