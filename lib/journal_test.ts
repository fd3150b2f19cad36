import assert from "node:assert/strict";
import { join } from "node:path";
import { JOURNAL_FILE, LOCK_FILE, openJournal, readJournal, replayState } from "./journal.ts";
import { KraftoverError } from "./errors.ts";
import { createMemoryLogger } from "./logger.ts";

const journalModule = new URL("./journal.ts", import.meta.url).href;

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<KraftoverError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof KraftoverError, String(error));
    assert.equal(error.code, code, error.message);
    return error;
  }
  assert.fail(`expected ${code}`);
}

Deno.test("openJournal() fixes the migration id at the first write and replays transitions", async () => {
  const dir = await Deno.makeTempDir();
  {
    await using journal = await openJournal(dir, { migrationId: "mig-one", toolVersion: "9.9.9" });
    await journal.transition("precheck");
    await journal.transition("topology_copy");
    await journal.append({ type: "checkpoint", name: "x", data: { n: 1 } });
  }
  await using again = await openJournal(dir);
  assert.equal(again.migrationId, "mig-one");
  assert.equal(again.state.state, "topology_copy");
  assert.equal(again.records.length, 4);
  assert.deepEqual(again.records.map((r) => r.seq), [1, 2, 3, 4]);
  const first = again.records[0]!;
  assert.ok(first.type === "migration_started" && first.tool_version === "9.9.9");
});

Deno.test("openJournal() refuses a different migration id than the journal's", async () => {
  const dir = await Deno.makeTempDir();
  await (await openJournal(dir, { migrationId: "mig-aaa" })).close();
  await rejectsWith(openJournal(dir, { migrationId: "mig-bbb" }), "JOURNAL_MISMATCH");
});

Deno.test("an illegal transition is refused naming the current state and the next action", async () => {
  const dir = await Deno.makeTempDir();
  await using journal = await openJournal(dir, { migrationId: "mig-ill" });
  const error = await rejectsWith(journal.transition("cutover"), "ILLEGAL_TRANSITION");
  assert.match(error.message, /from planned to cutover/);
  assert.match(error.message, /kraftover execute/);
  assert.equal(journal.state.state, "planned");
});

Deno.test("a failed migration resumes only into the state it failed in (or rolls back before cutover)", async () => {
  const dir = await Deno.makeTempDir();
  await using journal = await openJournal(dir, { migrationId: "mig-fail" });
  for (const s of ["precheck", "topology_copy", "seed"] as const) await journal.transition(s);
  await journal.transition("failed", {
    reason: "broker down",
    error_code: "KAFKA_UNREACHABLE",
    retriable: true,
  });
  assert.equal(journal.state.failedFrom, "seed");
  assert.deepEqual(journal.state.failure, {
    reason: "broker down",
    code: "KAFKA_UNREACHABLE",
    retriable: true,
  });
  await rejectsWith(journal.transition("drain_ready"), "ILLEGAL_TRANSITION");
  await journal.transition("seed");
  assert.equal(journal.state.state, "seed");
  assert.equal(journal.state.failure, undefined);
});

Deno.test("a torn last line is ignored, cut off, and later appends continue cleanly", async () => {
  const dir = await Deno.makeTempDir();
  await (await openJournal(dir, { migrationId: "mig-torn" })).close();
  await Deno.writeTextFile(join(dir, JOURNAL_FILE), '{"seq":2,"ts":"2026-01-0', { append: true });
  const { records, tornLine } = await readJournal(dir);
  assert.equal(records.length, 1);
  assert.equal(tornLine, 2);
  const { logger, lines } = createMemoryLogger();
  await using journal = await openJournal(dir, { logger });
  assert.ok(lines.some((l) => l.includes("torn last journal line")));
  await journal.transition("precheck");
  const reread = await readJournal(dir);
  assert.equal(reread.tornLine, undefined);
  assert.deepEqual(reread.records.map((r) => r.seq), [1, 2]);
});

Deno.test("a corrupt line in the middle is an error naming the line", async () => {
  const dir = await Deno.makeTempDir();
  {
    await using journal = await openJournal(dir, { migrationId: "mig-corrupt" });
    await journal.transition("precheck");
    await journal.transition("topology_copy");
  }
  const path = join(dir, JOURNAL_FILE);
  const lines = (await Deno.readTextFile(path)).split("\n");
  lines[1] = lines[1]!.replace('"to":"precheck"', '"to":"precheck"X');
  await Deno.writeTextFile(path, lines.join("\n"));
  const error = await rejectsWith(readJournal(dir), "JOURNAL_CORRUPT");
  assert.match(error.message, /at line 2/);
  await rejectsWith(openJournal(dir), "JOURNAL_CORRUPT");
});

Deno.test("a second runner on the same journal is refused while the first holds the lock", async () => {
  const dir = await Deno.makeTempDir();
  await using first = await openJournal(dir, { migrationId: "mig-lock" });
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      `import { openJournal } from "${journalModule}";
      try { await openJournal(${JSON.stringify(dir)}); console.log("LOCKED-NOT"); }
      catch (e) { console.log(e.code); }`,
    ],
    stdout: "piped",
    stderr: "inherit",
  });
  const out = new TextDecoder().decode((await child.output()).stdout).trim();
  assert.equal(out, "JOURNAL_LOCKED");
  assert.equal(first.state.state, "planned");
});

Deno.test("a runner killed with SIGKILL mid-append leaves a journal the next runner takes over", async () => {
  const dir = await Deno.makeTempDir();
  const script = `import { openJournal } from "${journalModule}";
    const j = await openJournal(${JSON.stringify(dir)}, { migrationId: "mig-kill" });
    console.log("READY");
    const blob = "x".repeat(256 * 1024);
    for (let i = 0; ; i++) await j.append({ type: "checkpoint", name: "bulk", data: { i, blob } });`;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["eval", script],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.getReader();
  const first = new TextDecoder().decode((await reader.read()).value);
  assert.match(first, /READY/);
  // Wait until a good number of appends are on disk, then kill without warning.
  const path = join(dir, JOURNAL_FILE);
  for (let i = 0; i < 2000; i++) {
    const size = (await Deno.stat(path)).size;
    if (size > 4 * 1024 * 1024) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  child.kill("SIGKILL");
  await child.status;
  reader.releaseLock();
  await child.stdout.cancel().catch(() => {});
  // The dead runner's lock is still there.
  await Deno.stat(join(dir, LOCK_FILE));

  const { logger, lines } = createMemoryLogger();
  await using journal = await openJournal(dir, { logger });
  assert.equal(journal.migrationId, "mig-kill");
  assert.ok(lines.some((l) => l.includes("Took over a stale journal lock")), lines.join("\n"));
  const seqs = journal.records.map((r) => r.seq);
  assert.ok(seqs.length > 10);
  assert.deepEqual(seqs, seqs.map((_, i) => i + 1));
  const bulk = journal.records.filter((r) => r.type === "checkpoint");
  assert.deepEqual(
    bulk.map((r) => (r.type === "checkpoint" ? r.data.i : -1)),
    bulk.map((_, i) => i),
  );
  await journal.transition("precheck");
  assert.equal((await readJournal(dir)).records.at(-1)?.type, "transition");
});

Deno.test("replayState() tracks time in state from the transition that entered it", () => {
  const state = replayState([
    {
      seq: 1,
      ts: "2026-01-01T00:00:00.000Z",
      type: "migration_started",
      migration_id: "m",
      tool_version: "1",
    },
    { seq: 2, ts: "2026-01-01T00:01:00.000Z", type: "transition", from: "planned", to: "precheck" },
    {
      seq: 3,
      ts: "2026-01-01T00:02:00.000Z",
      type: "transition",
      from: "precheck",
      to: "topology_copy",
    },
  ]);
  assert.equal(state.state, "topology_copy");
  assert.equal(state.since?.toISOString(), "2026-01-01T00:02:00.000Z");
  assert.equal(state.transitions.length, 2);
});

Deno.test("a migration that failed after cutover cannot be rolled back", async () => {
  const dir = await Deno.makeTempDir();
  await using journal = await openJournal(dir, { migrationId: "mig-late" });
  for (
    const s of ["precheck", "topology_copy", "seed", "tail", "drain_ready", "cutover"] as const
  ) {
    await journal.transition(s);
  }
  await journal.transition("failed", { reason: "x" });
  await rejectsWith(journal.transition("rolled_back"), "ILLEGAL_TRANSITION");
  await journal.transition("cutover");
});

Deno.test("concurrent appends are written whole, in order, with contiguous sequence numbers", async () => {
  const dir = await Deno.makeTempDir();
  {
    await using journal = await openJournal(dir, { migrationId: "mig-conc" });
    const results = await Promise.all(
      Array.from(
        { length: 200 },
        (_, i) =>
          journal.append({ type: "checkpoint", name: "c", data: { i, pad: "y".repeat(i * 10) } }),
      ),
    );
    assert.deepEqual(results.map((r) => r.seq), Array.from({ length: 200 }, (_, i) => i + 2));
  }
  const { records, tornLine } = await readJournal(dir);
  assert.equal(tornLine, undefined);
  assert.equal(records.length, 201);
  const data = records.slice(1).map((r) => (r.type === "checkpoint" ? r.data.i : -1));
  assert.deepEqual(data, Array.from({ length: 200 }, (_, i) => i));
});
