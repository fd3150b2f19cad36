/**
 * Renders `docs/configuration.md` from the config's JSON Schema, so the
 * reference can never drift from what is validated.
 *
 * @module
 */

import { configJsonSchema } from "./json_schema.ts";
import type { JsonSchema } from "./json_schema.ts";

interface Row {
  path: string;
  type: string;
  required: boolean;
  defaultValue: string;
  description: string;
}

/**
 * The configuration reference as Markdown.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { renderConfigReference } from "./config_docs.ts";
 * const md = renderConfigReference();
 * assert.ok(md.includes("`cutover.drain_timeout`"));
 * ```
 */
export function renderConfigReference(schema: JsonSchema = configJsonSchema()): string {
  const defs = (schema.$defs ?? {}) as Record<string, JsonSchema>;
  const migration = defs.Migration;
  if (migration === undefined) throw new Error("The schema has no Migration definition");
  const rows: Row[] = [];
  collect(migration, "", defs, rows, new Set());
  const lines = [
    "# Configuration reference",
    "",
    "<!-- Generated from the config schema by `deno task docs`. Do not edit by hand. -->",
    "",
    "A migration is one YAML file. Its root key is `migration:`; kafka-backup's layout",
    "(`enterprise:` → `msk_kraft_migration:`) is accepted unchanged. `${VAR}` is replaced by the",
    "environment variable `VAR` (an unset variable is an error; write `$${` for a literal `${`).",
    "Durations: `500ms`, `30s`, `30m`, `2h`, `7d`, `7y` (and combinations such as `1h30m`).",
    "Sizes: `32MiB`, `1GB`, or a byte count. Relative file paths are resolved against the config",
    "file's directory. Fields marked secret never appear in logs, the journal, plan files or the",
    "evidence bundle. The machine-readable schema is printed by `kraftover schema`.",
    "",
    "| Field | Type | Required | Default | Description |",
    "|---|---|---|---|---|",
    ...rows.map((r) =>
      `| \`${r.path}\` | ${r.type} | ${r.required ? "yes" : ""} | ${r.defaultValue} | ${
        escape(r.description)
      } |`
    ),
    "",
    "## Builtin hook plugins",
    "",
    "Each entry of `hooks` is either a path to a TypeScript module or one of these:",
    "",
  ];
  const builtin = defs.BuiltinPlugin;
  for (const option of ((builtin?.anyOf ?? builtin?.oneOf ?? []) as JsonSchema[])) {
    const props = (option.properties ?? {}) as Record<string, JsonSchema>;
    const name = (props.builtin?.const ?? "?") as string;
    const required = new Set((option.required ?? []) as string[]);
    lines.push(
      `### \`${name}\``,
      "",
      "| Option | Type | Required | Default | Description |",
      "|---|---|---|---|---|",
    );
    for (const [key, prop] of Object.entries(props)) {
      if (key === "builtin") continue;
      lines.push(
        `| \`${key}\` | ${typeOf(prop, defs)} | ${required.has(key) ? "yes" : ""} | ${
          defaultOf(prop)
        } | ${escape(descriptionOf(prop, defs))} |`,
      );
    }
    lines.push("");
  }
  return lines.join("\n");
}

function collect(
  node: JsonSchema,
  prefix: string,
  defs: Record<string, JsonSchema>,
  rows: Row[],
  seen: Set<string>,
): void {
  const props = (node.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((node.required ?? []) as string[]);
  for (const [key, raw] of Object.entries(props)) {
    const path = prefix === "" ? key : `${prefix}.${key}`;
    const prop = resolve(raw, defs);
    rows.push({
      path,
      type: typeOf(raw, defs),
      required: required.has(key) && raw.default === undefined,
      defaultValue: defaultOf(raw),
      description: descriptionOf(raw, defs),
    });
    const ref = raw.$ref as string | undefined;
    if (prop.type === "object" && prop.properties !== undefined && !(ref && seen.has(ref))) {
      collect(prop, path, defs, rows, ref ? new Set([...seen, ref]) : seen);
    }
  }
}

function resolve(node: JsonSchema, defs: Record<string, JsonSchema>): JsonSchema {
  const ref = node.$ref as string | undefined;
  if (ref?.startsWith("#/$defs/")) return defs[ref.slice(8)] ?? node;
  return node;
}

function typeOf(raw: JsonSchema, defs: Record<string, JsonSchema>): string {
  const node = resolve(raw, defs);
  if (node.enum) return (node.enum as unknown[]).map((v) => `\`${String(v)}\``).join(" \\| ");
  if (node.const !== undefined) return `\`${String(node.const)}\``;
  const variants = (node.anyOf ?? node.oneOf) as JsonSchema[] | undefined;
  if (variants) {
    if (raw.$ref === "#/$defs/BuiltinPlugin") return "builtin plugin";
    return [...new Set(variants.map((v) => typeOf(v, defs)))].join(" or ");
  }
  if (node.type === "array") return `list of ${typeOf((node.items ?? {}) as JsonSchema, defs)}`;
  if (node["x-secret"]) return "string (secret)";
  if (typeof node.pattern === "string" && node.pattern.includes("ms|s|m")) return "duration";
  if (typeof node.pattern === "string" && node.pattern.includes("i?B")) return "size";
  if (node.type === "object") return "object";
  return String(node.type ?? "any");
}

function defaultOf(node: JsonSchema): string {
  return node.default === undefined ? "" : `\`${JSON.stringify(node.default)}\``;
}

function descriptionOf(raw: JsonSchema, defs: Record<string, JsonSchema>): string {
  return String(raw.description ?? resolve(raw, defs).description ?? "");
}

function escape(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\n/g, " ");
}
