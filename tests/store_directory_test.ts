import assert from "node:assert/strict";
import { createDirectoryStore } from "../lib/store/directory_store.ts";
import {
  isObjectExistsError,
  isRetentionError,
  type ObjectStore,
} from "../lib/store/object_store.ts";
import { probeStore } from "../lib/store/probe_store.ts";
import { isKraftoverError } from "../lib/errors.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array | undefined) =>
  b === undefined ? undefined : new TextDecoder().decode(b);

async function withStore(
  fn: (store: ObjectStore, dir: string) => Promise<void>,
  now?: () => Date,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "kraftover-store-" });
  try {
    using store = createDirectoryStore({ directory: dir, ...(now === undefined ? {} : { now }) });
    await fn(store, dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function keys(store: ObjectStore, prefix: string): Promise<string[]> {
  return (await Array.fromAsync(store.list(prefix))).map((e) => e.key);
}

/** Every name under `dir`, hidden ones included, relative to it. */
async function allNames(dir: string, rel = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of Deno.readDir(`${dir}/${rel}`)) {
    const name = rel === "" ? entry.name : `${rel}/${entry.name}`;
    out.push(name);
    if (entry.isDirectory) out.push(...await allNames(dir, name));
  }
  return out.sort();
}

Deno.test("directory store puts, gets, heads, lists in key order and deletes", async () => {
  await withStore(async (store, dir) => {
    await store.put("segments/b/0002.bin", enc("two"));
    await store.put("segments/a/0001.bin", enc("one!"));
    await store.put("segments-extra", enc("x"));
    await store.put("other/z", enc("z"));
    assert.equal(dec(await store.get("segments/a/0001.bin")), "one!");
    assert.deepEqual(await store.head("segments/a/0001.bin"), { size: 4 });
    assert.equal(await store.get("segments/a/missing"), undefined);
    assert.equal(await store.head("segments"), undefined, "a directory is not an object");
    assert.equal(await store.get("segments"), undefined);

    assert.deepEqual(await Array.fromAsync(store.list("segments/")), [
      { key: "segments/a/0001.bin", size: 4 },
      { key: "segments/b/0002.bin", size: 3 },
    ]);
    // A prefix need not end at a segment boundary, as on S3.
    assert.deepEqual(await keys(store, "segments"), [
      "segments-extra",
      "segments/a/0001.bin",
      "segments/b/0002.bin",
    ]);
    assert.deepEqual(await keys(store, "segments/a/00"), ["segments/a/0001.bin"]);
    assert.deepEqual(await keys(store, ""), [
      "other/z",
      "segments-extra",
      "segments/a/0001.bin",
      "segments/b/0002.bin",
    ]);
    assert.deepEqual(await keys(store, "nothing/here/"), []);

    await store.put("segments/a/0001.bin", enc("replaced"));
    assert.equal(dec(await store.get("segments/a/0001.bin")), "replaced");

    await store.delete("segments/a/0001.bin");
    await store.delete("segments/a/0001.bin"); // absent: fine
    assert.equal(await store.get("segments/a/0001.bin"), undefined);
    assert.deepEqual(await keys(store, "segments/"), ["segments/b/0002.bin"]);
    // The emptied directory is pruned; the root stays.
    assert.deepEqual(await allNames(dir), [
      "other",
      "other/z",
      "segments",
      "segments-extra",
      "segments/b",
      "segments/b/0002.bin",
    ]);
    assert.equal(store.locate("a/b"), `${dir}/a/b`);
    assert.equal(store.describe(), dir);
  });
});

Deno.test("directory store ifAbsent never overwrites", async () => {
  await withStore(async (store) => {
    await store.put("evidence/m/bundle.json", enc("first"), { ifAbsent: true });
    const err = await store.put("evidence/m/bundle.json", enc("second"), { ifAbsent: true })
      .then(() => undefined, (e: unknown) => e);
    assert.ok(isObjectExistsError(err), `expected already_exists, got ${err}`);
    assert.equal(dec(await store.get("evidence/m/bundle.json")), "first");
  });
});

Deno.test("directory store refuses keys that escape or collide with its own files", async () => {
  await withStore(async (store) => {
    for (
      const key of [
        "",
        "../x",
        "a/../../x",
        "/etc/passwd",
        "a//b",
        "a/./b",
        ".kraftover-tmp-x",
        "a\\b",
      ]
    ) {
      await assert.rejects(
        store.put(key, enc("x")),
        (e: unknown) => isKraftoverError(e, "STORE_ERROR") && e.detail?.reason === "invalid_key",
        `key ${JSON.stringify(key)}`,
      );
    }
    await assert.rejects(Array.fromAsync(store.list("../")));
  });
});

Deno.test("directory store records retention and refuses delete and overwrite before it ends", async () => {
  let clock = new Date("2030-01-01T00:00:00Z");
  await withStore(async (store, dir) => {
    const until = new Date("2030-01-02T00:00:00Z");
    await store.put("evidence/m/bundle.json", enc("locked"), {
      retainUntil: until,
      lockMode: "COMPLIANCE",
    });
    assert.deepEqual(await store.head("evidence/m/bundle.json"), {
      size: 6,
      retainUntil: until,
      lockMode: "COMPLIANCE",
    });
    await assert.rejects(store.delete("evidence/m/bundle.json"), isRetentionError);
    await assert.rejects(store.put("evidence/m/bundle.json", enc("other")), isRetentionError);
    await assert.rejects(
      store.put("evidence/m/bundle.json", enc("other"), { ifAbsent: true }),
      isObjectExistsError,
    );
    assert.equal(dec(await store.get("evidence/m/bundle.json")), "locked");
    // The sidecar is hidden from listings.
    assert.deepEqual(await keys(store, "evidence/"), ["evidence/m/bundle.json"]);
    assert.ok((await allNames(dir)).some((n) => n.includes(".kraftover-retention-bundle.json")));

    clock = new Date("2030-01-03T00:00:00Z"); // retention over
    await store.delete("evidence/m/bundle.json");
    assert.equal(await store.head("evidence/m/bundle.json"), undefined);
    assert.deepEqual(await allNames(dir), [], "object, sidecar and emptied directories are gone");
  }, () => clock);
});

Deno.test("directory store refuses lockMode without retainUntil", async () => {
  await withStore(async (store) => {
    await assert.rejects(
      store.put("k", enc("x"), { lockMode: "GOVERNANCE" }),
      (e: unknown) => isKraftoverError(e, "STORE_ERROR") && e.detail?.reason === "invalid_request",
    );
  });
});

Deno.test("directory store honours an aborted signal", async () => {
  await withStore(async (store) => {
    const signal = AbortSignal.abort();
    await assert.rejects(
      store.put("k", enc("x"), { signal }),
      (e) => isKraftoverError(e, "ABORTED"),
    );
    assert.equal(await store.head("k"), undefined);
  });
});

Deno.test("probeStore on a directory: a missing directory is reachable and writable, a file is not", async () => {
  await withStore(async (_store, dir) => {
    const nested = createDirectoryStore({ directory: `${dir}/not/yet/there` });
    const ok = await probeStore(nested);
    assert.equal(ok.reachable, true);
    assert.equal(ok.writable, true);
    assert.equal(ok.error, undefined);
    assert.deepEqual(await allNames(`${dir}/not/yet/there`), [], "the probe object is gone");

    await Deno.writeTextFile(`${dir}/file`, "x");
    const bad = await probeStore(createDirectoryStore({ directory: `${dir}/file` }));
    assert.equal(bad.reachable, false);
    assert.equal(bad.writable, false);
    assert.ok(isKraftoverError(bad.error, "STORE_ERROR"));

    const locked = await probeStore(nested, { requireObjectLock: true });
    assert.equal(locked.objectLockEnabled, false, "a directory's retention is advisory");
    assert.equal(locked.error?.detail?.reason, "no_object_lock");
  });
});

{
  const skip = Deno.build.os === "windows"
    ? "no POSIX permission bits on Windows"
    : Deno.uid() === 0
    ? "running as root, which writes to a read-only directory anyway"
    : undefined;
  // deno-lint-ignore no-console
  if (skip !== undefined) console.log(`skipping the read-only directory probe test: ${skip}`);
  Deno.test({
    name: "probeStore on a read-only directory: reachable, not writable",
    ignore: skip !== undefined,
    fn: async () => {
      await withStore(async (_store, dir) => {
        await Deno.chmod(dir, 0o500);
        try {
          const result = await probeStore(createDirectoryStore({ directory: dir }));
          assert.equal(result.reachable, true);
          assert.equal(result.writable, false);
          assert.equal(result.error?.detail?.reason, "access_denied");
        } finally {
          await Deno.chmod(dir, 0o700);
        }
      });
    },
  });
}

const SIZE_MIB = 64;

/** Checks an object is a whole generation: the right size and every byte as written. */
function wholeGeneration(bytes: Uint8Array): number {
  assert.equal(bytes.length, SIZE_MIB * 1024 * 1024, "object is whole (not truncated)");
  const generation = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  assert.ok(generation >= 1);
  const fill = generation % 251;
  for (let i = 8; i < bytes.length; i++) {
    if (bytes[i] !== fill) {
      assert.fail(`byte ${i} is ${bytes[i]}, generation ${generation} wrote ${fill}`);
    }
  }
  return generation;
}

/** Total bytes of the regular files below `dir`, hidden ones included. */
async function bytesOnDisk(dir: string): Promise<number> {
  let total = 0;
  for (const name of await allNames(dir).catch(() => [])) {
    const info = await Deno.stat(`${dir}/${name}`).catch(() => undefined);
    if (info?.isFile) total += info.size;
  }
  return total;
}

/**
 * Starts the writer child and SIGKILLs it inside put number `generation`: once
 * it announced `writing N` and the bytes on disk moved away from what the
 * earlier generations account for (a temporary file growing, or — in a
 * store that wrote in place — the object itself changing).
 */
async function killDuringWrite(dir: string, mode: string, generation: number): Promise<void> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      `--allow-read=${dir}`,
      `--allow-write=${dir}`,
      new URL("./store_crash_writer.ts", import.meta.url).pathname,
      dir,
      "big/object.bin",
      String(SIZE_MIB),
      mode,
    ],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const settled = SIZE_MIB * 1024 * 1024 * (mode === "replace" ? 1 : generation - 1);
  const decoder = new TextDecoder();
  let buffered = "";
  let killed = false;
  const reader = child.stdout.getReader();
  try {
    while (!buffered.includes(`writing ${generation}\n`)) {
      const { value, done } = await reader.read();
      if (done) break;
      buffered += decoder.decode(value, { stream: true });
    }
    if (buffered.includes(`writing ${generation}\n`)) {
      // Poll (not a timed wait): kill as soon as the put has visibly begun.
      while (
        await bytesOnDisk(`${dir}/big`) === settled && !buffered.includes(`done ${generation}`)
      ) {
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
      child.kill("SIGKILL");
      killed = true;
    }
  } finally {
    reader.releaseLock();
    await child.stdout.cancel();
  }
  const status = await child.status;
  assert.ok(killed, `the writer stopped before generation ${generation}: ${buffered}`);
  assert.equal(status.signal, "SIGKILL");
}

for (const [mode, generation] of [["replace", 2], ["replace", 3], ["if-absent", 2]] as const) {
  Deno.test(`directory store: SIGKILL in the middle of a ${SIZE_MIB} MiB ${mode} put leaves the whole object or none (generation ${generation})`, async () => {
    await withStore(async (store, dir) => {
      await killDuringWrite(dir, mode, generation);
      const listed = await Array.fromAsync(store.list("big/"));
      const leftovers = (await allNames(dir)).filter((n) => n.includes(".kraftover-tmp-"));
      if (mode === "replace") {
        assert.deepEqual(listed.map((e) => e.key), ["big/object.bin"]);
        const found = wholeGeneration((await store.get("big/object.bin"))!);
        assert.ok(found === generation - 1 || found === generation, `generation ${found}`);
      } else {
        // Every key present holds its whole generation; the interrupted one is absent or whole.
        assert.ok(listed.length === generation - 1 || listed.length === generation);
        for (const entry of listed) {
          const found = wholeGeneration((await store.get(entry.key))!);
          assert.equal(entry.key, `big/object.bin-${found}`);
        }
      }
      // deno-lint-ignore no-console
      console.log(
        `  killed during generation ${generation}: ${leftovers.length} temporary file(s) left ` +
          `(${
            leftovers.length > 0 ? "the kill landed mid-write" : "the write had not started"
          }), ` +
          "none visible as an object",
      );
    });
  });
}
