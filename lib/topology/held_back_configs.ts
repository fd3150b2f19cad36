/**
 * Topic configs that would make the copy fail or alter the records it
 * writes are kept off the target while seed and tail run, and applied at
 * cutover ({@linkcode applyHeldBackConfigs}), with the reason journaled:
 *
 * - `message.timestamp.type=LogAppendTime`: the target would stamp every
 *   copied record with the time it is written, losing the source timestamp.
 * - `message.timestamp.difference.max.ms`, `message.timestamp.before.max.ms`,
 *   `message.timestamp.after.max.ms` below Long.MAX: the target would refuse
 *   copied records whose timestamps are older (or newer) than the limit.
 * - `min.insync.replicas` above the topic's replication factor: every
 *   `acks=all` write (the copy's) would be refused with NOT_ENOUGH_REPLICAS.
 *
 * The same values inherited from the target's broker defaults are
 * neutralised with a topic override for the copy, whose removal is held back.
 * Configs the target does not know (removed in Kafka 4.0) are not copied.
 *
 * @module
 */

import type { MigrationContext } from "../context.ts";
import { KraftoverError } from "../errors.ts";
import type { JournalRecord } from "../journal.ts";
import { compareKafkaVersions } from "../inventory/detect_cluster_mode.ts";
import { compareStrings } from "../inventory/select_topics.ts";
import { openTopicConfigSession } from "./_topic_configs.ts";
import type { ConfigChange } from "./_topic_configs.ts";
import { TOPOLOGY_CHECKPOINT } from "./topology_checkpoints.ts";
import type { HeldBackAppliedData, HeldBackConfig, HeldBackData } from "./topology_checkpoints.ts";

/** Kafka's "no limit" for timestamp checks (Long.MAX_VALUE). */
export const LONG_MAX = "9223372036854775807";

/** The keys topology copy may hold back, in the order they are checked. */
export const GUARDED_TOPIC_CONFIGS = [
  "message.timestamp.type",
  "message.timestamp.difference.max.ms",
  "message.timestamp.before.max.ms",
  "message.timestamp.after.max.ms",
  "min.insync.replicas",
] as const;

/** Topic configs Kafka 4.0 removed: a 4.x target refuses a topic created with them. */
export const TOPIC_CONFIGS_REMOVED_IN_KAFKA_4: readonly string[] = [
  "message.downconversion.enable",
  "message.format.version",
  "message.timestamp.difference.max.ms",
];

const TIMESTAMP_LIMITS: Readonly<Record<string, string>> = {
  "message.timestamp.difference.max.ms": "older or newer",
  "message.timestamp.before.max.ms": "older",
  "message.timestamp.after.max.ms": "newer",
};

/**
 * Why a topic config value would make the copy fail or alter the records it
 * writes, or undefined when it is harmless.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { recordAlteringReason } from "./held_back_configs.ts";
 * assert.ok(recordAlteringReason("message.timestamp.type", "LogAppendTime", 3) !== undefined);
 * assert.ok(recordAlteringReason("message.timestamp.type", "CreateTime", 3) === undefined);
 * assert.ok(recordAlteringReason("message.timestamp.before.max.ms", "3600000", 3) !== undefined);
 * assert.ok(recordAlteringReason("min.insync.replicas", "2", 1) !== undefined);
 * assert.ok(recordAlteringReason("min.insync.replicas", "2", 3) === undefined);
 * assert.ok(recordAlteringReason("retention.ms", "1", 3) === undefined);
 * ```
 */
export function recordAlteringReason(
  key: string,
  value: string | null,
  replicationFactor: number,
): string | undefined {
  if (value === null) return undefined;
  const v = value.trim();
  if (key === "message.timestamp.type") {
    return v === "LogAppendTime"
      ? "message.timestamp.type=LogAppendTime makes the target stamp each copied record with the time " +
        "it is written, replacing the source timestamp the copy must keep"
      : undefined;
  }
  const direction = TIMESTAMP_LIMITS[key];
  if (direction !== undefined) {
    if (!/^\d+$/.test(v) || BigInt(v) >= BigInt(LONG_MAX)) return undefined;
    return `${key}=${v} makes the target refuse records whose timestamps are ${direction} than ${v} ms ` +
      "relative to the time they are written, and the copy writes records produced long ago";
  }
  if (key === "min.insync.replicas") {
    const n = Number(v);
    return Number.isInteger(n) && n > replicationFactor
      ? `min.insync.replicas=${v} exceeds the replication factor ${replicationFactor}: every acks=all ` +
        "write (the copy's) would be refused with NOT_ENOUGH_REPLICAS. It is applied at cutover only " +
        `once the topic has at least ${v} replicas (raise the replication factor on the target first)`
      : undefined;
  }
  return undefined;
}

/**
 * The value a guarded config takes on the target while the copy runs.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { copySafeValue, LONG_MAX } from "./held_back_configs.ts";
 * assert.ok(copySafeValue("message.timestamp.type", 3) === "CreateTime");
 * assert.ok(copySafeValue("message.timestamp.after.max.ms", 3) === LONG_MAX);
 * assert.ok(copySafeValue("min.insync.replicas", 2) === "2");
 * ```
 */
export function copySafeValue(key: string, replicationFactor: number): string {
  if (key === "message.timestamp.type") return "CreateTime";
  if (key === "min.insync.replicas") return String(Math.max(1, replicationFactor));
  return LONG_MAX;
}

/**
 * Whether a target accepts a topic config name: by the names a target topic
 * describes when known, else by its Kafka version (4.0 removed some).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { targetAcceptsConfig } from "./held_back_configs.ts";
 * const accepts = targetAcceptsConfig(undefined, "4.0");
 * assert.ok(!accepts("message.format.version") && accepts("retention.ms"));
 * assert.ok(targetAcceptsConfig(new Set(["retention.ms"]), null)("retention.ms"));
 * ```
 */
export function targetAcceptsConfig(
  knownNames: ReadonlySet<string> | undefined,
  versionAtLeast: string | null,
): (key: string) => boolean {
  if (knownNames !== undefined && knownNames.size > 0) return (key) => knownNames.has(key);
  const removed = versionAtLeast !== null && compareKafkaVersions(versionAtLeast, "4.0") >= 0;
  return (key) => !(removed && TOPIC_CONFIGS_REMOVED_IN_KAFKA_4.includes(key));
}

/**
 * Smallest values a target accepts for numeric topic configs, by its Kafka
 * version: Kafka 4.0 raised `segment.bytes`' minimum to 1 MiB, so a source
 * topic tuned below it (legal on 3.x) would be refused.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { targetConfigMinimums } from "./held_back_configs.ts";
 * assert.equal(targetConfigMinimums("4.0")["segment.bytes"], 1048576);
 * assert.deepEqual(targetConfigMinimums("3.9"), {});
 * ```
 */
export function targetConfigMinimums(
  versionAtLeast: string | null,
): Readonly<Record<string, number>> {
  if (versionAtLeast === null || compareKafkaVersions(versionAtLeast, "4.0") < 0) return {};
  return { "segment.bytes": 1_048_576 };
}

/** Input of {@linkcode planTopicConfigs}. */
export interface PlanTopicConfigsInput {
  /** The source topic's own configs. */
  own: Readonly<Record<string, string>>;
  /** The replication factor of the topic on the target. */
  replicationFactor: number;
  /** Whether the target accepts a config name. @default every name */
  targetAccepts?: (key: string) => boolean;
  /** Smallest values the target accepts ({@linkcode targetConfigMinimums}). @default none */
  targetMinimums?: Readonly<Record<string, number>>;
}

/** What {@linkcode planTopicConfigs} decided for one topic. */
export interface TopicConfigPlan {
  /** Configs the topic gets on the target now (created with, or overwritten to). */
  copy: Record<string, string>;
  /** Configs applied only at cutover, with why. */
  heldBack: Record<string, HeldBackConfig>;
  /** Source configs not copied (the target does not know them), with why. */
  dropped: Record<string, { value: string; reason: string }>;
}

/**
 * Splits a source topic's own configs into those copied now, those held back
 * until cutover and those the target does not know. A
 * `message.timestamp.difference.max.ms` the target does not know (Kafka 4.0
 * removed it) becomes `message.timestamp.before.max.ms` and
 * `message.timestamp.after.max.ms` where the source topic does not set them,
 * as Kafka 3.6–3.9 read it — held back like them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { planTopicConfigs } from "./held_back_configs.ts";
 * const plan = planTopicConfigs({
 *   own: { "retention.ms": "86400000", "message.timestamp.type": "LogAppendTime", "message.format.version": "2.8" },
 *   replicationFactor: 3,
 *   targetAccepts: (k) => k !== "message.format.version",
 * });
 * assert.ok(Object.keys(plan.copy).join() === "retention.ms");
 * assert.ok(plan.heldBack["message.timestamp.type"]?.value === "LogAppendTime");
 * assert.ok(plan.dropped["message.format.version"]?.value === "2.8");
 * ```
 */
export function planTopicConfigs(input: PlanTopicConfigsInput): TopicConfigPlan {
  const accepts = input.targetAccepts ?? (() => true);
  const plan: TopicConfigPlan = { copy: {}, heldBack: {}, dropped: {} };
  const own: Record<string, string> = { ...input.own };
  const difference = own["message.timestamp.difference.max.ms"];
  if (difference !== undefined && !accepts("message.timestamp.difference.max.ms")) {
    const replacements: string[] = [];
    for (const key of ["message.timestamp.before.max.ms", "message.timestamp.after.max.ms"]) {
      if (own[key] === undefined && accepts(key)) {
        own[key] = difference;
        replacements.push(key);
      }
    }
    plan.dropped["message.timestamp.difference.max.ms"] = {
      value: difference,
      reason: "the target does not know it (Kafka 4.0 removed it)" +
        (replacements.length > 0 ? `; replaced by ${replacements.join(" and ")}` : ""),
    };
    delete own["message.timestamp.difference.max.ms"];
  }
  for (const key of Object.keys(own).sort(compareStrings)) {
    const value = own[key]!;
    if (!accepts(key)) {
      plan.dropped[key] = {
        value,
        reason: "the target does not know this topic config (Kafka 4.0 removed it); it has no " +
          "effect on records in the current format",
      };
      continue;
    }
    const minimum = input.targetMinimums?.[key];
    if (minimum !== undefined && Number(value) < minimum) {
      // Storage tuning only (it changes no record): raise it to what the target accepts.
      plan.copy[key] = String(minimum);
      plan.dropped[key] = {
        value,
        reason:
          `below the target's minimum (${minimum}); the topic is created with ${minimum} instead`,
      };
      continue;
    }
    const reason = recordAlteringReason(key, value, input.replicationFactor);
    if (reason !== undefined) plan.heldBack[key] = { value, reason };
    else plan.copy[key] = value;
  }
  return plan;
}

/** A topic's configs still to apply at cutover. */
export interface HeldBackTopicConfigs {
  /** The topic. */
  topic: string;
  /** Configs by name. */
  configs: Record<string, HeldBackConfig>;
}

/**
 * The held-back configs not yet applied, per topic (sorted), from the
 * journal: every `topology.held_back` (later entries for a key win) less what
 * `topology.held_back_applied` recorded.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { heldBackConfigs } from "./held_back_configs.ts";
 * const records = [{
 *   seq: 1, ts: "t", type: "checkpoint" as const, name: "topology.held_back",
 *   data: { topic: "a", configs: { "message.timestamp.type": { value: "LogAppendTime", reason: "r" } } },
 * }];
 * assert.ok(heldBackConfigs(records)[0]?.configs["message.timestamp.type"]?.value === "LogAppendTime");
 * ```
 */
export function heldBackConfigs(records: readonly JournalRecord[]): HeldBackTopicConfigs[] {
  const pending = new Map<string, Map<string, HeldBackConfig>>();
  for (const r of records) {
    if (r.type !== "checkpoint") continue;
    if (r.name === TOPOLOGY_CHECKPOINT.heldBack) {
      const d = r.data as unknown as HeldBackData;
      const configs = pending.get(d.topic) ?? new Map<string, HeldBackConfig>();
      for (const [key, config] of Object.entries(d.configs)) configs.set(key, config);
      pending.set(d.topic, configs);
    } else if (r.name === TOPOLOGY_CHECKPOINT.heldBackApplied) {
      const d = r.data as unknown as HeldBackAppliedData;
      const configs = pending.get(d.topic);
      if (configs === undefined) continue;
      for (const [key, value] of Object.entries(d.configs)) {
        if (configs.get(key)?.value === value) configs.delete(key);
      }
    }
  }
  return [...pending]
    .filter(([, configs]) => configs.size > 0)
    .map(([topic, configs]) => ({
      topic,
      configs: Object.fromEntries([...configs].sort(([a], [b]) => compareStrings(a, b))),
    }))
    .sort((a, b) => compareStrings(a.topic, b.topic));
}

/** Options for {@linkcode applyHeldBackConfigs}. */
export interface ApplyHeldBackConfigsOptions {
  /** Only these topics. @default every topic with held-back configs */
  topics?: readonly string[];
  /** Stops between topics. */
  signal?: AbortSignal;
}

/** What {@linkcode applyHeldBackConfigs} did. */
export interface ApplyHeldBackConfigsReport {
  /** Configs applied (null: the topic's override was removed). */
  applied: { topic: string; key: string; value: string | null }[];
  /** Configs not applied, with why (they stay pending). */
  skipped: { topic: string; key: string; value: string | null; reason: string }[];
}

/**
 * Applies the held-back configs on the target (IncrementalAlterConfigs SET,
 * or DELETE for a null value) and journals each topic's result as
 * `topology.held_back_applied`. Idempotent: applied configs are not pending
 * any more, and applying a value twice changes nothing. A
 * `min.insync.replicas` still above the topic's replication factor is
 * skipped (applying it would make every acks=all producer fail) and stays
 * pending. Cutover calls this after the final catch-up.
 *
 * @example
 * ```ts ignore
 * const report = await applyHeldBackConfigs(ctx);
 * for (const s of report.skipped) ctx.logger.warn(s.reason, { topic: s.topic, key: s.key });
 * ```
 */
export async function applyHeldBackConfigs(
  ctx: MigrationContext,
  options: ApplyHeldBackConfigsOptions = {},
): Promise<ApplyHeldBackConfigsReport> {
  const journal = await ctx.journal();
  const wanted = options.topics === undefined ? undefined : new Set(options.topics);
  const pending = heldBackConfigs(journal.records).filter((p) =>
    wanted === undefined || wanted.has(p.topic)
  );
  const report: ApplyHeldBackConfigsReport = { applied: [], skipped: [] };
  if (pending.length === 0) return report;
  const target = await ctx.target();
  const session = await openTopicConfigSession(target, "cutover", options.signal);
  try {
    const admin = await target.admin();
    let replication = new Map<string, number>();
    if (pending.some((p) => "min.insync.replicas" in p.configs)) {
      try {
        const meta = await admin.fetchTopicMetadata({
          topics: pending.filter((p) => "min.insync.replicas" in p.configs).map((p) => p.topic),
        });
        replication = new Map(
          meta.topics.map((t) => [
            t.name,
            Math.min(...t.partitions.map((p) => p.replicas.length)),
          ]),
        );
      } catch (error) {
        throw target.classify(error, "reading the replication factor of topics", "cutover");
      }
    }
    for (const { topic, configs } of pending) {
      options.signal?.throwIfAborted();
      const changes: ConfigChange[] = [];
      const applied: Record<string, string | null> = {};
      const skipped: Record<string, string> = {};
      for (const [key, { value }] of Object.entries(configs)) {
        const rf = replication.get(topic);
        if (
          key === "min.insync.replicas" && value !== null && rf !== undefined && Number(value) > rf
        ) {
          skipped[key] =
            `min.insync.replicas=${value} still exceeds the replication factor ${rf} of ` +
            `${topic} on the target: applying it would make every acks=all producer fail. Raise the ` +
            "replication factor (kafka-reassign-partitions), then apply it";
          report.skipped.push({ topic, key, value, reason: skipped[key]! });
          continue;
        }
        changes.push(
          value === null ? { name: key, op: "delete" } : { name: key, op: "set", value },
        );
        applied[key] = value;
      }
      await session.alter(topic, changes);
      for (const [key, value] of Object.entries(applied)) {
        report.applied.push({ topic, key, value });
      }
      const data: HeldBackAppliedData = { topic, configs: applied, skipped };
      await journal.append({
        type: "checkpoint",
        name: TOPOLOGY_CHECKPOINT.heldBackApplied,
        data: { ...data },
      });
      ctx.logger.info("Held-back topic configs applied", { topic, applied, skipped });
    }
  } catch (error) {
    if (error instanceof KraftoverError) throw error;
    throw target.classify(error, "applying held-back topic configs", "cutover");
  } finally {
    await session.close();
  }
  return report;
}
