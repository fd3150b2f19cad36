import assert from "node:assert/strict";
import {
  assertTransition,
  canTransition,
  MIGRATION_STATES,
  NEXT_ACTION,
  PRE_CUTOVER_STATES,
  TRANSITIONS,
} from "./state_machine.ts";
import type { MigrationState } from "./state_machine.ts";
import { KraftoverError } from "./errors.ts";

const FORWARD: MigrationState[] = [
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
];

Deno.test("every forward step of the lifecycle is allowed", () => {
  for (let i = 0; i + 1 < FORWARD.length; i++) {
    assert.ok(canTransition(FORWARD[i]!, FORWARD[i + 1]!), `${FORWARD[i]} → ${FORWARD[i + 1]}`);
  }
});

Deno.test("rollback is allowed from every state before cutover and from none after", () => {
  for (const state of MIGRATION_STATES) {
    // From failed, rollback depends on where it failed: the journal checks that (journal_test.ts).
    if (state === "failed") continue;
    const expected = PRE_CUTOVER_STATES.includes(state);
    assert.equal(canTransition(state, "rolled_back"), expected, state);
  }
});

Deno.test("failed is reachable from every non-terminal state", () => {
  for (const state of MIGRATION_STATES) {
    if (state === "finalized" || state === "rolled_back" || state === "failed") continue;
    assert.ok(canTransition(state, "failed"), state);
  }
});

Deno.test("terminal states allow nothing", () => {
  assert.deepEqual(TRANSITIONS.finalized, []);
  assert.deepEqual(TRANSITIONS.rolled_back, []);
});

Deno.test("a sample of illegal transitions is refused with the current state and the command that moves it on", () => {
  const illegal: [MigrationState, MigrationState][] = [
    ["planned", "seed"],
    ["seed", "cutover"],
    ["tail", "finalized"],
    ["cutover", "rolled_back"],
    ["awaiting_client_switch", "rolled_back"],
    ["finalized", "planned"],
    ["rolled_back", "seed"],
    ["drain_ready", "validating"],
  ];
  for (const [from, to] of illegal) {
    assert.ok(!canTransition(from, to), `${from} → ${to} should be illegal`);
    try {
      assertTransition(from, to);
      assert.fail(`${from} → ${to} accepted`);
    } catch (error) {
      assert.ok(error instanceof KraftoverError);
      assert.equal(error.code, "ILLEGAL_TRANSITION");
      assert.ok(error.message.includes(`It is in ${from}`), error.message);
      assert.ok(error.message.includes(NEXT_ACTION[from]), error.message);
    }
  }
});

Deno.test("a refused rollback after cutover explains why", () => {
  try {
    assertTransition("awaiting_client_switch", "rolled_back");
    assert.fail("accepted");
  } catch (error) {
    assert.match((error as Error).message, /only possible before cutover/);
  }
});
