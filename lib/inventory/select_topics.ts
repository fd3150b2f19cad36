/**
 * Topic selection: `topics.include` / `topics.exclude` are anchored regular
 * expressions (`orders\..*` matches `orders.v1`, not `old.orders.v1`), and
 * internal topics are always left out: Kafka's (`__consumer_offsets`,
 * `__transaction_state`), MSK's (`__amazon_msk_canary`,
 * `__amazon_msk_connect_*`, …) and any other name starting with `__`.
 *
 * @module
 */

/** A topic filter as in the config's `topics:` block. */
export interface TopicFilter {
  /** Anchored regular expressions of topics to take. @default [".*"] */
  include?: readonly string[];
  /** Anchored regular expressions of topics to leave out. @default [] */
  exclude?: readonly string[];
}

/** Why a topic was left out. */
export type ExclusionReason = "internal" | "not_included" | "excluded";

/** What {@linkcode selectTopics} decided. */
export interface TopicSelection {
  /** Topics taken, sorted. */
  selected: string[];
  /** Topics left out with the reason, sorted by name. */
  excluded: { name: string; reason: ExclusionReason }[];
}

/**
 * Whether a topic is internal to Kafka or MSK (never migrated): any name
 * starting with `__`, which covers `__consumer_offsets`,
 * `__transaction_state`, `__cluster_metadata` and MSK's `__amazon_msk_*`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isInternalTopic } from "./select_topics.ts";
 * assert.ok(isInternalTopic("__amazon_msk_canary"));
 * assert.ok(!isInternalTopic("_schemas"));
 * ```
 */
export function isInternalTopic(name: string): boolean {
  return name.startsWith("__");
}

/**
 * An anchored regular expression: the whole name must match.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { anchoredRegExp } from "./select_topics.ts";
 * assert.ok(anchoredRegExp("orders\\..*").test("orders.v1"));
 * assert.ok(!anchoredRegExp("orders").test("orders.v1"));
 * assert.ok(!anchoredRegExp("a|b").test("ab"));
 * ```
 */
export function anchoredRegExp(pattern: string): RegExp {
  return new RegExp(`^(?:${pattern})$`);
}

/**
 * Splits topic names into selected and excluded (internal first, then not
 * included, then excluded).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { selectTopics } from "./select_topics.ts";
 * const s = selectTopics(
 *   ["orders.v1", "orders.tmp", "payments", "__consumer_offsets"],
 *   { include: ["orders\\..*"], exclude: [".*\\.tmp"] },
 * );
 * assert.ok(s.selected.join() === "orders.v1");
 * assert.ok(s.excluded.map((e) => `${e.name}:${e.reason}`).join() ===
 *   "__consumer_offsets:internal,orders.tmp:excluded,payments:not_included");
 * ```
 */
export function selectTopics(names: Iterable<string>, filter: TopicFilter = {}): TopicSelection {
  const include = (filter.include ?? [".*"]).map(anchoredRegExp);
  const exclude = (filter.exclude ?? []).map(anchoredRegExp);
  const selected: string[] = [];
  const excluded: TopicSelection["excluded"] = [];
  for (const name of new Set(names)) {
    if (isInternalTopic(name)) excluded.push({ name, reason: "internal" });
    else if (!include.some((re) => re.test(name))) excluded.push({ name, reason: "not_included" });
    else if (exclude.some((re) => re.test(name))) excluded.push({ name, reason: "excluded" });
    else selected.push(name);
  }
  selected.sort(compareStrings);
  excluded.sort((a, b) => compareStrings(a.name, b.name));
  return { selected, excluded };
}

/**
 * Compares strings by UTF-16 code units (stable across locales, unlike `localeCompare`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { compareStrings } from "./select_topics.ts";
 * assert.ok(["b", "B", "a"].sort(compareStrings).join("") === "Bab");
 * ```
 */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
