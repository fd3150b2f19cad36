/**
 * Byte-array equality.
 *
 * @module
 */

/**
 * Whether two byte arrays hold the same bytes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { equalBytes } from "./equal_bytes.ts";
 * assert.ok(equalBytes(new Uint8Array([1, 2]), Uint8Array.of(1, 2)));
 * assert.ok(!equalBytes(new Uint8Array([1, 2]), new Uint8Array([1])));
 * ```
 */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
