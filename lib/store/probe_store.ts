/**
 * The store checks behind precheck findings B07 (backup store) and B08
 * (evidence store).
 *
 * @module
 */

import { errorMessage, KraftoverError } from "../errors.ts";
import { redactText } from "../secret.ts";
import type { ObjectStore } from "./object_store.ts";
import { isRetentionError } from "./object_store.ts";
import { equalBytes } from "./equal_bytes.ts";

/** Options for {@linkcode probeStore}. */
export interface ProbeStoreOptions {
  /** Also check that the bucket has Object Lock enabled (evidence with retention). @default false */
  requireObjectLock?: boolean;
  /** Cancels the probe. */
  signal?: AbortSignal;
}

/** What {@linkcode probeStore} found. */
export interface ProbeStoreResult {
  /** The store probed, as {@linkcode ObjectStore.describe} gives it. */
  store: string;
  /** The bucket (or directory) exists and answers. */
  reachable: boolean;
  /** A probe object could be written, read back and deleted. */
  writable: boolean;
  /**
   * Object Lock is enabled and enforced; only set when `requireObjectLock` was
   * asked and the answer is known. Always false for a directory store (advisory).
   */
  objectLockEnabled?: boolean;
  /**
   * A probe object that could not be deleted (a bucket whose default retention
   * locks every new object); it stays until its retention passes.
   */
  probeObjectLeft?: string;
  /** The most important failure: unreachable, else not writable, else no Object Lock. */
  error?: KraftoverError;
}

/** Prefix of the temporary objects the probe writes. */
export const PROBE_PREFIX = "_kraftover_probe/";

/**
 * Checks that a store is reachable and writable, and optionally that it
 * enforces Object Lock. Expected failures (missing bucket, access denied,
 * no Object Lock) are reported in the result, not thrown.
 *
 * The write check puts a small object under `_kraftover_probe/` **without**
 * retention, reads it back and deletes it (every version, on S3). On a bucket
 * with a default retention rule the object cannot be deleted;
 * `probeObjectLeft` then names it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createDirectoryStore } from "./directory_store.ts";
 * import { probeStore } from "./probe_store.ts";
 * const dir = await Deno.makeTempDir();
 * const result = await probeStore(createDirectoryStore({ directory: dir }));
 * assert.equal(result.reachable, true);
 * assert.equal(result.writable, true);
 * assert.equal(result.error, undefined);
 * const locked = await probeStore(createDirectoryStore({ directory: dir }), {
 *   requireObjectLock: true,
 * });
 * assert.equal(locked.objectLockEnabled, false); // a directory's retention is advisory
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function probeStore(
  store: ObjectStore,
  options: ProbeStoreOptions = {},
): Promise<ProbeStoreResult> {
  const signalOpt = options.signal === undefined ? {} : { signal: options.signal };
  const result: ProbeStoreResult = { store: store.describe(), reachable: false, writable: false };
  try {
    await store.ping(signalOpt);
    result.reachable = true;
  } catch (error) {
    result.error = asStoreError(error, `Cannot reach ${result.store}`);
    return result;
  }

  let lockError: KraftoverError | undefined;
  if (options.requireObjectLock) {
    try {
      const lock = await store.objectLock(signalOpt);
      result.objectLockEnabled = lock.enabled && lock.enforced;
      if (!result.objectLockEnabled) {
        lockError = new KraftoverError(
          "STORE_ERROR",
          lock.enabled
            ? `Cannot rely on retention in ${result.store}: a directory store's retention is ` +
              "advisory; use an S3 bucket with Object Lock"
            : `Cannot lock evidence in ${result.store}: Object Lock is not enabled on the bucket; ` +
              "create one with Object Lock (aws s3api create-bucket " +
              "--object-lock-enabled-for-bucket) or drop retention/object_lock_mode",
          { phase: "store", detail: { reason: "no_object_lock", location: result.store } },
        );
      }
    } catch (error) {
      lockError = asStoreError(
        error,
        `Cannot read the Object Lock configuration of ${result.store}`,
      );
    }
  }

  const key = `${PROBE_PREFIX}${crypto.randomUUID()}`;
  const body = new TextEncoder().encode(`kraftover probe ${key}\n`);
  let written = false;
  try {
    await store.put(key, body, { ifAbsent: true, contentType: "text/plain", ...signalOpt });
    written = true;
    const back = await store.get(key, signalOpt);
    if (back === undefined || !equalBytes(back, body)) {
      throw new KraftoverError(
        "STORE_INTEGRITY",
        `Cannot trust ${result.store}: the probe object read back differs from what was written`,
        { phase: "store", detail: { location: store.locate(key) } },
      );
    }
    result.writable = true;
  } catch (error) {
    result.error = asStoreError(error, `Cannot write to ${result.store}`);
  }
  if (written) {
    try {
      await store.delete(key, signalOpt);
    } catch (error) {
      result.probeObjectLeft = store.locate(key);
      if (!isRetentionError(error)) {
        result.error ??= asStoreError(error, `Cannot delete the probe object from ${result.store}`);
      }
    }
  }
  if (lockError !== undefined) result.error ??= lockError;
  return result;
}

function asStoreError(error: unknown, message: string): KraftoverError {
  if (error instanceof KraftoverError) return error;
  return new KraftoverError("STORE_ERROR", `${message}: ${redactText(errorMessage(error))}`, {
    phase: "store",
    cause: error,
  });
}
