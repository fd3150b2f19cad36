/**
 * Crash-safe file writes: the bytes go to a temporary file in the same
 * directory, which is fsynced and then renamed (or hard-linked, for
 * no-clobber writes) onto the final name, and the directory is fsynced. A
 * process killed at any instant leaves either the old file, or the whole new
 * one, under the final name — never a prefix of it. A killed write may leave
 * a temporary file named `.kraftover-tmp-*` behind; readers ignore those.
 *
 * @module
 */

/** File names starting with this are kraftover's own temporaries and sidecars. */
export const INTERNAL_NAME_PREFIX = ".kraftover-";

const TEMP_PREFIX = `${INTERNAL_NAME_PREFIX}tmp-`;

/** Options for {@linkcode writeFileAtomic}. */
export interface WriteFileAtomicOptions {
  /** Permission bits of the new file (applied before it gets its final name). @default 0o644 */
  mode?: number;
  /**
   * Fail with `Deno.errors.AlreadyExists` when the final name exists, atomically
   * (hard link, which never replaces). @default false
   */
  noClobber?: boolean;
}

/**
 * Writes `bytes` to `path` so that a crash never leaves a partial file under `path`.
 *
 * The parent directory must exist. With `noClobber`, an existing `path` makes the
 * call throw `Deno.errors.AlreadyExists` and leaves the file untouched.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { writeFileAtomic } from "./atomic_write.ts";
 * const dir = await Deno.makeTempDir();
 * await writeFileAtomic(`${dir}/a.txt`, new TextEncoder().encode("hello"), { mode: 0o600 });
 * assert.equal(await Deno.readTextFile(`${dir}/a.txt`), "hello");
 * let refused = false;
 * try {
 *   await writeFileAtomic(`${dir}/a.txt`, new Uint8Array([1]), { noClobber: true });
 * } catch (e) {
 *   refused = e instanceof Deno.errors.AlreadyExists;
 * }
 * assert.ok(refused);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeFileAtomic(
  path: string,
  bytes: Uint8Array,
  options: WriteFileAtomicOptions = {},
): Promise<void> {
  const slash = path.lastIndexOf("/");
  const dir = slash < 0 ? "." : slash === 0 ? "/" : path.slice(0, slash);
  const base = path.slice(slash + 1);
  const temp = `${dir}/${TEMP_PREFIX}${crypto.randomUUID()}-${base}`;
  const mode = options.mode ?? 0o644;
  const file = await Deno.open(temp, { write: true, createNew: true, mode });
  try {
    try {
      // `mode` at creation is filtered by the umask; set it exactly.
      if (Deno.build.os !== "windows") await Deno.chmod(temp, mode);
      let written = 0;
      while (written < bytes.length) written += await file.write(bytes.subarray(written));
      await file.sync();
    } finally {
      file.close();
    }
    if (options.noClobber) {
      await Deno.link(temp, path);
      await Deno.remove(temp);
    } else {
      await Deno.rename(temp, path);
    }
  } catch (error) {
    await Deno.remove(temp).catch(() => {});
    throw error;
  }
  await syncDirectory(dir);
}

/**
 * Flushes a directory's entries (new, renamed or removed names) to disk.
 *
 * @example
 * ```ts
 * import { syncDirectory } from "./atomic_write.ts";
 * const dir = await Deno.makeTempDir();
 * await syncDirectory(dir);
 * await Deno.remove(dir);
 * ```
 */
export async function syncDirectory(dir: string): Promise<void> {
  if (Deno.build.os === "windows") return; // directories cannot be opened for fsync there
  const handle = await Deno.open(dir, { read: true });
  try {
    await handle.sync();
  } finally {
    handle.close();
  }
}
