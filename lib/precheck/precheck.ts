/**
 * The read-only precheck (SPEC §6): both clusters, both stores, and the
 * config, reported as findings with a code, severity, title, detail,
 * remediation and subject. See `docs/precheck-codes.md` for every code.
 *
 * @module
 */

import type { MigrationContext } from "../context.ts";
import type { ClusterConfig, MigrationConfig } from "../config/types.ts";
import { errorMessage, isKraftoverError, KraftoverError } from "../errors.ts";
import type { KafkaConnection } from "../kafka/connect.ts";
import { describeMskCluster } from "../msk/msk_api.ts";
import type { MskClusterInfo } from "../msk/msk_api.ts";
import { probeStore } from "../store/probe_store.ts";
import type { ProbeStoreResult } from "../store/probe_store.ts";
import { takeInventory } from "../inventory/take_inventory.ts";
import type { AclBinding, ClusterInventory, TopicInventory } from "../inventory/types.ts";
import { compareKafkaVersions } from "../inventory/detect_cluster_mode.ts";
import { compareStrings } from "../inventory/select_topics.ts";
import { configRegion, estimateCost } from "../plan/estimate_cost.ts";
import type { CostEstimate } from "../plan/estimate_cost.ts";
import { formatBytes, formatDuration } from "../config/units.ts";
import { ALL_FINDING_CODES, FINDING_CODES } from "./finding_codes.ts";
import type { FindingCode, Severity } from "./finding_codes.ts";

/** One finding. */
export interface PrecheckFinding {
  /** Stable code, e.g. `B12` (see docs/precheck-codes.md). */
  code: FindingCode;
  /** blocker, warning or info. */
  severity: Severity;
  /** The code's title. */
  title: string;
  /** What was found, with the values seen. */
  detail: string;
  /** What to do about it. */
  remediation: string;
  /** What it is about: `source`, `target`, `topic:NAME`, `group:ID`, `backup`, `evidence`, … */
  subject: string;
}

/** What precheck saw of one cluster. */
export interface PrecheckSideSummary {
  /** `source` or `target`. */
  label: string;
  /** Connected and read. */
  reachable: boolean;
  /** Metadata mode. */
  mode: "zookeeper" | "kraft" | "unknown";
  /** Kafka version: exact from MSK (`3.9.x`), else a lower bound (`>= 3.7`), else null. */
  kafkaVersion: string | null;
  /** Broker count, when known. */
  brokers: number | null;
  /** Selected topics. */
  topics: number;
  /** Their partitions. */
  partitions: number;
  /** Their bytes. */
  bytes: number;
  /** Consumer groups touching them. */
  groups: number;
  /** ACL bindings. */
  acls: number;
}

/** The precheck's result. */
export interface PrecheckReport {
  /** True when there is no blocker. */
  passed: boolean;
  /** Findings per severity. */
  counts: Record<Severity, number>;
  /** Findings, blockers first, then by code and subject. */
  findings: PrecheckFinding[];
  /** The source as seen. */
  source: PrecheckSideSummary;
  /** The target as seen. */
  target: PrecheckSideSummary;
  /** Seed duration and cost estimate (as in `cost-estimate.json`). */
  estimate: CostEstimate;
}

/** Options for {@linkcode precheck}. */
export interface PrecheckOptions {
  /** Probe the backup and evidence stores (writes, reads back and deletes one temporary object each). @default true */
  stores?: boolean;
  /** Seed throughput assumed for I03 and W06, in bytes per second. @default 10 MiB/s per concurrent partition, at most 100 MiB/s */
  seedBytesPerSecond?: number;
  /** Cancels the precheck. */
  signal?: AbortSignal;
}

const SEVERITY_ORDER: Record<Severity, number> = { blocker: 0, warning: 1, info: 2 };

class Findings {
  readonly list: PrecheckFinding[] = [];
  readonly #seen = new Set<string>();

  add(code: FindingCode, subject: string, detail: string, remediation: string): void {
    const key = `${code}\u0000${subject}`;
    if (this.#seen.has(key)) return;
    this.#seen.add(key);
    const info = FINDING_CODES[code];
    this.list.push({
      code,
      severity: info.severity,
      title: info.title,
      detail,
      remediation,
      subject,
    });
  }

  has(code: FindingCode): boolean {
    return this.list.some((f) => f.code === code);
  }
}

interface Side {
  label: "source" | "target";
  config: ClusterConfig;
  msk: MskClusterInfo | undefined;
  connection: KafkaConnection | undefined;
  inventory: ClusterInventory | undefined;
}

/**
 * Checks both clusters, both stores and the config without changing either
 * cluster, and reports every finding of SPEC §6 that applies (B01–B15,
 * W01–W12, I01–I05). It never throws for a finding: a report with a blocker
 * has `passed: false` (the CLI then exits 3). It throws only for a config
 * it cannot use (exit 2) or when aborted.
 *
 * Writes: none to either cluster (metadata, configs, offsets, groups and
 * ACLs are only described; no consumer group is joined). The store probes
 * write one temporary object under `_kraftover_probe/` in each bucket and
 * delete it (`stores: false` skips them).
 *
 * @example
 * ```ts ignore
 * const ctx = createMigrationContext((await loadConfig("migration.yaml")).config);
 * const report = await precheck(ctx);
 * console.log(formatFindings(report));
 * await ctx.close();
 * ```
 */
export async function precheck(
  ctx: MigrationContext,
  options: PrecheckOptions = {},
): Promise<PrecheckReport> {
  const { config } = ctx;
  const logger = ctx.logger.child({ phase: "precheck" });
  const signal = options.signal;
  const findings = new Findings();

  configChecks(config, findings);
  const stores = options.stores === false ? Promise.resolve(undefined) : storeProbes(ctx, signal);

  const [sourceMsk, targetMsk] = await Promise.all([
    mskSide(config.source, "source", findings, signal),
    mskSide(config.target, "target", findings, signal),
  ]);
  signal?.throwIfAborted();
  const source: Side = {
    label: "source",
    config: config.source,
    msk: sourceMsk,
    ...(await connectSide(ctx, "source", findings)),
  };
  const target: Side = {
    label: "target",
    config: config.target,
    msk: targetMsk,
    ...(await connectSide(ctx, "target", findings)),
  };
  signal?.throwIfAborted();

  if (source.connection !== undefined) {
    source.inventory = await inventorySide(source, findings, {
      topics: config.topics,
      sizes: true,
      ...(signal === undefined ? {} : { signal }),
    });
  }
  if (target.connection !== undefined) {
    target.inventory = await inventorySide(target, findings, {
      topics: config.topics,
      sizes: false,
      groupIds: source.inventory?.groups.map((g) => g.groupId) ?? [],
      ...(signal === undefined ? {} : { signal }),
    });
  }
  logger.debug("Inventories read", {
    source: source.inventory?.totals,
    target: target.inventory?.totals,
  });

  const estimate = estimateCost({
    config,
    source: source.inventory,
    target: target.inventory,
    ...(options.seedBytesPerSecond === undefined
      ? {}
      : { seedBytesPerSecond: options.seedBytesPerSecond }),
  });

  modeChecks(source, target, findings);
  sameClusterCheck(source, target, findings);
  permissionChecks(source, config, findings);
  permissionChecks(target, config, findings);
  if (source.inventory !== undefined) {
    sourceTopicChecks(source.inventory, estimate, findings);
    inPlaceUpgradeCheck(source, findings);
  }
  if (source.inventory !== undefined && target.inventory !== undefined) {
    pairChecks(config, source.inventory, target.inventory, findings);
  } else if (target.inventory !== undefined && !target.inventory.brokerSettings.available) {
    findings.add(
      "W04",
      "target",
      "The target's broker configs (message.max.bytes) could not be described.",
      "Grant DescribeConfigs on the cluster (kafka-cluster:DescribeClusterDynamicConfiguration with IAM).",
    );
  }
  summaryFindings(source, target, estimate, findings);

  const probes = await stores;
  if (probes !== undefined) storeFindings(config, probes, findings);
  signal?.throwIfAborted();

  const sorted = findings.list.sort((a, b) =>
    SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] ||
    ALL_FINDING_CODES.indexOf(a.code) - ALL_FINDING_CODES.indexOf(b.code) ||
    compareStrings(a.subject, b.subject)
  );
  const counts: Record<Severity, number> = { blocker: 0, warning: 0, info: 0 };
  for (const f of sorted) counts[f.severity]++;
  const report: PrecheckReport = {
    passed: counts.blocker === 0,
    counts,
    findings: sorted,
    source: summary(source),
    target: summary(target),
    estimate,
  };
  logger.info(report.passed ? "Precheck passed" : "Precheck found blockers", counts);
  return report;
}

/**
 * The error the CLI throws after printing a report with blockers (exit 3).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { precheckBlockedError } from "./precheck.ts";
 * const e = precheckBlockedError({ findings: [{ code: "B12", severity: "blocker" }] });
 * assert.ok(e.code === "PRECHECK_BLOCKED" && e.message.includes("B12"));
 * ```
 */
export function precheckBlockedError(
  report: { findings: readonly Pick<PrecheckFinding, "code" | "severity">[] },
): KraftoverError {
  const codes = [
    ...new Set(report.findings.filter((f) => f.severity === "blocker").map((f) => f.code)),
  ];
  return new KraftoverError(
    "PRECHECK_BLOCKED",
    `Precheck found ${codes.length === 1 ? "a blocker" : "blockers"}: ${codes.join(", ")}: ` +
      "fix them (see docs/precheck-codes.md) and run precheck again",
    { phase: "precheck", detail: { blockers: codes, reported: true } },
  );
}

function summary(side: Side): PrecheckSideSummary {
  const inv = side.inventory;
  const version = inv?.cluster.kafkaVersion ?? side.msk?.kafkaVersion ??
    (inv?.cluster.kafkaVersionAtLeast ? `>= ${inv.cluster.kafkaVersionAtLeast}` : null);
  return {
    label: side.label,
    reachable: inv !== undefined,
    mode: inv?.cluster.mode ?? (side.msk?.metadataMode ?? "unknown"),
    kafkaVersion: version ?? null,
    brokers: inv?.cluster.brokerCount ?? side.msk?.brokerCount ?? null,
    topics: inv?.totals.topics ?? 0,
    partitions: inv?.totals.partitions ?? 0,
    bytes: inv?.totals.bytes ?? 0,
    groups: inv?.totals.groups ?? 0,
    acls: inv?.totals.acls ?? 0,
  };
}

// ---------------------------------------------------------------------------
// Config-only checks: B05 (same ARN or address), W01, I01

function configChecks(config: MigrationConfig, findings: Findings): void {
  const s = config.source;
  const t = config.target;
  if (s.cluster_arn !== undefined && s.cluster_arn === t.cluster_arn) {
    findings.add(
      "B05",
      "source/target",
      `source and target both name ${s.cluster_arn}.`,
      "Point target at the new KRaft cluster.",
    );
  }
  const shared = (s.bootstrap_servers ?? []).filter((b) => (t.bootstrap_servers ?? []).includes(b));
  if (shared.length > 0) {
    findings.add(
      "B05",
      "source/target",
      `source and target share bootstrap servers: ${shared.join(", ")}.`,
      "Point target at the new KRaft cluster.",
    );
  }

  const sourceRegion = configRegion(s);
  const targetRegion = configRegion(t);
  if (sourceRegion !== null && targetRegion !== null && sourceRegion !== targetRegion) {
    findings.add(
      "W01",
      "source/target",
      `The source is in ${sourceRegion} and the target in ${targetRegion}: every migrated byte ` +
        "crosses regions (inter-region transfer is charged and slower).",
      "Expected for a cross-region move; check the cost estimate (I03), or run the runner in the target's " +
        "region to keep S3 traffic regional.",
    );
  }
  for (const which of ["backup", "evidence"] as const) {
    const store = config[which];
    if (store?.s3_bucket === undefined || store.region === undefined || sourceRegion === null) {
      continue;
    }
    if (which === "backup" && config.seed.via !== "staged") continue;
    if (store.region !== sourceRegion) {
      findings.add(
        "W01",
        which,
        `The ${which} bucket ${store.s3_bucket} is in ${store.region}, the source in ${sourceRegion}: ` +
          `${which === "backup" ? "staged segments" : "the evidence bundle"} cross regions.`,
        `Use a ${which} bucket in ${sourceRegion}, or accept the inter-region transfer.`,
      );
    }
  }

  if (t.auth.mode === "iam") {
    findings.add(
      "I01",
      "target",
      "The target uses IAM access control: Kafka ACLs do not apply there. The source's ACLs are not " +
        "copied; topology copy writes access-map.json mapping each principal's ACLs to the " +
        "kafka-cluster:* actions and ARNs it needs, with a ready IAM policy per principal.",
      "Review access-map.json after topology copy and attach the policies to your clients' roles " +
        "before switching clients.",
    );
  }
}

// ---------------------------------------------------------------------------
// MSK API: B02

async function mskSide(
  cluster: ClusterConfig,
  label: "source" | "target",
  findings: Findings,
  signal: AbortSignal | undefined,
): Promise<MskClusterInfo | undefined> {
  if (cluster.cluster_arn === undefined) return undefined;
  let info: MskClusterInfo;
  try {
    info = await describeMskCluster(cluster, signal === undefined ? {} : { signal });
  } catch (error) {
    if (isKraftoverError(error, "CONFIG_INVALID", "CONFIG_ENV_UNSET", "ABORTED")) throw error;
    // Reported with the connection (bootstrap brokers come from the same API).
    return undefined;
  }
  if (info.clusterType === "SERVERLESS") {
    findings.add(
      "B02",
      label,
      `${info.arn} is an MSK Serverless cluster. Serverless has no Kafka ACLs, fixed broker ` +
        "configs and quotas, and no DescribeLogDirs; kraftover migrates provisioned clusters only.",
      label === "source"
        ? "A Serverless cluster has no ZooKeeper to migrate away from: there is nothing to do."
        : "Create a provisioned MSK cluster in KRaft mode (Kafka 3.7 or later) as the target.",
    );
  }
  return info;
}

// ---------------------------------------------------------------------------
// Connections: B01, B09, B10, B15

async function connectSide(
  ctx: MigrationContext,
  label: "source" | "target",
  findings: Findings,
): Promise<{ connection: KafkaConnection | undefined; inventory: undefined }> {
  try {
    const connection = await (label === "source" ? ctx.source() : ctx.target());
    return { connection, inventory: undefined };
  } catch (error) {
    connectionFinding(label, ctx.config[label], error, findings);
    return { connection: undefined, inventory: undefined };
  }
}

function connectionFinding(
  label: "source" | "target",
  cluster: ClusterConfig,
  error: unknown,
  findings: Findings,
): void {
  if (!isKraftoverError(error)) throw error;
  if (error.code.startsWith("CONFIG_") || error.code === "ABORTED") throw error;
  const unreachable: FindingCode = label === "source" ? "B09" : "B10";
  const where = cluster.cluster_arn !== undefined && cluster.bootstrap_servers === undefined
    ? `${cluster.cluster_arn} (brokers from the MSK API)`
    : (cluster.bootstrap_servers ?? []).join(", ");
  const credentials = /credential|security token|signature.*(does not match|expired)|ExpiredToken/i;
  if (
    (error.code === "MSK_API_ERROR" || error.code === "KAFKA_ERROR" ||
      error.code === "KAFKA_UNREACHABLE") &&
    credentials.test(`${error.message} ${errorMessage(error.cause)}`)
  ) {
    findings.add(
      "B01",
      label,
      `No usable AWS credentials for the ${label} (auth mode ${cluster.auth.mode}): ${error.message}`,
      "Check the AWS credential chain the runner uses (environment, auth.profile, auth.role_arn, " +
        "instance or task role) and the region.",
    );
    return;
  }
  switch (error.code) {
    case "KAFKA_AUTH_FAILED":
      findings.add(
        "B01",
        label,
        `The ${label} refused kraftover's credentials (auth mode ${cluster.auth.mode}): ${error.message}`,
        authRemedy(cluster),
      );
      return;
    case "KAFKA_TLS_FAILED":
      if (cluster.auth.mode === "mtls") {
        findings.add(
          "B01",
          label,
          `The ${label}'s TLS handshake with the client certificate failed: ${error.message}`,
          authRemedy(cluster),
        );
        return;
      }
      findings.add(
        unreachable,
        label,
        `No TLS connection to the ${label} (${where}): ${error.message}`,
        "Check tls.ca_file and that the port speaks TLS (or set tls: false for a plaintext listener).",
      );
      return;
    case "KAFKA_AUTHZ_DENIED":
      findings.add(
        "B15",
        label,
        `The ${label} authenticated kraftover but refused to describe the cluster: ${error.message}`,
        "Grant the permissions in docs/permissions.md (Describe on the cluster, or kafka-cluster:Connect " +
          "and kafka-cluster:DescribeCluster with IAM).",
      );
      return;
    case "MSK_CLUSTER_NOT_FOUND":
    case "MSK_API_ERROR":
      findings.add(
        unreachable,
        label,
        `The MSK API could not give the ${label}'s brokers: ${error.message}`,
        "Check the cluster ARN, its region, the runner's credentials (kafka:DescribeClusterV2, " +
          "kafka:GetBootstrapBrokers) and that the auth mode is enabled on the cluster.",
      );
      return;
    default:
      findings.add(
        unreachable,
        label,
        `No ${label} broker answered (${where}): ${error.message}`,
        "Check the addresses, that the brokers run, and security groups, NACLs or firewalls between " +
          "the runner and the brokers.",
      );
  }
}

function authRemedy(cluster: ClusterConfig): string {
  switch (cluster.auth.mode) {
    case "scram-sha-512":
    case "scram-sha-256":
      return "Check auth.username and auth.password, and that the user exists with this SCRAM mechanism.";
    case "iam":
      return "Check the AWS credentials (auth.profile / auth.role_arn / the credential chain) and the region.";
    case "mtls":
      return "Check auth.cert_file and auth.key_file, and that the brokers trust their CA.";
    default:
      return "Check auth.mode: the listener expects another authentication.";
  }
}

async function inventorySide(
  side: Side,
  findings: Findings,
  options: Parameters<typeof takeInventory>[1],
): Promise<ClusterInventory | undefined> {
  try {
    return await takeInventory(side.connection!, { ...options, msk: side.msk ?? false });
  } catch (error) {
    if (isKraftoverError(error, "ABORTED") || (error as Error)?.name === "AbortError") throw error;
    connectionFinding(side.label, side.config, error, findings);
    return undefined;
  }
}

// ---------------------------------------------------------------------------
// Modes and versions: B03, B04, B06

function modeOf(side: Side): { mode: string; evidence: string } {
  if (side.msk !== undefined && side.msk.metadataMode !== "unknown") {
    return {
      mode: side.msk.metadataMode,
      evidence: `the MSK API (Kafka version ${side.msk.kafkaVersion})`,
    };
  }
  const c = side.inventory?.cluster;
  if (c === undefined) return { mode: "unknown", evidence: "nothing" };
  return {
    mode: c.mode,
    evidence: c.modeEvidence === "api_versions" ? "the brokers' ApiVersions" : "nothing conclusive",
  };
}

function modeChecks(source: Side, target: Side, findings: Findings): void {
  const s = modeOf(source);
  if (s.mode === "kraft") {
    findings.add(
      "B03",
      "source",
      `The source runs in KRaft mode (told from ${s.evidence}); kraftover moves ZooKeeper-mode clusters.`,
      "Check that source names the old ZooKeeper-mode cluster; a KRaft cluster needs no migration.",
    );
  }
  const t = modeOf(target);
  if (t.mode === "zookeeper") {
    findings.add(
      "B04",
      "target",
      `The target runs in ZooKeeper mode (told from ${t.evidence}).`,
      "Create the target in KRaft mode (on MSK: a Kafka version ending in .kraft, or 4.x).",
    );
  }
  const exact = target.msk?.kafkaVersion;
  if (exact !== undefined && target.msk?.clusterType !== "SERVERLESS") {
    if (compareKafkaVersions(exact, "3.7") < 0) {
      findings.add(
        "B06",
        "target",
        `The target runs Kafka ${exact} (MSK API); kraftover needs 3.7 or later on the target.`,
        "Create the target with Kafka 3.7 or later (MSK: 3.7.x.kraft, 3.8.x.kraft, 3.9.x.kraft or 4.x).",
      );
    }
  } else if (target.inventory !== undefined && t.mode === "kraft") {
    const floor = target.inventory.cluster.kafkaVersionAtLeast;
    if (floor === null || compareKafkaVersions(floor, "3.7") < 0) {
      findings.add(
        "B06",
        "target",
        `The target's brokers advertise the APIs of Kafka ${
          floor ?? "older than 2.7"
        } but not those of 3.7 ` +
          "(ListClientMetricsResources, API key 74).",
        "Upgrade the target to Kafka 3.7 or later.",
      );
    }
  }
}

function sameClusterCheck(source: Side, target: Side, findings: Findings): void {
  const a = source.inventory?.cluster.clusterId;
  const b = target.inventory?.cluster.clusterId;
  if (a !== null && a !== undefined && a === b) {
    findings.add(
      "B05",
      "source/target",
      `source and target report the same cluster id ${a}.`,
      "Point target at the new KRaft cluster.",
    );
  }
}

// ---------------------------------------------------------------------------
// Permissions: B15 (W04 is in pairChecks)

const B15_AREAS: Readonly<Record<string, string>> = {
  topics: "describe topics",
  topic_configs: "describe topic configs",
  offsets: "read committed group offsets",
  groups: "describe consumer groups",
  acls: "describe ACLs",
};

function permissionChecks(side: Side, config: MigrationConfig, findings: Findings): void {
  const inv = side.inventory;
  if (inv === undefined) return;
  const aclsMatter = side.config.auth.mode !== "iam" && config.target.auth.mode !== "iam";
  const byArea = new Map<string, string[]>();
  for (const p of inv.problems) {
    if (p.code !== "KAFKA_AUTHZ_DENIED" || !(p.area in B15_AREAS)) continue;
    if (p.area === "acls" && !aclsMatter) continue;
    const list = byArea.get(p.area) ?? [];
    list.push(p.subject ?? p.message);
    byArea.set(p.area, list);
  }
  for (const [area, subjects] of byArea) {
    const shown = subjects.slice(0, 10).join(", ") +
      (subjects.length > 10 ? `, … (${subjects.length})` : "");
    findings.add(
      "B15",
      `${side.label}:${area}`,
      `kraftover may not ${B15_AREAS[area]} on the ${side.label}: ${shown}.`,
      `Grant the ${side.label} principal the read permissions in docs/permissions.md ` +
        (side.config.auth.mode === "iam"
          ? "(kafka-cluster:DescribeTopic, DescribeTopicDynamicConfiguration, DescribeGroup, DescribeCluster)."
          : "(Describe and DescribeConfigs on topics, Describe on groups, Describe on the cluster)."),
    );
  }
}

// ---------------------------------------------------------------------------
// Source-only checks: W02, W06, W07, W11, W05, I05

function sourceTopicChecks(
  inv: ClusterInventory,
  estimate: CostEstimate,
  findings: Findings,
): void {
  const seedMs = estimate.quantities.seed_seconds * 1000;
  for (const topic of inv.topics) {
    if (topic.compacted) {
      findings.add(
        "W02",
        `topic:${topic.name}`,
        `${topic.name} is compacted (cleanup.policy=${
          topic.effectiveConfigs["cleanup.policy"]
        }): its offsets ` +
          "have gaps, compaction may remove records while they are copied, and the spot check may see " +
          "a newer value for a key.",
        "Nothing to fix: gaps are recorded as explained holes, and validation warns rather than fails " +
          "on compacted topics. Consider raising min.compaction.lag.ms during the migration.",
      );
    }
    const retention = Number(topic.effectiveConfigs["retention.ms"] ?? "-1");
    const deletes = (topic.effectiveConfigs["cleanup.policy"] ?? "delete").includes("delete");
    if (deletes && retention >= 0 && topic.records > 0 && retention < seedMs) {
      findings.add(
        "W06",
        `topic:${topic.name}`,
        `${topic.name} keeps records ${
          formatDuration(retention)
        } (retention.ms=${retention}), less than ` +
          `the estimated seed time of ${
            formatDuration(seedMs)
          }: its oldest records may be deleted ` +
          "before they are copied.",
        `Raise retention.ms on the source topic for the migration (kafka-configs --alter --entity-type ` +
          `topics --entity-name ${topic.name} --add-config retention.ms=…), or raise seed.max_concurrent_partitions.`,
      );
    }
    if (topic.underReplicatedPartitions > 0) {
      findings.add(
        "W11",
        `topic:${topic.name}`,
        `${topic.underReplicatedPartitions} of ${topic.partitionCount} partitions of ${topic.name} are ` +
          "under-replicated or offline on the source.",
        "Bring the source's replicas back in sync before the seed (check broker health and disk); an " +
          "offline partition cannot be read.",
      );
    }
    if (topic.records === 0) {
      findings.add(
        "I05",
        `topic:${topic.name}`,
        `${topic.name} holds no records (${topic.partitionCount} partitions): it is created on the target ` +
          "and tailed, but nothing is seeded.",
        "None needed; exclude it in topics.exclude if it should not move.",
      );
    }
  }
  for (const group of inv.groups) {
    const statics = group.members.filter((m) => m.groupInstanceId !== null);
    if (statics.length > 0) {
      findings.add(
        "W05",
        `group:${group.groupId}`,
        `${group.groupId} has ${statics.length} static member(s) (group.instance.id ` +
          `${
            statics.map((m) => m.groupInstanceId).join(", ")
          }): static members keep their assignment ` +
          "across restarts and are only removed after session.timeout.ms.",
        "Switch static consumers with the same group.instance.id values; on the source, remove them " +
          "(kafka-consumer-groups --delete or the admin API's removeMembersFromConsumerGroup) after the switch.",
      );
    }
  }
  if (inv.transactions.available && inv.transactions.transactionalIds.length > 0) {
    // Open transactions first: they are the ones that must finish before the freeze.
    const all = inv.transactions.transactionalIds;
    const open = all.filter((t) => OPEN_TRANSACTION_STATES.has(t.state));
    const ids = [...open, ...all.filter((t) => !OPEN_TRANSACTION_STATES.has(t.state))]
      .map((t) => `${t.transactionalId} (${t.state})`);
    findings.add(
      "W07",
      "source",
      `${all.length} transactional producer(s) are known to the source, ${open.length} with a ` +
        `transaction open now: ${ids.slice(0, 10).join(", ")}` +
        `${ids.length > 10 ? `, … and ${ids.length - 10} more` : ""}.`,
      "Only committed records are copied and transaction markers are holes, not records. Freeze the " +
        "transactional producers at cutover like the others, and let open transactions finish first.",
    );
  }
}

/** Transaction states in which a transactional producer has a transaction in flight. */
const OPEN_TRANSACTION_STATES: ReadonlySet<string> = new Set([
  "Ongoing",
  "PrepareCommit",
  "PrepareAbort",
  "PrepareEpochFence",
]);

// ---------------------------------------------------------------------------
// Source vs target: B11, W04, B12, W09, B13, B14, W08, W10, W12

function pairChecks(
  config: MigrationConfig,
  src: ClusterInventory,
  tgt: ClusterInventory,
  findings: Findings,
): void {
  const targetTopics = new Map(tgt.topics.map((t) => [t.name, t]));
  const targetMax = tgt.brokerSettings.messageMaxBytes;
  if (!tgt.brokerSettings.available) {
    findings.add(
      "W04",
      "target",
      "The target's broker configs (message.max.bytes) could not be described, so whether it accepts " +
        "the source's largest records is unknown.",
      "Grant DescribeConfigs on the cluster (kafka-cluster:DescribeClusterDynamicConfiguration with IAM).",
    );
  }
  for (const topic of src.topics) {
    const existing = targetTopics.get(topic.name);
    const sourceLimit = numberOr(
      topic.effectiveConfigs["max.message.bytes"],
      src.brokerSettings.messageMaxBytes,
    );
    const targetLimit = existing !== undefined
      ? numberOr(existing.effectiveConfigs["max.message.bytes"], targetMax)
      : topic.configs["max.message.bytes"] !== undefined
      ? Number(topic.configs["max.message.bytes"])
      : targetMax;
    if (sourceLimit !== null && targetLimit !== null && targetLimit < sourceLimit) {
      findings.add(
        "B11",
        `topic:${topic.name}`,
        `${topic.name} accepts records up to ${sourceLimit} bytes on the source, but the target would take ` +
          `only ${targetLimit} (${
            existing !== undefined
              ? "the existing target topic's max.message.bytes"
              : "the target's message.max.bytes"
          }).`,
        existing !== undefined
          ? `Raise max.message.bytes of ${topic.name} on the target to at least ${sourceLimit}.`
          : `Raise message.max.bytes on the target to at least ${sourceLimit} (on MSK: in the cluster ` +
            "configuration), or set max.message.bytes on the source topic so it is copied.",
      );
    }
    if (existing === undefined) continue;
    if (existing.partitionCount !== topic.partitionCount) {
      findings.add(
        "B12",
        `topic:${topic.name}`,
        `${topic.name} has ${topic.partitionCount} partitions on the source and ${existing.partitionCount} ` +
          "on the target; records are copied partition by partition, so the counts must match.",
        existing.records === 0
          ? `Delete ${topic.name} on the target (it is empty) and let topology copy create it.`
          : `Rename or delete ${topic.name} on the target, or exclude it with topics.exclude.`,
      );
      continue;
    }
    const drift = configDrift(topic, existing);
    if (drift.length > 0) {
      findings.add(
        "W09",
        `topic:${topic.name}`,
        `${topic.name} already exists on the target with other configs: ${drift.join("; ")}. ` +
          `topology.on_config_drift is ${config.topology.on_config_drift}.`,
        config.topology.on_config_drift === "refuse"
          ? "Align the target topic's configs with the source, or set topology.on_config_drift to " +
            "overwrite_with_source or keep_target."
          : config.topology.on_config_drift === "overwrite_with_source"
          ? "The source's values will be written to the target topic; check that is intended."
          : "The target's values are kept; check that is intended.",
      );
    }
  }

  const targetGroups = new Map(tgt.groups.map((g) => [g.groupId, g]));
  for (const group of src.groups) {
    const there = targetGroups.get(group.groupId);
    if (there === undefined || there.members.length === 0) continue;
    findings.add(
      "B13",
      `group:${group.groupId}`,
      `${group.groupId} has ${there.members.length} active member(s) on the target (state ${there.state}, ` +
        `clients ${
          [...new Set(there.members.map((m) => m.clientId))].join(", ")
        }): committing translated ` +
        "offsets for a group with members fails, and they would consume before the data is complete.",
      `Stop the consumers of ${group.groupId} on the target until cutover, or migrate another group.`,
    );
  }

  const targetBrokers = tgt.cluster.brokerCount;
  const explicitRf = config.topology.replication_factor;
  if (explicitRf !== undefined && explicitRf > targetBrokers) {
    findings.add(
      "B14",
      "topology.replication_factor",
      `topology.replication_factor is ${explicitRf} but the target has ${targetBrokers} broker(s): ` +
        "topics cannot be created.",
      `Set topology.replication_factor to at most ${targetBrokers}, or add brokers to the target.`,
    );
  } else if (explicitRf === undefined) {
    // By default topology copy caps a replication factor the target cannot hold at its broker
    // count (with a warning there too): say so now, so the operator can choose explicitly.
    for (const topic of src.topics) {
      if (topic.replicationFactor > targetBrokers && !targetTopics.has(topic.name)) {
        findings.add(
          "W12",
          `topic:${topic.name}`,
          `${topic.name} has replication factor ${topic.replicationFactor} on the source, but the target ` +
            `has ${targetBrokers} broker(s): it will be created with replication factor ${targetBrokers}.`,
          `Add brokers to the target to keep replication factor ${topic.replicationFactor}, or set ` +
            `topology.replication_factor (at most ${targetBrokers}) to choose it explicitly.`,
        );
      }
    }
  }
  if (targetBrokers < src.cluster.brokerCount) {
    findings.add(
      "W12",
      "target",
      `The target has ${targetBrokers} broker(s), the source ${src.cluster.brokerCount}: it may not carry ` +
        "the source's load after the switch.",
      "Size the target for the source's throughput and partition count before cutover.",
    );
  }
  if (tgt.brokerSettings.autoCreateTopicsEnable === true) {
    findings.add(
      "W08",
      "target",
      "The target has auto.create.topics.enable=true: a client that switches early, or a typo, creates " +
        "topics with default partition counts and configs (which then conflict with the copy, B12/W09).",
      "Set auto.create.topics.enable=false on the target (on MSK: in the cluster configuration).",
    );
  }
  if (config.target.auth.mode !== "iam" && src.acls.available && tgt.acls.available) {
    aclDrift(config, src, tgt, findings);
  }
}

function numberOr(value: string | null | undefined, fallback: number | null): number | null {
  const n = value === null || value === undefined ? Number.NaN : Number(value);
  return Number.isFinite(n) ? n : fallback;
}

function configDrift(source: TopicInventory, target: TopicInventory): string[] {
  const keys = [...new Set([...Object.keys(source.configs), ...Object.keys(target.configs)])].sort(
    compareStrings,
  );
  const out: string[] = [];
  for (const key of keys) {
    const a = source.effectiveConfigs[key] ?? source.configs[key] ?? null;
    const b = target.effectiveConfigs[key] ?? target.configs[key] ?? null;
    if (a !== b) out.push(`${key} source=${a ?? "(unset)"} target=${b ?? "(unset)"}`);
  }
  return out;
}

/** MSK's own principals (brokers and the service) carry an amazonaws.com certificate name. */
function isSkippedPrincipal(principal: string, skip: readonly string[]): boolean {
  return skip.includes(principal) || /amazonaws\.com/i.test(principal);
}

function aclKey(b: AclBinding): string {
  return [
    b.resourceType,
    b.patternType,
    b.resourceName,
    b.principal,
    b.host,
    b.operation,
    b.permission,
  ].join(
    "\u0000",
  );
}

function aclDrift(
  config: MigrationConfig,
  src: ClusterInventory,
  tgt: ClusterInventory,
  findings: Findings,
): void {
  const topics = src.topics.map((t) => t.name);
  const groups = src.groups.map((g) => g.groupId);
  const concerns = (b: AclBinding): boolean => {
    const names = b.resourceType === "TOPIC" ? topics : b.resourceType === "GROUP" ? groups : [];
    if (b.patternType === "PREFIXED") return names.some((n) => n.startsWith(b.resourceName));
    return b.resourceName === "*" ? names.length > 0 : names.includes(b.resourceName);
  };
  const sourceKeys = new Set(src.acls.bindings.map(aclKey));
  const extra = new Map<string, AclBinding[]>();
  for (const b of tgt.acls.bindings) {
    if (!concerns(b) || isSkippedPrincipal(b.principal, config.acl.skip_principals)) continue;
    if (sourceKeys.has(aclKey(b))) continue;
    const subject = `${b.resourceType.toLowerCase()}:${
      b.patternType === "PREFIXED" ? `${b.resourceName}*` : b.resourceName
    }`;
    const list = extra.get(subject) ?? [];
    list.push(b);
    extra.set(subject, list);
  }
  for (const [subject, bindings] of extra) {
    findings.add(
      "W10",
      subject,
      `The target has ACL bindings the source does not: ${
        bindings.map((b) => `${b.permission} ${b.principal} ${b.operation} from ${b.host}`).join(
          "; ",
        )
      }. acl.on_drift is ${config.acl.on_drift}.`,
      config.acl.on_drift === "replace"
        ? "acl.on_drift: replace removes them during topology copy; check that is intended."
        : config.acl.on_drift === "merge"
        ? "acl.on_drift: merge keeps them next to the copied ones; remove them on the target if unwanted."
        : "acl.on_drift: refuse stops topology copy: remove them on the target, or choose merge or replace.",
    );
  }
}

// ---------------------------------------------------------------------------
// MSK in-place upgrade: I02

/** Where AWS documents the in-place upgrade's conditions. */
export const MSK_IN_PLACE_UPGRADE_DOC =
  "https://docs.aws.amazon.com/msk/latest/developerguide/zk-to-kraft-migration.html";

function inPlaceUpgradeCheck(source: Side, findings: Findings): void {
  const msk = source.msk;
  if (msk === undefined || msk.clusterType !== "PROVISIONED" || msk.metadataMode !== "zookeeper") {
    return;
  }
  const azs = msk.clientSubnets.length;
  const conditions: [boolean, string][] = [
    [
      (msk.kafkaVersion ?? "").startsWith("3.9."),
      `Kafka 3.9.x (it runs ${msk.kafkaVersion ?? "?"})`,
    ],
    [azs === 3, `brokers in 3 Availability Zones (${azs})`],
    [msk.instanceType !== "kafka.t3.small", `not kafka.t3.small (${msk.instanceType ?? "?"})`],
    [!(msk.publicAccess && msk.openMonitoring), "not public access together with open monitoring"],
    [msk.state === "ACTIVE", `ACTIVE (${msk.state})`],
    [
      source.inventory?.brokerSettings.dynamicAdvertisedListeners !== true,
      "no dynamically set advertised.listeners",
    ],
  ];
  if (!conditions.every(([ok]) => ok)) return;
  findings.add(
    "I02",
    "source",
    `${msk.arn} meets the conditions of MSK's in-place ZooKeeper→KRaft upgrade (UpdateClusterKafkaVersion): ` +
      `${
        conditions.map(([, what]) => what).join("; ")
      }; its ZooKeeper client access must also be disabled ` +
      "first (UpdateConnectivity with ZookeeperAccess.Enabled=false), which kraftover cannot read. " +
      "In place, the cluster stays available, no data moves, ARN, bootstrap brokers and offsets stay the " +
      "same, and MSK adds KRaft controllers. It does not change the authentication, account, VPC, broker " +
      "type or size, gives no evidence bundle or offset-by-offset validation, and cannot be rolled back to " +
      `ZooKeeper once finished (${MSK_IN_PLACE_UPGRADE_DOC}).`,
    "If nothing else has to change, consider the in-place upgrade instead; use kraftover to move to a new " +
      "cluster with other authentication, account, VPC or broker type, or when you need the signed evidence.",
  );
}

// ---------------------------------------------------------------------------
// Summaries: I03, I04

function summaryFindings(
  source: Side,
  target: Side,
  estimate: CostEstimate,
  findings: Findings,
): void {
  if (source.inventory !== undefined) {
    const q = estimate.quantities;
    const c = estimate.cost;
    findings.add(
      "I03",
      "seed",
      `About ${formatBytes(estimate.inputs.bytes ?? 0)}` +
        `${
          estimate.inputs.bytes_basis === "estimated"
            ? " (estimated from sampled record sizes)"
            : ""
        } in ` +
        `${estimate.inputs.partitions ?? 0} partitions: the seed takes about ${
          formatDuration(q.seed_seconds * 1000)
        } ` +
        `at ${formatBytes(estimate.inputs.seed_bytes_per_second)}/s and costs about $${
          c.total.toFixed(2)
        } ` +
        `(S3 requests $${c.s3_requests.toFixed(2)}, S3 storage $${
          c.s3_storage.toFixed(2)
        }, inter-AZ ` +
        `$${c.inter_az_transfer.toFixed(2)}, inter-region $${
          c.inter_region_transfer.toFixed(2)
        }) at the prices ` +
        `of ${estimate.price_table.date} (${estimate.price_table.source}).`,
      "See kraftover plan --format cost for the assumptions; set pricing: in the config for your prices.",
    );
  }
  for (const side of [source, target]) {
    const inv = side.inventory;
    if (inv === undefined) continue;
    const t = inv.totals;
    const notes = [
      `mode ${inv.cluster.mode} (${inv.cluster.modeEvidence})`,
      `${inv.cluster.brokerCount} broker(s)`,
      `Kafka ${
        inv.cluster.kafkaVersion ??
          (inv.cluster.kafkaVersionAtLeast ? `>= ${inv.cluster.kafkaVersionAtLeast}` : "unknown")
      }`,
      `${t.topics} topic(s) selected by topics.include/exclude, ${t.partitions} partitions, ` +
      `${formatBytes(t.bytes)}${t.sizeEstimated ? " (estimated)" : ""}, ${t.records} records`,
      `${t.groups} consumer group(s)${
        inv.groupsInfo.otherGroups > 0 ? ` (+${inv.groupsInfo.otherGroups} on other topics)` : ""
      }`,
      inv.acls.available ? `${t.acls} ACL binding(s)` : `ACLs: ${inv.acls.reason}`,
      inv.scramUsers.available
        ? `${inv.scramUsers.users.length} SCRAM user(s)`
        : `SCRAM users: ${inv.scramUsers.reason}`,
    ];
    findings.add(
      "I04",
      side.label,
      `The ${side.label}: ${notes.join("; ")}.`,
      side.label === "source" && t.topics === 0
        ? "No topic is selected: check topics.include/exclude and that the principal may Describe topics."
        : "None needed; kraftover plan --format json lists every topic, group and ACL.",
    );
  }
}

// ---------------------------------------------------------------------------
// Stores: B07, B08, W03

interface Probes {
  backup?: ProbeStoreResult | KraftoverError;
  evidence?: ProbeStoreResult | KraftoverError;
}

async function storeProbes(
  ctx: MigrationContext,
  signal: AbortSignal | undefined,
): Promise<Probes> {
  const config = ctx.config;
  const probes: Probes = {};
  const run = async (which: "backup" | "evidence", requireObjectLock: boolean) => {
    try {
      const store = which === "backup" ? ctx.backupStore() : ctx.evidenceStore();
      probes[which] = await probeStore(store, {
        requireObjectLock,
        ...(signal === undefined ? {} : { signal }),
      });
    } catch (error) {
      probes[which] = isKraftoverError(error)
        ? error
        : new KraftoverError("STORE_ERROR", errorMessage(error), {
          phase: "precheck",
          cause: error,
        });
    }
  };
  await Promise.all([
    config.seed.via === "staged" && config.backup !== undefined ? run("backup", false) : undefined,
    config.evidence !== undefined
      ? run(
        "evidence",
        config.evidence.object_lock_mode !== undefined || config.evidence.retention !== undefined,
      )
      : undefined,
  ]);
  return probes;
}

function storeFindings(config: MigrationConfig, probes: Probes, findings: Findings): void {
  for (const which of ["backup", "evidence"] as const) {
    const probe = probes[which];
    if (probe === undefined) continue;
    const code: FindingCode = which === "backup" ? "B07" : "B08";
    const section = config[which];
    const error = probe instanceof KraftoverError ? probe : probe.error;
    if (error !== undefined) {
      const noLock = error.detail?.reason === "no_object_lock";
      findings.add(
        code,
        which,
        error.message,
        noLock
          ? "Create the evidence bucket with Object Lock (kraftover plan --format aws-cli writes the " +
            "commands), or remove evidence.object_lock_mode and evidence.retention."
          : `Check that ${which}.${
            section?.s3_bucket !== undefined ? "s3_bucket exists" : "directory exists"
          }, ` +
            "its region and endpoint, and that the runner may ListBucket, PutObject, GetObject and " +
            "DeleteObject there (docs/permissions.md).",
      );
    }
    // A default retention rule locks every new object. On the evidence bucket that is what
    // aws-cli.sh sets up (the probe object then stays until its retention ends); on the backup
    // bucket it would keep kraftover from ever deleting its staged segments.
    if (
      which === "backup" && !(probe instanceof KraftoverError) &&
      probe.probeObjectLeft !== undefined
    ) {
      findings.add(
        code,
        "backup:retention",
        `The probe object ${probe.probeObjectLeft} could not be deleted: the backup bucket's default ` +
          "retention locks every new object, so staged segments could never be removed.",
        "Remove the default Object Lock retention rule from the backup bucket (or use another bucket).",
      );
    }
    const kms = section?.kms_key_arn;
    if (kms !== undefined) {
      const proven = !(probe instanceof KraftoverError) && probe.writable &&
        section?.endpoint === undefined;
      if (!proven) {
        findings.add(
          "W03",
          which,
          `${which}.kms_key_arn is ${kms}, but kraftover could not prove the key works: ` +
            (probe instanceof KraftoverError || !probe.writable
              ? "the probe write failed."
              : `the store is an S3-compatible endpoint (${section?.endpoint}) that may ignore SSE-KMS.`),
          "Check that the runner may kms:GenerateDataKey and kms:Decrypt with the key, and that the " +
            "key policy allows it.",
        );
      }
    }
  }
}
