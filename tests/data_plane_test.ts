/**
 * The data plane against real brokers: source data with everything that
 * shifts offsets — a compacted topic after the cleaner ran, committed and
 * aborted transactions, a log start advanced by DeleteRecords, an empty topic,
 * many partitions, null keys, tombstones, repeated and interleaved headers,
 * every codec — is migrated to drain-ready while a producer keeps writing,
 * then kcat reads source and target and every partition's sequence of
 * (key, value, headers, timestamp) must be identical, and the offset map must
 * send every copied source offset to the right target record.
 */

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
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
import { createMigrationContext } from "../lib/context.ts";
import { execute } from "../lib/phases/execute.ts";
import { readJournal } from "../lib/journal.ts";
import { replayCopyState } from "../lib/copy/copy_state.ts";
import { partitionKey } from "../lib/offset_map.ts";
import type { SandboxInfo } from "../lib/sandbox/sandbox_info.ts";

const CODECS = ["none", "gzip", "snappy", "lz4", "zstd"] as const;

/** Builds the source data set; returns the topic names. */
async function makeSourceData(info: SandboxInfo, prefix: string) {
  const bootstrap = info.source.bootstrap.plaintext[0]!;
  const kafka = new Kafka({
    brokers: [bootstrap],
    logLevel: logLevel.NOTHING,
    clientId: "test-data",
  });
  const admin = kafka.admin();
  await admin.connect();
  const t = {
    codecs: `${prefix}.codecs`,
    compact: `${prefix}.compact`,
    txn: `${prefix}.txn`,
    deleted: `${prefix}.deleted`,
    empty: `${prefix}.empty`,
    many: `${prefix}.many`,
    live: `${prefix}.live`,
  };
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        { topic: t.codecs, numPartitions: 1 },
        {
          topic: t.compact,
          numPartitions: 1,
          configEntries: [
            { name: "cleanup.policy", value: "compact" },
            { name: "segment.ms", value: "100" },
            { name: "min.cleanable.dirty.ratio", value: "0.01" },
            { name: "delete.retention.ms", value: "100" },
            // Legal on 3.9, below Kafka 4's minimum: the target gets 1 MiB instead.
            { name: "segment.bytes", value: "16384" },
          ],
        },
        { topic: t.txn, numPartitions: 2 },
        { topic: t.deleted, numPartitions: 1 },
        { topic: t.empty, numPartitions: 3 },
        { topic: t.many, numPartitions: 12 },
        { topic: t.live, numPartitions: 3 },
      ],
    });

    // Every codec, interleaved repeated headers, null key (kcat: empty key), tombstones (-Z).
    for (const codec of CODECS) {
      await kcat(
        [
          "-P",
          "-b",
          bootstrap,
          "-t",
          t.codecs,
          "-p",
          "0",
          "-z",
          codec,
          "-K",
          "|",
          "-Z",
          "-H",
          "a=1",
          "-H",
          "b=2",
          "-H",
          "a=3",
        ],
        [`k-${codec}|v-${codec}`, `|null-key-${codec}`, `tomb-${codec}|`].join("\n") + "\n",
      );
    }
    // Empty key and empty value (not null), and a record without headers, through a second client.
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    await producer.send({
      topic: t.codecs,
      messages: [
        { partition: 0, key: Buffer.alloc(0), value: Buffer.alloc(0) },
        { partition: 0, key: "plain", value: "no-headers" },
      ],
    });

    // Compaction: duplicate keys in many small segments, then wait for the cleaner.
    for (let round = 0; round < 8; round++) {
      await kcat(
        ["-P", "-b", bootstrap, "-t", t.compact, "-p", "0", "-K", "|"],
        Array.from({ length: 20 }, (_, i) => `key-${i % 5}|round-${round}-${i}`).join("\n") + "\n",
      );
      await new Promise((r) => setTimeout(r, 120)); // segment.ms: the next write rolls a new segment
    }
    await eventually("the log cleaner to compact the source topic", async () => {
      const records = await kcatReadAll(bootstrap, t.compact);
      return records.length < 150;
    }, 90_000);

    // Transactions: committed, aborted, committed — with markers on both partitions.
    const txProducer = kafka.producer({
      transactionalId: uniqueName("tx"),
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await txProducer.connect();
    for (const outcome of ["commit", "abort", "commit"] as const) {
      const tx = await txProducer.transaction();
      await tx.send({
        topic: t.txn,
        messages: [0, 1, 0, 1].map((partition, i) => ({
          partition,
          key: `${outcome}-${i}`,
          value: `tx-${outcome}-${i}`,
        })),
      });
      if (outcome === "commit") await tx.commit();
      else await tx.abort();
    }
    await txProducer.disconnect();

    // A log start advanced by DeleteRecords.
    await kcat(
      ["-P", "-b", bootstrap, "-t", t.deleted, "-p", "0"],
      Array.from({ length: 20 }, (_, i) => `d-${i}`).join("\n") + "\n",
    );
    await admin.fetchTopicOffsets(t.deleted); // kafkajs looks the leader up in its metadata cache
    await admin.deleteTopicRecords({
      topic: t.deleted,
      partitions: [{ partition: 0, offset: "10" }],
    });

    // Many partitions.
    for (let p = 0; p < 12; p++) {
      await kcat([
        "-P",
        "-b",
        bootstrap,
        "-t",
        t.many,
        "-p",
        String(p),
        "-z",
        CODECS[p % CODECS.length]!,
      ], `m-${p}-a\nm-${p}-b\n`);
    }
    await producer.disconnect();
  } finally {
    await admin.disconnect();
  }
  return t;
}

/** A producer writing to the live topic until stopped. */
function liveProducer(info: SandboxInfo, topic: string) {
  const kafka = new Kafka({
    brokers: [info.source.bootstrap.plaintext[0]!],
    logLevel: logLevel.NOTHING,
    clientId: "live",
  });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  let running = true;
  let sent = 0;
  const done = (async () => {
    await producer.connect();
    while (running) {
      await producer.send({
        topic,
        messages: Array.from(
          { length: 10 },
          (_, i) => ({
            key: `live-${sent + i}`,
            value: `value-${sent + i}`,
            headers: { n: String(sent + i) },
          }),
        ),
      });
      sent += 10;
      await new Promise((r) => setTimeout(r, 5)); // a steady load, not a flood
    }
    await producer.disconnect();
  })();
  return {
    get sent() {
      return sent;
    },
    async stop() {
      running = false;
      await done;
    },
  };
}

Deno.test({
  name:
    "execute copies every copyable record exactly once, in order, with keys, values, headers and timestamps, and maps every offset",
  ignore: noSandbox || kcatPath === undefined,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const info = (await sandbox())!;
    const prefix = uniqueName("dp");
    const topics = await makeSourceData(info, prefix);
    for (const via of ["staged", "direct"] as const) {
      await t.step(
        `seed via ${via}, tail with a live producer, then compare with kcat`,
        async () => {
          const dir = await Deno.makeTempDir();
          // The second run copies the same source topics again: start it from empty target topics.
          if (via === "direct") {
            const kafka = new Kafka({
              brokers: [info.target.bootstrap.plaintext[0]!],
              logLevel: logLevel.NOTHING,
            });
            const admin = kafka.admin();
            await admin.connect();
            await admin.deleteTopics({ topics: Object.values(topics) });
            await eventually("target topics to be deleted", async () => {
              const names = await admin.listTopics();
              return Object.values(topics).every((n) => !names.includes(n));
            });
            await admin.disconnect();
          }
          // While producers write, drain-ready means "within 500 offsets"; once they stopped, "nothing left".
          const configFor = (lag: number) =>
            writeSandboxConfig(info, dir, "plaintext-plaintext", {
              topics: { include: [`${prefix.replace(/[-.]/g, "\\$&")}\\..*`] },
              seed: { via, max_concurrent_partitions: 4, segment_max_bytes: "4KiB" },
              cutover: {
                drain_max_partition_lag: lag,
                drain_stable_window: "1s",
                drain_timeout: "5m",
              },
              topology: { on_config_drift: "overwrite_with_source" },
            });
          const ctx = createMigrationContext((await configFor(500)).config, {
            baseDir: dir,
            journalDir: `${dir}/journal`,
          });
          const live = liveProducer(info, topics.live);
          try {
            await eventually("the live producer to start", () => live.sent > 0);
            const first = await execute(ctx, { settleMs: 200 });
            assert.equal(first.state, "drain_ready");
          } finally {
            await live.stop();
          }
          await ctx.close();
          // Producers stopped: tail again until nothing is left.
          const after = createMigrationContext((await configFor(0)).config, {
            baseDir: dir,
            journalDir: `${dir}/journal`,
          });
          const second = await execute(after, { settleMs: 200 });
          assert.equal(second.state, "drain_ready");
          await after.close();

          const source = info.source.bootstrap.plaintext[0]!;
          const target = info.target.bootstrap.plaintext[0]!;
          const { records } = await readJournal(`${dir}/journal`);
          const copy = replayCopyState(records);
          for (const topic of Object.values(topics)) {
            const [src, tgt] = await Promise.all([
              kcatReadAll(source, topic),
              kcatReadAll(target, topic),
            ]);
            assert.deepEqual(
              tgt.map(content),
              src.map(content),
              `${topic}: target differs from source`,
            );
            const byOffset = new Map(tgt.map((r) => [`${r.partition}/${r.offset}`, r]));
            for (const s of src) {
              const p = copy.partitions.get(partitionKey(topic, s.partition))!;
              const to = p.map.targetOf(s.offset);
              assert.ok(
                to !== undefined,
                `${topic}[${s.partition}]@${s.offset} is not in the offset map`,
              );
              assert.equal(
                content(byOffset.get(`${s.partition}/${to}`)!),
                content(s),
                `${topic}[${s.partition}]@${s.offset} → ${to}`,
              );
            }
            const copied = [...copy.partitions.values()].filter((p) => p.topic === topic).reduce(
              (n, p) => n + p.copied,
              0,
            );
            assert.equal(copied, src.length, `${topic}: copied count`);
          }
          // Every source offset in range is copied or an explained hole.
          for (const p of copy.partitions.values()) {
            const holes = p.holes.aborted + p.holes.control + p.holes.absent;
            assert.equal(
              p.copied + holes,
              p.next - p.sourceStart,
              `${p.topic}[${p.partition}] offsets accounted for`,
            );
          }
          const txn = [...copy.partitions.values()].filter((p) => p.topic === topics.txn);
          assert.ok(
            txn.reduce((n, p) => n + p.holes.aborted, 0) >= 4,
            "aborted records were seen and skipped",
          );
          assert.ok(
            txn.reduce((n, p) => n + p.holes.control, 0) >= 6,
            "transaction markers were seen and skipped",
          );
          const deleted = copy.partitions.get(partitionKey(topics.deleted, 0))!;
          assert.equal(deleted.sourceStart, 10, "the copy starts at the advanced log start");
          const compact = copy.partitions.get(partitionKey(topics.compact, 0))!;
          assert.ok(compact.holes.absent > 0, "compaction holes were recorded");
        },
      );
    }
  },
});
