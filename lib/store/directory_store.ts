/**
 * An {@linkcode ObjectStore} on a local directory, for rehearsals and
 * air-gapped runs.
 *
 * Writes are crash-safe (temporary file in the same directory, fsync, rename,
 * fsync of the directory): a process killed at any instant leaves either no
 * object or the whole object under its key. Retention asked for with
 * `retainUntil` is recorded in a hidden sidecar file and `delete`/overwrite are
 * refused before it passes — but this is **advisory**: anyone with write access
 * to the directory can still remove the files. Use S3 Object Lock for
 * retention that holds against an administrator.
 *
 * @module
 */

import { dirname, isAbsolute, join, resolve } from "node:path";
import { KraftoverError } from "../errors.ts";
import { INTERNAL_NAME_PREFIX, syncDirectory, writeFileAtomic } from "./atomic_write.ts";
import {
  abortedError,
  checkKey,
  checkPrefix,
  lockModeFor,
  objectExistsError,
  retentionError,
} from "./object_store.ts";
import type {
  ListEntry,
  ObjectInfo,
  ObjectLockInfo,
  ObjectLockMode,
  ObjectStore,
  PutOptions,
  PutResult,
  ReadOptions,
} from "./object_store.ts";

/** Options for {@linkcode createDirectoryStore}. */
export interface DirectoryStoreOptions {
  /** The directory holding the objects; created on the first put. Relative to the working directory. */
  directory: string;
  /** The clock used for retention checks. @default () => new Date() */
  now?: () => Date;
}

interface Retention {
  retainUntil: Date;
  lockMode: ObjectLockMode;
}

const SIDECAR_PREFIX = `${INTERNAL_NAME_PREFIX}retention-`;

/**
 * Creates an object store on a local directory. Keys map to files below it
 * (`a/b.json` → `DIR/a/b.json`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createDirectoryStore } from "./directory_store.ts";
 * const dir = await Deno.makeTempDir();
 * const store = createDirectoryStore({ directory: dir });
 * await store.put("segments/0001.bin", new Uint8Array([1, 2, 3]), { ifAbsent: true });
 * const bytes = await store.get("segments/0001.bin");
 * assert.equal(bytes?.length, 3);
 * assert.equal(await store.head("missing"), undefined);
 * await store.delete("segments/0001.bin");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export function createDirectoryStore(options: DirectoryStoreOptions): ObjectStore {
  const root = isAbsolute(options.directory) ? resolve(options.directory) : resolve(
    Deno.cwd(),
    options.directory,
  );
  const now = options.now ?? (() => new Date());

  function pathOf(key: string): string {
    return join(root, checkKey(key));
  }

  function sidecarOf(path: string): string {
    const slash = path.lastIndexOf("/");
    return `${path.slice(0, slash)}/${SIDECAR_PREFIX}${path.slice(slash + 1)}.json`;
  }

  function fail(operation: string, path: string, error: unknown): never {
    if (error instanceof KraftoverError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    throw new KraftoverError("STORE_ERROR", `Cannot ${operation} ${path}: ${message}`, {
      phase: "store",
      cause: error,
      retriable: error instanceof Deno.errors.Interrupted || error instanceof Deno.errors.TimedOut,
      detail: { operation, location: path, reason: reasonOf(error) },
    });
  }

  function checkSignal(signal: AbortSignal | undefined, operation: string, path: string): void {
    if (signal?.aborted) throw abortedError(operation, path, signal.reason);
  }

  async function isFile(path: string): Promise<boolean> {
    try {
      return (await Deno.stat(path)).isFile;
    } catch (error) {
      if (isAbsentError(error)) return false;
      throw error;
    }
  }

  async function readRetention(path: string): Promise<Retention | undefined> {
    let text: string;
    try {
      text = await Deno.readTextFile(sidecarOf(path));
    } catch (error) {
      if (isAbsentError(error)) return undefined;
      throw error;
    }
    let parsed: { retain_until?: unknown; lock_mode?: unknown };
    try {
      parsed = JSON.parse(text);
    } catch (cause) {
      throw new KraftoverError(
        "STORE_INTEGRITY",
        `Cannot read the retention of ${path}: ${sidecarOf(path)} is not JSON`,
        { phase: "store", cause },
      );
    }
    const retainUntil = new Date(String(parsed.retain_until));
    const lockMode = parsed.lock_mode === "GOVERNANCE" ? "GOVERNANCE" : "COMPLIANCE";
    if (Number.isNaN(retainUntil.getTime())) {
      throw new KraftoverError(
        "STORE_INTEGRITY",
        `Cannot read the retention of ${path}: ${sidecarOf(path)} has no valid retain_until`,
        { phase: "store" },
      );
    }
    return { retainUntil, lockMode };
  }

  /** The retention in force on an existing object, if any. */
  async function activeRetention(path: string): Promise<Retention | undefined> {
    if (!(await isFile(path))) return undefined;
    const retention = await readRetention(path);
    return retention !== undefined && retention.retainUntil.getTime() > now().getTime()
      ? retention
      : undefined;
  }

  async function removeIfPresent(path: string): Promise<boolean> {
    try {
      await Deno.remove(path);
      return true;
    } catch (error) {
      if (isAbsentError(error)) return false;
      throw error;
    }
  }

  /** Removes now-empty directories between `dir` and the root (exclusive). */
  async function pruneEmptyParents(dir: string): Promise<void> {
    let current = dir;
    while (current.startsWith(root + "/") && current !== root) {
      try {
        await Deno.remove(current); // non-recursive: fails when not empty
      } catch {
        return;
      }
      current = dirname(current);
    }
  }

  const store: ObjectStore = {
    async put(key: string, body: Uint8Array, opts: PutOptions = {}): Promise<PutResult> {
      const path = pathOf(key);
      checkSignal(opts.signal, "put", path);
      const lockMode = lockModeFor(opts, path);
      try {
        await Deno.mkdir(dirname(path), { recursive: true });
        const retained = await activeRetention(path);
        if (opts.ifAbsent && (retained !== undefined || await isFile(path))) {
          throw objectExistsError(path);
        }
        if (retained !== undefined) throw retentionError(path, "overwrite", retained.retainUntil);
        if (lockMode !== undefined && opts.retainUntil !== undefined) {
          // The sidecar goes first: after a crash an object is never left unprotected.
          const sidecar = { retain_until: opts.retainUntil.toISOString(), lock_mode: lockMode };
          await writeFileAtomic(
            sidecarOf(path),
            new TextEncoder().encode(JSON.stringify(sidecar) + "\n"),
          );
        }
        try {
          await writeFileAtomic(path, body, { noClobber: opts.ifAbsent ?? false });
        } catch (error) {
          if (error instanceof Deno.errors.AlreadyExists) throw objectExistsError(path, error);
          throw error;
        }
        if (lockMode === undefined && await removeIfPresent(sidecarOf(path))) {
          await syncDirectory(dirname(path));
        }
        return { location: path };
      } catch (error) {
        fail("write", path, error);
      }
    },

    async get(key: string, opts: ReadOptions = {}): Promise<Uint8Array | undefined> {
      const path = pathOf(key);
      checkSignal(opts.signal, "get", path);
      try {
        return await Deno.readFile(path, opts.signal === undefined ? {} : { signal: opts.signal });
      } catch (error) {
        if (isAbsentError(error)) return undefined;
        if (opts.signal?.aborted) throw abortedError("get", path, error);
        fail("read", path, error);
      }
    },

    async head(key: string, opts: ReadOptions = {}): Promise<ObjectInfo | undefined> {
      const path = pathOf(key);
      checkSignal(opts.signal, "head", path);
      try {
        const info = await Deno.stat(path);
        if (!info.isFile) return undefined;
        const retention = await readRetention(path);
        return {
          size: info.size,
          ...(retention === undefined
            ? {}
            : { retainUntil: retention.retainUntil, lockMode: retention.lockMode }),
        };
      } catch (error) {
        if (isAbsentError(error)) return undefined;
        fail("stat", path, error);
      }
    },

    async *list(prefix: string, opts: ReadOptions = {}): AsyncIterable<ListEntry> {
      checkPrefix(prefix);
      const slash = prefix.lastIndexOf("/");
      const start = slash < 0 ? root : join(root, prefix.slice(0, slash));
      const entries: ListEntry[] = [];
      try {
        await walk(start, start === root ? "" : prefix.slice(0, slash + 1), prefix, entries, opts);
      } catch (error) {
        if (opts.signal?.aborted) throw abortedError("list", start, error);
        fail("list", start, error);
      }
      entries.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      yield* entries;
    },

    async delete(key: string, opts: ReadOptions = {}): Promise<void> {
      const path = pathOf(key);
      checkSignal(opts.signal, "delete", path);
      try {
        const retained = await activeRetention(path);
        if (retained !== undefined) throw retentionError(path, "delete", retained.retainUntil);
        const removed = await removeIfPresent(path);
        const removedSidecar = await removeIfPresent(sidecarOf(path));
        if (removed || removedSidecar) {
          await syncDirectory(dirname(path));
          await pruneEmptyParents(dirname(path));
        }
      } catch (error) {
        fail("delete", path, error);
      }
    },

    async ping(opts: ReadOptions = {}): Promise<void> {
      checkSignal(opts.signal, "ping", root);
      // The directory is created on the first put: it is reachable when it, or its
      // nearest existing ancestor, is a directory.
      let current = root;
      for (;;) {
        try {
          const info = await Deno.stat(current);
          if (info.isDirectory) return;
          throw new KraftoverError(
            "STORE_ERROR",
            `Cannot use ${root} as a store: ${current} is not a directory`,
            { phase: "store", detail: { reason: "not_a_directory", location: current } },
          );
        } catch (error) {
          if (!(error instanceof Deno.errors.NotFound) || current === dirname(current)) {
            fail("reach", root, error);
          }
          current = dirname(current);
        }
      }
    },

    objectLock(): Promise<ObjectLockInfo> {
      return Promise.resolve({ enabled: true, enforced: false });
    },

    describe(): string {
      return root;
    },

    locate(key: string): string {
      return pathOf(key);
    },

    close(): void {},

    [Symbol.dispose](): void {},
  };
  return store;
}

async function walk(
  dir: string,
  keyPrefix: string,
  wanted: string,
  out: ListEntry[],
  opts: ReadOptions,
): Promise<void> {
  let entries: Deno.DirEntry[];
  try {
    entries = await Array.fromAsync(Deno.readDir(dir));
  } catch (error) {
    if (isAbsentError(error)) return;
    throw error;
  }
  for (const entry of entries) {
    if (opts.signal?.aborted) throw opts.signal.reason;
    if (entry.name.startsWith(INTERNAL_NAME_PREFIX)) continue;
    const key = keyPrefix + entry.name;
    const path = `${dir}/${entry.name}`;
    const info = entry.isSymlink ? await Deno.stat(path).catch(() => undefined) : undefined;
    if (entry.isDirectory) {
      // Descend only where keys below can still match the prefix.
      const sub = key + "/";
      if (sub.startsWith(wanted) || wanted.startsWith(sub)) {
        await walk(path, sub, wanted, out, opts);
      }
    } else if ((entry.isFile || info?.isFile) && key.startsWith(wanted)) {
      out.push({ key, size: (info ?? await Deno.stat(path)).size });
    }
  }
}

function isAbsentError(error: unknown): boolean {
  return error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory ||
    error instanceof Deno.errors.IsADirectory;
}

function reasonOf(error: unknown): string {
  if (error instanceof Deno.errors.PermissionDenied) return "access_denied";
  if (error instanceof Deno.errors.NotFound) return "not_found";
  return "io_error";
}
