/**
 * The migration lifecycle (SPEC §2) as data: states, allowed transitions and
 * the command that moves each state on.
 *
 * @module
 */

import { KraftoverError } from "./errors.ts";

/** Every lifecycle state, in forward order, then the two side states. */
export const MIGRATION_STATES = [
  "planned",
  "precheck",
  "topology_copy",
  "seed",
  "tail",
  "drain_ready",
  "cutover",
  "awaiting_client_switch",
  "validating",
  "finalized",
  "rolled_back",
  "failed",
] as const;

/** A lifecycle state (snake_case, as written in files). */
export type MigrationState = typeof MIGRATION_STATES[number];

/** States before cutover: the source has never been written to; rollback is allowed. */
export const PRE_CUTOVER_STATES: readonly MigrationState[] = [
  "planned",
  "precheck",
  "topology_copy",
  "seed",
  "tail",
  "drain_ready",
];

/**
 * The allowed transitions. `failed` is reachable from every non-terminal state;
 * from `failed` a run resumes into the state it failed in (or any earlier
 * resumable state), which {@linkcode canTransition} checks with the history.
 */
export const TRANSITIONS: Readonly<Record<MigrationState, readonly MigrationState[]>> = {
  planned: ["precheck", "rolled_back", "failed"],
  precheck: ["topology_copy", "precheck", "rolled_back", "failed"],
  topology_copy: ["seed", "rolled_back", "failed"],
  seed: ["tail", "rolled_back", "failed"],
  tail: ["drain_ready", "rolled_back", "failed"],
  drain_ready: ["tail", "cutover", "rolled_back", "failed"],
  cutover: ["awaiting_client_switch", "drain_ready", "failed"],
  awaiting_client_switch: ["validating", "failed"],
  validating: ["finalized", "validating", "awaiting_client_switch", "failed"],
  finalized: [],
  rolled_back: [],
  failed: [
    "precheck",
    "topology_copy",
    "seed",
    "tail",
    "drain_ready",
    "cutover",
    "awaiting_client_switch",
    "validating",
    "rolled_back",
  ],
};

/** What the operator runs next in each state. */
export const NEXT_ACTION: Readonly<Record<MigrationState, string>> = {
  planned: "kraftover execute --config FILE (runs precheck, topology copy, seed and tail)",
  precheck: "kraftover execute --config FILE (resolve blockers first: kraftover precheck)",
  topology_copy: "kraftover execute --config FILE (resumes the topology copy)",
  seed: "kraftover execute --config FILE (resumes the seed)",
  tail: "kraftover execute --config FILE (resumes tailing until drain-ready)",
  drain_ready: "kraftover cutover --config FILE when ready (or execute --follow to keep tailing)",
  cutover: "kraftover cutover --config FILE (resumes the cutover)",
  awaiting_client_switch:
    "switch clients to the target, then kraftover switch-ack --config FILE (or configure a clients:switch hook)",
  validating: "kraftover validate --config FILE, then kraftover finalize --config FILE",
  finalized: "nothing: the migration is finalized; verify with kraftover evidence verify",
  rolled_back: "nothing: the migration was rolled back; start a new one with a new journal",
  failed: "fix the cause shown by kraftover status, then re-run the command that failed",
};

/** The command that, run in a state, moves the migration forward (for errors). */
export const COMMAND_FOR_STATE: Readonly<Record<MigrationState, string>> = {
  planned: "execute",
  precheck: "execute",
  topology_copy: "execute",
  seed: "execute",
  tail: "execute",
  drain_ready: "cutover",
  cutover: "cutover",
  awaiting_client_switch: "switch-ack",
  validating: "finalize",
  finalized: "evidence verify",
  rolled_back: "(none)",
  failed: "the command that failed",
};

/**
 * Whether `from → to` is allowed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { canTransition } from "./state_machine.ts";
 * assert.ok(canTransition("seed", "tail"));
 * assert.ok(!canTransition("cutover", "rolled_back"));
 * ```
 */
export function canTransition(from: MigrationState, to: MigrationState): boolean {
  return TRANSITIONS[from].includes(to);
}

/**
 * Throws `ILLEGAL_TRANSITION` unless `from → to` is allowed, saying the current
 * state and what would move it on.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { assertTransition } from "./state_machine.ts";
 * assertTransition("drain_ready", "cutover");
 * try {
 *   assertTransition("finalized", "seed");
 * } catch (e) {
 *   assert.ok((e as { code: string }).code === "ILLEGAL_TRANSITION");
 * }
 * ```
 */
export function assertTransition(from: MigrationState, to: MigrationState): void {
  if (canTransition(from, to)) return;
  const allowed = TRANSITIONS[from];
  let why = "";
  if (to === "rolled_back" && !PRE_CUTOVER_STATES.includes(from)) {
    why = ": rollback is only possible before cutover, because after it consumer offsets were " +
      "committed on the target and producers may have written there";
  }
  throw new KraftoverError(
    "ILLEGAL_TRANSITION",
    `Cannot move the migration from ${from} to ${to}${why}. It is in ${from}; next: ${
      NEXT_ACTION[from]
    }` + (allowed.length > 0 ? ` (allowed from ${from}: ${allowed.join(", ")})` : ""),
    { phase: from, detail: { from, to, allowed } },
  );
}

/**
 * Whether a value is a state name.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isMigrationState } from "./state_machine.ts";
 * assert.ok(isMigrationState("tail") && !isMigrationState("tailing"));
 * ```
 */
export function isMigrationState(value: unknown): value is MigrationState {
  return typeof value === "string" && (MIGRATION_STATES as readonly string[]).includes(value);
}
