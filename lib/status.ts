/**
 * `status`: where a migration stands, read from its journal without locking
 * it — state and time in state, seed progress with an ETA, per-partition lag
 * as last measured by the tail, the failure if any, and what to run next.
 *
 * @module
 */

import { readJournal, replayState } from "./journal.ts";
import type { JournalRecord } from "./journal.ts";
import { NEXT_ACTION } from "./state_machine.ts";
import type { MigrationState } from "./state_machine.ts";
import { CHECKPOINT, replayCopyState } from "./copy/copy_state.ts";
import type { CopyState } from "./copy/copy_state.ts";

/** Per-partition progress and lag. */
export interface PartitionStatus {
  /** Topic name. */
  topic: string;
  /** Partition number. */
  partition: number;
  /** Records copied to the target so far. */
  copied: number;
  /** Next source offset to copy. */
  next: number;
  /** End of the seed range. */
  seedEnd: number;
  /** Whether the seed range is done. */
  seedDone: boolean;
  /** Offsets behind the source at the tail's last measurement, when measured. */
  lag: number | undefined;
}

/** The report `kraftover status` prints. */
export interface StatusReport {
  /** The migration id (undefined before the first journal write). */
  migrationId: string | undefined;
  /** Current state. */
  state: MigrationState;
  /** When the current state was entered. */
  since: string | undefined;
  /** Milliseconds in the current state. */
  timeInStateMs: number | undefined;
  /** What to run next. */
  nextAction: string;
  /** For `failed`: what went wrong and whether re-running can help. */
  failure:
    | { reason?: string; code?: string; retriable?: boolean; failedIn?: MigrationState }
    | undefined;
  /** Seed progress, when the seed has started. */
  seed:
    | {
      partitionsDone: number;
      partitionsTotal: number;
      recordsCopied: number;
      recordsTotal: number;
      bytesCopied: number;
      /** Estimated time to finish the seed at the rate so far (ms). */
      etaMs: number | undefined;
    }
    | undefined;
  /** Lag as last journaled by the tail. */
  lag: { at: string; partitions: number; totalLag: number; maxLag: number } | undefined;
  /** Per-partition progress (and lag for the partitions furthest behind). */
  partitions: PartitionStatus[];
  /** Records in the journal. */
  journalEntries: number;
}

/** Options for {@linkcode migrationStatus}. */
export interface MigrationStatusOptions {
  /** The clock. @default () => new Date() */
  now?: () => Date;
}

/**
 * Reads the journal in `journalDir` and summarises the migration.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { migrationStatus } from "./status.ts";
 * const report = await migrationStatus(await Deno.makeTempDir());
 * assert.ok(report.state === "planned" && report.migrationId === undefined);
 * ```
 */
export async function migrationStatus(
  journalDir: string,
  options: MigrationStatusOptions = {},
): Promise<StatusReport> {
  const now = options.now ?? (() => new Date());
  const { records } = await readJournal(journalDir);
  return statusFromRecords(records, now());
}

function seedProgress(
  records: readonly JournalRecord[],
  copy: CopyState,
  now: Date,
): StatusReport["seed"] {
  const started = records.find((r) => r.type === "checkpoint" && r.name === CHECKPOINT.seedStarted);
  if (started === undefined) return undefined;
  const partitions = [...copy.partitions.values()];
  const recordsTotal = partitions.reduce((n, p) => n + Math.max(0, p.seedEnd - p.sourceStart), 0);
  const recordsDone = partitions.reduce(
    (n, p) => n + Math.max(0, Math.min(p.next, p.seedEnd) - p.sourceStart),
    0,
  );
  const elapsed = now.getTime() - new Date(started.ts).getTime();
  const done = partitions.every((p) => p.seedDone);
  const rate = elapsed > 0 ? recordsDone / elapsed : 0;
  return {
    partitionsDone: partitions.filter((p) => p.seedDone).length,
    partitionsTotal: partitions.length,
    recordsCopied: partitions.reduce((n, p) => n + p.copied, 0),
    recordsTotal,
    bytesCopied: partitions.reduce((n, p) => n + p.bytes, 0),
    etaMs: done || rate === 0 ? undefined : Math.round((recordsTotal - recordsDone) / rate),
  };
}

/**
 * The status report for journal records (what {@linkcode migrationStatus} does after reading).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { statusFromRecords } from "./status.ts";
 * assert.ok(statusFromRecords([], new Date()).nextAction.includes("execute"));
 * ```
 */
export function statusFromRecords(records: readonly JournalRecord[], now: Date): StatusReport {
  const state = replayState(records);
  const copy = replayCopyState(records);
  const lagRecord = [...records].reverse().find((r) =>
    r.type === "checkpoint" && r.name === "tail.lag"
  );
  const lagData = lagRecord?.type === "checkpoint"
    ? lagRecord.data as {
      partitions: number;
      total_lag: number;
      max_lag: number;
      worst: { topic: string; partition: number; lag: number }[];
    }
    : undefined;
  const lagOf = new Map(lagData?.worst.map((w) => [`${w.topic}/${w.partition}`, w.lag]) ?? []);
  const failure = state.state === "failed"
    ? {
      ...state.failure,
      ...(state.failedFrom === undefined ? {} : { failedIn: state.failedFrom }),
    }
    : undefined;
  return {
    migrationId: state.migrationId,
    state: state.state,
    since: state.since?.toISOString(),
    timeInStateMs: state.since === undefined ? undefined : now.getTime() - state.since.getTime(),
    nextAction: NEXT_ACTION[state.state],
    failure,
    seed: seedProgress(records, copy, now),
    lag: lagData === undefined || lagRecord === undefined ? undefined : {
      at: lagRecord.ts,
      partitions: lagData.partitions,
      totalLag: lagData.total_lag,
      maxLag: lagData.max_lag,
    },
    partitions: [...copy.partitions.values()]
      .map((p) => ({
        topic: p.topic,
        partition: p.partition,
        copied: p.copied,
        next: p.next,
        seedEnd: p.seedEnd,
        seedDone: p.seedDone,
        lag: lagOf.get(`${p.topic}/${p.partition}`) ?? (lagData === undefined ? undefined : 0),
      }))
      .sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition),
    journalEntries: records.length,
  };
}
