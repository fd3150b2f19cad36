/**
 * Child process for the directory store's crash-safety test: writes
 * generation after generation of a large object through the store until it is
 * killed. Prints `writing N` just before each put and `done N` after it.
 *
 * Usage: deno run --allow-read --allow-write tests/store_crash_writer.ts DIR KEY MIB MODE
 * where MODE is `replace` (same key every time) or `if-absent` (KEY-N, ifAbsent).
 *
 * Generation N is MIB MiB: an 8-byte little-endian N, then bytes all equal to N % 251.
 *
 * @module
 */

import { createDirectoryStore } from "../lib/store/directory_store.ts";

const [dir, key, mib, mode] = Deno.args;
if (dir === undefined || key === undefined || mib === undefined) {
  throw new Error("usage: store_crash_writer.ts DIR KEY MIB replace|if-absent");
}
const store = createDirectoryStore({ directory: dir });
const size = Number(mib) * 1024 * 1024;
const encoder = new TextEncoder();

for (let generation = 1;; generation++) {
  const body = new Uint8Array(size).fill(generation % 251);
  new DataView(body.buffer).setBigUint64(0, BigInt(generation), true);
  await Deno.stdout.write(encoder.encode(`writing ${generation}\n`));
  if (mode === "if-absent") {
    await store.put(`${key}-${generation}`, body, { ifAbsent: true });
  } else {
    await store.put(key, body);
  }
  await Deno.stdout.write(encoder.encode(`done ${generation}\n`));
}
