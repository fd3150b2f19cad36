/**
 * The producer freeze window at scale: topics totalling many partitions on
 * the sandbox source, a little data in each, consumer groups with committed
 * offsets (committed directly, as the Java AdminClient does — test data on
 * the source), a migration run to drain-ready with the library, then
 * `cutover` with no freeze hooks. Reports the cutover's own `freezeWindowMs`
 * (freeze hooks returned → group offsets committed on the target), the whole
 * call, and where the window went: from the cutover's journal checkpoints and
 * its "Sentinels written" / "Sentinels drained" debug lines.
 *
 * @module
 */

import { join } from "node:path";
import { Buffer } from "node:buffer";
import { stringify } from "yaml";
import type { SandboxInfo } from "../../lib/sandbox/sandbox_info.ts";
import { parseConfigText } from "../../lib/config/load_config.ts";
import { createMigrationContext } from "../../lib/context.ts";
import { createMemoryLogger } from "../../lib/logger.ts";
import { execute } from "../../lib/phases/execute.ts";
import { cutover } from "../../lib/phases/cutover.ts";
import { CUTOVER_CHECKPOINT } from "../../lib/cutover/cutover_state.ts";
import { connectCluster } from "../../lib/kafka/connect.ts";
import { commitGroupOffsets } from "../../lib/cutover/group_offsets.ts";
import type { TranslatedOffset } from "../../lib/cutover/cutover_state.ts";
import type { BenchCluster } from "./cluster.ts";
import type { FreezeResult } from "./report.ts";

/** Options for {@linkcode benchFreezeWindow}. */
export interface BenchFreezeOptions {
  /** The sandbox. */
  info: SandboxInfo;
  /** Source cluster. */
  source: BenchCluster;
  /** Target cluster. */
  target: BenchCluster;
  /** Prefix of topic, group and migration names (unique per run, `[a-z0-9-]`). */
  prefix: string;
  /** Partitions in all. @default 1000 */
  partitions?: number;
  /** Topics they are spread over. @default 10 */
  topics?: number;
  /** Consumer groups (each commits on every partition of one topic). @default 200 */
  groups?: number;
  /** Records per partition. @default 20 */
  recordsPerPartition?: number;
  /** `seed.max_concurrent_partitions`. @default 4 */
  concurrency?: number;
  /** Scratch directory. */
  workDir: string;
  /** Progress lines. */
  log?: (line: string) => void;
}

/** Runs the scenario and cleans up what it created on both clusters. */
export async function benchFreezeWindow(options: BenchFreezeOptions): Promise<FreezeResult> {
  const partitions = options.partitions ?? 1000;
  const topicCount = Math.min(options.topics ?? 10, partitions);
  const groupCount = options.groups ?? 200;
  const perPartition = options.recordsPerPartition ?? 20;
  const log = options.log ?? (() => {});
  const topics = Array.from({ length: topicCount }, (_, i) => ({
    topic: `${options.prefix}-freeze-${String(i).padStart(3, "0")}`,
    partitions: Math.floor(partitions / topicCount) + (i < partitions % topicCount ? 1 : 0),
  }));
  const groups = Array.from({ length: groupCount }, (_, g) => `${options.prefix}-group-${g}`);
  const names = topics.map((t) => t.topic);
  const journalDir = join(options.workDir, `${options.prefix}-freeze-journal`);

  const { config } = await parseConfigText(
    stringify({
      migration: {
        id: `${options.prefix}-freeze`.slice(0, 63),
        source: {
          bootstrap_servers: options.info.source.bootstrap.plaintext,
          auth: { mode: "plaintext" },
          tls: false,
        },
        target: {
          bootstrap_servers: options.info.target.bootstrap.plaintext,
          auth: { mode: "plaintext" },
          tls: false,
        },
        topics: { include: [`${options.prefix.replace(/[.]/g, "\\.")}-freeze-.*`] },
        seed: { via: "direct", max_concurrent_partitions: options.concurrency ?? 4 },
        cutover: {
          drain_max_partition_lag: 0,
          drain_stable_window: "1s",
          max_producer_freeze: "10m",
        },
      },
    }),
    { env: {}, baseDir: options.workDir },
  );
  const { logger, lines } = createMemoryLogger({ level: "debug" });
  const ctx = createMigrationContext(config, { journalDir, baseDir: options.workDir, logger });
  try {
    // Setup: topics, records, committed group offsets.
    const s0 = performance.now();
    log(`creating ${topicCount} topics with ${partitions} partitions on the source`);
    await options.source.createTopics(topics);
    const producer = options.source.kafka.producer({ idempotent: true });
    await producer.connect();
    try {
      const value = Buffer.alloc(100, "v");
      for (const t of topics) {
        await producer.send({
          topic: t.topic,
          acks: -1,
          messages: Array.from({ length: t.partitions * perPartition }, (_, i) => ({
            partition: i % t.partitions,
            key: `k${i}`,
            value,
          })),
        });
      }
    } finally {
      await producer.disconnect();
    }
    log(`committing offsets for ${groupCount} groups`);
    // The cutover's own commit (one OffsetCommit per group, as the Java AdminClient does), on the source.
    const connection = await connectCluster(config.source, { label: "source" });
    const toCommit = groups.map((group, g) => {
      const t = topics[g % topicCount]!;
      return {
        group,
        offsets: Array.from({ length: t.partitions }, (_, partition): TranslatedOffset => {
          // From the start to caught up, varying by group and partition.
          const offset = (g * 7 + partition * 13) % (perPartition + 1);
          return { topic: t.topic, partition, source: offset, target: offset, via: "copied" };
        }),
      };
    });
    const committedOffsets = toCommit.reduce((n, g) => n + g.offsets.length, 0);
    try {
      await commitGroupOffsets(connection, toCommit, new Map());
    } finally {
      await connection.close();
    }
    const setupMs = performance.now() - s0;

    log("execute: topology copy, seed, tail until drain-ready");
    const e0 = performance.now();
    const executed = await execute(ctx, { settleMs: 200 });
    const executeMs = performance.now() - e0;
    if (executed.state !== "drain_ready") {
      throw new Error(`execute ended in ${executed.state}, not drain_ready`);
    }

    log("cutover");
    const c0 = Date.now();
    const report = await cutover(ctx, { settleMs: 200 });
    const cutoverMs = Date.now() - c0;

    const translatedCount = report.groups.reduce((n, g) => n + g.offsets.length, 0);
    if (translatedCount !== committedOffsets) {
      throw new Error(
        `The cutover translated ${translatedCount} group offsets, but ${committedOffsets} were committed on the source`,
      );
    }
    const freezeAt = Date.parse(report.freezeStartedAt);
    const journal = await ctx.journal();
    const at = (name: string): number | undefined => {
      const r = [...journal.records].reverse().find((x) =>
        x.type === "checkpoint" && x.name === name
      );
      return r === undefined ? undefined : Date.parse(r.ts) - freezeAt;
    };
    const debugMs = (msg: string): number | undefined => {
      for (const line of lines) {
        const parsed = JSON.parse(line) as { msg?: string; ms?: number };
        if (parsed.msg === msg && typeof parsed.ms === "number") return parsed.ms;
      }
      return undefined;
    };
    const breakdown: NonNullable<FreezeResult["breakdown"]> = {};
    const written = debugMs("Sentinels written") ?? at(CUTOVER_CHECKPOINT.sentinels);
    const drained = debugMs("Sentinels drained") ?? at(CUTOVER_CHECKPOINT.drained);
    const translated = at(CUTOVER_CHECKPOINT.groupOffsets);
    const committed = at(CUTOVER_CHECKPOINT.committed);
    if (written !== undefined) breakdown.sentinelsWrittenMs = written;
    if (drained !== undefined) breakdown.sentinelsDrainedMs = drained;
    if (translated !== undefined) breakdown.translatedMs = translated;
    if (committed !== undefined) breakdown.committedMs = committed;
    return {
      status: "ok",
      topics: topicCount,
      partitions,
      groups: report.groups.length,
      committedOffsets: translatedCount,
      records: partitions * perPartition,
      setupMs: Math.round(setupMs),
      executeMs: Math.round(executeMs),
      cutoverMs,
      freezeWindowMs: report.freezeWindowMs,
      breakdown,
      beforeFreezeMs: freezeAt - c0,
      drainRecords: report.drainRecords,
    };
  } finally {
    await ctx.close();
    log("cleaning up the freeze scenario's topics and groups");
    for (const cluster of [options.source, options.target]) {
      await cluster.deleteTopics(names).catch(() => {});
      const admin = await cluster.admin();
      await admin.deleteGroups(groups).catch(() => {});
    }
  }
}
