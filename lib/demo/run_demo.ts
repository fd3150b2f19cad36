/**
 * `kraftover demo`: a whole migration on the local sandbox. A SCRAM-secured
 * ZooKeeper-mode source with a realistic workload — several topics including
 * a compacted and a transactional one, a live producer, consumer groups at
 * different lags (one caught up), ACLs — is migrated to an IAM-secured KRaft
 * target through the whole lifecycle, with the webhook freeze plugin pausing
 * the live producer for real. Then consumers on the target pick up exactly
 * where they left off, the five checks run, and the signed evidence bundle is
 * stored and verified offline.
 *
 * @module
 */

import { join } from "node:path";
import { stringify } from "yaml";
import { Kafka, logLevel } from "../kafka/kafkajs.ts";
import type { Producer } from "../kafka/kafkajs.ts";
import type { Logger } from "../logger.ts";
import { sandboxDown, sandboxUp } from "../sandbox/sandbox.ts";
import { sandboxKafkaClientConfig } from "../sandbox/sandbox_kafka_client.ts";
import { sandboxConfigs } from "../sandbox/sandbox_configs.ts";
import type { SandboxInfo } from "../sandbox/sandbox_info.ts";
import { loadConfig } from "../config/load_config.ts";
import { createMigrationContext } from "../context.ts";
import type { ProgressReporter } from "../progress.ts";
import { precheck } from "../precheck/precheck.ts";
import { execute } from "../phases/execute.ts";
import { cutover } from "../phases/cutover.ts";
import { switchClients } from "../phases/switch_clients.ts";
import { validate } from "../phases/validate.ts";
import { finalize } from "../phases/finalize.ts";
import { readEvidence } from "../evidence/store_evidence.ts";
import { encodeDetachedSignature } from "../evidence/sign.ts";
import { verifyEvidenceFile } from "../evidence/verify_evidence_file.ts";
import { verifyKraftoverSignature } from "../../plugins/signature.ts";
import { KraftoverError } from "../errors.ts";

/** Options for {@linkcode runDemo}. */
export interface RunDemoOptions {
  /** Logger for the steps. */
  logger: Logger;
  /** Progress display for long phases. */
  progress?: ProgressReporter;
  /** Where the demo writes its config, journal and evidence copy. @default a new temporary directory */
  workDir?: string;
  /** Sandbox state directory. @default the sandbox's default */
  sandboxDir?: string;
  /** Records in the main topic before the migration. @default 20000 */
  records?: number;
  /** Keep a sandbox the demo started running afterwards. @default false */
  keepSandbox?: boolean;
}

/** The demo's summary. */
export interface DemoSummary {
  /** Migration id. */
  migrationId: string;
  /** Where config, journal and evidence copy are. */
  workDir: string;
  /** Records copied to the target (seed + tail + drain). */
  recordsCopied: number;
  /** Records the live producer wrote to the source during the migration. */
  liveRecords: number;
  /** The producer freeze window (ms): freeze hook returned → group offsets committed. */
  freezeWindowMs: number;
  /** How long the live producer was really paused (ms). */
  producerPausedMs: number;
  /** Groups translated and committed on the target. */
  groups: { group: string; partitions: number; via: Record<string, number> }[];
  /** What consumers on the target received, per group, and what they should have. */
  consumersOnTarget: { group: string; received: number; expected: number }[];
  /** Validation outcome. */
  validation: string;
  /** Evidence location, local copy, and whether it verified offline. */
  evidence: { stored: string; localCopy: string; verified: boolean; keyFingerprint: string };
  /** Wall time (ms) and whether the sandbox was started by the demo. */
  durationMs: number;
  sandboxStarted: boolean;
}

const SECRET = `demo-freeze-${crypto.randomUUID()}`;

/** A live producer the freeze webhook really pauses; after the switch it writes to the target. */
class LiveProducer {
  #producer: Producer;
  #running = true;
  #paused = false;
  #pausedAt = 0;
  #pausedMs = 0;
  #loop: Promise<void>;
  #idle: (() => void) | undefined;
  sentToSource = 0;
  sentToTarget = 0;
  #toTarget = false;

  constructor(private source: Kafka, private target: Kafka, private topic: string) {
    this.#producer = source.producer({ idempotent: true, maxInFlightRequests: 1 });
    this.#loop = this.#run();
  }

  async #run(): Promise<void> {
    await this.#producer.connect();
    let n = 0;
    while (this.#running) {
      if (this.#paused) {
        this.#idle?.();
        await new Promise((r) => setTimeout(r, 20));
        continue;
      }
      const batch = Array.from({ length: 20 }, () => {
        n++;
        return {
          key: `live-${n % 500}`,
          value: JSON.stringify({ order: n, amount: n % 97 }),
          headers: { source: "live" },
        };
      });
      await this.#producer.send({ topic: this.topic, messages: batch });
      if (this.#toTarget) this.sentToTarget += batch.length;
      else this.sentToSource += batch.length;
      await new Promise((r) => setTimeout(r, 50)); // about 400 records a second
    }
    await this.#producer.disconnect();
  }

  /** Stops sending and resolves once no send is in flight. */
  async pause(): Promise<void> {
    if (this.#paused) return;
    const idle = new Promise<void>((r) => (this.#idle = r));
    this.#paused = true;
    this.#pausedAt = Date.now();
    await idle;
  }

  /** Resumes; after the switch it writes to the target. */
  async resume(toTarget: boolean): Promise<void> {
    if (!this.#paused) return;
    if (toTarget && !this.#toTarget) {
      await this.#producer.disconnect();
      this.#producer = this.target.producer({ idempotent: true, maxInFlightRequests: 1 });
      await this.#producer.connect();
      this.#toTarget = true;
    }
    this.#pausedMs += Date.now() - this.#pausedAt;
    this.#paused = false;
  }

  get pausedMs(): number {
    return this.#pausedMs;
  }

  async stop(): Promise<void> {
    this.#running = false;
    this.#paused = false;
    await this.#loop.catch(() => {});
  }
}

/** The receiver behind the webhook freeze plugin: pauses and resumes the live producer. */
function freezeReceiver(live: LiveProducer, logger: Logger): Deno.HttpServer<Deno.NetAddr> {
  return Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const body = await req.text();
    const check = await verifyKraftoverSignature(
      body,
      req.headers.get("X-Kraftover-Signature"),
      SECRET,
    );
    if (!check.ok) return new Response(`signature ${check.reason}`, { status: 401 });
    const event = JSON.parse(body) as { event: string; reason?: string };
    if (event.event === "producers:freeze") {
      await live.pause();
      logger.info("Demo receiver: live producer paused");
    } else if (event.event === "producers:unfreeze") {
      await live.resume(event.reason === "cutover_complete");
      logger.info(
        `Demo receiver: live producer resumed (${
          event.reason === "cutover_complete" ? "on the target" : "on the source"
        })`,
      );
    }
    return new Response(null, { status: 204 });
  });
}

async function consume(
  kafka: Kafka,
  group: string,
  topic: string,
  count: number | "all",
): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  const total = (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high), 0);
  await admin.disconnect();
  const want = count === "all" ? total : count;
  const consumer = kafka.consumer({ groupId: group });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let seen = 0;
  const next = new Map<number, number>();
  const done = new Promise<void>((resolve) => {
    consumer.run({
      autoCommit: false,
      // deno-lint-ignore require-await -- kafkajs wants a promise-returning handler
      eachMessage: async ({ partition, message }) => {
        if (seen >= want) return;
        seen++;
        next.set(partition, Number(message.offset) + 1);
        if (seen >= want) resolve();
      },
    });
  });
  const timeout = new Promise<never>((_, reject) =>
    setTimeout(
      () => reject(new KraftoverError("INTERNAL", `Demo consumer ${group} timed out`)),
      120_000,
    )
  );
  try {
    await Promise.race([done, timeout]);
    await consumer.commitOffsets(
      [...next].map(([partition, offset]) => ({ topic, partition, offset: String(offset) })),
    );
  } finally {
    await consumer.disconnect();
  }
  return seen;
}

/**
 * Runs the demo from sandbox to signed evidence.
 *
 * @example
 * ```ts ignore
 * const summary = await runDemo({ logger });
 * console.log(summary.validation, summary.freezeWindowMs);
 * ```
 */
export async function runDemo(options: RunDemoOptions): Promise<DemoSummary> {
  const started = Date.now();
  const logger = options.logger;
  const up = await sandboxUp({
    logger,
    ...(options.sandboxDir === undefined ? {} : { stateDir: options.sandboxDir }),
  });
  const sandboxStarted = !up.reused;
  const info: SandboxInfo = up.info;
  for (const [k, v] of Object.entries(info.env)) Deno.env.set(k, v);
  const workDir = options.workDir ?? await Deno.makeTempDir({ prefix: "kraftover-demo-" });
  const id = crypto.randomUUID().slice(0, 6);
  const prefix = `demo-${id}`;
  const t = {
    orders: `${prefix}.orders`,
    customers: `${prefix}.customers`,
    payments: `${prefix}.payments`,
    audit: `${prefix}.audit`,
  };
  const g = {
    billing: `${prefix}-billing`,
    analytics: `${prefix}-analytics`,
    fraud: `${prefix}-fraud`,
  };
  const source = new Kafka({
    ...sandboxKafkaClientConfig(info, "source", { listener: "scram" }),
    logLevel: logLevel.NOTHING,
  });
  const target = new Kafka({
    ...sandboxKafkaClientConfig(info, "target", { listener: "iam" }),
    logLevel: logLevel.NOTHING,
  });
  let live: LiveProducer | undefined;
  let receiver: Deno.HttpServer<Deno.NetAddr> | undefined;
  try {
    // 1. The workload.
    logger.info("Creating the workload on the source", { topics: Object.values(t) });
    const admin = source.admin();
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        { topic: t.orders, numPartitions: 6 },
        {
          topic: t.customers,
          numPartitions: 2,
          configEntries: [
            { name: "cleanup.policy", value: "compact" },
            { name: "segment.ms", value: "200" },
            { name: "min.cleanable.dirty.ratio", value: "0.01" },
          ],
        },
        { topic: t.payments, numPartitions: 3 },
        {
          topic: t.audit,
          numPartitions: 2,
          configEntries: [{ name: "retention.ms", value: "604800000" }],
        },
      ],
    });
    await admin.createAcls({
      acl: [
        [t.orders, "READ"],
        [t.customers, "READ"],
      ].map(([resourceName, op]) => ({
        resourceType: 2, // TOPIC
        resourceName: resourceName!,
        resourcePatternType: 3, // LITERAL
        principal: "User:alice",
        host: "*",
        operation: op === "READ" ? 3 : 4,
        permissionType: 3, // ALLOW
      })).concat([{
        resourceType: 3, // GROUP
        resourceName: g.billing,
        resourcePatternType: 3,
        principal: "User:alice",
        host: "*",
        operation: 3,
        permissionType: 3,
      }, {
        resourceType: 2,
        resourceName: t.payments,
        resourcePatternType: 3,
        principal: "User:bob",
        host: "*",
        operation: 4, // WRITE
        permissionType: 3,
      }]),
    });
    await admin.disconnect();
    const producer = source.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const records = options.records ?? 20_000;
    for (let i = 0; i < records; i += 1000) {
      await producer.send({
        topic: t.orders,
        messages: Array.from({ length: Math.min(1000, records - i) }, (_, j) => ({
          key: `customer-${(i + j) % 997}`,
          value: JSON.stringify({ order: i + j, amount: (i + j) % 313 }),
          headers: { trace: `t-${i + j}`, source: "seed", region: ["eu", "us"][(i + j) % 2]! },
        })),
      });
    }
    for (let round = 0; round < 5; round++) {
      await producer.send({
        topic: t.customers,
        messages: Array.from(
          { length: 200 },
          (_, i) => ({ key: `customer-${i % 50}`, value: `profile-v${round}-${i}` }),
        ),
      });
      await new Promise((r) => setTimeout(r, 250)); // segment.ms: the next write rolls a segment the cleaner may compact
    }
    await producer.send({
      topic: t.customers,
      messages: [{ key: "customer-7", value: null }], // a tombstone
    });
    await producer.send({
      topic: t.audit,
      messages: Array.from({ length: 500 }, (_, i) => ({ key: null, value: `audit-${i}` })),
    });
    await producer.disconnect();
    const tx = source.producer({
      transactionalId: `${prefix}-payments`,
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await tx.connect();
    for (let i = 0; i < 6; i++) {
      const txn = await tx.transaction();
      await txn.send({
        topic: t.payments,
        messages: Array.from(
          { length: 30 },
          (_, j) => ({ key: `payment-${i}-${j}`, value: `${(i * 30 + j) * 10}` }),
        ),
      });
      if (i % 3 === 2) await txn.abort();
      else await txn.commit();
    }
    await tx.disconnect();
    logger.info("Consumer groups read on the source", {
      lagging: g.billing,
      caught_up: g.analytics,
      partial: g.fraud,
    });
    await consume(source, g.billing, t.orders, Math.floor(records / 4));
    await consume(source, g.analytics, t.audit, "all");
    await consume(source, g.fraud, t.payments, 50);

    // 2. The live producer and the freeze receiver.
    live = new LiveProducer(source, target, t.orders);
    receiver = freezeReceiver(live, logger);
    const configFile = join(workDir, "migration.yaml");
    const base = sandboxConfigs(info)["scram-iam"].object.migration as Record<string, unknown>;
    const src = base.source as { auth: Record<string, unknown> };
    await Deno.writeTextFile(
      configFile,
      "# Written by kraftover demo: SCRAM source (ZooKeeper) → IAM target (KRaft) on the sandbox.\n" +
        stringify({
          migration: {
            ...base,
            source: { ...src, auth: { ...src.auth, password: "${DEMO_SOURCE_PASSWORD}" } },
            topics: { include: [`${prefix}\\..*`] },
            seed: { via: "staged", max_concurrent_partitions: 4 },
            cutover: {
              drain_max_partition_lag: 200,
              drain_stable_window: "2s",
              max_producer_freeze: "60s",
            },
            hooks: [
              {
                builtin: "webhook-freeze",
                url: `http://127.0.0.1:${receiver.addr.port}/freeze`,
                secret: "${DEMO_FREEZE_SECRET}",
                timeout: "10s",
              },
              { builtin: "log-notify" },
            ],
          },
        }),
    );
    Deno.env.set("DEMO_SOURCE_PASSWORD", String(src.auth.password));
    Deno.env.set("DEMO_FREEZE_SECRET", SECRET);
    const loaded = await loadConfig(configFile);
    const ctx = createMigrationContext(loaded.config, {
      configFile,
      baseDir: workDir,
      journalDir: join(workDir, "journal"),
      logger,
      ...(options.progress === undefined ? {} : { progress: options.progress }),
    });
    try {
      // 3. The lifecycle.
      const pre = await precheck(ctx, {});
      logger.info(`Precheck: ${pre.passed ? "no blocker" : "BLOCKED"}`, { ...pre.counts });
      const ran = await execute(ctx, {});
      logger.info(`Execute: ${ran.state}`, {
        seed_records: ran.seed?.records,
        tail_records: ran.tail?.records,
      });
      const cut = await cutover(ctx, {});
      const sw = await switchClients(ctx, { via: "ack" });
      logger.info("Clients switched", { recommitted: sw.recommitted.length });

      // 4. The five checks, and the signed evidence (before consumers move on on the target).
      const report = await validate(ctx, {});
      logger.info(`Validation: ${report.outcome}`);
      const fin = await finalize(ctx, {});
      const stored = await readEvidence(ctx.evidenceStore(), { migrationId: fin.migrationId });
      const localCopy = join(workDir, "evidence", "bundle.json");
      await Deno.mkdir(join(workDir, "evidence"), { recursive: true });
      await Deno.writeFile(localCopy, stored!.payload);
      await Deno.writeFile(`${localCopy}.sig`, encodeDetachedSignature(stored!.signature));
      const verified = await verifyEvidenceFile(localCopy, {
        publicKeyPath: info.evidence.publicKeyPath,
      });
      // 5. Consumers on the target continue where they stopped on the source.
      const consumersOnTarget: DemoSummary["consumersOnTarget"] = [];
      const srcAdmin = source.admin();
      await srcAdmin.connect();
      for (const [group, topic] of [[g.billing, t.orders], [g.analytics, t.audit]] as const) {
        const [committed] = await srcAdmin.fetchOffsets({ groupId: group, topics: [topic] });
        const offsets = await srcAdmin.fetchTopicOffsets(topic);
        // Records left for the group on the source, without the sentinels (one per partition).
        const leftOnSource = offsets.reduce((n, p) => {
          const c = Number(
            committed!.partitions.find((x) => x.partition === p.partition)?.offset ?? -1,
          );
          return n + Number(p.high) - Math.max(c, Number(p.low)) - 1;
        }, 0);
        const sentinels = new Map(
          cut.sentinels.filter((x) => x.topic === topic).map((
            x,
          ) => [x.partition, x.target_offset ?? 0]),
        );
        const received = await countOnTarget(target, group, topic, sentinels);
        consumersOnTarget.push({ group, received, expected: leftOnSource });
      }
      await srcAdmin.disconnect();

      const journal = await ctx.journal();
      const copied = journal.records.filter((r) =>
        r.type === "checkpoint" && r.name === "copy.step"
      )
        .reduce(
          (n, r) =>
            n +
            (r.type === "checkpoint"
              ? (r.data.runs as number[][]).reduce((s, run) => s + run[2]!, 0)
              : 0),
          0,
        );
      return {
        migrationId: fin.migrationId,
        workDir,
        recordsCopied: copied,
        liveRecords: live.sentToSource,
        freezeWindowMs: cut.freezeWindowMs,
        producerPausedMs: live.pausedMs,
        groups: cut.groups.map((x) => ({
          group: x.group,
          partitions: x.offsets.length,
          via: x.offsets.reduce<Record<string, number>>(
            (m, o) => ({ ...m, [o.via]: (m[o.via] ?? 0) + 1 }),
            {},
          ),
        })),
        consumersOnTarget,
        validation: report.outcome,
        evidence: {
          stored: fin.bundle,
          localCopy,
          verified: verified.ok,
          keyFingerprint: fin.keyFingerprint,
        },
        durationMs: Date.now() - started,
        sandboxStarted,
      };
    } finally {
      await ctx.close();
    }
  } finally {
    await live?.stop();
    await receiver?.shutdown();
    if (sandboxStarted && !options.keepSandbox) {
      await sandboxDown({
        logger,
        ...(options.sandboxDir === undefined ? {} : { stateDir: options.sandboxDir }),
      });
    }
  }
}

/**
 * Consumes a group on the target up to each partition's sentinel and counts
 * the records it gets: what it had left to read when it stopped on the source
 * (records written after the switch, past the sentinels, are not counted).
 */
async function countOnTarget(
  target: Kafka,
  group: string,
  topic: string,
  sentinels: ReadonlyMap<number, number>,
): Promise<number> {
  // Per partition, the last offset the group has passed; it is done at the record before the sentinel.
  const passed = new Map<number, number>();
  const done = () => [...sentinels].every(([p, sentinel]) => (passed.get(p) ?? -1) >= sentinel - 1);
  const pass = (p: number, offset: number) => passed.set(p, Math.max(passed.get(p) ?? -1, offset));
  const admin = target.admin();
  await admin.connect();
  const [committed] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
  await admin.disconnect();
  for (const p of committed!.partitions) pass(p.partition, Number(p.offset) - 1);
  if (done()) return 0;
  let received = 0;
  const consumer = target.consumer({ groupId: group });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const finished = new Promise<void>((resolve) => {
    consumer.run({
      // deno-lint-ignore require-await -- kafkajs wants a promise-returning handler
      eachMessage: async ({ partition, message }) => {
        const offset = Number(message.offset);
        if (offset >= (sentinels.get(partition) ?? 0)) return; // the sentinel, or written after the switch
        received++;
        pass(partition, offset);
        if (done()) resolve();
      },
    });
  });
  try {
    await Promise.race([
      finished,
      new Promise((_, reject) =>
        setTimeout(
          () => reject(new KraftoverError("INTERNAL", `Target consumer ${group} timed out`)),
          120_000,
        )
      ),
    ]);
  } finally {
    await consumer.disconnect();
  }
  return received;
}
