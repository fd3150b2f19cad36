/**
 * Moves the journal into a phase's state, or leaves it there when a run of
 * that phase is being resumed.
 *
 * @module
 */

import type { Journal } from "../journal.ts";
import type { MigrationState } from "../state_machine.ts";

/**
 * Enters `phase`: a no-op when already in it, else a checked transition (the
 * journal refuses an illegal one with `ILLEGAL_TRANSITION`, and allows a
 * resume out of `failed` only into the state that failed).
 */
export async function enterPhase(journal: Journal, phase: MigrationState): Promise<void> {
  if (journal.state.state !== phase) await journal.transition(phase);
}
