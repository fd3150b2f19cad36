/**
 * Human rendering of a {@linkcode ValidationReport}: the outcome, one line per
 * check with what it covered, then every subject that is not PASSED with
 * what is wrong; colour only when asked.
 *
 * @module
 */

import type { ValidationOutcome, ValidationReport } from "../validation/validation_report.ts";

/** Options for {@linkcode formatValidation}. */
export interface FormatValidationOptions {
  /** ANSI colours. @default false */
  color?: boolean;
  /** Subjects listed per check before the rest are counted. @default 20 */
  maxPerCheck?: number;
}

const COLORS: Record<ValidationOutcome, string> = {
  PASSED: "\x1b[32m",
  WARNING: "\x1b[33m",
  FAILED: "\x1b[31m",
};
const MARKS: Record<ValidationOutcome, string> = { PASSED: "ok", WARNING: "!!", FAILED: "XX" };
const BOLD = "\x1b[1m";
const RESET = "\x1b[0m";

/**
 * The report as text for a terminal.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatValidation } from "./format_validation.ts";
 * const text = formatValidation({
 *   migrationId: "mig-1",
 *   validatedAt: "2025-01-01T00:00:00.000Z",
 *   durationMs: 1200,
 *   outcome: "FAILED",
 *   checks: [{
 *     name: "sentinels",
 *     title: "Sentinel presence",
 *     status: "FAILED",
 *     summary: { partitions: 1 },
 *     details: [{ status: "FAILED", topic: "orders", partition: 0, reason: "sentinel_missing",
 *       message: "orders[0]: no record at target offset 9", values: {} }],
 *   }],
 * });
 * assert.ok(text.includes("FAILED") && text.includes("orders[0]") && !text.includes("\x1b["));
 * ```
 */
export function formatValidation(
  report: ValidationReport,
  options: FormatValidationOptions = {},
): string {
  const color = options.color ?? false;
  const max = options.maxPerCheck ?? 20;
  const paint = (o: ValidationOutcome, text: string) =>
    color ? `${COLORS[o]}${text}${RESET}` : text;
  const lines: string[] = [];
  lines.push(
    `${color ? BOLD : ""}Validation of ${report.migrationId}: ${
      paint(report.outcome, report.outcome)
    }${color ? RESET : ""} (${(report.durationMs / 1000).toFixed(1)}s, ${report.validatedAt})`,
  );
  lines.push("");
  const width = Math.max(...report.checks.map((c) => c.title.length), 10);
  for (const check of report.checks) {
    const covered = Object.entries(check.summary).map(([k, v]) => `${v} ${k}`).join(", ");
    const bad = check.details.filter((d) => d.status !== "PASSED");
    const failed = bad.filter((d) => d.status === "FAILED").length;
    const warned = bad.length - failed;
    const counts = [
      failed > 0 ? `${failed} failed` : "",
      warned > 0 ? `${warned} warning${warned === 1 ? "" : "s"}` : "",
    ].filter((s) => s !== "").join(", ");
    lines.push(
      `  ${paint(check.status, MARKS[check.status])} ${check.title.padEnd(width)}  ` +
        `${paint(check.status, check.status.padEnd(7))}  ${covered}${
          counts === "" ? "" : ` (${counts})`
        }`,
    );
    const ordered = [
      ...bad.filter((d) => d.status === "FAILED"),
      ...bad.filter((d) => d.status === "WARNING"),
    ];
    for (const d of ordered.slice(0, max)) {
      lines.push(`       ${paint(d.status, d.status.padEnd(7))} ${d.message ?? d.reason ?? ""}`);
    }
    if (ordered.length > max) lines.push(`       … and ${ordered.length - max} more (--json)`);
  }
  lines.push("");
  lines.push(
    report.outcome === "FAILED"
      ? "Finalize is refused until validation passes: fix what is listed, then run kraftover validate again."
      : report.outcome === "WARNING"
      ? "Warnings only: kraftover finalize will sign and store the evidence, warnings included."
      : "All five checks passed: next, kraftover finalize.",
  );
  return lines.join("\n");
}
