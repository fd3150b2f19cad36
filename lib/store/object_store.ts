/**
 * The object-store abstraction shared by the seed's staging and the evidence
 * bundle: one interface, a local-directory implementation
 * ({@linkcode createDirectoryStore}) and an S3 one ({@linkcode createS3Store}).
 *
 * Keys are relative (`evidence/m-1/bundle.json`); each store adds its own
 * prefix or directory. Errors are {@linkcode KraftoverError}s with code
 * `STORE_ERROR` (and `retriable` set where a retry can help); a refused
 * `ifAbsent` put carries `detail.reason === "already_exists"`, see
 * {@linkcode isObjectExistsError}.
 *
 * @module
 */

import { KraftoverError } from "../errors.ts";

/** S3 Object Lock retention modes. */
export type ObjectLockMode = "COMPLIANCE" | "GOVERNANCE";

/** Options for {@linkcode ObjectStore.put}. */
export interface PutOptions {
  /** MIME type stored with the object. @default "application/octet-stream" */
  contentType?: string;
  /** Fail (`STORE_ERROR`, `detail.reason: "already_exists"`) when the key exists. @default false */
  ifAbsent?: boolean;
  /** Retain the object until this instant: S3 Object Lock, advisory on a directory. */
  retainUntil?: Date;
  /** Object Lock mode; only with `retainUntil`. @default "COMPLIANCE" when `retainUntil` is set */
  lockMode?: ObjectLockMode;
  /** Cancels the request. */
  signal?: AbortSignal;
}

/** What {@linkcode ObjectStore.put} returns. */
export interface PutResult {
  /** Where the object now is, e.g. `s3://bucket/prefix/key` or an absolute path. */
  location: string;
  /** The store's entity tag, when it has one. */
  etag?: string;
  /** The object version, on versioned S3 buckets. */
  versionId?: string;
}

/** Options of the read-only calls. */
export interface ReadOptions {
  /** Cancels the request. */
  signal?: AbortSignal;
}

/** What {@linkcode ObjectStore.head} returns. */
export interface ObjectInfo {
  /** Size in bytes. */
  size: number;
  /** Entity tag, when the store has one. */
  etag?: string;
  /** Retention end, when the object is under retention. */
  retainUntil?: Date;
  /** Retention mode, when the object is under retention. */
  lockMode?: ObjectLockMode;
}

/** One object in a listing. */
export interface ListEntry {
  /** The key, relative to the store (as given to `put`). */
  key: string;
  /** Size in bytes. */
  size: number;
}

/** Object Lock support of a store. */
export interface ObjectLockInfo {
  /** Retention can be recorded on objects. */
  enabled: boolean;
  /** Retention is enforced by the server (S3 Object Lock); false on a directory (advisory). */
  enforced: boolean;
  /** The bucket's default retention, which applies to every new object. */
  defaultRetention?: { mode: ObjectLockMode; days?: number; years?: number };
}

/**
 * An object store: a flat key space with put/get/head/list/delete.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createDirectoryStore } from "./directory_store.ts";
 * import type { ObjectStore } from "./object_store.ts";
 * const dir = await Deno.makeTempDir();
 * const store: ObjectStore = createDirectoryStore({ directory: dir });
 * await store.put("a/b.txt", new TextEncoder().encode("hi"));
 * assert.deepEqual(await Array.fromAsync(store.list("a/")), [{ key: "a/b.txt", size: 2 }]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export interface ObjectStore {
  /** Writes an object whole (never a partial object under `key`). */
  put(key: string, body: Uint8Array, options?: PutOptions): Promise<PutResult>;
  /** The object's bytes, or `undefined` when there is no such key. */
  get(key: string, options?: ReadOptions): Promise<Uint8Array | undefined>;
  /** The object's metadata, or `undefined` when there is no such key. */
  head(key: string, options?: ReadOptions): Promise<ObjectInfo | undefined>;
  /** Every object whose key starts with `prefix`, in key order, fetched page by page. */
  list(prefix: string, options?: ReadOptions): AsyncIterable<ListEntry>;
  /**
   * Removes the object (on S3: every version of it). Absent keys are fine. Refused
   * (`STORE_ERROR`) while the object is under retention.
   */
  delete(key: string, options?: ReadOptions): Promise<void>;
  /** Throws `STORE_ERROR` when the store cannot be reached (missing bucket, no access, …). */
  ping(options?: ReadOptions): Promise<void>;
  /** Whether and how the store keeps objects under retention. */
  objectLock(options?: ReadOptions): Promise<ObjectLockInfo>;
  /** Where the store is, e.g. `s3://bucket/prefix` or a directory path; never credentials. */
  describe(): string;
  /** Where `key` is (or would be), e.g. `s3://bucket/prefix/key`. */
  locate(key: string): string;
  /** Releases connections; the store is not used afterwards. */
  close(): void;
  /** Same as {@linkcode ObjectStore.close}, for `using`. */
  [Symbol.dispose](): void;
}

const RESERVED_SEGMENT = /^\.kraftover-/;

/**
 * Checks a relative object key and returns it: non-empty, at most 1024 bytes,
 * `/`-separated segments that are neither empty, `.`, `..`, nor reserved
 * (`.kraftover-*`), and no NUL or backslash.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkKey } from "./object_store.ts";
 * assert.equal(checkKey("evidence/m-1/bundle.json"), "evidence/m-1/bundle.json");
 * let refused = false;
 * try {
 *   checkKey("../etc/passwd");
 * } catch {
 *   refused = true;
 * }
 * assert.ok(refused);
 * ```
 */
export function checkKey(key: string): string {
  const problem = keyProblem(key);
  if (problem !== undefined) {
    throw new KraftoverError(
      "STORE_ERROR",
      `Invalid object key ${JSON.stringify(key)}: ${problem}`,
      {
        phase: "store",
        detail: { reason: "invalid_key", key },
      },
    );
  }
  return key;
}

function keyProblem(key: string): string | undefined {
  if (key.length === 0) return "must not be empty";
  if (new TextEncoder().encode(key).length > 1024) return "longer than 1024 bytes";
  if (key.includes("\0") || key.includes("\\")) return "must not contain NUL or backslash";
  for (const segment of key.split("/")) {
    if (segment === "" || segment === "." || segment === "..") {
      return "use relative /-separated segments without empty, . or .. parts";
    }
    if (RESERVED_SEGMENT.test(segment)) return "segments starting with .kraftover- are reserved";
  }
  return undefined;
}

/**
 * Checks a listing prefix: may be empty; otherwise no leading `/`, no `.`/`..`
 * segments, no NUL or backslash.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkPrefix } from "./object_store.ts";
 * assert.equal(checkPrefix("evidence/"), "evidence/");
 * assert.equal(checkPrefix(""), "");
 * ```
 */
export function checkPrefix(prefix: string): string {
  if (prefix === "") return prefix;
  const segments = prefix.split("/");
  const bad = prefix.startsWith("/") || prefix.includes("\0") || prefix.includes("\\") ||
    segments.some((s) => s === "." || s === "..");
  if (bad) {
    throw new KraftoverError(
      "STORE_ERROR",
      `Invalid list prefix ${JSON.stringify(prefix)}: use a relative key prefix`,
      { phase: "store", detail: { reason: "invalid_key", prefix } },
    );
  }
  return prefix;
}

/**
 * The error a store throws when an `ifAbsent` put finds the key taken.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isObjectExistsError, objectExistsError } from "./object_store.ts";
 * assert.ok(isObjectExistsError(objectExistsError("s3://b/k")));
 * ```
 */
export function objectExistsError(location: string, cause?: unknown): KraftoverError {
  return new KraftoverError(
    "STORE_ERROR",
    `Cannot write ${location}: it already exists and is never overwritten`,
    { phase: "store", cause, detail: { reason: "already_exists", location } },
  );
}

/**
 * Whether an error is a store's refusal to overwrite an existing key (`ifAbsent`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isObjectExistsError } from "./object_store.ts";
 * assert.ok(!isObjectExistsError(new Error("x")));
 * ```
 */
export function isObjectExistsError(error: unknown): error is KraftoverError {
  return error instanceof KraftoverError && error.code === "STORE_ERROR" &&
    error.detail?.reason === "already_exists";
}

/**
 * The error a store throws when an object under retention is deleted or overwritten.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isRetentionError, retentionError } from "./object_store.ts";
 * assert.ok(isRetentionError(retentionError("/x", "delete", new Date())));
 * ```
 */
export function retentionError(
  location: string,
  action: "delete" | "overwrite",
  retainUntil: Date | undefined,
  cause?: unknown,
): KraftoverError {
  const until = retainUntil === undefined ? "" : ` until ${retainUntil.toISOString()}`;
  return new KraftoverError(
    "STORE_ERROR",
    `Cannot ${action} ${location}: it is under retention${until}`,
    {
      phase: "store",
      cause,
      detail: {
        reason: "retained",
        location,
        ...(retainUntil === undefined ? {} : { retain_until: retainUntil.toISOString() }),
      },
    },
  );
}

/**
 * Whether an error is a store's refusal to delete or overwrite a retained object.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isRetentionError } from "./object_store.ts";
 * assert.ok(!isRetentionError(new Error("x")));
 * ```
 */
export function isRetentionError(error: unknown): error is KraftoverError {
  return error instanceof KraftoverError && error.code === "STORE_ERROR" &&
    error.detail?.reason === "retained";
}

/**
 * Checks the retention options of a put and returns the effective lock mode
 * (`undefined` when no retention was asked for).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { lockModeFor } from "./object_store.ts";
 * assert.equal(lockModeFor({ retainUntil: new Date() }, "s3://b/k"), "COMPLIANCE");
 * assert.equal(lockModeFor({}, "s3://b/k"), undefined);
 * ```
 */
export function lockModeFor(
  options: Pick<PutOptions, "retainUntil" | "lockMode">,
  location: string,
): ObjectLockMode | undefined {
  if (options.retainUntil === undefined) {
    if (options.lockMode !== undefined) {
      throw new KraftoverError(
        "STORE_ERROR",
        `Cannot write ${location}: lockMode ${options.lockMode} needs retainUntil`,
        { phase: "store", detail: { reason: "invalid_request", location } },
      );
    }
    return undefined;
  }
  if (Number.isNaN(options.retainUntil.getTime())) {
    throw new KraftoverError("STORE_ERROR", `Cannot write ${location}: retainUntil is not a date`, {
      phase: "store",
      detail: { reason: "invalid_request", location },
    });
  }
  return options.lockMode ?? "COMPLIANCE";
}

/**
 * The `ABORTED` error for a cancelled store call.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { abortedError } from "./object_store.ts";
 * assert.equal(abortedError("put", "/x").code, "ABORTED");
 * ```
 */
export function abortedError(operation: string, location: string, cause?: unknown): KraftoverError {
  return new KraftoverError("ABORTED", `Cancelled ${operation} of ${location}`, {
    phase: "store",
    cause,
    detail: { operation, location },
  });
}
