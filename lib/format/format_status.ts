/**
 * Human rendering of a {@linkcode StatusReport}.
 *
 * @module
 */

import type { StatusReport } from "../status.ts";
import { formatBytes, formatDuration } from "../config/units.ts";

/**
 * The status report as text for a terminal.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatStatus } from "./format_status.ts";
 * import { statusFromRecords } from "../status.ts";
 * assert.ok(formatStatus(statusFromRecords([], new Date())).includes("planned"));
 * ```
 */
export function formatStatus(report: StatusReport): string {
  const lines = [
    `Migration:   ${report.migrationId ?? "(not started: no journal yet)"}`,
    `State:       ${report.state}` +
    (report.timeInStateMs === undefined ? "" : ` for ${formatDuration(report.timeInStateMs)}`) +
    (report.since === undefined ? "" : ` (since ${report.since})`),
  ];
  if (report.failure !== undefined) {
    lines.push(
      `Failure:     ${report.failure.code ?? "error"} in ${report.failure.failedIn ?? "?"}: ${
        report.failure.reason ?? ""
      }`,
      `Retriable:   ${
        report.failure.retriable ? "yes (re-run the command)" : "no (fix the cause first)"
      }`,
    );
  }
  const seed = report.seed;
  if (seed !== undefined) {
    const pct = seed.recordsTotal === 0
      ? 100
      : Math.min(100, (seed.recordsCopied / seed.recordsTotal) * 100);
    lines.push(
      `Seed:        ${seed.partitionsDone}/${seed.partitionsTotal} partitions done, ` +
        `${seed.recordsCopied} records (${pct.toFixed(1)}% of the range), ${
          formatBytes(seed.bytesCopied)
        }` +
        (seed.etaMs === undefined ? "" : `, ETA ${formatDuration(seed.etaMs)}`),
    );
  }
  if (report.lag !== undefined) {
    lines.push(
      `Lag:         ${report.lag.totalLag} offsets over ${report.lag.partitions} partitions, ` +
        `largest ${report.lag.maxLag} (measured ${report.lag.at})`,
    );
    const worst = report.partitions.filter((p) => (p.lag ?? 0) > 0)
      .sort((a, b) => (b.lag ?? 0) - (a.lag ?? 0)).slice(0, 10);
    for (const p of worst) {
      lines.push(`  ${p.topic}[${p.partition}]  lag ${p.lag}  copied ${p.copied}`);
    }
  }
  lines.push(`Next:        ${report.nextAction}`);
  return lines.join("\n");
}
