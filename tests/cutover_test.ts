/**
 * Cutover against real brokers. End to end: groups at different lags on the
 * source (one caught up, one that keeps consuming on the source after the
 * cutover), the webhook freeze plugin pausing a live producer, `cutover`,
 * `switch-ack`, then real consumers in each group on the target receive
 * exactly the records they had not consumed on the source. Failure paths: a
 * freeze webhook that times out or answers 500, a freeze window that passes
 * during the drain, a group with members on the target — each aborts safely
 * (unfreeze called, target offsets unchanged) and a later cutover succeeds.
 */

import assert from "node:assert/strict";
import {
  eventually,
  kcat,
  kcatPath,
  noSandbox,
  sandbox,
  uniqueName,
  writeSandboxConfig,
} from "./_fixtures.ts";
import { Kafka, logLevel } from "../lib/kafka/kafkajs.ts";
import type { Consumer } from "../lib/kafka/kafkajs.ts";
import { createMigrationContext } from "../lib/context.ts";
import type { MigrationContext } from "../lib/context.ts";
import { execute } from "../lib/phases/execute.ts";
import { cutover } from "../lib/phases/cutover.ts";
import { switchClients } from "../lib/phases/switch_clients.ts";
import { isKraftoverError } from "../lib/errors.ts";
import { readJournal } from "../lib/journal.ts";
import { replayCutoverState } from "../lib/cutover/cutover_state.ts";
import { verifyKraftoverSignature } from "../plugins/signature.ts";
import type { SandboxInfo } from "../lib/sandbox/sandbox_info.ts";

const SECRET = "freeze-webhook-secret-for-tests";

/** A freeze receiver: records events; its behaviour per event is set by the test. */
function freezeReceiver() {
  const events: { event: string; reason?: string }[] = [];
  let onFreeze: () => Promise<Response> = () =>
    Promise.resolve(new Response(null, { status: 204 }));
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const body = await req.text();
    const verified = await verifyKraftoverSignature(
      body,
      req.headers.get("X-Kraftover-Signature"),
      SECRET,
    );
    if (!verified.ok) return new Response("bad signature", { status: 401 });
    const payload = JSON.parse(body) as { event: string; reason?: string };
    events.push(payload);
    return payload.event === "producers:freeze"
      ? await onFreeze()
      : new Response(null, { status: 204 });
  });
  const hanging: ((r: Response) => void)[] = [];
  return {
    url: `http://127.0.0.1:${server.addr.port}/freeze`,
    events,
    setFreeze(fn: () => Promise<Response>) {
      onFreeze = fn;
    },
    /** A response that only comes when the receiver closes (a webhook that never answers in time). */
    hang(): Promise<Response> {
      return new Promise((resolve) => hanging.push(resolve));
    },
    async close() {
      for (const resolve of hanging.splice(0)) resolve(new Response(null, { status: 204 }));
      await server.shutdown();
    },
  };
}

/** A real consumer (kcat, librdkafka) reads `count` records in `group` and commits, then leaves. */
async function consumeOnce(
  bootstrap: string,
  group: string,
  topic: string,
  count: number,
): Promise<void> {
  await kcat([
    "-b",
    bootstrap,
    "-G",
    group,
    "-X",
    "auto.offset.reset=earliest",
    "-X",
    "enable.auto.commit=true",
    "-c",
    String(count),
    "-q",
    topic,
  ]);
}

function isSentinel(headers: Record<string, unknown> | undefined): boolean {
  return headers !== undefined && "kraftover-sentinel" in headers;
}

/**
 * Consumes a group on a cluster until it has `expected` records (sentinel
 * records skipped, as applications are told to). The records it must get end
 * with records produced after the switch, so anything wrongly delivered
 * (earlier in the same partitions) has arrived by then.
 */
async function drainGroup(
  kafka: Kafka,
  group: string,
  topic: string,
  expected: number,
): Promise<string[]> {
  const consumer: Consumer = kafka.consumer({ groupId: group });
  const got: string[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    // deno-lint-ignore require-await -- kafkajs wants a promise-returning handler
    eachMessage: async ({ message, partition }) => {
      if (isSentinel(message.headers)) return;
      got.push(`${partition}:${message.key?.toString() ?? ""}:${message.value?.toString() ?? ""}`);
    },
  });
  try {
    await eventually(
      `${group} to receive ${expected} records on the target`,
      () => got.length >= expected,
      30_000,
    );
  } finally {
    await consumer.disconnect();
  }
  return got;
}

/** The source's records per partition and offset (sentinels as undefined). */
async function sourceRecords(info: SandboxInfo, topic: string): Promise<(string | undefined)[][]> {
  const kafka = new Kafka({
    brokers: [info.source.bootstrap.plaintext[0]!],
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const out: (string | undefined)[][] = [];
  const consumer = kafka.consumer({ groupId: uniqueName("reader") });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const total = offsets.reduce((n, p) => n + Number(p.high), 0);
  let seen = 0;
  for (const p of offsets) out[p.partition] = [];
  await consumer.run({
    // deno-lint-ignore require-await -- kafkajs wants a promise-returning handler
    eachMessage: async ({ message, partition }) => {
      out[partition]![Number(message.offset)] = isSentinel(message.headers)
        ? undefined
        : `${partition}:${message.key?.toString() ?? ""}:${message.value?.toString() ?? ""}`;
      seen++;
    },
  });
  await eventually("reading the source", () => seen >= total, 30_000);
  await consumer.disconnect();
  return out;
}

interface Setup {
  /** Unique group names for this run. */
  g: { lagging: string; caught: string; after: string };
  info: SandboxInfo;
  ctx: MigrationContext;
  topic: string;
  receiver: ReturnType<typeof freezeReceiver>;
  kafkaSource: Kafka;
  kafkaTarget: Kafka;
}

async function setUp(freezeWindow: string): Promise<Setup> {
  const info = (await sandbox())!;
  const prefix = uniqueName("co");
  const topic = `${prefix}.orders`;
  const kafkaSource = new Kafka({
    brokers: [info.source.bootstrap.plaintext[0]!],
    logLevel: logLevel.NOTHING,
  });
  const kafkaTarget = new Kafka({
    brokers: [info.target.bootstrap.plaintext[0]!],
    logLevel: logLevel.NOTHING,
  });
  const admin = kafkaSource.admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 3 }] });
  await admin.disconnect();
  const producer = kafkaSource.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  await producer.send({
    topic,
    messages: Array.from(
      { length: 60 },
      (_, i) => ({ partition: i % 3, key: `k${i}`, value: `v${i}` }),
    ),
  });
  await producer.disconnect();
  const receiver = freezeReceiver();
  const dir = await Deno.makeTempDir();
  const loaded = await writeSandboxConfig(info, dir, "plaintext-plaintext", {
    topics: { include: [`${prefix.replace(/[-.]/g, "\\$&")}\\..*`] },
    seed: { via: "direct" },
    cutover: {
      drain_max_partition_lag: 0,
      drain_stable_window: "1s",
      max_producer_freeze: freezeWindow,
    },
    hooks: [{
      builtin: "webhook-freeze",
      url: receiver.url,
      secret: SECRET,
      timeout: "1s",
      retries: 1,
      retry_backoff: "100ms",
    }],
  });
  const ctx = createMigrationContext(loaded.config, { baseDir: dir, journalDir: `${dir}/journal` });
  const g = {
    lagging: `${prefix}-lagging`,
    caught: `${prefix}-caught-up`,
    after: `${prefix}-after`,
  };
  return { g, info, ctx, topic, receiver, kafkaSource, kafkaTarget };
}

async function targetOffsets(kafka: Kafka, group: string, topic: string): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [t] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    return t!.partitions.sort((a, b) => a.partition - b.partition).map((p) => p.offset);
  } finally {
    await admin.disconnect();
  }
}

Deno.test({
  name:
    "after cutover and switch-ack, consumers on the target receive exactly what they had not consumed on the source",
  ignore: noSandbox || kcatPath === undefined,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const s = await setUp("30s");
    try {
      await consumeOnce(s.info.source.bootstrap.plaintext[0]!, s.g.lagging, s.topic, 10);
      await consumeOnce(s.info.source.bootstrap.plaintext[0]!, s.g.caught, s.topic, 60);
      await consumeOnce(s.info.source.bootstrap.plaintext[0]!, s.g.after, s.topic, 20);
      assert.equal((await execute(s.ctx, { settleMs: 200 })).state, "drain_ready");
      const report = await cutover(s.ctx, { settleMs: 200 });
      assert.deepEqual(s.receiver.events.map((e) => e.event), ["producers:freeze"]);
      assert.equal(report.sentinels.length, 3);
      assert.ok(report.freezeWindowMs > 0 && report.freezeWindowMs < 30_000);
      const caught = report.groups.find((g) => g.group === s.g.caught)!;
      for (const o of caught.offsets) {
        const sentinel = report.sentinels.find((x) => x.partition === o.partition)!;
        assert.equal(o.via, "after_sentinel");
        assert.equal(
          o.target,
          sentinel.target_offset! + 1,
          "a caught-up group lands after the sentinel",
        );
      }
      // g-after keeps consuming on the source between cutover and switch (up to the sentinels).
      const source = await sourceRecords(s.info, s.topic);
      await consumeOnce(s.info.source.bootstrap.plaintext[0]!, s.g.after, s.topic, 43); // the 40 it had not read, and the 3 sentinels
      const sw = await switchClients(s.ctx, { via: "ack" });
      assert.ok(
        sw.recommitted.some((g) => g.group === s.g.after),
        "g-after was translated again at switch time",
      );
      assert.deepEqual(s.receiver.events.map((e) => e.event), [
        "producers:freeze",
        "producers:unfreeze",
      ]);
      assert.equal(s.receiver.events[1]!.reason, "cutover_complete");

      // What each group should still receive: its source records from its committed offset on.
      const committedOn = async (group: string) => {
        const admin = s.kafkaSource.admin();
        await admin.connect();
        const [t] = await admin.fetchOffsets({ groupId: group, topics: [s.topic] });
        await admin.disconnect();
        return t!.partitions;
      };
      // Producers, switched, now write to the target.
      const producer = s.kafkaTarget.producer({ idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      const fresh = [0, 1, 2].map((p) => `${p}:new-${p}:after-switch`);
      await producer.send({
        topic: s.topic,
        messages: [0, 1, 2].map((partition) => ({
          partition,
          key: `new-${partition}`,
          value: "after-switch",
        })),
      });
      await producer.disconnect();
      for (const group of [s.g.lagging, s.g.caught, s.g.after]) {
        const committed = await committedOn(group);
        // A partition without a commit (-1) is read from its start on both clusters.
        const unread = committed.flatMap((p) =>
          source[p.partition]!.slice(Math.max(0, Number(p.offset)))
        )
          .filter((r): r is string => r !== undefined);
        const expected = [...unread, ...fresh].sort();
        const got = (await drainGroup(s.kafkaTarget, group, s.topic, expected.length)).sort();
        assert.deepEqual(got, expected, `${group}: none again, none missed`);
      }
    } finally {
      await s.ctx.close();
      await s.receiver.close();
    }
  },
});

for (
  const failure of [
    {
      name: "the freeze webhook times out",
      window: "5s",
      respond: "hang",
    },
    {
      name: "the freeze webhook answers 500",
      window: "5s",
      respond: () => Promise.resolve(new Response("boom", { status: 500 })),
    },
    {
      name: "the freeze window passes during the drain",
      window: "1500ms",
      respond: () =>
        new Promise<Response>((r) =>
          setTimeout(() => r(new Response(null, { status: 204 })), 1450)
        ),
    },
    { name: "a target group is not empty", window: "10s", respond: undefined, busyTarget: true },
  ] as const
) {
  Deno.test({
    name:
      `cutover aborts safely when ${failure.name}: unfreeze called, target offsets unchanged, resumable`,
    ignore: noSandbox || kcatPath === undefined,
    sanitizeOps: false,
    sanitizeResources: false,
    async fn() {
      const s = await setUp(failure.window);
      let busy: Consumer | undefined;
      try {
        await consumeOnce(s.info.source.bootstrap.plaintext[0]!, s.g.lagging, s.topic, 10);
        assert.equal((await execute(s.ctx, { settleMs: 200 })).state, "drain_ready");
        if (failure.respond === "hang") s.receiver.setFreeze(() => s.receiver.hang());
        else if (failure.respond !== undefined) s.receiver.setFreeze(failure.respond);
        if ("busyTarget" in failure) {
          busy = s.kafkaTarget.consumer({ groupId: s.g.lagging });
          await busy.connect();
          await busy.subscribe({ topic: s.topic });
          await busy.run({ eachMessage: async () => {} });
          await eventually("the target consumer to join", async () => {
            const admin = s.kafkaTarget.admin();
            await admin.connect();
            const { groups } = await admin.describeGroups([s.g.lagging]);
            await admin.disconnect();
            return groups[0]!.members.length > 0;
          });
        }
        const before = await targetOffsets(s.kafkaTarget, s.g.lagging, s.topic);
        await assert.rejects(
          cutover(s.ctx, { settleMs: 200 }),
          (e) => isKraftoverError(e, "CUTOVER_ABORTED", "DRAIN_TIMEOUT") && e.retriable,
        );
        assert.ok(
          s.receiver.events.some((e) =>
            e.event === "producers:unfreeze" && e.reason === "cutover_aborted"
          ),
          `unfreeze was not called: ${JSON.stringify(s.receiver.events)}`,
        );
        if (busy === undefined) {
          assert.deepEqual(
            await targetOffsets(s.kafkaTarget, s.g.lagging, s.topic),
            before,
            "target offsets changed",
          );
        }
        const journal = await s.ctx.journal();
        assert.ok(["drain_ready", "cutover"].includes(journal.state.state), journal.state.state);
        const aborts = replayCutoverState((await readJournal(s.ctx.journalDir)).records).aborts;
        assert.equal(aborts.length, 1);

        // Fix the cause and run cutover again: it succeeds.
        await busy?.disconnect();
        busy = undefined;
        s.receiver.setFreeze(() => Promise.resolve(new Response(null, { status: 204 })));
        const report = await cutover(s.ctx, { settleMs: 200 });
        assert.ok(report.groups.some((g) => g.group === s.g.lagging));
        assert.equal(journal.state.state, "awaiting_client_switch");
      } finally {
        await busy?.disconnect();
        await s.ctx.close();
        await s.receiver.close();
      }
    },
  });
}
