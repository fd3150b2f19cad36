/**
 * The topology copy phase (SPEC §2): missing topics are created on the
 * target with the source's partition count and its own (non-default) topic
 * configs, existing ones are checked and their config drift handled per
 * `topology.on_config_drift`; configs that would make the copy fail or alter
 * records are held back until cutover; ACLs are copied per `acl.on_drift`,
 * or, for a target that uses IAM, mapped to `access-map.json`. The topics
 * the seed copies are journaled last (`topology.topics`).
 *
 * Crash-safe: an intent is journaled before each topic is created and a
 * confirmation after; a re-run adopts an empty topic whose creation a crashed
 * run intended, and every other step (config changes, ACLs, the access map)
 * is idempotent. Nothing changes on the target before every refusal check
 * has passed.
 *
 * @module
 */

import { join } from "node:path";
import type { MigrationContext } from "../context.ts";
import { KraftoverError } from "../errors.ts";
import type { ErrorCode } from "../errors.ts";
import type { Journal } from "../journal.ts";
import type { KafkaConnection } from "../kafka/connect.ts";
import type { Admin } from "../kafka/kafkajs.ts";
import { takeInventory } from "../inventory/take_inventory.ts";
import type { TakeInventoryOptions } from "../inventory/take_inventory.ts";
import type { AclBinding, ClusterInventory, TopicInventory } from "../inventory/types.ts";
import { compareStrings } from "../inventory/select_topics.ts";
import { CHECKPOINT, replayCopyState } from "../copy/copy_state.ts";
import type { CopyState, TopologyTopicsData } from "../copy/copy_state.ts";
import { partitionKey } from "../offset_map.ts";
import { writeFileAtomic } from "../store/atomic_write.ts";
import { sha256Hex } from "../evidence/sign.ts";
import { configDrift } from "../topology/config_drift.ts";
import type { ConfigDriftEntry } from "../topology/config_drift.ts";
import {
  copySafeValue,
  GUARDED_TOPIC_CONFIGS,
  heldBackConfigs,
  planTopicConfigs,
  recordAlteringReason,
  targetAcceptsConfig,
  targetConfigMinimums,
} from "../topology/held_back_configs.ts";
import type { HeldBackTopicConfigs, TopicConfigPlan } from "../topology/held_back_configs.ts";
import {
  clientPrincipals,
  describeAclBinding,
  patternMatches,
  planAclCopy,
} from "../topology/acl_plan.ts";
import type { AclCopyPlan, AclKeptBinding, AclSkippedBinding } from "../topology/acl_plan.ts";
import { ACCESS_MAP_FILE, accessMapJson, buildAccessMap } from "../topology/access_map.ts";
import { toKafkajsAcl } from "../topology/kafkajs_acl.ts";
import { openTopicConfigSession } from "../topology/_topic_configs.ts";
import type { ConfigChange, TopicConfigSession } from "../topology/_topic_configs.ts";
import { topicJournalStates, TOPOLOGY_CHECKPOINT } from "../topology/topology_checkpoints.ts";
import type {
  AccessMapData,
  AclAppliedData,
  AclPlanData,
  ConfigDriftData,
  ConfigsAlteredData,
  ConfigsDroppedData,
  CreateIntentData,
  HeldBackConfig,
  HeldBackData,
  TopicCreatedData,
} from "../topology/topology_checkpoints.ts";
import { enterPhase } from "./_enter_phase.ts";

// Cutover applies what topology copy held back; it is reached through this phase module.
export { applyHeldBackConfigs } from "../topology/held_back_configs.ts";
export type {
  ApplyHeldBackConfigsOptions,
  ApplyHeldBackConfigsReport,
} from "../topology/held_back_configs.ts";

/** Options for {@linkcode topologyCopy}. */
export interface TopologyCopyOptions {
  /** Stops between steps (a re-run continues from the journal). */
  signal?: AbortSignal;
  /**
   * Principals whose ACL bindings on the target are never deleted, e.g. the
   * target's `super.users` (brokers hide that setting). The principal
   * kraftover connects to the target as is always protected.
   * @default []
   */
  protectedPrincipals?: readonly string[];
  /** Topics per CreateTopics request. @default 50 */
  createBatchSize?: number;
}

/** What happened to one topic. */
export interface TopologyTopicOutcome {
  /** The topic. */
  topic: string;
  /** Partition count (the same on both sides). */
  partitions: number;
  /** Replication factor on the target. */
  replicationFactor: number;
  /** `created` by this run, `adopted` (created by a crashed run, found empty), `existing` (was there). */
  outcome: "created" | "adopted" | "existing";
}

/** A replication factor lowered to the target's broker count. */
export interface ReplicationFactorCap {
  /** The topic. */
  topic: string;
  /** The replication factor asked for (configured, or the source's). */
  wanted: number;
  /** The one used. */
  used: number;
  /** Brokers on the target. */
  targetBrokers: number;
}

/** What topology copy did with ACLs. */
export interface TopologyAclReport {
  /** `acls` copied as Kafka ACLs; `access_map` written for an IAM target; `skipped` (see reason). */
  mode: "acls" | "access_map" | "skipped";
  /** Why skipped, when skipped. */
  reason: string | null;
  /** `acl.on_drift`. */
  policy: "merge" | "replace" | "refuse";
  /** Bindings created by this run. */
  created: AclBinding[];
  /** Bindings deleted by this run (`replace`). */
  deleted: AclBinding[];
  /** Target-only bindings left alone under `replace`, with why. */
  kept: AclKeptBinding[];
  /** Source bindings not copied, with why. */
  skipped: AclSkippedBinding[];
  /** `access-map.json` path (IAM target). */
  accessMapPath: string | null;
}

/** What {@linkcode topologyCopy} did. */
export interface TopologyReport {
  /** Every migrated topic, sorted. */
  topics: TopologyTopicOutcome[];
  /** Topics this run created. */
  created: string[];
  /** Topics a crashed run created and this run adopted. */
  adopted: string[];
  /** Topics that were already on the target (including ones an earlier run created). */
  existing: string[];
  /** Config drift found on topics already on the target, and what was done. */
  configDrift: ConfigDriftData[];
  /** Configs held back until cutover (all pending ones of the migrated topics). */
  heldBack: HeldBackTopicConfigs[];
  /** Source configs not copied because the target does not know them. */
  droppedConfigs: ConfigsDroppedData[];
  /** Replication factors lowered to the target's broker count. */
  replicationFactorCaps: ReplicationFactorCap[];
  /** ACLs or the access map. */
  acls: TopologyAclReport;
  /** Duration of this run in ms. */
  durationMs: number;
}

type TopicKind = "create" | "adopt" | "ours" | "existing";

interface TopicPlan {
  source: TopicInventory;
  target: TopicInventory | undefined;
  kind: TopicKind;
  replicationFactor: number;
  cap: ReplicationFactorCap | undefined;
  configs: TopicConfigPlan;
  /** The topic's own configs once cutover has applied what is held back. */
  finalOwn: Record<string, string>;
  drift: ConfigDriftEntry[];
  policy: "overwrite_with_source" | "keep_target" | "refuse";
  /** Whether this run holds back the source's record-altering configs (not with keep_target). */
  holdsSourceConfigs: boolean;
}

const LOGGED_KEYS = 8;

/**
 * Runs (or resumes) topology copy. The migration must be in `precheck` or
 * `topology_copy` (or failed there); it is left in `topology_copy` with the
 * topics the seed copies journaled — `execute` then moves on to seed.
 *
 * Refuses with `TOPOLOGY_REFUSED`, before changing anything, when a migrated
 * topic exists on the target with another partition count, already holds
 * records the migration did not write, or has config drift under
 * `topology.on_config_drift: refuse`, and when the target has ACL bindings
 * the source lacks under `acl.on_drift: refuse`.
 *
 * @example
 * ```ts ignore
 * const report = await topologyCopy(ctx, {});
 * console.log(`${report.created.length} topics created, ${report.acls.created.length} ACLs`);
 * ```
 */
export async function topologyCopy(
  ctx: MigrationContext,
  options: TopologyCopyOptions = {},
): Promise<TopologyReport> {
  const started = Date.now();
  const signal = options.signal;
  const config = ctx.config;
  const log = ctx.logger.child({ phase: "topology_copy" });
  const journal = await ctx.journal();
  await enterPhase(journal, "topology_copy");
  const [source, target] = await Promise.all([ctx.source(), ctx.target()]);
  const inventoryOptions: TakeInventoryOptions = {
    topics: config.topics,
    msk: false,
    sizes: false,
    logger: log,
    ...(signal === undefined ? {} : { signal }),
  };
  const [src, tgt] = await Promise.all([
    takeInventory(source, inventoryOptions),
    takeInventory(target, inventoryOptions),
  ]);
  signal?.throwIfAborted();
  assertReadable(src, tgt);

  const session = await openTopicConfigSession(target, "topology_copy", signal);
  try {
    const admin = await target.admin();
    const accepts = targetAcceptsConfig(
      await targetConfigNames(tgt, admin, session),
      tgt.cluster.kafkaVersionAtLeast,
    );
    const journaledHeld = new Map(
      heldBackConfigs(journal.records).map((h) => [h.topic, h.configs]),
    );
    const plans = planTopics(ctx, src, tgt, journal, journaledHeld, accepts);
    const refusals = topicRefusals(plans, replayCopyState(journal.records));

    const topics = src.topics.map((t) => t.name);
    const protectedPrincipals = [
      ...clientPrincipals(config.target),
      ...(options.protectedPrincipals ?? []),
    ];
    let aclPlan: AclCopyPlan | undefined;
    let aclSkip: string | null = null;
    if (config.target.auth.mode !== "iam") {
      if (!src.acls.available) aclSkip = `the source's ACLs cannot be read: ${src.acls.reason}`;
      else if (!tgt.acls.available) {
        aclSkip = `the target's ACLs cannot be read: ${tgt.acls.reason}`;
      } else {
        aclPlan = planAclCopy({
          source: src.acls.bindings,
          target: tgt.acls.bindings,
          topics,
          groups: src.groups.map((g) => g.groupId),
          skipPrincipals: config.acl.skip_principals,
          protectedPrincipals,
          policy: config.acl.on_drift,
        });
        if (aclPlan.refused) {
          const shown = aclPlan.extra.slice(0, LOGGED_KEYS).map(describeAclBinding);
          if (aclPlan.extra.length > LOGGED_KEYS) shown.push("…");
          refusals.push({
            subject: "acls",
            message: `the target has ${aclPlan.extra.length} ACL binding(s) the source lacks ` +
              `(acl.on_drift: refuse): ${shown.join("; ")}. Remove them on the target, or set ` +
              "acl.on_drift to merge (keep them) or replace (remove them)",
            detail: { extra: aclPlan.extra, missing: aclPlan.create },
          });
        }
      }
    }
    if (refusals.length > 0) throw refusedError(refusals);

    const report: TopologyReport = {
      topics: [],
      created: [],
      adopted: [],
      existing: [],
      configDrift: [],
      heldBack: [],
      droppedConfigs: [],
      replicationFactorCaps: [],
      acls: {
        mode: "skipped",
        reason: null,
        policy: config.acl.on_drift,
        created: [],
        deleted: [],
        kept: [],
        skipped: [],
        accessMapPath: null,
      },
      durationMs: 0,
    };
    const steps = new TopologySteps(ctx, journal, journaledHeld, report);

    await createTopics(steps, target, admin, plans.filter((p) => p.kind === "create"), {
      batchSize: options.createBatchSize ?? 50,
      ...(signal === undefined ? {} : { signal }),
    });
    for (const plan of plans.filter((p) => p.kind !== "create")) {
      signal?.throwIfAborted();
      await steps.settleExisting(plan, session);
    }
    await steps.guardForCopy(plans, session);

    if (config.target.auth.mode === "iam") {
      await steps.writeAccessMap(src, topics);
    } else if (aclPlan !== undefined) {
      await steps.applyAcls(admin, target, aclPlan);
    } else {
      report.acls.reason = aclSkip;
      // A source without an authorizer has no ACLs to copy: only failures are worth a warning.
      const failed = [src, tgt].some((inv) => inv.problems.some((p) => p.area === "acls"));
      if (failed || src.acls.available) {
        log.warn("ACLs not copied", { reason: aclSkip });
        await journal.append({
          type: "note",
          level: "warn",
          message: `ACLs not copied: ${aclSkip}`,
          data: { reason: aclSkip },
        });
      }
    }

    const data: TopologyTopicsData = {
      topics: src.topics.map((t) => ({ topic: t.name, partitions: t.partitionCount })),
    };
    await journal.append({
      type: "checkpoint",
      name: CHECKPOINT.topologyTopics,
      data: { ...data },
    });

    const selected = new Set(topics);
    report.topics = plans.map((p) => ({
      topic: p.source.name,
      partitions: p.source.partitionCount,
      replicationFactor: p.replicationFactor,
      outcome: p.kind === "create" ? "created" : p.kind === "adopt" ? "adopted" : "existing",
    }));
    report.heldBack = heldBackConfigs(journal.records).filter((h) => selected.has(h.topic));
    report.durationMs = Date.now() - started;
    log.info("Topology copy complete", {
      topics: report.topics.length,
      created: report.created.length,
      adopted: report.adopted.length,
      existing: report.existing.length,
      held_back: report.heldBack.length,
      acls_created: report.acls.created.length,
      acls_deleted: report.acls.deleted.length,
    });
    return report;
  } finally {
    await session.close();
  }
}

// ---------------------------------------------------------------------------
// Reading and planning

function assertReadable(src: ClusterInventory, tgt: ClusterInventory): void {
  const fail = (
    inv: ClusterInventory,
    areas: readonly string[],
    subjects?: ReadonlySet<string>,
  ) => {
    const p = inv.problems.find((x) =>
      areas.includes(x.area) &&
      (subjects === undefined || x.subject === undefined || subjects.has(x.subject))
    );
    if (p === undefined) return;
    const code: ErrorCode = p.code === "KAFKA_AUTHZ_DENIED" ? "KAFKA_AUTHZ_DENIED" : "KAFKA_ERROR";
    const what = `${p.area.replace("_", " ")}${p.subject ? ` of ${p.subject}` : ""}`;
    throw new KraftoverError(
      code,
      `Cannot read ${what} on the ${inv.label}: ${p.message}: topology copy needs them; grant ` +
        "Describe and DescribeConfigs on the topics (kafka-cluster:DescribeTopic and " +
        "DescribeTopicDynamicConfiguration with IAM) and re-run",
      { phase: "topology_copy", retriable: code !== "KAFKA_AUTHZ_DENIED", detail: { ...p } },
    );
  };
  fail(src, ["topics", "topic_configs"]);
  fail(tgt, ["topics"]);
  fail(tgt, ["topic_configs", "offsets"], new Set(src.topics.map((t) => t.name)));
}

/** Topic config names the target knows, from one of its topics; undefined when it has none. */
async function targetConfigNames(
  tgt: ClusterInventory,
  admin: Admin,
  session: TopicConfigSession,
): Promise<Set<string> | undefined> {
  const known = tgt.topics.find((t) => Object.keys(t.effectiveConfigs).length > 0);
  if (known !== undefined) return new Set(Object.keys(known.effectiveConfigs));
  try {
    const any = (await admin.listTopics()).sort(compareStrings)[0];
    if (any === undefined) return undefined;
    const described = (await session.describe([any])).get(any);
    return described === undefined ? undefined : new Set(Object.keys(described.effective));
  } catch {
    return undefined;
  }
}

function planTopics(
  ctx: MigrationContext,
  src: ClusterInventory,
  tgt: ClusterInventory,
  journal: Journal,
  journaledHeld: ReadonlyMap<string, Record<string, HeldBackConfig>>,
  accepts: (key: string) => boolean,
): TopicPlan[] {
  const config = ctx.config;
  const targetTopics = new Map(tgt.topics.map((t) => [t.name, t]));
  const states = topicJournalStates(journal.records);
  const brokers = tgt.cluster.brokerCount;
  const minimums = targetConfigMinimums(tgt.cluster.kafkaVersionAtLeast);
  return src.topics.map((s): TopicPlan => {
    const existing = targetTopics.get(s.name);
    const state = states.get(s.name);
    if (existing === undefined) {
      const wanted = config.topology.replication_factor ?? s.replicationFactor;
      const used = brokers > 0 ? Math.min(wanted, brokers) : wanted;
      const configs = planTopicConfigs({
        own: s.configs,
        replicationFactor: used,
        targetAccepts: accepts,
        targetMinimums: minimums,
      });
      return {
        source: s,
        target: undefined,
        kind: "create",
        replicationFactor: used,
        cap: used < wanted ? { topic: s.name, wanted, used, targetBrokers: brokers } : undefined,
        configs,
        finalOwn: finalOwnOf(configs),
        drift: [],
        policy: "overwrite_with_source",
        holdsSourceConfigs: true,
      };
    }
    const kind: TopicKind = state?.created ? "ours" : state?.intent ? "adopt" : "existing";
    const rf = existing.replicationFactor;
    const configs = planTopicConfigs({
      own: s.configs,
      replicationFactor: rf,
      targetAccepts: accepts,
      targetMinimums: minimums,
    });
    const policy = kind === "existing" ? config.topology.on_config_drift : "overwrite_with_source";
    const drift = configDrift({
      source: s.configs,
      sourceEffective: s.effectiveConfigs,
      targetOwn: existing.configs,
      targetEffective: existing.effectiveConfigs,
      ignore: [
        ...Object.keys(configs.heldBack),
        ...Object.keys(configs.dropped),
        ...Object.keys(journaledHeld.get(s.name) ?? {}),
      ],
    });
    return {
      source: s,
      target: existing,
      kind,
      replicationFactor: rf,
      cap: undefined,
      configs,
      finalOwn: policy === "keep_target" ? { ...existing.configs } : finalOwnOf(configs),
      drift,
      policy,
      holdsSourceConfigs: policy !== "keep_target",
    };
  });
}

function finalOwnOf(configs: TopicConfigPlan): Record<string, string> {
  const out: Record<string, string> = { ...configs.copy };
  for (const [key, { value }] of Object.entries(configs.heldBack)) {
    if (value !== null) out[key] = value;
  }
  return out;
}

interface Refusal {
  subject: string;
  message: string;
  detail?: Record<string, unknown>;
}

function topicRefusals(plans: readonly TopicPlan[], copy: CopyState): Refusal[] {
  const out: Refusal[] = [];
  for (const p of plans) {
    const t = p.target;
    if (t === undefined) continue;
    const name = p.source.name;
    if (t.partitionCount !== p.source.partitionCount) {
      out.push({
        subject: name,
        message:
          `${name} has ${p.source.partitionCount} partition(s) on the source and ${t.partitionCount} ` +
          "on the target: records are copied partition by partition, so the counts must match. " +
          (t.records === 0
            ? `Delete ${name} on the target (it is empty) and re-run, or exclude it with topics.exclude`
            : `Rename or delete ${name} on the target, or exclude it with topics.exclude`),
        detail: { source_partitions: p.source.partitionCount, target_partitions: t.partitionCount },
      });
      continue;
    }
    const foreign = t.partitions.filter((part) => {
      if (part.endOffset <= part.logStartOffset) return false;
      const started = copy.partitions.get(partitionKey(name, part.partition));
      return started === undefined || part.logStartOffset < started.targetStart;
    });
    if (foreign.length > 0) {
      const records = foreign.reduce((n, part) => n + part.endOffset - part.logStartOffset, 0);
      const partitions = foreign.map((f) => f.partition);
      out.push({
        subject: name,
        message:
          `${name} already holds ${records} record(s) on the target that the migration did ` +
          `not write (partitions ${partitions.join(", ")}): copied records would follow them, so ` +
          "target offsets would not continue the source's and consumers would read both. Delete " +
          `${name} on the target (or its records, kafka-delete-records) and re-run, or exclude it ` +
          "with topics.exclude",
        detail: { records, partitions },
      });
      continue;
    }
    if (p.drift.length > 0 && p.policy === "refuse") {
      const drift = p.drift.map(driftText).join("; ");
      out.push({
        subject: name,
        message: `${name} already exists on the target with other configs ` +
          `(topology.on_config_drift: refuse): ${drift}. Align the target topic's configs, or set ` +
          "topology.on_config_drift to overwrite_with_source or keep_target",
        detail: { drift: p.drift },
      });
    }
  }
  return out;
}

function driftText(d: ConfigDriftEntry): string {
  return `${d.key} source=${d.source ?? "(default)"} target=${d.target ?? "(unset)"}`;
}

function refusedError(refusals: readonly Refusal[]): KraftoverError {
  const head = refusals.length === 1
    ? `Topology copy refused: ${refusals[0]!.message}`
    : `Topology copy refused (${refusals.length} problems): ` +
      refusals.map((r, i) => `(${i + 1}) ${r.message}`).join(" ");
  return new KraftoverError("TOPOLOGY_REFUSED", head, {
    phase: "topology_copy",
    detail: {
      refusals: refusals.map((r) => ({ subject: r.subject, message: r.message, ...r.detail })),
    },
  });
}

// ---------------------------------------------------------------------------
// Applying

/** The journaled steps of one run, with the report they fill in. */
class TopologySteps {
  readonly #ctx: MigrationContext;
  readonly #journal: Journal;
  readonly #held: Map<string, Record<string, HeldBackConfig>>;
  readonly report: TopologyReport;

  constructor(
    ctx: MigrationContext,
    journal: Journal,
    held: Map<string, Record<string, HeldBackConfig>>,
    report: TopologyReport,
  ) {
    this.#ctx = ctx;
    this.#journal = journal;
    this.#held = held;
    this.report = report;
  }

  get journal(): Journal {
    return this.#journal;
  }

  get log() {
    return this.#ctx.logger.child({ phase: "topology_copy" });
  }

  checkpoint(name: string, data: object): Promise<unknown> {
    return this.#journal.append({
      type: "checkpoint",
      name,
      data: { ...data } as Record<string, unknown>,
    });
  }

  /** Journals held-back configs not journaled yet with the same value and reason. */
  async holdBack(topic: string, configs: Readonly<Record<string, HeldBackConfig>>): Promise<void> {
    const known = this.#held.get(topic) ?? {};
    const fresh = Object.entries(configs).filter(([key, c]) =>
      known[key]?.value !== c.value || known[key]?.reason !== c.reason
    );
    if (fresh.length === 0) return;
    const data: HeldBackData = { topic, configs: Object.fromEntries(fresh) };
    await this.checkpoint(TOPOLOGY_CHECKPOINT.heldBack, data);
    this.#held.set(topic, { ...known, ...data.configs });
    this.log.warn("Topic configs held back until cutover", {
      topic,
      configs: Object.fromEntries(fresh.map(([k, c]) => [k, c.value])),
    });
  }

  /** The value a held-back key restores at cutover, when one was journaled. */
  heldValue(topic: string, key: string): HeldBackConfig | undefined {
    return this.#held.get(topic)?.[key];
  }

  /** Journals configs the target does not know (once per topic and content). */
  async dropped(plan: TopicPlan): Promise<void> {
    const configs = plan.configs.dropped;
    if (Object.keys(configs).length === 0) return;
    const data: ConfigsDroppedData = { topic: plan.source.name, configs };
    this.report.droppedConfigs.push(data);
    const same = this.#journal.records.some((r) =>
      r.type === "checkpoint" && r.name === TOPOLOGY_CHECKPOINT.configsDropped &&
      JSON.stringify(r.data) === JSON.stringify(data)
    );
    if (same) return;
    await this.checkpoint(TOPOLOGY_CHECKPOINT.configsDropped, data);
    this.log.warn("Topic configs not copied as they are on the source (see the journal for why)", {
      topic: data.topic,
      configs: Object.keys(configs),
    });
  }

  /** Adopts, checks or overwrites a topic that is already on the target. */
  async settleExisting(plan: TopicPlan, session: TopicConfigSession): Promise<void> {
    const topic = plan.source.name;
    if (plan.kind === "adopt") {
      const data: TopicCreatedData = {
        topic,
        partitions: plan.source.partitionCount,
        adopted: true,
      };
      await this.checkpoint(TOPOLOGY_CHECKPOINT.topicCreated, data);
      this.report.adopted.push(topic);
      this.log.info("Adopted a topic an interrupted run created (it is empty)", { topic });
    } else {
      this.report.existing.push(topic);
    }
    if (plan.holdsSourceConfigs) {
      // Before any config change (an adopted topic was created without them).
      await this.holdBack(topic, plan.configs.heldBack);
      await this.dropped(plan);
    }
    if (plan.drift.length === 0) return;
    const action = plan.policy === "keep_target" ? "kept" : "overwritten";
    const data: ConfigDriftData = { topic, policy: plan.policy, action, drift: plan.drift };
    this.report.configDrift.push(data);
    const last = lastCheckpoint(this.#journal, TOPOLOGY_CHECKPOINT.configDrift, topic);
    if (JSON.stringify(last) !== JSON.stringify(data)) {
      await this.checkpoint(TOPOLOGY_CHECKPOINT.configDrift, data);
    }
    this.log.warn(
      action === "kept"
        ? "Config drift on an existing target topic: the target's values are kept"
        : "Config drift on an existing target topic: the source's values are written",
      { topic, drift: plan.drift.map(driftText) },
    );
    if (action === "kept") return;
    const changes: ConfigChange[] = plan.drift.map((d) =>
      d.kind === "differs" && plan.configs.copy[d.key] !== undefined
        ? { name: d.key, op: "set", value: plan.configs.copy[d.key]! }
        : { name: d.key, op: "delete" }
    );
    await session.alter(topic, changes);
    await this.altered(topic, "overwrite_with_source", changes);
  }

  async altered(
    topic: string,
    reason: ConfigsAlteredData["reason"],
    changes: readonly ConfigChange[],
  ): Promise<void> {
    const data: ConfigsAlteredData = {
      topic,
      reason,
      set: Object.fromEntries(
        changes.filter((c) => c.op === "set").map((c) => [c.name, c.value ?? ""]),
      ),
      deleted: changes.filter((c) => c.op === "delete").map((c) => c.name),
    };
    await this.checkpoint(TOPOLOGY_CHECKPOINT.configsAltered, data);
  }

  /**
   * Neutralises, for the copy, record-altering values the topics have on the
   * target (their own or inherited from broker defaults): the override is
   * journaled as held back (restoring the final value at cutover) before it
   * is set.
   */
  async guardForCopy(plans: readonly TopicPlan[], session: TopicConfigSession): Promise<void> {
    if (plans.length === 0) return;
    const described = await session.describe(plans.map((p) => p.source.name));
    for (const plan of plans) {
      const topic = plan.source.name;
      const effective = described.get(topic)?.effective ?? {};
      const held: Record<string, HeldBackConfig> = {};
      const changes: ConfigChange[] = [];
      const notes: string[] = [];
      for (const key of GUARDED_TOPIC_CONFIGS) {
        const reason = recordAlteringReason(key, effective[key] ?? null, plan.replicationFactor);
        if (reason === undefined) continue;
        const restore = this.heldValue(topic, key)?.value ?? plan.finalOwn[key] ?? null;
        const safe = copySafeValue(key, plan.replicationFactor);
        changes.push({ name: key, op: "set", value: safe });
        if (key === "min.insync.replicas" && restore === null) {
          // Removing the override at cutover would bring back the broker default that no
          // acks=all producer can meet with this replication factor: the override stays.
          const was = effective[key];
          notes.push(
            `${topic}: the target's default min.insync.replicas=${was} exceeds the replication ` +
              `factor ${plan.replicationFactor}; kraftover sets min.insync.replicas=${safe} on the ` +
              "topic and leaves it after cutover: remove it once the replication factor is raised",
          );
          continue;
        }
        const how = restore === null
          ? "the topic inherits it from the target's broker defaults, so kraftover sets " +
            `${key}=${safe} for the copy and removes that override at cutover`
          : `kraftover sets ${key}=${safe} for the copy and restores ${restore} at cutover`;
        held[key] = this.heldValue(topic, key) ?? { value: restore, reason: `${reason}; ${how}` };
      }
      if (changes.length === 0) continue;
      for (const message of notes.splice(0)) {
        this.log.warn(message, { topic });
        await this.#journal.append({ type: "note", level: "warn", message, data: { topic } });
      }
      await this.holdBack(topic, held);
      await session.alter(topic, changes);
      await this.altered(topic, "copy_guard", changes);
    }
  }

  /** Copies ACLs as planned: journal the plan, create, delete, journal what was done. */
  async applyAcls(admin: Admin, target: KafkaConnection, plan: AclCopyPlan): Promise<void> {
    const acls = this.report.acls;
    acls.mode = "acls";
    acls.kept = plan.kept;
    acls.skipped = plan.skipped;
    if (plan.create.length === 0 && plan.delete.length === 0) {
      this.log.info("ACLs already in place on the target", { bindings: plan.copy.length });
      return;
    }
    const intent: AclPlanData = {
      policy: acls.policy,
      create: plan.create,
      delete: plan.delete,
    };
    await this.checkpoint(TOPOLOGY_CHECKPOINT.aclPlan, intent);
    try {
      for (let i = 0; i < plan.create.length; i += 100) {
        await admin.createAcls({ acl: plan.create.slice(i, i + 100).map(toKafkajsAcl) });
      }
      for (let i = 0; i < plan.delete.length; i += 100) {
        await admin.deleteAcls({ filters: plan.delete.slice(i, i + 100).map(toKafkajsAcl) });
      }
    } catch (error) {
      throw target.classify(error, "copying ACLs to the target", "topology_copy");
    }
    const done: AclAppliedData = { created: plan.create, deleted: plan.delete };
    await this.checkpoint(TOPOLOGY_CHECKPOINT.aclApplied, done);
    acls.created = plan.create;
    acls.deleted = plan.delete;
    this.log.info("ACLs copied", { created: plan.create.length, deleted: plan.delete.length });
  }

  /** Writes `access-map.json` for an IAM target and journals it (once per content). */
  async writeAccessMap(src: ClusterInventory, topics: readonly string[]): Promise<void> {
    const config = this.#ctx.config;
    const notes: string[] = [
      "The target uses IAM access control: Kafka ACLs do not apply there, so the source's ACLs are " +
      "mapped to kafka-cluster actions instead of being copied.",
    ];
    if (!src.acls.available) notes.push(`The source's ACLs cannot be read: ${src.acls.reason}.`);
    const outOfScope = src.acls.bindings.filter((b) =>
      b.resourceType === "TOPIC" && !topics.some((t) => patternMatches(b, t))
    );
    if (outOfScope.length > 0) {
      notes.push(
        `${outOfScope.length} TOPIC binding(s) match no migrated topic and are left out.`,
      );
    }
    const map = buildAccessMap({
      bindings: src.acls.bindings.filter((b) => !outOfScope.includes(b)),
      target: config.target,
      skipPrincipals: config.acl.skip_principals,
      notes,
    });
    const json = accessMapJson(map);
    const bytes = new TextEncoder().encode(json);
    const path = join(this.#ctx.journalDir, ACCESS_MAP_FILE);
    await writeFileAtomic(path, bytes);
    const sha256 = await sha256Hex(bytes);
    const acls = this.report.acls;
    acls.mode = "access_map";
    acls.accessMapPath = path;
    const last = lastCheckpoint(this.#journal, TOPOLOGY_CHECKPOINT.accessMap);
    if ((last as { sha256?: string } | undefined)?.sha256 !== sha256) {
      const data: AccessMapData = {
        path,
        sha256,
        access_map: JSON.parse(json) as Record<string, unknown>,
      };
      await this.checkpoint(TOPOLOGY_CHECKPOINT.accessMap, data);
    }
    this.log.info("Access map written (the target uses IAM)", {
      path,
      principals: map.principals.length,
      skipped: map.skipped.length,
    });
  }
}

/** The data of the last checkpoint with a name (and topic). */
function lastCheckpoint(
  journal: Journal,
  name: string,
  topic?: string,
): Readonly<Record<string, unknown>> | undefined {
  const records = journal.records;
  for (let i = records.length - 1; i >= 0; i--) {
    const r = records[i]!;
    if (r.type !== "checkpoint" || r.name !== name) continue;
    if (topic === undefined || r.data.topic === topic) return r.data;
  }
  return undefined;
}

/** Creates missing topics in batches: intents journaled first, confirmations after. */
async function createTopics(
  steps: TopologySteps,
  target: KafkaConnection,
  admin: Admin,
  plans: readonly TopicPlan[],
  options: { batchSize: number; signal?: AbortSignal },
): Promise<void> {
  const size = Math.max(1, options.batchSize);
  for (let i = 0; i < plans.length; i += size) {
    options.signal?.throwIfAborted();
    const batch = plans.slice(i, i + size);
    for (const plan of batch) {
      await steps.holdBack(plan.source.name, plan.configs.heldBack);
      await steps.dropped(plan);
      if (plan.cap !== undefined) {
        const cap = plan.cap;
        steps.report.replicationFactorCaps.push(cap);
        steps.log.warn("Replication factor lowered to the target's broker count", { ...cap });
        await steps.journal.append({
          type: "note",
          level: "warn",
          message:
            `${cap.topic}: replication factor ${cap.wanted} lowered to ${cap.used}, the target's ` +
            "broker count; raise it after adding brokers (kafka-reassign-partitions)",
          data: { ...cap },
        });
      }
    }
    await Promise.all(batch.map((plan) => {
      const intent: CreateIntentData = {
        topic: plan.source.name,
        partitions: plan.source.partitionCount,
        replication_factor: plan.replicationFactor,
        configs: plan.configs.copy,
      };
      return steps.checkpoint(TOPOLOGY_CHECKPOINT.createIntent, intent);
    }));
    let allNew: boolean;
    try {
      allNew = await admin.createTopics({
        waitForLeaders: true,
        timeout: 30_000,
        topics: batch.map((plan) => ({
          topic: plan.source.name,
          numPartitions: plan.source.partitionCount,
          replicationFactor: plan.replicationFactor,
          configEntries: Object.entries(plan.configs.copy).map(([name, value]) => ({
            name,
            value,
          })),
        })),
      });
    } catch (error) {
      throw createError(error, batch, target);
    }
    if (!allNew) await checkRaced(admin, target, batch);
    await Promise.all(batch.map((plan) => {
      const data: TopicCreatedData = {
        topic: plan.source.name,
        partitions: plan.source.partitionCount,
        adopted: false,
      };
      return steps.checkpoint(TOPOLOGY_CHECKPOINT.topicCreated, data);
    }));
    for (const plan of batch) steps.report.created.push(plan.source.name);
    steps.log.info("Topics created on the target", {
      topics: batch.map((p) => p.source.name),
    });
  }
}

function createError(error: unknown, batch: readonly TopicPlan[], target: KafkaConnection) {
  const errors = (error as { errors?: { type?: string; topic?: string }[] }).errors ?? [];
  const refused = errors.filter((e) =>
    ["INVALID_CONFIG", "INVALID_REPLICATION_FACTOR", "INVALID_PARTITIONS", "POLICY_VIOLATION"]
      .includes(e.type ?? "")
  );
  if (refused.length === 0) return target.classify(error, "creating topics", "topology_copy");
  const byName = new Map(batch.map((p) => [p.source.name, p]));
  const parts = refused.map((e) => {
    const plan = e.topic === undefined ? undefined : byName.get(e.topic);
    const configs = plan === undefined ? "" : Object.entries(plan.configs.copy)
      .map(([k, v]) => `${k}=${v}`).join(", ");
    return `${e.topic ?? "?"}: ${e.type}` +
      (plan === undefined
        ? ""
        : ` (${plan.source.partitionCount} partitions, replication factor ${plan.replicationFactor}` +
          `${configs === "" ? "" : `, configs ${configs}`})`);
  });
  return new KraftoverError(
    "TOPOLOGY_REFUSED",
    `The target refused to create ${refused.length} topic(s): ${
      parts.join("; ")
    }. Check the target's ` +
      "limits and that it accepts these topic configs (kraftover drops configs it knows the target " +
      "lacks); change the source topic or exclude it with topics.exclude",
    { phase: "topology_copy", cause: error, detail: { refused: parts } },
  );
}

/** After "already exists": a racing creator's topic must still match and be empty. */
async function checkRaced(
  admin: Admin,
  target: KafkaConnection,
  batch: readonly TopicPlan[],
): Promise<void> {
  try {
    const meta = await admin.fetchTopicMetadata({ topics: batch.map((p) => p.source.name) });
    const counts = new Map(meta.topics.map((t) => [t.name, t.partitions.length]));
    const refusals: Refusal[] = [];
    for (const plan of batch) {
      const name = plan.source.name;
      const partitions = counts.get(name);
      const offsets = await admin.fetchTopicOffsets(name);
      const records = offsets.reduce((n, o) => n + Number(o.high) - Number(o.low), 0);
      if (partitions !== plan.source.partitionCount || records > 0) {
        refusals.push({
          subject: name,
          message: `${name} was created on the target by someone else while topology copy ran ` +
            `(${
              partitions ?? "?"
            } partitions, ${records} records): delete it there and re-run, or ` +
            "exclude it with topics.exclude",
        });
      }
    }
    if (refusals.length > 0) throw refusedError(refusals);
  } catch (error) {
    if (error instanceof KraftoverError) throw error;
    throw target.classify(error, "checking topics created concurrently", "topology_copy");
  }
}
