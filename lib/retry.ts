/**
 * Retrying with exponential backoff and jitter, only for errors marked
 * `retriable` (a {@linkcode KraftoverError} flag), never past an abort signal.
 *
 * @module
 */

import { KraftoverError } from "./errors.ts";
import type { Logger } from "./logger.ts";

/** Options for {@linkcode withRetry}. */
export interface WithRetryOptions {
  /** Total attempts, the first included. @default 5 */
  attempts?: number;
  /** First backoff in ms. @default 250 */
  initialDelayMs?: number;
  /** Longest backoff in ms. @default 10000 */
  maxDelayMs?: number;
  /** Whether an error is worth retrying. @default the error's `retriable` flag */
  retriable?: (error: unknown) => boolean;
  /** Logs each retry at warn. */
  logger?: Logger;
  /** What is being retried, for the log. @default "operation" */
  what?: string;
  /** Stops retrying (and waiting) when aborted. */
  signal?: AbortSignal;
}

/**
 * Waits `ms`, or rejects when the signal aborts.
 *
 * @example
 * ```ts
 * import { delay } from "./retry.ts";
 * await delay(1);
 * ```
 */
export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * Runs `fn`, retrying retriable failures with backoff.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { withRetry } from "./retry.ts";
 * import { KraftoverError } from "./errors.ts";
 * let n = 0;
 * const v = await withRetry(async () => {
 *   if (++n < 3) throw new KraftoverError("KAFKA_TIMEOUT", "slow", { retriable: true });
 *   return n;
 * }, { initialDelayMs: 1 });
 * assert.ok(v === 3);
 * ```
 */
export async function withRetry<T>(
  fn: (attempt: number) => Promise<T>,
  options: WithRetryOptions = {},
): Promise<T> {
  const attempts = options.attempts ?? 5;
  const initial = options.initialDelayMs ?? 250;
  const max = options.maxDelayMs ?? 10_000;
  const retriable = options.retriable ??
    ((error: unknown) => error instanceof KraftoverError && error.retriable);
  for (let attempt = 1;; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      if (attempt >= attempts || !retriable(error) || options.signal?.aborted) throw error;
      const backoff = Math.min(max, initial * 2 ** (attempt - 1));
      const wait = Math.round(backoff / 2 + Math.random() * backoff / 2);
      options.logger?.warn(`Retrying ${options.what ?? "operation"} in ${wait}ms`, {
        attempt,
        of: attempts,
        error: (error as Error).message,
      });
      await delay(wait, options.signal);
    }
  }
}
