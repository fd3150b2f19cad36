/**
 * A real migration on the sandbox, up to `awaiting_client_switch`, for the
 * validation, evidence and rollback tests: topics with awkward records
 * (null vs empty keys, tombstones, repeated and null headers, an aborted
 * transaction) on the source, the real seed and tail copying them, then the
 * cutover's journal written the way `lib/cutover/cutover_state.ts` describes
 * it — sentinels produced on the source, drained by the tail, group offsets
 * translated through the offset map and committed on the target.
 *
 * Options let a test break one thing on purpose before validating.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { createMigrationContext } from "../lib/context.ts";
import type { MigrationContext } from "../lib/context.ts";
import type { MigrationConfig } from "../lib/config/types.ts";
import { CHECKPOINT, replayCopyState } from "../lib/copy/copy_state.ts";
import { CUTOVER_CHECKPOINT, SENTINEL_HEADER, sentinelKey } from "../lib/cutover/cutover_state.ts";
import type { GroupOffsetsData, SentinelPosition } from "../lib/cutover/cutover_state.ts";
import { TOPOLOGY_CHECKPOINT } from "../lib/topology/topology_checkpoints.ts";
import { HEADER_LIST } from "../lib/kafka/kafkajs.ts";
import type { KafkaConnection } from "../lib/kafka/connect.ts";
import { partitionKey } from "../lib/offset_map.ts";
import { seed } from "../lib/phases/seed.ts";
import { tail } from "../lib/phases/tail.ts";
import { silentLogger } from "../lib/logger.ts";
import type { SandboxInfo } from "../lib/sandbox/sandbox_info.ts";
import { join } from "node:path";
import { stringify } from "yaml";
import { loadConfig } from "../lib/config/load_config.ts";
import { sandboxConfigs } from "../lib/sandbox/sandbox_configs.ts";
import { adminConnection, deleteTopics, uniquePrefix } from "./precheck_env.ts";

/** What to build, and what to break. */
export interface MigrationFixtureOptions {
  /** Partitions of the main topic. @default 2 */
  partitions?: number;
  /** Records per partition (besides the aborted transaction). @default 12 */
  records?: number;
  /** Also migrate a compacted topic `<prefix>.compacted`. @default false */
  compacted?: boolean;
  /** Write an aborted transaction to partition 0 (holes in the copy). @default true */
  abortedTransaction?: boolean;
  /** Stop the run after the seed, in `tail` (for rollback before cutover). @default false */
  stopBeforeCutover?: boolean;
  /** Write the sentinel of partition 0 without the sentinel header. @default false */
  sentinelWithoutHeader?: boolean;
  /** Copy partition 0 only up to (not including) its sentinel. @default false */
  stopBeforeSentinel?: boolean;
  /** Record the client switch (`switch.done`, state `validating`), as `switch-ack` does. @default false */
  switched?: boolean;
  /** Edits the config's `migration:` object. */
  edit?: (migration: Record<string, unknown>) => void;
  /** Journal directory. @default a new temporary directory */
  journalDir?: string;
}

/** A migration built on the sandbox. */
export interface MigrationFixture {
  /** Topic prefix (unique to this fixture). */
  prefix: string;
  /** The main topic. */
  topic: string;
  /** The compacted topic, when asked for. */
  compactedTopic: string | undefined;
  /** Every migrated topic. */
  topics: string[];
  /** The consumer group committed on both sides. */
  group: string;
  /** The migration id. */
  migrationId: string;
  /** The config. */
  config: MigrationConfig;
  /** The config file (for CLI runs; its directory is removed by `cleanup`). */
  configFile: string;
  /** The journal directory. */
  journalDir: string;
  /** The context the migration ran with (its journal lock is released). */
  ctx: MigrationContext;
  /** Admin connections to both clusters (closed by `cleanup`). */
  source: KafkaConnection;
  /** Admin connection to the target. */
  target: KafkaConnection;
  /** The sentinels, once written. */
  sentinels: SentinelPosition[];
  /** Deletes the topics on both clusters, the group, the connections and the journal. */
  cleanup(): Promise<void>;
}

function headers(list: [string, string | null][]): Record<string, Buffer> {
  const raw = list.map(([k, v]) => [k, v === null ? null : Buffer.from(v)] as const);
  return { [HEADER_LIST]: raw } as unknown as Record<string, Buffer>;
}

/**
 * Awkward records: null vs empty keys, tombstones, repeated and null headers, explicit
 * timestamps (recent ones: records older than the topic's retention would be deleted as soon as
 * their segment rolls, on the source and on the target alike).
 */
function recordsFor(partition: number, count: number, compacted: boolean) {
  const base = Date.now() - 3_600_000;
  return Array.from({ length: count }, (_, i) => ({
    partition,
    key: i % 4 === 0 && !compacted ? null : i % 4 === 1 ? "" : `key-${partition}-${i}`,
    value: i % 5 === 3 && !compacted ? null : `value-${partition}-${i}-${"x".repeat(i * 7)}`,
    timestamp: String(base + partition * 1000 + i),
    headers: headers(
      i % 3 === 0
        ? [["trace", `t-${i}`], ["trace", `again-${i}`], ["nothing", null]]
        : i % 3 === 1
        ? [["empty", ""]]
        : [],
    ),
  }));
}

/**
 * Builds the migration. The context's journal is closed at the end, so
 * `validate`, `finalize` and `rollback` can open it afresh.
 */
export async function migrationFixture(
  info: SandboxInfo,
  options: MigrationFixtureOptions = {},
): Promise<MigrationFixture> {
  const prefix = uniquePrefix();
  const topic = `${prefix}.orders`;
  const compactedTopic = options.compacted ? `${prefix}.compacted` : undefined;
  const topics = [topic, ...(compactedTopic === undefined ? [] : [compactedTopic])];
  const partitions = options.partitions ?? 2;
  const count = options.records ?? 12;
  const group = `${prefix}-billing`;
  const journalDir = options.journalDir ?? await Deno.makeTempDir({ prefix: "kraftover-val-" });
  const migration = structuredClone(
    sandboxConfigs(info)["plaintext-plaintext"].object.migration,
  ) as Record<string, unknown> & {
    source: Record<string, unknown>;
    target: Record<string, unknown>;
  };
  migration.topics = { include: [`${prefix}\\..*`] };
  migration.seed = { via: "direct" };
  migration.cutover = { drain_stable_window: "1s" };
  options.edit?.(migration);
  const configDir = await Deno.makeTempDir({ prefix: "kraftover-val-config-" });
  const configFile = join(configDir, "migration.yaml");
  await Deno.writeTextFile(configFile, stringify({ migration }));
  const { config } = await loadConfig(configFile);
  const source = await adminConnection(info, "source");
  const target = await adminConnection(info, "target");
  const ctx = createMigrationContext(config, { journalDir, logger: silentLogger });
  const fixture: MigrationFixture = {
    prefix,
    topic,
    compactedTopic,
    topics,
    group,
    migrationId: "",
    config,
    configFile,
    journalDir,
    ctx,
    source,
    target,
    sentinels: [],
    async cleanup() {
      await ctx.close();
      for (const c of [source, target]) {
        await deleteTopics(c, topics).catch(() => {});
        await (await c.admin()).deleteGroups([group]).catch(() => {});
        await c.close();
      }
      await Deno.remove(journalDir, { recursive: true }).catch(() => {});
      await Deno.remove(configDir, { recursive: true }).catch(() => {});
    },
  };
  try {
    const sourceAdmin = await source.admin();
    await sourceAdmin.createTopics({
      waitForLeaders: true,
      topics: topics.map((t) => ({
        topic: t,
        numPartitions: partitions,
        configEntries: t === compactedTopic ? [{ name: "cleanup.policy", value: "compact" }] : [],
      })),
    });
    const producer = await source.producer();
    for (const t of topics) {
      await producer.send({
        topic: t,
        messages: Array.from(
          { length: partitions },
          (_, p) => recordsFor(p, count, t === compactedTopic),
        ).flat(),
      });
    }
    if (options.abortedTransaction ?? true) {
      const tx = source.kafka.producer({
        transactionalId: `${prefix}-tx`,
        idempotent: true,
        maxInFlightRequests: 1,
      });
      await tx.connect();
      const aborted = await tx.transaction();
      await aborted.send({
        topic,
        messages: [{ partition: 0, key: "aborted", value: "never visible" }],
      });
      await aborted.abort();
      const committed = await tx.transaction();
      await committed.send({
        topic,
        messages: [{ partition: 0, key: "committed", value: "visible" }],
      });
      await committed.commit();
      await tx.disconnect();
    }
    // A group that read part of partition 0 and all of partition 1.
    const ends = await sourceAdmin.fetchTopicOffsets(topic);
    await sourceAdmin.setOffsets({
      groupId: group,
      topic,
      partitions: ends.map((e) => ({
        partition: e.partition,
        offset: e.partition === 0 ? "5" : e.high,
      })),
    });

    const journal = await ctx.journal();
    fixture.migrationId = journal.migrationId;
    await journal.transition("precheck");
    await journal.transition("topology_copy");
    const targetAdmin = await target.admin();
    for (const t of topics) {
      const configs = t === compactedTopic ? { "cleanup.policy": "compact" } : {};
      await journal.append({
        type: "checkpoint",
        name: TOPOLOGY_CHECKPOINT.createIntent,
        data: { topic: t, partitions, replication_factor: 1, configs },
      });
      await targetAdmin.createTopics({
        waitForLeaders: true,
        topics: [{
          topic: t,
          numPartitions: partitions,
          configEntries: Object.entries(configs).map(([name, value]) => ({ name, value })),
        }],
      });
      await journal.append({
        type: "checkpoint",
        name: TOPOLOGY_CHECKPOINT.topicCreated,
        data: { topic: t, partitions, adopted: false },
      });
    }
    await journal.append({
      type: "checkpoint",
      name: CHECKPOINT.topologyTopics,
      data: { topics: topics.map((t) => ({ topic: t, partitions })) },
    });
    await seed(ctx, { settleMs: 10 });
    await journal.transition("tail");
    if (options.stopBeforeCutover) return fixture;

    await journal.transition("drain_ready");
    await journal.transition("cutover");
    const freezeAt = new Date();
    await journal.append({
      type: "checkpoint",
      name: CUTOVER_CHECKPOINT.freezeStarted,
      data: { at: freezeAt.toISOString(), deadline: new Date(Date.now() + 60_000).toISOString() },
    });
    await journal.append({ type: "checkpoint", name: CUTOVER_CHECKPOINT.sentinelIntent, data: {} });
    const sentinelProducer = await source.producer();
    const sentinels: SentinelPosition[] = [];
    for (const t of topics) {
      for (let p = 0; p < partitions; p++) {
        const plain = options.sentinelWithoutHeader && t === topic && p === 0;
        const [meta] = await sentinelProducer.send({
          topic: t,
          acks: -1,
          messages: [{
            partition: p,
            key: sentinelKey(fixture.migrationId),
            value: JSON.stringify({ kraftover: "sentinel", topic: t, partition: p }),
            headers: headers(plain ? [] : [[SENTINEL_HEADER, fixture.migrationId]]),
          }],
        });
        sentinels.push({ topic: t, partition: p, source_offset: Number(meta!.baseOffset) });
      }
    }
    await journal.append({
      type: "checkpoint",
      name: CUTOVER_CHECKPOINT.sentinels,
      data: { sentinels },
    });
    const until = new Map(
      sentinels.map((s) => [
        partitionKey(s.topic, s.partition),
        options.stopBeforeSentinel && s.topic === topic && s.partition === 0
          ? s.source_offset
          : s.source_offset + 1,
      ]),
    );
    await tail(ctx, { until, phase: "cutover", settleMs: 10 });
    const copy = replayCopyState(journal.records);
    const drained = sentinels.map((s) => {
      const t = copy.partitions.get(partitionKey(s.topic, s.partition))!.map.targetOf(
        s.source_offset,
      );
      return t === undefined ? s : { ...s, target_offset: t };
    });
    fixture.sentinels = drained;
    await journal.append({
      type: "checkpoint",
      name: CUTOVER_CHECKPOINT.drained,
      data: { sentinels: drained },
    });

    const committed = await sourceAdmin.fetchOffsets({ groupId: group, topics: [topic] });
    const translated: GroupOffsetsData = {
      stage: "cutover",
      groups: [{
        group,
        offsets: committed.flatMap((t) =>
          t.partitions.map((p) => {
            const s = drained.find((x) => x.topic === t.topic && x.partition === p.partition)!;
            const map = copy.partitions.get(partitionKey(t.topic, p.partition))!.map;
            const end = (s.target_offset ?? map.targetEnd ?? 0) + 1;
            const tr = map.translate(Number(p.offset), end);
            // SPEC §7: a group caught up to the sentinel starts after it, never on it.
            const atSentinel = tr.target === s.target_offset;
            return {
              topic: t.topic,
              partition: p.partition,
              source: Number(p.offset),
              target: atSentinel ? end : tr.target,
              via: atSentinel ? "after_sentinel" as const : tr.via,
            };
          })
        ),
      }],
    };
    await journal.append({
      type: "checkpoint",
      name: CUTOVER_CHECKPOINT.groupOffsets,
      data: { ...translated },
    });
    await targetAdmin.setOffsets({
      groupId: group,
      topic,
      partitions: translated.groups[0]!.offsets.map((o) => ({
        partition: o.partition,
        offset: String(o.target),
      })),
    });
    await journal.append({
      type: "checkpoint",
      name: CUTOVER_CHECKPOINT.committed,
      data: { ...translated },
    });
    const endedAt = new Date();
    await journal.append({
      type: "checkpoint",
      name: CUTOVER_CHECKPOINT.freezeEnded,
      data: {
        at: endedAt.toISOString(),
        duration_ms: endedAt.getTime() - freezeAt.getTime(),
        reason: "cutover_complete",
      },
    });
    await journal.transition("awaiting_client_switch");
    if (options.switched) {
      await journal.append({
        type: "checkpoint",
        name: CUTOVER_CHECKPOINT.switched,
        data: { via: "ack", at: new Date().toISOString() },
      });
      await journal.transition("validating");
    }
    return fixture;
  } catch (error) {
    await fixture.cleanup();
    throw error;
  } finally {
    // Release the journal lock: the code under test opens the journal itself.
    await ctx.close();
  }
}

/** A fresh context on the fixture's journal (close it after use). */
export function freshContext(
  fixture: Pick<MigrationFixture, "config" | "journalDir">,
  config: MigrationConfig = fixture.config,
): MigrationContext {
  return createMigrationContext(config, { journalDir: fixture.journalDir, logger: silentLogger });
}
