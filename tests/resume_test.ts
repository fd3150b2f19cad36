/**
 * Crash safety: `kraftover execute` is killed with SIGKILL at random points of
 * the seed and of the tail (while a producer keeps writing), re-run each time,
 * and at the end the target must hold exactly the source's copyable records,
 * once each, in order — checked with kcat — with a correct offset map.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import {
  content,
  eventually,
  kcat,
  kcatPath,
  kcatReadAll,
  noSandbox,
  sandbox,
  uniqueName,
  writeSandboxConfig,
} from "./_fixtures.ts";
import { Kafka, logLevel } from "../lib/kafka/kafkajs.ts";
import { readJournal } from "../lib/journal.ts";
import { CHECKPOINT, replayCopyState } from "../lib/copy/copy_state.ts";
import { partitionKey } from "../lib/offset_map.ts";

const cli = new URL("../cli.ts", import.meta.url).pathname;

/** Seeded randomness so a failing run can be reproduced (the seed is printed). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    return s / 4294967296;
  };
}

async function journalLines(dir: string): Promise<number> {
  try {
    return (await Deno.readTextFile(join(dir, "journal.jsonl"))).split("\n").length - 1;
  } catch {
    return 0;
  }
}

function spawnExecute(configFile: string, follow: boolean): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      cli,
      "--log-format",
      "json",
      "--log-level",
      "warn",
      "execute",
      "--config",
      configFile,
      ...(follow ? ["--follow"] : []),
    ],
    stdout: "null",
    stderr: "piped",
  }).spawn();
}

Deno.test({
  name:
    "execute killed with SIGKILL at random points of seed and tail loses nothing and duplicates nothing",
  ignore: noSandbox || kcatPath === undefined,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const info = (await sandbox())!;
    const seed = Number(Deno.env.get("KRAFTOVER_TEST_SEED") ?? Date.now() % 100_000);
    // deno-lint-ignore no-console
    console.log(`resume test random seed: ${seed} (set KRAFTOVER_TEST_SEED to repeat)`);
    const random = rng(seed);
    const prefix = uniqueName("rs");
    const bulk = `${prefix}.bulk`;
    const txn = `${prefix}.txn`;
    const live = `${prefix}.live`;
    const source = info.source.bootstrap.plaintext[0]!;
    const kafka = new Kafka({
      brokers: [source],
      logLevel: logLevel.NOTHING,
      clientId: "resume-data",
    });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic: bulk, numPartitions: 4 }, { topic: txn, numPartitions: 2 }, {
        topic: live,
        numPartitions: 2,
      }],
    });
    await admin.disconnect();
    const payload = "x".repeat(200);
    for (let p = 0; p < 4; p++) {
      const lines = Array.from({ length: 25_000 }, (_, i) =>
        `k${p}-${i}|${payload}-${p}-${i}`).join("\n") + "\n";
      await kcat([
        "-P",
        "-b",
        source,
        "-t",
        bulk,
        "-p",
        String(p),
        "-K",
        "|",
        "-z",
        ["none", "lz4", "zstd", "snappy"][p]!,
        "-H",
        "h=1",
        "-H",
        "g=2",
        "-H",
        "h=3",
      ], lines);
    }
    const tx = kafka.producer({
      transactionalId: uniqueName("rtx"),
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await tx.connect();
    for (let i = 0; i < 6; i++) {
      const t = await tx.transaction();
      await t.send({
        topic: txn,
        messages: [0, 1].map((partition) => ({ partition, key: `t${i}`, value: `v${i}` })),
      });
      if (i % 3 === 1) await t.abort();
      else await t.commit();
    }
    await tx.disconnect();

    const dir = await Deno.makeTempDir();
    const journal = join(dir, ".kraftover", "journal");
    const loaded = await writeSandboxConfig(info, dir, "plaintext-plaintext", {
      topics: { include: [`${prefix.replace(/[-.]/g, "\\$&")}\\..*`] },
      seed: { via: "staged", max_concurrent_partitions: 2, segment_max_bytes: "64KiB" },
      cutover: { drain_max_partition_lag: 0, drain_stable_window: "1s" },
    });

    // Kills during the seed, each after a random amount of journaled progress.
    let seedKills = 0;
    for (let attempt = 0; attempt < 4; attempt++) {
      const before = await journalLines(journal);
      const wanted = before + 2 + Math.floor(random() * 12);
      const child = spawnExecute(loaded.file, false);
      let finished = false;
      const status = child.status.then((s) => {
        finished = true;
        return s;
      });
      await eventually(
        "journal progress or exit",
        async () => finished || (await journalLines(journal)) >= wanted,
        120_000,
      );
      if (finished) break;
      child.kill("SIGKILL");
      await status;
      seedKills++;
    }
    assert.ok(seedKills >= 2, `the seed was killed only ${seedKills} times (it finished too fast)`);

    // Kills during the tail while a producer writes.
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    let running = true;
    let sent = 0;
    const writing = (async () => {
      while (running) {
        await producer.send({
          topic: live,
          messages: Array.from(
            { length: 20 },
            (_, i) => ({ key: `l${sent + i}`, value: `live-${sent + i}` }),
          ),
        });
        sent += 20;
        await new Promise((r) => setTimeout(r, 5)); // a steady load, not a flood
      }
    })();
    for (let attempt = 0; attempt < 3; attempt++) {
      const before = await journalLines(journal);
      const child = spawnExecute(loaded.file, true);
      const wanted = before + 2 + Math.floor(random() * 10);
      await eventually(
        "tail progress",
        async () => (await journalLines(journal)) >= wanted,
        120_000,
      );
      child.kill("SIGKILL");
      await child.status;
    }
    running = false;
    await writing;
    await producer.disconnect();
    assert.ok(sent > 0);

    // A last, uninterrupted run brings the target up to date.
    const final = await spawnExecute(loaded.file, false).output();
    assert.equal(final.code, 0, new TextDecoder().decode(final.stderr));

    const target = info.target.bootstrap.plaintext[0]!;
    const { records } = await readJournal(journal);
    const copy = replayCopyState(records);
    for (const topic of [bulk, txn, live]) {
      const [src, tgt] = await Promise.all([
        kcatReadAll(source, topic),
        kcatReadAll(target, topic),
      ]);
      assert.equal(
        tgt.length,
        src.length,
        `${topic}: ${tgt.length} records on the target, ${src.length} on the source`,
      );
      assert.deepEqual(tgt.map(content), src.map(content), `${topic}: target differs from source`);
      const byOffset = new Map(tgt.map((r) => [`${r.partition}/${r.offset}`, r]));
      for (const s of src) {
        const to = copy.partitions.get(partitionKey(topic, s.partition))!.map.targetOf(s.offset);
        assert.equal(
          content(byOffset.get(`${s.partition}/${to}`)!),
          content(s),
          `${topic}[${s.partition}]@${s.offset}`,
        );
      }
    }
    // Staged segments were reused, never written twice.
    const written = records.filter((r) =>
      r.type === "checkpoint" && r.name === CHECKPOINT.segmentWritten
    )
      .map((r) =>
        r.type === "checkpoint" ? `${r.data.topic}/${r.data.partition}/${r.data.index}` : ""
      );
    assert.equal(new Set(written).size, written.length, "a staged segment was journaled twice");
    const kafkaAdmin = new Kafka({ brokers: [source], logLevel: logLevel.NOTHING }).admin();
    await kafkaAdmin.connect();
    await kafkaAdmin.deleteTopics({ topics: [bulk, txn, live] }).catch(() => {});
    await kafkaAdmin.disconnect();
  },
});
