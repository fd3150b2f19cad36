/**
 * Progress of long phases: a bar on a TTY (records, bytes, rate, ETA) via
 * `cli-progress`, structured log lines otherwise (JSON lines with
 * `--log-format json`). The CLI picks one; library users pass their own or
 * none.
 *
 * @module
 */

import cliProgress from "cli-progress";
import type { Logger } from "./logger.ts";
import { formatBytes, formatDuration } from "./config/units.ts";

/** One phase's progress. */
export interface ProgressTask {
  /** Adds records and bytes done. */
  advance(records: number, bytes: number): void;
  /** Sets the totals when they become known or change. */
  setTotal(records: number, bytes?: number): void;
  /** Ends the task. */
  done(): void;
}

/** Starts progress tasks. */
export interface ProgressReporter {
  /** Starts a task for a phase, with totals when known. */
  start(phase: string, totals?: { records?: number; bytes?: number }): ProgressTask;
}

/** A reporter that shows nothing. */
export const silentProgress: ProgressReporter = {
  start: () => ({ advance() {}, setTotal() {}, done() {} }),
};

/** Options for {@linkcode createProgressReporter}. */
export interface CreateProgressReporterOptions {
  /** Draw a bar (a TTY). Otherwise progress lines go to the logger. */
  tty: boolean;
  /** Logger for progress lines. */
  logger: Logger;
  /** Seconds between progress lines when not on a TTY. @default 10 */
  intervalSeconds?: number;
  /** The clock. @default Date.now */
  now?: () => number;
}

/**
 * Creates a reporter: a `cli-progress` bar on a TTY, log lines otherwise.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createProgressReporter } from "./progress.ts";
 * import { createMemoryLogger } from "./logger.ts";
 * const { logger, lines } = createMemoryLogger();
 * let t = 0;
 * const progress = createProgressReporter({ tty: false, logger, intervalSeconds: 1, now: () => t });
 * const task = progress.start("seed", { records: 10 });
 * t = 2000;
 * task.advance(5, 500);
 * task.done();
 * assert.ok(lines.some((l) => l.includes('"records":5')));
 * ```
 */
export function createProgressReporter(options: CreateProgressReporterOptions): ProgressReporter {
  const now = options.now ?? Date.now;
  const interval = (options.intervalSeconds ?? 10) * 1000;
  return {
    start(phase, totals = {}) {
      const started = now();
      let records = 0;
      let bytes = 0;
      let totalRecords = totals.records;
      let totalBytes = totals.bytes;
      let lastLine = started;
      const rate = () => {
        const secs = Math.max(0.001, (now() - started) / 1000);
        return { rps: records / secs, bps: bytes / secs };
      };
      const eta = () => {
        const { rps } = rate();
        return totalRecords === undefined || rps === 0
          ? undefined
          : Math.max(0, (totalRecords - records) / rps * 1000);
      };
      let bar: cliProgress.SingleBar | undefined;
      if (options.tty) {
        bar = new cliProgress.SingleBar({
          format: `${
            phase.padEnd(8)
          } [{bar}] {percentage}% | {value}/{total} records | {size} | {rate} | ETA {eta_formatted}`,
          hideCursor: true,
          clearOnComplete: false,
          stream: undefined,
        }, cliProgress.Presets.shades_classic);
        bar.start(totalRecords ?? 0, 0, { size: formatBytes(0), rate: "0 rec/s" });
      }
      const line = (final: boolean) => {
        const { rps, bps } = rate();
        const e = eta();
        options.logger.info(final ? `${phase} done` : `${phase} progress`, {
          phase,
          records,
          ...(totalRecords === undefined ? {} : { total_records: totalRecords }),
          bytes,
          ...(totalBytes === undefined ? {} : { total_bytes: totalBytes }),
          records_per_second: Math.round(rps),
          mb_per_second: Number((bps / 1e6).toFixed(2)),
          ...(e === undefined || final ? {} : { eta: formatDuration(e) }),
          elapsed: formatDuration(now() - started),
        });
      };
      return {
        advance(r, b) {
          records += r;
          bytes += b;
          if (bar !== undefined) {
            const { rps, bps } = rate();
            bar.update(records, {
              size: formatBytes(bytes),
              rate: `${Math.round(rps)} rec/s, ${(bps / 1e6).toFixed(1)} MB/s`,
            });
          } else if (now() - lastLine >= interval) {
            lastLine = now();
            line(false);
          }
        },
        setTotal(r, b) {
          totalRecords = r;
          if (b !== undefined) totalBytes = b;
          bar?.setTotal(r);
        },
        done() {
          if (bar !== undefined) bar.stop();
          line(true);
        },
      };
    },
  };
}
