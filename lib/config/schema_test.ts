import assert from "node:assert/strict";
import type { InferredMigrationConfig } from "./schema.ts";
import type { MigrationConfig } from "./types.ts";
import { AUTH_FIELDS_BY_MODE, AUTH_MODES } from "./schema.ts";

// Type-level: the hand-written MigrationConfig and the schema's inferred output
// must be assignable both ways; `deno check` fails this file otherwise.
type Equal<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const sameShape: Equal<MigrationConfig, InferredMigrationConfig> = true;

Deno.test("the documented MigrationConfig type and the schema agree", () => {
  assert.equal(sameShape, true);
});

Deno.test("every auth mode lists the fields that belong to it", () => {
  for (const mode of AUTH_MODES) assert.ok(Array.isArray(AUTH_FIELDS_BY_MODE[mode]), mode);
  assert.deepEqual(AUTH_FIELDS_BY_MODE["scram-sha-512"], ["username", "password"]);
});
