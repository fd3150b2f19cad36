/**
 * Config drift between a source topic and the same topic already on the
 * target: the source topic's own configs (what a copy would create) against
 * the target's effective values, plus the target's own overrides the source
 * does not have. Values are compared after normalisation, so `delete,compact`
 * equals `compact,delete`, `TRUE` equals `true` and `0.50` equals `0.5`.
 *
 * @module
 */

import { compareStrings } from "../inventory/select_topics.ts";

/** One config key that differs. */
export interface ConfigDriftEntry {
  /** Config name. */
  key: string;
  /** The source's value: its own config, or its effective value for `target_only` (null when unknown). */
  source: string | null;
  /** The target's value: its effective value, or its own override for `target_only` (null when unset). */
  target: string | null;
  /**
   * `differs`: the source topic sets the key and the target's effective value
   * differs; `target_only`: the target topic overrides a key the source topic
   * does not set, with another value than the source's effective one.
   */
  kind: "differs" | "target_only";
}

/** Input of {@linkcode configDrift}. */
export interface ConfigDriftInput {
  /** The source topic's own configs (`DYNAMIC_TOPIC_CONFIG`): what a copy creates. */
  source: Readonly<Record<string, string>>;
  /** The source topic's effective values (for keys only the target overrides). @default {} */
  sourceEffective?: Readonly<Record<string, string | null>>;
  /** The target topic's own configs. */
  targetOwn: Readonly<Record<string, string>>;
  /** The target topic's effective values. */
  targetEffective: Readonly<Record<string, string | null>>;
  /** Keys left out of the comparison (held back or not copied). @default [] */
  ignore?: Iterable<string>;
}

/**
 * A config value in a comparable form: trimmed; comma lists sorted; booleans
 * lower-cased; integers in canonical form (exact, via BigInt); decimals as
 * numbers.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { normalizeConfigValue } from "./config_drift.ts";
 * assert.ok(normalizeConfigValue(" delete,compact") === "compact,delete");
 * assert.ok(normalizeConfigValue("0.50") === normalizeConfigValue("0.5"));
 * assert.ok(normalizeConfigValue("TRUE") === "true");
 * assert.ok(normalizeConfigValue("0086400000") === "86400000");
 * ```
 */
export function normalizeConfigValue(value: string | null): string | null {
  if (value === null) return null;
  const v = value.trim();
  if (v.includes(",")) {
    return v.split(",").map((s) => s.trim()).filter((s) => s !== "").sort(compareStrings).join(",");
  }
  if (/^(true|false)$/i.test(v)) return v.toLowerCase();
  if (/^[+-]?\d+$/.test(v)) return BigInt(v).toString();
  if (/^[+-]?(\d+\.\d*|\.\d+)([eE][+-]?\d+)?$/.test(v) || /^[+-]?\d+[eE][+-]?\d+$/.test(v)) {
    const n = Number(v);
    if (Number.isFinite(n)) return String(n);
  }
  return v;
}

/**
 * Whether two config values are equal after {@linkcode normalizeConfigValue}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { configValuesEqual } from "./config_drift.ts";
 * assert.ok(configValuesEqual("compact,delete", "delete, compact"));
 * assert.ok(!configValuesEqual("1000", "2000"));
 * ```
 */
export function configValuesEqual(a: string | null, b: string | null): boolean {
  return normalizeConfigValue(a) === normalizeConfigValue(b);
}

/**
 * The drift of one topic, sorted by key: every key the source topic sets
 * whose target effective value differs (`differs`), then every key the
 * target topic overrides that the source does not set, when the override
 * differs from the source's effective value (`target_only`). Keys in
 * `ignore` are left out.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { configDrift } from "./config_drift.ts";
 * const drift = configDrift({
 *   source: { "retention.ms": "86400000", "cleanup.policy": "compact,delete" },
 *   sourceEffective: { "retention.ms": "86400000", "segment.ms": "604800000" },
 *   targetOwn: { "segment.ms": "3600000", "cleanup.policy": "delete,compact" },
 *   targetEffective: { "retention.ms": "604800000", "cleanup.policy": "delete,compact", "segment.ms": "3600000" },
 * });
 * assert.ok(drift.map((d) => `${d.kind}:${d.key}`).join() === "differs:retention.ms,target_only:segment.ms");
 * ```
 */
export function configDrift(input: ConfigDriftInput): ConfigDriftEntry[] {
  const ignore = new Set(input.ignore ?? []);
  const out: ConfigDriftEntry[] = [];
  for (const key of Object.keys(input.source).sort(compareStrings)) {
    if (ignore.has(key)) continue;
    const source = input.source[key]!;
    const target = input.targetEffective[key] ?? input.targetOwn[key] ?? null;
    if (!configValuesEqual(source, target)) out.push({ key, source, target, kind: "differs" });
  }
  for (const key of Object.keys(input.targetOwn).sort(compareStrings)) {
    if (ignore.has(key) || key in input.source) continue;
    const target = input.targetOwn[key]!;
    const source = input.sourceEffective?.[key] ?? null;
    if (!configValuesEqual(source, target)) out.push({ key, source, target, kind: "target_only" });
  }
  return out;
}
