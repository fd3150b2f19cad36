/**
 * The one error class of kraftover, with a closed set of codes.
 *
 * Callers tell errors apart by `code`, never by message text. `cli.ts` maps
 * codes to exit codes with {@linkcode exitCodeFor}.
 *
 * @module
 */

/** Every error code kraftover raises. Closed: add here, document in docs/errors.md. */
export type ErrorCode =
  // usage and configuration (exit 2)
  | "USAGE"
  | "CONFIG_SYNTAX"
  | "CONFIG_INVALID"
  | "CONFIG_ENV_UNSET"
  | "CONFIG_FILE_UNREADABLE"
  // findings (exit 3)
  | "PRECHECK_BLOCKED"
  | "VALIDATION_FAILED"
  | "EVIDENCE_INVALID"
  // journal and lifecycle (exit 1)
  | "JOURNAL_CORRUPT"
  | "JOURNAL_LOCKED"
  | "JOURNAL_MISMATCH"
  | "JOURNAL_IO"
  | "ILLEGAL_TRANSITION"
  // connections (exit 1)
  | "KAFKA_UNREACHABLE"
  | "KAFKA_AUTH_FAILED"
  | "KAFKA_TLS_FAILED"
  | "KAFKA_AUTHZ_DENIED"
  | "KAFKA_TIMEOUT"
  | "KAFKA_ERROR"
  | "MSK_API_ERROR"
  | "MSK_CLUSTER_NOT_FOUND"
  | "STORE_ERROR"
  | "STORE_INTEGRITY"
  // data plane (exit 1)
  | "DATA_EXPIRED"
  | "TARGET_DIVERGED"
  | "TOPOLOGY_REFUSED"
  // cutover, hooks, evidence (exit 1)
  | "PLUGIN_INVALID"
  | "HOOK_FAILED"
  | "HOOK_TIMEOUT"
  | "CUTOVER_ABORTED"
  | "DRAIN_TIMEOUT"
  | "SIGNING_KEY"
  // sandbox (exit 1)
  | "SANDBOX_JAVA_MISSING"
  | "SANDBOX_DOWNLOAD_FAILED"
  | "SANDBOX_START_FAILED"
  | "SANDBOX_NOT_RUNNING"
  // everything else
  | "NOT_IMPLEMENTED"
  | "ABORTED"
  | "INTERNAL";

/** Where an error arose: a lifecycle state or a supporting area. */
export type ErrorPhase =
  | "cli"
  | "config"
  | "journal"
  | "connect"
  | "sandbox"
  | "store"
  | "hooks"
  | "evidence"
  | "planned"
  | "precheck"
  | "topology_copy"
  | "seed"
  | "tail"
  | "drain_ready"
  | "cutover"
  | "awaiting_client_switch"
  | "validating"
  | "finalized"
  | "rolled_back"
  | "failed";

/** Options for {@linkcode KraftoverError}. */
export interface KraftoverErrorOptions {
  /** Where the error arose. @default "cli" */
  phase?: ErrorPhase;
  /** Whether re-running the same command may succeed. @default false */
  retriable?: boolean;
  /** The underlying error. */
  cause?: unknown;
  /** Structured detail for `--json` output (never secrets). */
  detail?: Record<string, unknown>;
}

/**
 * An error with a stable code, the phase it arose in and whether a retry can help.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { KraftoverError } from "./errors.ts";
 * const err = new KraftoverError("KAFKA_TIMEOUT", "Cannot reach broker: timed out", {
 *   phase: "seed",
 *   retriable: true,
 * });
 * assert.ok(err.code === "KAFKA_TIMEOUT" && err.retriable);
 * ```
 */
export class KraftoverError extends Error {
  /** Stable, machine-readable code. */
  readonly code: ErrorCode;
  /** Where the error arose. */
  readonly phase: ErrorPhase;
  /** Whether re-running may succeed. */
  readonly retriable: boolean;
  /** Structured detail (no secrets). */
  readonly detail: Record<string, unknown> | undefined;

  /** Creates an error with a code, a message that says what to do, and options. */
  constructor(code: ErrorCode, message: string, options: KraftoverErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "KraftoverError";
    this.code = code;
    this.phase = options.phase ?? "cli";
    this.retriable = options.retriable ?? false;
    this.detail = options.detail;
  }

  /** A plain object for `--json` output and the journal. */
  toJSON(): Record<string, unknown> {
    return {
      code: this.code,
      phase: this.phase,
      retriable: this.retriable,
      message: this.message,
      ...(this.detail === undefined ? {} : { detail: this.detail }),
    };
  }
}

const EXIT_2: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  "USAGE",
  "CONFIG_SYNTAX",
  "CONFIG_INVALID",
  "CONFIG_ENV_UNSET",
  "CONFIG_FILE_UNREADABLE",
]);
const EXIT_3: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  "PRECHECK_BLOCKED",
  "VALIDATION_FAILED",
  "EVIDENCE_INVALID",
]);

/**
 * The process exit code for an error (SPEC §3): 2 usage/config, 3 findings, 1 otherwise.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { exitCodeFor, KraftoverError } from "./errors.ts";
 * assert.ok(exitCodeFor(new KraftoverError("CONFIG_INVALID", "Bad")) === 2);
 * assert.ok(exitCodeFor(new Error("boom")) === 1);
 * ```
 */
export function exitCodeFor(error: unknown): number {
  if (error instanceof KraftoverError) {
    if (EXIT_2.has(error.code)) return 2;
    if (EXIT_3.has(error.code)) return 3;
  }
  return 1;
}

/**
 * Whether a value is a {@linkcode KraftoverError}, optionally with one of the given codes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isKraftoverError, KraftoverError } from "./errors.ts";
 * const e: unknown = new KraftoverError("USAGE", "Bad flag");
 * assert.ok(isKraftoverError(e, "USAGE"));
 * ```
 */
export function isKraftoverError(
  value: unknown,
  ...codes: ErrorCode[]
): value is KraftoverError {
  return value instanceof KraftoverError && (codes.length === 0 || codes.includes(value.code));
}

/**
 * A short message for any thrown value, following its cause chain once.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { errorMessage } from "./errors.ts";
 * assert.ok(errorMessage(new Error("x")) === "x");
 * ```
 */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
