/**
 * `plan.json`: everything the run will act on — topics with partition counts
 * and the configs copied, consumer groups, ACL bindings, SCRAM users to
 * recreate, the seed and its estimate — built from the config and, when the
 * clusters could be read, their inventories. Its schema is
 * {@linkcode planDocumentSchema} (as JSON Schema: `planFileJsonSchema("plan.json")`).
 *
 * @module
 */

import { z } from "zod";
import type { MigrationConfig } from "../config/types.ts";
import type { ClusterInventory } from "../inventory/types.ts";
import { anchoredRegExp, compareStrings } from "../inventory/select_topics.ts";
import { redact } from "../secret.ts";
import type { CostEstimate } from "./estimate_cost.ts";
import { configRegion } from "./estimate_cost.ts";

/** Format version of plan.json. */
export const PLAN_SCHEMA_VERSION = 1;

/** Whether a cluster's inventory could be read for the plan. */
export interface PlanInventoryStatus {
  /** Read. */
  read: boolean;
  /** Why not (the connection error, secrets removed). */
  reason: string | null;
}

/** A cluster as the plan sees it. */
export interface PlanCluster {
  /** MSK ARN, when configured. */
  cluster_arn: string | null;
  /** Bootstrap servers, when configured (else resolved through MSK at run time). */
  bootstrap_servers: string[] | null;
  /** Region, when known. */
  region: string | null;
  /** Auth mode. */
  auth_mode: string;
  /** Cluster id (from the inventory). */
  cluster_id: string | null;
  /** zookeeper, kraft or unknown. */
  mode: string;
  /** Kafka version: exact (MSK) or a lower bound (`>= 3.7`), or null. */
  kafka_version: string | null;
  /** Broker count, when known. */
  brokers: number | null;
}

/** A topic the run acts on. */
export interface PlanTopic {
  /** Name. */
  name: string;
  /** Partition count (created the same on the target). */
  partitions: number;
  /** Replication factor on the source. */
  source_replication_factor: number;
  /** Replication factor the target topic gets (config override, else the source's). */
  target_replication_factor: number;
  /** The topic's own configs copied to the target (source DYNAMIC_TOPIC_CONFIG only). */
  configs: Record<string, string>;
  /** Records present (upper bound). */
  records: number;
  /** Bytes (see size_estimated). */
  bytes: number;
  /** Bytes are estimated from sampled record sizes. */
  size_estimated: boolean;
  /** cleanup.policy includes compact. */
  compacted: boolean;
  /** create (absent on the target), exists (same partition count), conflict (other count: precheck B12), unknown. */
  target: "create" | "exists" | "conflict" | "unknown";
}

/** A consumer group whose offsets are translated at cutover. */
export interface PlanGroup {
  /** Group id. */
  group_id: string;
  /** State on the source when planned. */
  state: string;
  /** Members on the source when planned. */
  members: number;
  /** Static members (group.instance.id). */
  static_members: number;
  /** Selected topics it commits to or is assigned. */
  topics: string[];
  /** Partitions with a committed offset on those topics. */
  committed_partitions: number;
}

/** An ACL binding and what the run does with it. */
export interface PlanAcl {
  /** TOPIC, GROUP, CLUSTER, TRANSACTIONAL_ID. */
  resource_type: string;
  /** Resource name. */
  resource_name: string;
  /** LITERAL or PREFIXED. */
  pattern_type: string;
  /** Principal. */
  principal: string;
  /** Host. */
  host: string;
  /** Operation. */
  operation: string;
  /** ALLOW or DENY. */
  permission: string;
  /** copy (to target ACLs), access_map (IAM target), skip (skip_principals or MSK's own). */
  action: "copy" | "access_map" | "skip";
}

/** plan.json. */
export interface PlanDocument {
  /** Format version. */
  schema_version: number;
  /** Always `kraftover-plan`. */
  kind: "kraftover-plan";
  /** kraftover version that wrote it. */
  tool_version: string;
  /** The migration id (pinned by --migration-id, the config's id or the journal), or null. */
  migration_id: string | null;
  /** The config file. */
  config_file: string | null;
  /** Which inventories could be read. */
  inventory: { source: PlanInventoryStatus; target: PlanInventoryStatus };
  /** The source. */
  source: PlanCluster;
  /** The target. */
  target: PlanCluster;
  /** Topic selection as configured. */
  topic_selection: { include: string[]; exclude: string[] };
  /** Topics the run copies, sorted by name. */
  topics: PlanTopic[];
  /** Topics the include patterns match but that are left out (topics.exclude, or internal), with why. */
  excluded_topics: { name: string; reason: string }[];
  /** Groups whose offsets are translated, sorted. */
  groups: PlanGroup[];
  /** ACLs. */
  acls: {
    available: boolean;
    reason: string | null;
    target_uses_iam: boolean;
    bindings: PlanAcl[];
  };
  /** SCRAM users on the source (passwords cannot be read: they must be created on the target). */
  scram_users: {
    available: boolean;
    reason: string | null;
    users: { user: string; mechanisms: string[] }[];
  };
  /** Topology settings. */
  topology: { on_config_drift: string; replication_factor: number | null };
  /** Seed settings and estimate. */
  seed: {
    via: string;
    staging: string | null;
    max_concurrent_partitions: number;
    segment_max_bytes: number;
    compression: string;
    estimated_seconds: number;
    estimated_segments: number;
  };
  /** Cutover settings (milliseconds). */
  cutover: {
    drain_timeout_ms: number;
    drain_max_partition_lag: number;
    drain_stable_window_ms: number;
    max_producer_freeze_ms: number;
    sentinels: boolean;
  };
  /** Validation settings. */
  validation: { count_tolerance: number; spot_check_records_per_partition: number };
  /** Evidence store and retention. */
  evidence: {
    store: string | null;
    object_lock_mode: string | null;
    retention_days: number | null;
  };
  /** Hooks in order: `builtin:NAME` or a module path. */
  hooks: string[];
  /** Totals over the topics. */
  totals: {
    topics: number;
    partitions: number;
    records: number;
    bytes: number;
    groups: number;
    acls: number;
  };
  /** Cost estimate total in USD (details in cost-estimate.json). */
  estimated_cost_usd: number;
  /** What the plan could not know, in words. */
  notes: string[];
}

const planClusterSchema = z.strictObject({
  cluster_arn: z.string().nullable(),
  bootstrap_servers: z.array(z.string()).nullable(),
  region: z.string().nullable(),
  auth_mode: z.string(),
  cluster_id: z.string().nullable(),
  mode: z.enum(["zookeeper", "kraft", "unknown"]),
  kafka_version: z.string().nullable(),
  brokers: z.int().nonnegative().nullable(),
});
const inventoryStatus = z.strictObject({ read: z.boolean(), reason: z.string().nullable() });

/** The schema of plan.json. */
export const planDocumentSchema: z.ZodType<PlanDocument, unknown> = z.strictObject({
  schema_version: z.literal(PLAN_SCHEMA_VERSION),
  kind: z.literal("kraftover-plan"),
  tool_version: z.string(),
  migration_id: z.string().nullable(),
  config_file: z.string().nullable(),
  inventory: z.strictObject({ source: inventoryStatus, target: inventoryStatus }),
  source: planClusterSchema,
  target: planClusterSchema,
  topic_selection: z.strictObject({ include: z.array(z.string()), exclude: z.array(z.string()) }),
  topics: z.array(z.strictObject({
    name: z.string().min(1),
    partitions: z.int().positive(),
    source_replication_factor: z.int().nonnegative(),
    target_replication_factor: z.int().nonnegative(),
    configs: z.record(z.string(), z.string()),
    records: z.int().nonnegative(),
    bytes: z.int().nonnegative(),
    size_estimated: z.boolean(),
    compacted: z.boolean(),
    target: z.enum(["create", "exists", "conflict", "unknown"]),
  })),
  excluded_topics: z.array(z.strictObject({ name: z.string(), reason: z.string() })),
  groups: z.array(z.strictObject({
    group_id: z.string(),
    state: z.string(),
    members: z.int().nonnegative(),
    static_members: z.int().nonnegative(),
    topics: z.array(z.string()),
    committed_partitions: z.int().nonnegative(),
  })),
  acls: z.strictObject({
    available: z.boolean(),
    reason: z.string().nullable(),
    target_uses_iam: z.boolean(),
    bindings: z.array(z.strictObject({
      resource_type: z.string(),
      resource_name: z.string(),
      pattern_type: z.string(),
      principal: z.string(),
      host: z.string(),
      operation: z.string(),
      permission: z.string(),
      action: z.enum(["copy", "access_map", "skip"]),
    })),
  }),
  scram_users: z.strictObject({
    available: z.boolean(),
    reason: z.string().nullable(),
    users: z.array(z.strictObject({ user: z.string(), mechanisms: z.array(z.string()) })),
  }),
  topology: z.strictObject({
    on_config_drift: z.enum(["overwrite_with_source", "keep_target", "refuse"]),
    replication_factor: z.int().positive().nullable(),
  }),
  seed: z.strictObject({
    via: z.enum(["staged", "direct"]),
    staging: z.string().nullable(),
    max_concurrent_partitions: z.int().positive(),
    segment_max_bytes: z.int().positive(),
    compression: z.enum(["zstd", "gzip", "none"]),
    estimated_seconds: z.int().nonnegative(),
    estimated_segments: z.int().nonnegative(),
  }),
  cutover: z.strictObject({
    drain_timeout_ms: z.int().nonnegative(),
    drain_max_partition_lag: z.int().nonnegative(),
    drain_stable_window_ms: z.int().nonnegative(),
    max_producer_freeze_ms: z.int().nonnegative(),
    sentinels: z.boolean(),
  }),
  validation: z.strictObject({
    count_tolerance: z.int().nonnegative(),
    spot_check_records_per_partition: z.int().nonnegative(),
  }),
  evidence: z.strictObject({
    store: z.string().nullable(),
    object_lock_mode: z.enum(["COMPLIANCE", "GOVERNANCE"]).nullable(),
    retention_days: z.int().positive().nullable(),
  }),
  hooks: z.array(z.string()),
  totals: z.strictObject({
    topics: z.int().nonnegative(),
    partitions: z.int().nonnegative(),
    records: z.int().nonnegative(),
    bytes: z.int().nonnegative(),
    groups: z.int().nonnegative(),
    acls: z.int().nonnegative(),
  }),
  estimated_cost_usd: z.number().nonnegative(),
  notes: z.array(z.string()),
});

/** Input of {@linkcode buildPlanDocument}. */
export interface BuildPlanDocumentInput {
  /** The config. */
  config: MigrationConfig;
  /** The config file path shown in the plan. */
  configFile: string | null;
  /** The migration id, when pinned. */
  migrationId: string | null;
  /** kraftover's version. */
  toolVersion: string;
  /** Source inventory, or why it could not be read. */
  source: ClusterInventory | { error: string };
  /** Target inventory, or why it could not be read. */
  target: ClusterInventory | { error: string };
  /** The cost estimate. */
  estimate: CostEstimate;
}

function isInventory(x: ClusterInventory | { error: string }): x is ClusterInventory {
  return !("error" in x);
}

function describeStore(store: MigrationConfig["backup"]): string | null {
  if (store === undefined) return null;
  if (store.directory !== undefined) return store.directory;
  const prefix = store.s3_prefix.replace(/^\/+|\/+$/g, "");
  return `s3://${store.s3_bucket}${prefix === "" ? "" : `/${prefix}`}`;
}

/** MSK's own principals (brokers, the service) carry an amazonaws.com certificate name. */
function isSkippedPrincipal(principal: string, skip: readonly string[]): boolean {
  return skip.includes(principal) || /amazonaws\.com/i.test(principal);
}

function planCluster(
  cluster: MigrationConfig["source"],
  inv: ClusterInventory | undefined,
): PlanCluster {
  const c = inv?.cluster;
  return {
    cluster_arn: cluster.cluster_arn ?? null,
    bootstrap_servers: cluster.bootstrap_servers === undefined
      ? null
      : [...cluster.bootstrap_servers],
    region: configRegion(cluster),
    auth_mode: cluster.auth.mode,
    cluster_id: c?.clusterId ?? null,
    mode: c?.mode ?? "unknown",
    kafka_version: c?.kafkaVersion ??
      (c?.kafkaVersionAtLeast ? `>= ${c.kafkaVersionAtLeast}` : null),
    brokers: c?.brokerCount ?? null,
  };
}

/**
 * Builds plan.json's content. Sorted throughout and free of timestamps, so
 * the same config and cluster state give the same bytes; secrets are redacted.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildPlanDocument, planDocumentSchema } from "./plan_document.ts";
 * import { estimateCost } from "./estimate_cost.ts";
 * import { parseConfigText } from "../config/load_config.ts";
 * const { config } = await parseConfigText(
 *   "migration:\n  source: { bootstrap_servers: [a:1], auth: { mode: plaintext } }\n" +
 *     "  target: { bootstrap_servers: [b:1], auth: { mode: plaintext } }\n  seed: { via: direct }\n",
 *   { env: {} },
 * );
 * const doc = buildPlanDocument({
 *   config, configFile: "m.yaml", migrationId: null, toolVersion: "0.1.0",
 *   source: { error: "unreachable" }, target: { error: "unreachable" }, estimate: estimateCost({ config }),
 * });
 * planDocumentSchema.parse(doc);
 * assert.ok(doc.inventory.source.read === false && doc.topics.length === 0);
 * ```
 */
export function buildPlanDocument(input: BuildPlanDocumentInput): PlanDocument {
  const { config, estimate } = input;
  const src = isInventory(input.source) ? input.source : undefined;
  const tgt = isInventory(input.target) ? input.target : undefined;
  const targetTopics = new Map((tgt?.topics ?? []).map((t) => [t.name, t]));
  const notes: string[] = [];
  if (src === undefined) {
    notes.push(
      "The source could not be read: topics, groups, ACLs and estimates are missing. Run plan again " +
        "where the source is reachable.",
    );
  }
  if (tgt === undefined) {
    notes.push("The target could not be read: whether topics already exist there is unknown.");
  }
  if (src?.totals.sizeEstimated) {
    notes.push(
      "Some partition sizes are estimated from sampled record sizes (DescribeLogDirs was refused).",
    );
  }

  const topics: PlanTopic[] = (src?.topics ?? []).map((t) => {
    const existing = targetTopics.get(t.name);
    return {
      name: t.name,
      partitions: t.partitionCount,
      source_replication_factor: t.replicationFactor,
      target_replication_factor: config.topology.replication_factor ?? t.replicationFactor,
      configs: { ...t.configs },
      records: t.records,
      bytes: t.sizeBytes,
      size_estimated: t.sizeEstimated,
      compacted: t.compacted,
      target: tgt === undefined
        ? "unknown"
        : existing === undefined
        ? "create"
        : existing.partitionCount === t.partitionCount
        ? "exists"
        : "conflict",
    };
  });

  const targetIam = config.target.auth.mode === "iam";
  const bindings: PlanAcl[] = (src?.acls.bindings ?? []).map((b) => ({
    resource_type: b.resourceType,
    resource_name: b.resourceName,
    pattern_type: b.patternType,
    principal: b.principal,
    host: b.host,
    operation: b.operation,
    permission: b.permission,
    action: isSkippedPrincipal(b.principal, config.acl.skip_principals)
      ? "skip"
      : targetIam
      ? "access_map"
      : "copy",
  }));

  const groups: PlanGroup[] = (src?.groups ?? []).map((g) => ({
    group_id: g.groupId,
    state: g.state,
    members: g.members.length,
    static_members: g.members.filter((m) => m.groupInstanceId !== null).length,
    topics: [...g.topics],
    committed_partitions: g.offsets.length,
  }));

  const hooks = config.hooks.map((h) => (typeof h === "string" ? h : `builtin:${h.builtin}`));
  if (config.cutover.producer_freeze_webhook !== undefined) hooks.unshift("builtin:webhook-freeze");

  const retention = config.evidence?.retention;
  const doc: PlanDocument = {
    schema_version: PLAN_SCHEMA_VERSION,
    kind: "kraftover-plan",
    tool_version: input.toolVersion,
    migration_id: input.migrationId,
    config_file: input.configFile,
    inventory: {
      source: {
        read: src !== undefined,
        reason: isInventory(input.source) ? null : input.source.error,
      },
      target: {
        read: tgt !== undefined,
        reason: isInventory(input.target) ? null : input.target.error,
      },
    },
    source: planCluster(config.source, src),
    target: planCluster(config.target, tgt),
    topic_selection: { include: [...config.topics.include], exclude: [...config.topics.exclude] },
    topics,
    excluded_topics: (src?.excludedTopics ?? [])
      .filter((e) =>
        e.reason === "excluded" ||
        (e.reason === "internal" &&
          config.topics.include.some((re) => anchoredRegExp(re).test(e.name)))
      )
      .map((e) => ({ name: e.name, reason: e.reason })),
    groups,
    acls: {
      available: src?.acls.available ?? false,
      reason: src === undefined ? "the source could not be read" : src.acls.reason,
      target_uses_iam: targetIam,
      bindings,
    },
    scram_users: {
      available: src?.scramUsers.available ?? false,
      reason: src === undefined ? "the source could not be read" : src.scramUsers.reason,
      users: (src?.scramUsers.users ?? []).map((u) => ({
        user: u.user,
        mechanisms: u.mechanisms.map((m) => m.mechanism).sort(compareStrings),
      })),
    },
    topology: {
      on_config_drift: config.topology.on_config_drift,
      replication_factor: config.topology.replication_factor ?? null,
    },
    seed: {
      via: config.seed.via,
      staging: config.seed.via === "staged" ? describeStore(config.backup) : null,
      max_concurrent_partitions: config.seed.max_concurrent_partitions,
      segment_max_bytes: config.seed.segment_max_bytes,
      compression: config.seed.compression,
      estimated_seconds: estimate.quantities.seed_seconds,
      estimated_segments: estimate.quantities.segments,
    },
    cutover: {
      drain_timeout_ms: config.cutover.drain_timeout,
      drain_max_partition_lag: config.cutover.drain_max_partition_lag,
      drain_stable_window_ms: config.cutover.drain_stable_window,
      max_producer_freeze_ms: config.cutover.max_producer_freeze,
      sentinels: config.cutover.sentinels,
    },
    validation: {
      count_tolerance: config.validation.count_tolerance,
      spot_check_records_per_partition: config.validation.spot_check_records_per_partition,
    },
    evidence: {
      store: describeStore(config.evidence),
      object_lock_mode: config.evidence?.object_lock_mode ?? null,
      retention_days: retention === undefined ? null : Math.ceil(retention / 86_400_000),
    },
    hooks,
    totals: {
      topics: topics.length,
      partitions: topics.reduce((n, t) => n + t.partitions, 0),
      records: topics.reduce((n, t) => n + t.records, 0),
      bytes: topics.reduce((n, t) => n + t.bytes, 0),
      groups: groups.length,
      acls: bindings.length,
    },
    estimated_cost_usd: estimate.cost.total,
    notes,
  };
  return redact(doc);
}
