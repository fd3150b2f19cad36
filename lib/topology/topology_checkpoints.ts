/**
 * The journal checkpoints of topology copy, their payloads, and readers for
 * what later phases need from them: which topics and ACL bindings the
 * migration created on the target (for `rollback --delete-target-topics`).
 * The list of topics the seed copies is the data plane's
 * `CHECKPOINT.topologyTopics` (`lib/copy/copy_state.ts`), written last.
 *
 * @module
 */

import type { JournalRecord } from "../journal.ts";
import type { AclBinding } from "../inventory/types.ts";
import type { ConfigDriftEntry } from "./config_drift.ts";
import { compareStrings } from "../inventory/select_topics.ts";

/** Checkpoint names written by topology copy (and by cutover through `applyHeldBackConfigs`). */
export const TOPOLOGY_CHECKPOINT = {
  /** Journaled before a topic is created: {@linkcode CreateIntentData}. */
  createIntent: "topology.create_intent",
  /** The topic exists on the target and is the migration's: {@linkcode TopicCreatedData}. */
  topicCreated: "topology.topic_created",
  /** Drift found on an existing topic and what was done: {@linkcode ConfigDriftData}. */
  configDrift: "topology.config_drift",
  /** Configs changed on an existing target topic: {@linkcode ConfigsAlteredData}. */
  configsAltered: "topology.configs_altered",
  /** Configs kept off the target until cutover: {@linkcode HeldBackData}. */
  heldBack: "topology.held_back",
  /** Held-back configs applied (or skipped) at cutover: {@linkcode HeldBackAppliedData}. */
  heldBackApplied: "topology.held_back_applied",
  /** Source configs not copied because the target does not know them: {@linkcode ConfigsDroppedData}. */
  configsDropped: "topology.configs_dropped",
  /** ACL bindings about to be created and deleted: {@linkcode AclPlanData}. */
  aclPlan: "topology.acl_plan",
  /** ACL bindings created and deleted: {@linkcode AclAppliedData}. */
  aclApplied: "topology.acl_applied",
  /** The access map written for an IAM target: {@linkcode AccessMapData}. */
  accessMap: "topology.access_map",
} as const;

/** Payload of `topology.create_intent`. */
export interface CreateIntentData {
  /** Topic about to be created. */
  topic: string;
  /** Partition count. */
  partitions: number;
  /** Replication factor. */
  replication_factor: number;
  /** Configs it is created with. */
  configs: Record<string, string>;
}

/** Payload of `topology.topic_created`. */
export interface TopicCreatedData {
  /** The topic. */
  topic: string;
  /** Partition count. */
  partitions: number;
  /** True when a crashed run created it and this run found it empty and took it over. */
  adopted: boolean;
}

/** Payload of `topology.config_drift`. */
export interface ConfigDriftData {
  /** The topic. */
  topic: string;
  /** `topology.on_config_drift`. */
  policy: "overwrite_with_source" | "keep_target" | "refuse";
  /** What was done. */
  action: "overwritten" | "kept";
  /** The keys that differ. */
  drift: ConfigDriftEntry[];
}

/** Payload of `topology.configs_altered`. */
export interface ConfigsAlteredData {
  /** The topic. */
  topic: string;
  /** Why: `overwrite_with_source`, or `copy_guard` (record-altering values neutralised for the copy). */
  reason: "overwrite_with_source" | "copy_guard";
  /** Keys set, with their values. */
  set: Record<string, string>;
  /** Keys whose override was removed. */
  deleted: string[];
}

/** One held-back config. */
export interface HeldBackConfig {
  /** The value to apply at cutover; null removes the topic's override (the target's default applies). */
  value: string | null;
  /** Why it is held back. */
  reason: string;
}

/** Payload of `topology.held_back`. */
export interface HeldBackData {
  /** The topic. */
  topic: string;
  /** Held-back configs by name. */
  configs: Record<string, HeldBackConfig>;
}

/** Payload of `topology.held_back_applied`. */
export interface HeldBackAppliedData {
  /** The topic. */
  topic: string;
  /** Configs applied (null: override removed). */
  configs: Record<string, string | null>;
  /** Configs not applied, with why. */
  skipped: Record<string, string>;
}

/** Payload of `topology.configs_dropped`. */
export interface ConfigsDroppedData {
  /** The topic. */
  topic: string;
  /** Dropped configs with value and reason. */
  configs: Record<string, { value: string; reason: string }>;
}

/** Payload of `topology.acl_plan`. */
export interface AclPlanData {
  /** `acl.on_drift`. */
  policy: "merge" | "replace" | "refuse";
  /** Bindings about to be created. */
  create: AclBinding[];
  /** Bindings about to be deleted. */
  delete: AclBinding[];
}

/** Payload of `topology.acl_applied`. */
export interface AclAppliedData {
  /** Bindings created. */
  created: AclBinding[];
  /** Bindings deleted. */
  deleted: AclBinding[];
}

/** Payload of `topology.access_map`. */
export interface AccessMapData {
  /** Where the file was written. */
  path: string;
  /** SHA-256 of the file's bytes (hex). */
  sha256: string;
  /** The access map itself (the file's JSON). */
  access_map: Record<string, unknown>;
}

function checkpoints<T>(records: readonly JournalRecord[], name: string): T[] {
  const out: T[] = [];
  for (const r of records) {
    if (r.type === "checkpoint" && r.name === name) out.push(r.data as unknown as T);
  }
  return out;
}

/**
 * The topics the migration created on the target, from the journal, sorted:
 * every topic with a `topology.topic_created` checkpoint (created, or found
 * empty after a crash and adopted). `rollback --delete-target-topics`
 * deletes exactly these (see also {@linkcode unconfirmedCreateIntents}).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createdTopics } from "./topology_checkpoints.ts";
 * const records = [
 *   { seq: 1, ts: "t", type: "checkpoint" as const, name: "topology.create_intent", data: { topic: "a" } },
 *   { seq: 2, ts: "t", type: "checkpoint" as const, name: "topology.topic_created", data: { topic: "a" } },
 *   { seq: 3, ts: "t", type: "checkpoint" as const, name: "topology.create_intent", data: { topic: "b" } },
 * ];
 * assert.ok(createdTopics(records).join() === "a");
 * ```
 */
export function createdTopics(records: readonly JournalRecord[]): string[] {
  const topics = checkpoints<TopicCreatedData>(records, TOPOLOGY_CHECKPOINT.topicCreated)
    .map((d) => d.topic);
  return [...new Set(topics)].sort(compareStrings);
}

/**
 * Topics with a create intent but no `topology.topic_created` after it: a run
 * crashed between journaling the intent and confirming the creation, so the
 * topic may or may not exist. Topology copy resolves these on its next run;
 * a rollback that runs first should delete such a topic only when it exists
 * and is empty.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { unconfirmedCreateIntents } from "./topology_checkpoints.ts";
 * const records = [
 *   { seq: 1, ts: "t", type: "checkpoint" as const, name: "topology.create_intent", data: { topic: "b" } },
 * ];
 * assert.ok(unconfirmedCreateIntents(records).join() === "b");
 * ```
 */
export function unconfirmedCreateIntents(records: readonly JournalRecord[]): string[] {
  const pending = new Set<string>();
  for (const r of records) {
    if (r.type !== "checkpoint") continue;
    const topic = (r.data as { topic?: unknown }).topic;
    if (typeof topic !== "string") continue;
    if (r.name === TOPOLOGY_CHECKPOINT.createIntent) pending.add(topic);
    else if (r.name === TOPOLOGY_CHECKPOINT.topicCreated) pending.delete(topic);
  }
  return [...pending].sort(compareStrings);
}

/**
 * The ACL bindings the migration created on the target: every binding a
 * `topology.acl_plan` listed for creation (each was missing on the target
 * when planned). For a rollback that removes what the migration added.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createdAclBindings } from "./topology_checkpoints.ts";
 * assert.ok(createdAclBindings([]).length === 0);
 * ```
 */
export function createdAclBindings(records: readonly JournalRecord[]): AclBinding[] {
  const seen = new Map<string, AclBinding>();
  for (const plan of checkpoints<AclPlanData>(records, TOPOLOGY_CHECKPOINT.aclPlan)) {
    for (const b of plan.create) seen.set(JSON.stringify(b), b);
  }
  return [...seen.values()];
}

/** What topology copy journaled about one topic's creation. */
export interface TopicJournalState {
  /** A create intent was journaled. */
  intent: boolean;
  /** `topology.topic_created` was journaled. */
  created: boolean;
}

/**
 * Per topic: whether a create intent and a confirmation were journaled.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { topicJournalStates } from "./topology_checkpoints.ts";
 * assert.ok(topicJournalStates([]).size === 0);
 * ```
 */
export function topicJournalStates(
  records: readonly JournalRecord[],
): Map<string, TopicJournalState> {
  const out = new Map<string, TopicJournalState>();
  for (const r of records) {
    if (r.type !== "checkpoint") continue;
    const topic = (r.data as { topic?: unknown }).topic;
    if (typeof topic !== "string") continue;
    const s = out.get(topic) ?? { intent: false, created: false };
    if (r.name === TOPOLOGY_CHECKPOINT.createIntent) s.intent = true;
    else if (r.name === TOPOLOGY_CHECKPOINT.topicCreated) s.created = true;
    else continue;
    out.set(topic, s);
  }
  return out;
}
