/**
 * Structured logging. Human lines (coloured on a TTY unless `NO_COLOR`) or one
 * JSON object per line. Every line passes through {@linkcode redact} here, so
 * call sites never need to remember which values are secret.
 *
 * @module
 */

import { redact, redactText } from "./secret.ts";

/** Log levels, lowest first. */
export type LogLevel = "debug" | "info" | "warn" | "error";

/** Output format of the logger. */
export type LogFormat = "human" | "json";

/** Structured fields attached to a log line. */
export type LogFields = Record<string, unknown>;

/** What the library logs through. Tests pass a capturing logger. */
export interface Logger {
  /** Detail for troubleshooting. */
  debug(message: string, fields?: LogFields): void;
  /** Progress and state changes. */
  info(message: string, fields?: LogFields): void;
  /** Something the operator should look at. */
  warn(message: string, fields?: LogFields): void;
  /** A failure. */
  error(message: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line. */
  child(fields: LogFields): Logger;
}

/** Options for {@linkcode createLogger}. */
export interface CreateLoggerOptions {
  /** Line format. @default "human" */
  format?: LogFormat;
  /** Lowest level written. @default "info" */
  level?: LogLevel;
  /** Colour human output. @default stderr is a TTY and `NO_COLOR` is unset */
  color?: boolean;
  /** Where lines go. @default a synchronous write to stderr */
  sink?: (line: string) => void;
  /** The clock. @default () => new Date() */
  now?: () => Date;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const COLOR: Record<LogLevel, string> = {
  debug: "\x1b[90m",
  info: "\x1b[36m",
  warn: "\x1b[33m",
  error: "\x1b[31m",
};
const RESET = "\x1b[0m";
const encoder = new TextEncoder();

/**
 * Whether colour output is wanted: a TTY and no `NO_COLOR` (https://no-color.org).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { colorWanted } from "./logger.ts";
 * assert.ok(typeof colorWanted(Deno.stderr) === "boolean");
 * ```
 */
export function colorWanted(stream: { isTerminal(): boolean }): boolean {
  let noColor: string | undefined;
  try {
    noColor = Deno.env.get("NO_COLOR");
  } catch {
    noColor = undefined;
  }
  return (noColor === undefined || noColor === "") && stream.isTerminal();
}

function writeStderr(line: string): void {
  const bytes = encoder.encode(line + "\n");
  let written = 0;
  while (written < bytes.length) written += Deno.stderr.writeSync(bytes.subarray(written));
}

function formatValue(value: unknown): string {
  if (typeof value === "string") return /[\s="]/.test(value) ? JSON.stringify(value) : value;
  if (value === undefined) return "undefined";
  return JSON.stringify(value);
}

/**
 * Creates a logger.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createLogger } from "./logger.ts";
 * const lines: string[] = [];
 * const log = createLogger({ format: "json", sink: (l) => lines.push(l) });
 * log.child({ phase: "seed" }).info("Partition done", { partition: 3 });
 * assert.ok(JSON.parse(lines[0]!).partition === 3);
 * ```
 */
export function createLogger(options: CreateLoggerOptions = {}): Logger {
  const format = options.format ?? "human";
  const min = RANK[options.level ?? "info"];
  const color = options.color ?? colorWanted(Deno.stderr);
  const sink = options.sink ?? writeStderr;
  const now = options.now ?? (() => new Date());

  function make(base: LogFields): Logger {
    function emit(level: LogLevel, message: string, fields?: LogFields): void {
      if (RANK[level] < min) return;
      const all = redact({ ...base, ...fields });
      const msg = redactText(message);
      if (format === "json") {
        sink(JSON.stringify({ ts: now().toISOString(), level, msg, ...all }));
        return;
      }
      const tag = level.toUpperCase().padEnd(5);
      const extra = Object.entries(all)
        .map(([k, v]) => `${k}=${formatValue(v)}`)
        .join(" ");
      const head = color ? `${COLOR[level]}${tag}${RESET}` : tag;
      sink(`${head} ${msg}${extra ? (color ? ` \x1b[90m${extra}${RESET}` : ` ${extra}`) : ""}`);
    }
    return {
      debug: (m, f) => emit("debug", m, f),
      info: (m, f) => emit("info", m, f),
      warn: (m, f) => emit("warn", m, f),
      error: (m, f) => emit("error", m, f),
      child: (fields) => make({ ...base, ...fields }),
    };
  }
  return make({});
}

/**
 * A logger that keeps lines in memory, for tests.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createMemoryLogger } from "./logger.ts";
 * const { logger, lines } = createMemoryLogger();
 * logger.warn("Careful");
 * assert.ok(lines[0]!.includes("Careful"));
 * ```
 */
export function createMemoryLogger(
  options: Omit<CreateLoggerOptions, "sink"> = {},
): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const logger = createLogger({
    format: "json",
    level: "debug",
    color: false,
    ...options,
    sink: (l) => lines.push(l),
  });
  return { logger, lines };
}

/** A logger that discards everything. */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return silentLogger;
  },
};
