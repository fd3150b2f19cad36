/**
 * The published JSON Schema of the config file (`kraftover schema`), derived
 * from the same zod schema that validates it.
 *
 * @module
 */

import { z } from "zod";
import { configFileSchema } from "./schema.ts";

/** JSON Schema document type (loosely typed: it is data for editors). */
export type JsonSchema = Record<string, unknown>;

/**
 * The config's JSON Schema (draft 2020-12), describing the file as written.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { configJsonSchema } from "./json_schema.ts";
 * const schema = configJsonSchema();
 * assert.ok(schema.$schema === "https://json-schema.org/draft/2020-12/schema");
 * ```
 */
export function configJsonSchema(): JsonSchema {
  const schema = z.toJSONSchema(configFileSchema, {
    io: "input",
    unrepresentable: "any",
    target: "draft-2020-12",
  }) as JsonSchema;
  return {
    $schema: schema.$schema,
    $id: "https://kraftover.dev/schema/migration.json",
    title: "kraftover migration config",
    description:
      "A kraftover migration: root key migration: (or kafka-backup's enterprise: msk_kraft_migration:).",
    ...Object.fromEntries(Object.entries(schema).filter(([k]) => k !== "$schema")),
  };
}
