/**
 * RFC 8785 (JSON Canonicalization Scheme) bytes, through the `canonicalize`
 * library: object members sorted by UTF-16 code units, no whitespace,
 * ECMAScript number formatting, minimal string escaping, UTF-8.
 *
 * Values JCS cannot represent are refused with `EVIDENCE_INVALID` naming the
 * path (`$.offset_map[3].count`), rather than silently changed the way
 * `JSON.stringify` would:
 *
 * - `bigint` — convert Kafka offsets to decimal strings, or to numbers when
 *   they are safe integers (≤ 2^53 − 1), before building the document;
 * - `NaN`, `Infinity`;
 * - `undefined`, functions and symbols inside arrays (JSON would write
 *   `null`) or as the whole document — in objects, `undefined` members are
 *   left out as in JSON;
 * - `Map`, `Set`, typed arrays and `ArrayBuffer`s (JSON would write `{}` or an
 *   index-keyed object); encode bytes as base64 or hex strings;
 * - strings with lone surrogates; cycles.
 *
 * `toJSON()` is honoured (a `Date` becomes its ISO string).
 *
 * @module
 */

import canonicalize from "canonicalize";
import { KraftoverError } from "../errors.ts";

/** A JSON value as JCS sees it. */
export type JsonValue =
  | null
  | boolean
  | number
  | string
  | readonly JsonValue[]
  | { readonly [key: string]: JsonValue };

/**
 * The RFC 8785 canonical form of a value, as a string.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { canonicalJson } from "./canonical_json.ts";
 * assert.equal(canonicalJson({ b: 1e21, a: [true, null, "é"] }), '{"a":[true,null,"é"],"b":1e+21}');
 * assert.throws(() => canonicalJson({ offset: 10n }));
 * ```
 */
export function canonicalJson(value: unknown): string {
  const plain = toJsonValue(value, "$", new Set());
  let text: string | undefined;
  try {
    text = canonicalize(plain);
  } catch (cause) {
    throw invalid(`$: ${cause instanceof Error ? cause.message : String(cause)}`, cause);
  }
  if (text === undefined) throw invalid("$: the document has no JSON representation");
  return text;
}

/**
 * The RFC 8785 canonical form of a value, as UTF-8 bytes (what is signed).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { canonicalJsonBytes } from "./canonical_json.ts";
 * assert.deepEqual(canonicalJsonBytes({ z: 1, a: "x" }), new TextEncoder().encode('{"a":"x","z":1}'));
 * ```
 */
export function canonicalJsonBytes(value: unknown): Uint8Array {
  return new TextEncoder().encode(canonicalJson(value));
}

/**
 * Parses bytes that must be canonical JSON: valid UTF-8, valid JSON, and
 * byte-identical to their own re-canonicalisation (so no whitespace, no
 * duplicate keys, no unsorted members, no non-canonical numbers or escapes).
 * Throws `EVIDENCE_INVALID` otherwise.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseCanonicalJson } from "./canonical_json.ts";
 * assert.deepEqual(parseCanonicalJson(new TextEncoder().encode('{"a":1}')), { a: 1 });
 * assert.throws(() => parseCanonicalJson(new TextEncoder().encode('{ "a": 1 }')));
 * ```
 */
export function parseCanonicalJson(bytes: Uint8Array): JsonValue {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch (cause) {
    throw invalid("the document is not valid UTF-8", cause);
  }
  let parsed: JsonValue;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw invalid(`the document is not JSON: ${(cause as Error).message}`, cause);
  }
  if (canonicalJson(parsed) !== text) {
    throw invalid(
      "the document is not in RFC 8785 canonical form (whitespace, member order, " +
        "duplicate keys, number or string encoding differ)",
    );
  }
  return parsed;
}

function toJsonValue(value: unknown, path: string, stack: Set<object>): JsonValue | undefined {
  switch (typeof value) {
    case "string":
      if (!value.isWellFormed()) throw invalid(`${path}: string has a lone surrogate`);
      return value;
    case "boolean":
      return value;
    case "number":
      if (!Number.isFinite(value)) throw invalid(`${path}: ${value} is not a JSON number`);
      return value;
    case "bigint":
      throw invalid(
        `${path}: bigint ${value} has no JSON number form; convert it to a decimal string ` +
          "(or a number when it is a safe integer) first",
      );
    case "undefined":
    case "function":
    case "symbol":
      return undefined;
  }
  if (value === null) return null;
  const object = value as object;
  if (stack.has(object)) throw invalid(`${path}: circular reference`);
  if (typeof (object as { toJSON?: unknown }).toJSON === "function") {
    stack.add(object);
    try {
      return toJsonValue((object as { toJSON(): unknown }).toJSON(), path, stack);
    } finally {
      stack.delete(object);
    }
  }
  if (
    object instanceof Map || object instanceof Set || ArrayBuffer.isView(object) ||
    object instanceof ArrayBuffer
  ) {
    throw invalid(
      `${path}: ${object.constructor.name} has no JSON form; convert it (bytes to base64) first`,
    );
  }
  if (object instanceof Number || object instanceof String || object instanceof Boolean) {
    return toJsonValue(object.valueOf(), path, stack);
  }
  stack.add(object);
  try {
    if (Array.isArray(object)) {
      return object.map((item, i) => {
        const json = toJsonValue(item, `${path}[${i}]`, stack);
        if (json === undefined) {
          throw invalid(`${path}[${i}]: ${typeof item} inside an array has no JSON form`);
        }
        return json;
      });
    }
    // A null prototype keeps a "__proto__" member an ordinary member.
    const out: Record<string, JsonValue> = Object.create(null);
    for (const [key, member] of Object.entries(object)) {
      const json = toJsonValue(member, `${path}${memberPath(key)}`, stack);
      if (json !== undefined) out[key] = json;
    }
    return out;
  } finally {
    stack.delete(object);
  }
}

function memberPath(key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}

function invalid(message: string, cause?: unknown): KraftoverError {
  return new KraftoverError("EVIDENCE_INVALID", `Cannot canonicalise JSON: ${message}`, {
    phase: "evidence",
    ...(cause === undefined ? {} : { cause }),
  });
}
