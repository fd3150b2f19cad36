/**
 * `status`: where a migration stands, read from its journal without locking it.
 *
 * @module
 */

import { readJournal, replayState } from "./journal.ts";
import type { JournalRecord } from "./journal.ts";
import { NEXT_ACTION } from "./state_machine.ts";
import type { MigrationState } from "./state_machine.ts";

/** Per-partition progress as last checkpointed. */
export interface PartitionStatus {
  /** Topic name. */
  topic: string;
  /** Partition number. */
  partition: number;
  /** Records copied to the target so far. */
  copied: number;
  /** Source end offset when last observed. */
  sourceEnd: number | undefined;
  /** Next source offset to copy. */
  nextOffset: number | undefined;
  /** Records behind the source (sourceEnd - nextOffset), when known. */
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
  seed: {
    partitionsDone: number;
    partitionsTotal: number;
    recordsCopied: number;
    bytesCopied: number;
  } | undefined;
  /** Per-partition progress and lag, when known. */
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
 * import { migrationStatus } from "./status.ts";
 * const report = await migrationStatus(await Deno.makeTempDir());
 * console.assert(report.state === "planned" && report.migrationId === undefined);
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

/**
 * The status report for journal records (what {@linkcode migrationStatus} does after reading).
 *
 * @example
 * ```ts
 * import { statusFromRecords } from "./status.ts";
 * console.assert(statusFromRecords([], new Date()).nextAction.includes("execute"));
 * ```
 */
export function statusFromRecords(records: readonly JournalRecord[], now: Date): StatusReport {
  const state = replayState(records);
  const partitions = new Map<string, PartitionStatus>();
  let seed: StatusReport["seed"];
  for (const record of records) {
    if (record.type !== "checkpoint") continue;
    const data = record.data as Record<string, unknown>;
    if (record.name === "seed.started") {
      seed = {
        partitionsDone: 0,
        partitionsTotal: Number(data.partitions ?? 0),
        recordsCopied: 0,
        bytesCopied: 0,
      };
    } else if (record.name === "partition.progress" || record.name === "seed.partition_done") {
      const key = `${data.topic}/${data.partition}`;
      const sourceEnd = typeof data.source_end === "number"
        ? data.source_end
        : partitions.get(key)?.sourceEnd;
      const nextOffset = typeof data.next_offset === "number" ? data.next_offset : undefined;
      partitions.set(key, {
        topic: String(data.topic),
        partition: Number(data.partition),
        copied: Number(data.copied ?? 0),
        sourceEnd,
        nextOffset,
        lag: sourceEnd !== undefined && nextOffset !== undefined
          ? Math.max(0, sourceEnd - nextOffset)
          : undefined,
      });
      if (seed !== undefined && record.name === "seed.partition_done") {
        seed.partitionsDone++;
        seed.recordsCopied += Number(data.records ?? 0);
        seed.bytesCopied += Number(data.bytes ?? 0);
      }
    }
  }
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
    seed,
    partitions: [...partitions.values()].sort((a, b) =>
      a.topic.localeCompare(b.topic) || a.partition - b.partition
    ),
    journalEntries: records.length,
  };
}
