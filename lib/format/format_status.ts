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
 * import { formatStatus } from "./format_status.ts";
 * import { statusFromRecords } from "../status.ts";
 * console.assert(formatStatus(statusFromRecords([], new Date())).includes("planned"));
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
  if (report.seed !== undefined) {
    lines.push(
      `Seed:        ${report.seed.partitionsDone}/${report.seed.partitionsTotal} partitions, ` +
        `${report.seed.recordsCopied} records, ${formatBytes(report.seed.bytesCopied)}`,
    );
  }
  const lagging = report.partitions.filter((p) => p.lag !== undefined);
  if (lagging.length > 0) {
    const total = lagging.reduce((sum, p) => sum + (p.lag ?? 0), 0);
    const worst = [...lagging].sort((a, b) => (b.lag ?? 0) - (a.lag ?? 0)).slice(0, 10);
    lines.push(`Lag:         ${total} records over ${lagging.length} partitions; largest:`);
    for (const p of worst) {
      lines.push(`  ${p.topic}[${p.partition}]  lag ${p.lag}  copied ${p.copied}`);
    }
  }
  lines.push(`Next:        ${report.nextAction}`);
  return lines.join("\n");
}
