/**
 * Durations (`30s`, `30m`, `7y`) and sizes (`32MiB`, `1GB`, or a plain byte count).
 *
 * @module
 */

/** Milliseconds per duration unit. A year is 365 days, a month 30 days. */
const DURATION_UNITS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
  mo: 30 * 86_400_000,
  y: 365 * 86_400_000,
};

/** Bytes per size unit; `KB` style units are decimal, `KiB` style binary. */
const SIZE_UNITS: Readonly<Record<string, number>> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
};

/** The pattern a duration must match (one or more number+unit parts, e.g. `1h30m`). */
export const DURATION_PATTERN = "^(\\d+(\\.\\d+)?(ms|s|m|h|d|w|mo|y))+$";
/** The pattern a size string must match. */
export const SIZE_PATTERN = "^\\d+(\\.\\d+)?\\s*([KMGT]i?B|B)$";

const DURATION_PART = /(\d+(?:\.\d+)?)(ms|mo|s|m|h|d|w|y)/g;

/**
 * Parses a duration into milliseconds, or returns `undefined` when malformed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseDuration } from "./units.ts";
 * assert.ok(parseDuration("30s") === 30_000);
 * assert.ok(parseDuration("1h30m") === 5_400_000);
 * assert.ok(parseDuration("7y") === 7 * 365 * 86_400_000);
 * assert.ok(parseDuration("30") === undefined);
 * ```
 */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (!new RegExp(DURATION_PATTERN).test(trimmed)) return undefined;
  let total = 0;
  for (const match of trimmed.matchAll(DURATION_PART)) {
    total += Number(match[1]) * (DURATION_UNITS[match[2]!] ?? Number.NaN);
  }
  return Number.isFinite(total) ? Math.round(total) : undefined;
}

/**
 * Parses a size into bytes (a number is taken as bytes), or `undefined` when malformed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseSize } from "./units.ts";
 * assert.ok(parseSize("32MiB") === 33_554_432);
 * assert.ok(parseSize("1GB") === 1_000_000_000);
 * assert.ok(parseSize(4096) === 4096);
 * assert.ok(parseSize("lots") === undefined);
 * ```
 */
export function parseSize(value: string | number): number | undefined {
  if (typeof value === "number") {
    return Number.isInteger(value) && value >= 0 ? value : undefined;
  }
  const match = /^(\d+(?:\.\d+)?)\s*([KMGT]i?B|B)$/i.exec(value.trim());
  if (match === null) return undefined;
  const unit = SIZE_UNITS[match[2]!.toLowerCase()];
  return unit === undefined ? undefined : Math.round(Number(match[1]) * unit);
}

/**
 * Formats milliseconds as a short human duration.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatDuration } from "./units.ts";
 * assert.ok(formatDuration(90_400) === "1m30s");
 * assert.ok(formatDuration(250) === "250ms");
 * ```
 */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  let rest = Math.round(ms / 1000);
  const parts: string[] = [];
  for (const [unit, size] of [["d", 86_400], ["h", 3_600], ["m", 60], ["s", 1]] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) parts.push(`${n}${unit}`);
    rest -= n * size;
  }
  return parts.join("");
}

/**
 * Formats a byte count with binary units.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatBytes } from "./units.ts";
 * assert.ok(formatBytes(33_554_432) === "32.0 MiB");
 * ```
 */
export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let i = 0;
  while (value >= 1024 && i < units.length - 1) {
    value /= 1024;
    i++;
  }
  return i === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[i]}`;
}
