/**
 * The cutover's durable record: journal checkpoint names and payloads for the
 * freeze window, the sentinels, the translated and committed group offsets
 * and the client switch — and {@linkcode replayCutoverState} to rebuild them.
 * Validation and the evidence bundle read the same shapes.
 *
 * @module
 */

import type { JournalRecord } from "../journal.ts";
import type { Translation } from "../offset_map.ts";

/** Checkpoint names of cutover, switch, validation and finalize. */
export const CUTOVER_CHECKPOINT = {
  /** The final catch-up began (producers still running). */
  started: "cutover.started",
  /** `producers:freeze` returned: the freeze window begins. */
  freezeStarted: "cutover.freeze_started",
  /** Sentinels are about to be written to the source (journaled first). */
  sentinelIntent: "cutover.sentinel_intent",
  /** Every sentinel is on the source, with its offset. */
  sentinels: "cutover.sentinels",
  /** Every sentinel reached the target, with its target offset. */
  drained: "cutover.drained",
  /** Group offsets translated (before committing them). */
  groupOffsets: "cutover.group_offsets",
  /** Group offsets committed on the target. */
  committed: "cutover.committed",
  /** Producers unfrozen: the freeze window ends. */
  freezeEnded: "cutover.freeze_ended",
  /** The cutover stopped safely (nothing committed). */
  aborted: "cutover.aborted",
  /** Held-back topic configs applied on the target. */
  heldBackApplied: "cutover.held_back_applied",
  /** Clients were switched (by a hook or by `switch-ack`). */
  switched: "switch.done",
  /** A validation run and its outcome. */
  validation: "validation.report",
  /** The evidence bundle was signed and stored. */
  evidence: "evidence.stored",
} as const;

/** One sentinel record on a source partition. */
export interface SentinelPosition {
  /** Topic. */
  topic: string;
  /** Partition. */
  partition: number;
  /** Offset of the sentinel on the source. */
  source_offset: number;
  /** Offset of the sentinel on the target (once drained). */
  target_offset?: number;
}

/** Checkpoint `cutover.freeze_started`. */
export interface FreezeStartedData {
  /** When the freeze hooks returned (ISO 8601). */
  at: string;
  /** When the freeze window must end at the latest. */
  deadline: string;
}

/** Checkpoint `cutover.sentinels` / `cutover.drained`. */
export interface SentinelsData {
  /** Every sentinel. */
  sentinels: SentinelPosition[];
}

/** One translated committed offset. */
export interface TranslatedOffset {
  /** Topic. */
  topic: string;
  /** Partition. */
  partition: number;
  /** Committed offset on the source. */
  source: number;
  /** Offset committed on the target. */
  target: number;
  /** How it was translated (SPEC §7). */
  via: Translation["via"];
}

/** Checkpoint `cutover.group_offsets` / `cutover.committed`. */
export interface GroupOffsetsData {
  /** Whether this is the cutover's translation or the switch-time one. */
  stage: "cutover" | "switch";
  /** Per group, its translated offsets. */
  groups: { group: string; offsets: TranslatedOffset[] }[];
  /** Groups still active on the source at switch time (reported, not skipped silently). */
  active_on_source?: string[];
}

/** Checkpoint `cutover.freeze_ended`. */
export interface FreezeEndedData {
  /** When producers were unfrozen (ISO 8601). */
  at: string;
  /** Freeze window in ms (freeze hook returned → clients may switch). */
  duration_ms: number;
  /** Why it ended. */
  reason: "cutover_complete" | "cutover_aborted";
}

/** Checkpoint `switch.done`. */
export interface SwitchData {
  /** How the switch was recorded. */
  via: "hook" | "ack";
  /** When. */
  at: string;
}

/** The cutover state rebuilt from the journal. */
export interface CutoverState {
  /** The freeze start, when the freeze began. */
  freezeStarted: FreezeStartedData | undefined;
  /** Sentinels on the source (and target offsets once drained). */
  sentinels: SentinelPosition[];
  /** Whether sentinels were drained to the target. */
  drained: boolean;
  /** The last translated group offsets. */
  translated: GroupOffsetsData | undefined;
  /** The last committed group offsets. */
  committed: GroupOffsetsData | undefined;
  /** The freeze end. */
  freezeEnded: FreezeEndedData | undefined;
  /** The switch. */
  switched: SwitchData | undefined;
  /** Aborted cutover attempts, with their reasons. */
  aborts: string[];
}

/**
 * Rebuilds the cutover state from journal records (the last of each checkpoint wins).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { replayCutoverState } from "./cutover_state.ts";
 * assert.ok(replayCutoverState([]).sentinels.length === 0);
 * ```
 */
export function replayCutoverState(records: readonly JournalRecord[]): CutoverState {
  const state: CutoverState = {
    freezeStarted: undefined,
    sentinels: [],
    drained: false,
    translated: undefined,
    committed: undefined,
    freezeEnded: undefined,
    switched: undefined,
    aborts: [],
  };
  for (const r of records) {
    if (r.type !== "checkpoint") continue;
    const data = r.data as unknown;
    switch (r.name) {
      case CUTOVER_CHECKPOINT.freezeStarted:
        state.freezeStarted = data as FreezeStartedData;
        state.freezeEnded = undefined;
        break;
      case CUTOVER_CHECKPOINT.sentinels:
        state.sentinels = (data as SentinelsData).sentinels;
        break;
      case CUTOVER_CHECKPOINT.drained:
        state.sentinels = (data as SentinelsData).sentinels;
        state.drained = true;
        break;
      case CUTOVER_CHECKPOINT.groupOffsets:
        state.translated = data as GroupOffsetsData;
        break;
      case CUTOVER_CHECKPOINT.committed:
        state.committed = data as GroupOffsetsData;
        break;
      case CUTOVER_CHECKPOINT.freezeEnded:
        state.freezeEnded = data as FreezeEndedData;
        break;
      case CUTOVER_CHECKPOINT.switched:
        state.switched = data as SwitchData;
        break;
      case CUTOVER_CHECKPOINT.aborted:
        state.aborts.push(String((data as { reason?: unknown }).reason ?? ""));
        break;
    }
  }
  return state;
}

/** The header every sentinel record carries; its value is the migration id. */
export const SENTINEL_HEADER = "kraftover-sentinel";

/**
 * The key of a sentinel record (a key, so compacted topics accept it).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sentinelKey } from "./cutover_state.ts";
 * assert.ok(sentinelKey("mig-1") === "__kraftover_sentinel__/mig-1");
 * ```
 */
export function sentinelKey(migrationId: string): string {
  return `__kraftover_sentinel__/${migrationId}`;
}
