/**
 * `validate` (SPEC §8): the five checks — topic parity, counts and offsets,
 * spot check, sentinel presence, group reconciliation — with per-partition
 * detail and one outcome, PASSED, WARNING or FAILED. Re-runnable: each run
 * journals `validation.report` (the outcome in brief) and stores the full
 * report beside the journal; `finalize` requires the last one to be PASSED
 * or WARNING. A FAILED outcome moves the migration to `failed` (resumable:
 * fix the cause and validate again). Validating before the client switch is
 * allowed (the strictest run: nothing but kraftover has written to the
 * target); the migration then returns to `awaiting_client_switch`.
 *
 * @module
 */

import { join } from "node:path";
import type { MigrationContext } from "../context.ts";
import { KraftoverError } from "../errors.ts";
import { journaledTopics, replayCopyState } from "../copy/copy_state.ts";
import { CUTOVER_CHECKPOINT, replayCutoverState } from "../cutover/cutover_state.ts";
import { createSourceReader } from "../kafka/source_reader.ts";
import type { SourceReader } from "../kafka/source_reader.ts";
import { NEXT_ACTION } from "../state_machine.ts";
import { sha256Hex } from "../evidence/sign.ts";
import { writeFileAtomic } from "../store/atomic_write.ts";
import type { ValidationInputs } from "../validation/_inputs.ts";
import { checkTopicParity } from "../validation/check_topic_parity.ts";
import { checkCounts } from "../validation/check_counts.ts";
import { checkSpot } from "../validation/check_spot.ts";
import { checkSentinels } from "../validation/check_sentinels.ts";
import { checkGroups } from "../validation/check_groups.ts";
import {
  validationCheckpoint,
  validationDocument,
  validationFailedError,
  worstOutcome,
} from "../validation/validation_report.ts";
import type { ValidationCheck, ValidationReport } from "../validation/validation_report.ts";
import { enterPhase } from "./_enter_phase.ts";

/** Directory, inside the journal directory, holding the full validation reports. */
export const VALIDATION_REPORT_DIR = "validation";

/** Options for {@linkcode validate}. */
export interface ValidateOptions {
  /** Stops the run (nothing is journaled then). */
  signal?: AbortSignal;
  /** Requests in flight at once. @default 8 */
  concurrency?: number;
  /** Random numbers in [0, 1) choosing the spot check's samples. @default Math.random */
  random?: () => number;
}

/**
 * Runs the five checks and returns the report. The migration must be in
 * `awaiting_client_switch` or `validating` (or `failed` in validating); it
 * enters `validating` for the run and is left there — or back in
 * `awaiting_client_switch` when clients have not been switched yet (the
 * switch is still to be recorded), or in `failed` when the outcome is FAILED. A FAILED
 * outcome is a report, not an exception — the CLI prints it, then exits 3
 * (with {@linkcode validationFailedError}). A check that cannot run (a cluster
 * unreachable) throws, and the migration moves to `failed` (retriable).
 *
 * @example
 * ```ts ignore
 * const report = await validate(ctx, {});
 * if (report.outcome === "FAILED") throw validationFailedError(report);
 * ```
 */
export async function validate(
  ctx: MigrationContext,
  options: ValidateOptions = {},
): Promise<ValidationReport> {
  const journal = await ctx.journal();
  const { state, failedFrom } = journal.state;
  const allowed = state === "awaiting_client_switch" || state === "validating" ||
    (state === "failed" && failedFrom === "validating");
  if (!allowed) {
    const where = state === "failed" ? `failed in ${failedFrom ?? "planned"}` : state;
    throw new KraftoverError(
      "ILLEGAL_TRANSITION",
      state === "finalized"
        ? "The migration is finalized: its last validation is in the signed evidence bundle; " +
          "check the bundle with kraftover evidence verify"
        : `Cannot validate: the migration is ${where}; validation runs after the cutover ` +
          `(awaiting_client_switch or validating). Next: ${
            NEXT_ACTION[state === "failed" ? failedFrom ?? "planned" : state]
          }`,
      { phase: state, detail: { state, failedFrom: failedFrom ?? null } },
    );
  }
  await enterPhase(journal, "validating");
  const started = ctx.now();
  const startedMs = Date.now();
  const records = journal.records;
  let readers: SourceReader[] = [];
  const checks: ValidationCheck[] = [];
  try {
    const source = await ctx.source();
    const target = await ctx.target();
    readers = [await createSourceReader(source), await createSourceReader(target)];
    const inputs: ValidationInputs = {
      migrationId: journal.migrationId,
      config: ctx.config,
      topics: journaledTopics(records),
      copy: replayCopyState(records),
      cutover: replayCutoverState(records),
      source,
      target,
      sourceReader: readers[0]!,
      targetReader: readers[1]!,
      concurrency: options.concurrency ?? 8,
      random: options.random ?? Math.random,
      logger: ctx.logger,
      signal: options.signal,
    };
    for (const check of [checkTopicParity, checkCounts, checkSpot, checkSentinels, checkGroups]) {
      options.signal?.throwIfAborted();
      const result = await check(inputs);
      checks.push(result);
      ctx.logger.info(`${result.title}: ${result.status}`, { check: result.name });
    }
  } catch (error) {
    const interrupted = options.signal?.aborted === true ||
      (error instanceof KraftoverError && error.code === "ABORTED");
    if (!interrupted) {
      const k = error instanceof KraftoverError ? error : undefined;
      await journal.transition("failed", {
        reason: `Validation could not run: ${(error as Error).message}`,
        ...(k === undefined ? {} : { error_code: k.code, retriable: k.retriable }),
      }).catch(() => {});
    }
    throw error;
  } finally {
    await Promise.allSettled(readers.map((r) => r.close()));
  }
  const report: ValidationReport = {
    migrationId: journal.migrationId,
    validatedAt: started.toISOString(),
    durationMs: Date.now() - startedMs,
    outcome: worstOutcome(checks.map((c) => c.status)),
    checks,
  };
  const file = join(
    VALIDATION_REPORT_DIR,
    `report-${report.validatedAt.replace(/[:.]/g, "-")}-${journal.records.length + 1}.json`,
  );
  const bytes = new TextEncoder().encode(
    JSON.stringify(validationDocument(report), null, 2) + "\n",
  );
  await Deno.mkdir(join(journal.dir, VALIDATION_REPORT_DIR), { recursive: true });
  await writeFileAtomic(join(journal.dir, file), bytes);
  const data = validationCheckpoint(report, { file, sha256: await sha256Hex(bytes) });
  await journal.append({
    type: "checkpoint",
    name: CUTOVER_CHECKPOINT.validation,
    data: data as unknown as Record<string, unknown>,
  });
  if (report.outcome === "FAILED") {
    await journal.transition("failed", {
      reason: validationFailedError(report).message,
      error_code: "VALIDATION_FAILED",
      retriable: true,
    });
  } else if (replayCutoverState(journal.records).switched === undefined) {
    // Validated before the client switch: the switch (switch-ack or its hook) is still to come.
    await journal.transition("awaiting_client_switch", {
      reason: `validated (${report.outcome}) before the client switch`,
    });
  }
  ctx.logger.info(`Validation ${report.outcome}`, {
    checks: Object.fromEntries(checks.map((c) => [c.name, c.status])),
  });
  return report;
}
