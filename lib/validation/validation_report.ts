/**
 * The validation report (SPEC §8): five checks, each with a status, what it
 * looked at and per-subject detail (a topic, a partition or a group's
 * partition), and one outcome — PASSED, WARNING or FAILED. Also the compact
 * form journaled as `validation.report`, the document stored beside the
 * journal and put into the evidence bundle, and the readers `finalize` uses.
 *
 * @module
 */

import { KraftoverError } from "../errors.ts";
import type { JournalRecord } from "../journal.ts";
import { CUTOVER_CHECKPOINT } from "../cutover/cutover_state.ts";

/** The outcome of a check, of a subject, and of a whole validation. */
export type ValidationOutcome = "PASSED" | "WARNING" | "FAILED";

/** The five checks, in the order they run. */
export const VALIDATION_CHECKS = [
  "topic_parity",
  "counts_and_offsets",
  "spot_check",
  "sentinels",
  "group_offsets",
] as const;

/** The name of one of the five checks. */
export type ValidationCheckName = typeof VALIDATION_CHECKS[number];

/** Human titles of the checks. */
export const VALIDATION_CHECK_TITLES: Readonly<Record<ValidationCheckName, string>> = {
  topic_parity: "Topic parity",
  counts_and_offsets: "Counts and offsets",
  spot_check: "Spot check",
  sentinels: "Sentinel presence",
  group_offsets: "Group reconciliation",
};

/** A value measured for a subject (JSON, safe integers). */
export type ValidationValue =
  | string
  | number
  | boolean
  | null
  | readonly ValidationValue[]
  | { readonly [key: string]: ValidationValue };

/**
 * What one check found about one subject: a topic (parity), a partition
 * (counts, spot check, sentinels) or a group on a partition (groups).
 */
export interface ValidationDetail {
  /** PASSED, or what is wrong. */
  status: ValidationOutcome;
  /** The topic. */
  topic?: string;
  /** The partition. */
  partition?: number;
  /** The consumer group (group reconciliation). */
  group?: string;
  /** A stable reason code when not PASSED (e.g. `target_missing`, `span_mismatch`). */
  reason?: string;
  /** What is wrong and what to do, naming the subject; absent when PASSED. */
  message?: string;
  /** What was measured, snake_case keys. */
  values: Record<string, ValidationValue>;
}

/** The result of one check. */
export interface ValidationCheck {
  /** Which check. */
  name: ValidationCheckName;
  /** Its title. */
  title: string;
  /** The worst status of its subjects (PASSED when it found nothing wrong). */
  status: ValidationOutcome;
  /** What it covered: counts such as `partitions`, `samples`, `groups`. */
  summary: Record<string, number>;
  /** Every subject, PASSED or not. */
  details: ValidationDetail[];
}

/** A whole validation run. */
export interface ValidationReport {
  /** The migration validated. */
  migrationId: string;
  /** When the run started (ISO 8601). */
  validatedAt: string;
  /** How long it took (ms). */
  durationMs: number;
  /** FAILED if any check failed, else WARNING if any warned, else PASSED. */
  outcome: ValidationOutcome;
  /** The five checks, in order. */
  checks: ValidationCheck[];
}

/** Payload of the `validation.report` checkpoint: the outcome in brief, and where the full report is. */
export interface ValidationCheckpointData {
  /** The outcome. */
  outcome: ValidationOutcome;
  /** When the run started. */
  validated_at: string;
  /** Per check: status and the subjects that are not PASSED (at most 100 listed). */
  checks: {
    name: ValidationCheckName;
    status: ValidationOutcome;
    failing: string[];
    failing_count: number;
    warning_count: number;
  }[];
  /** The full report's file name inside the journal directory. */
  report_file: string;
  /** Hex SHA-256 of that file. */
  report_sha256: string;
}

/** At most this many failing subjects are listed per check in the journal. */
const MAX_LISTED = 100;

const RANK: Readonly<Record<ValidationOutcome, number>> = { PASSED: 0, WARNING: 1, FAILED: 2 };

/**
 * The worst of some outcomes (PASSED for none).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { worstOutcome } from "./validation_report.ts";
 * assert.ok(worstOutcome(["PASSED", "WARNING"]) === "WARNING");
 * assert.ok(worstOutcome([]) === "PASSED");
 * ```
 */
export function worstOutcome(outcomes: Iterable<ValidationOutcome>): ValidationOutcome {
  let worst: ValidationOutcome = "PASSED";
  for (const o of outcomes) if (RANK[o] > RANK[worst]) worst = o;
  return worst;
}

/**
 * Builds a check result from its details: the status is the worst detail's.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkResult } from "./validation_report.ts";
 * const c = checkResult("sentinels", { partitions: 1 }, [
 *   { status: "FAILED", topic: "t", partition: 0, reason: "missing", message: "t[0]: gone", values: {} },
 * ]);
 * assert.ok(c.status === "FAILED" && c.title === "Sentinel presence");
 * ```
 */
export function checkResult(
  name: ValidationCheckName,
  summary: Record<string, number>,
  details: ValidationDetail[],
): ValidationCheck {
  return {
    name,
    title: VALIDATION_CHECK_TITLES[name],
    status: worstOutcome(details.map((d) => d.status)),
    summary,
    details,
  };
}

/**
 * How a subject is named in messages and in the journal: `topic[partition]`,
 * `group on topic[partition]`, or the topic.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { subjectName } from "./validation_report.ts";
 * assert.ok(subjectName({ topic: "orders", partition: 3 }) === "orders[3]");
 * assert.ok(subjectName({ group: "billing", topic: "orders", partition: 0 }) === "billing on orders[0]");
 * ```
 */
export function subjectName(d: Pick<ValidationDetail, "topic" | "partition" | "group">): string {
  const where = d.topic === undefined
    ? ""
    : d.partition === undefined
    ? d.topic
    : `${d.topic}[${d.partition}]`;
  if (d.group === undefined) return where;
  return where === "" ? d.group : `${d.group} on ${where}`;
}

/**
 * The findings of a report: every detail that is not PASSED, with its check.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { validationFindings } from "./validation_report.ts";
 * assert.ok(validationFindings({ checks: [] }).length === 0);
 * ```
 */
export function validationFindings(
  report: Pick<ValidationReport, "checks">,
): (ValidationDetail & { check: ValidationCheckName })[] {
  return report.checks.flatMap((c) =>
    c.details.filter((d) => d.status !== "PASSED").map((d) => ({ ...d, check: c.name }))
  );
}

/**
 * The report as the JSON document stored beside the journal and put into the
 * evidence bundle (snake_case keys, like every file kraftover writes).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { validationDocument } from "./validation_report.ts";
 * const doc = validationDocument({
 *   migrationId: "m-1",
 *   validatedAt: "2025-01-01T00:00:00.000Z",
 *   durationMs: 5,
 *   outcome: "PASSED",
 *   checks: [],
 * });
 * assert.ok(doc.migration_id === "m-1" && doc.schema === "kraftover.validation/v1");
 * ```
 */
export function validationDocument(report: ValidationReport): Record<string, unknown> {
  return {
    schema: "kraftover.validation/v1",
    migration_id: report.migrationId,
    validated_at: report.validatedAt,
    duration_ms: report.durationMs,
    outcome: report.outcome,
    checks: report.checks,
  };
}

/**
 * The compact `validation.report` checkpoint payload of a report.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { validationCheckpoint } from "./validation_report.ts";
 * const data = validationCheckpoint({
 *   migrationId: "m-1",
 *   validatedAt: "2025-01-01T00:00:00.000Z",
 *   durationMs: 5,
 *   outcome: "PASSED",
 *   checks: [],
 * }, { file: "validation/r.json", sha256: "00" });
 * assert.ok(data.outcome === "PASSED" && data.report_file === "validation/r.json");
 * ```
 */
export function validationCheckpoint(
  report: ValidationReport,
  stored: { file: string; sha256: string },
): ValidationCheckpointData {
  return {
    outcome: report.outcome,
    validated_at: report.validatedAt,
    checks: report.checks.map((c) => {
      const failing = c.details.filter((d) => d.status === "FAILED").map(subjectName);
      return {
        name: c.name,
        status: c.status,
        failing: failing.slice(0, MAX_LISTED),
        failing_count: failing.length,
        warning_count: c.details.filter((d) => d.status === "WARNING").length,
      };
    }),
    report_file: stored.file,
    report_sha256: stored.sha256,
  };
}

/**
 * The last `validation.report` checkpoint of a journal, with its sequence
 * number and time, or undefined when validation never ran.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { lastValidation } from "./validation_report.ts";
 * assert.ok(lastValidation([]) === undefined);
 * ```
 */
export function lastValidation(
  records: readonly JournalRecord[],
): { seq: number; ts: string; data: ValidationCheckpointData } | undefined {
  for (let i = records.length - 1; i >= 0; i--) {
    const r = records[i]!;
    if (r.type === "checkpoint" && r.name === CUTOVER_CHECKPOINT.validation) {
      return { seq: r.seq, ts: r.ts, data: r.data as unknown as ValidationCheckpointData };
    }
  }
  return undefined;
}

/**
 * The error the CLI raises after printing a FAILED report (exit 3).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { validationFailedError } from "./validation_report.ts";
 * const e = validationFailedError({ outcome: "FAILED", checks: [] });
 * assert.ok(e.code === "VALIDATION_FAILED");
 * ```
 */
export function validationFailedError(
  report: Pick<ValidationReport, "outcome" | "checks">,
): KraftoverError {
  const failed = report.checks.filter((c) => c.status === "FAILED");
  const subjects = validationFindings(report).filter((f) => f.status === "FAILED");
  const named = subjects.slice(0, 5).map((f) => subjectName(f)).join(", ");
  return new KraftoverError(
    "VALIDATION_FAILED",
    `Validation FAILED: ${failed.map((c) => c.title).join(", ") || "a check"}` +
      (named === "" ? "" : ` (${named}${subjects.length > 5 ? ", …" : ""})`) +
      ": fix what the report names and run kraftover validate again; finalize is refused until it passes",
    {
      phase: "validating",
      retriable: true,
      detail: { checks: failed.map((c) => c.name), failing: subjects.length, reported: true },
    },
  );
}
