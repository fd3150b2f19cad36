/**
 * Assembles the evidence bundle (SPEC §9) from the journal and what was
 * stored beside it: every part is derived from the journal records up to the
 * finalize intent, the cluster snapshots taken at finalize and the stored
 * validation report — so assembling again (a re-run of `finalize` after a
 * crash) gives the very same bytes.
 *
 * @module
 */

import type { JournalRecord } from "../journal.ts";
import { replayState } from "../journal.ts";
import type { ClusterInventory } from "../inventory/types.ts";
import { CHECKPOINT, journaledTopics, replayCopyState } from "../copy/copy_state.ts";
import type { CopyStepData } from "../copy/copy_state.ts";
import { CUTOVER_CHECKPOINT, replayCutoverState } from "../cutover/cutover_state.ts";
import type { FreezeStartedData } from "../cutover/cutover_state.ts";
import {
  createdAclBindings,
  createdTopics,
  TOPOLOGY_CHECKPOINT,
} from "../topology/topology_checkpoints.ts";
import type { AccessMapData, CreateIntentData } from "../topology/topology_checkpoints.ts";
import { parsePartitionKey, partitionKey } from "../offset_map.ts";
import type { PartitionKey } from "../offset_map.ts";
import { lastValidation } from "../validation/validation_report.ts";
import { buildEvidenceBundle } from "./bundle.ts";
import type {
  EvidenceBundle,
  EvidenceCutoverReport,
  EvidencePart,
  EvidenceTimestamps,
} from "./bundle.ts";

/** What {@linkcode assembleEvidence} takes. */
export interface AssembleEvidenceInput {
  /** The journal up to and including the finalize intent (nothing later). */
  records: readonly JournalRecord[];
  /** When the migration was finalized (the finalize intent's time, ISO 8601). */
  finalizedAt: string;
  /** Source snapshot (see {@linkcode clusterSnapshot}). */
  source: EvidencePart;
  /** Target snapshot. */
  target: EvidencePart;
  /** The validation report document (as stored by `validate`). */
  validation: EvidencePart;
  /** The kraftover version that started the finalize. @default this version */
  toolVersion?: string;
}

/**
 * A cluster's inventory trimmed to what the evidence needs: the cluster,
 * topics with partitions, offsets and configs, groups with their committed
 * offsets, ACLs — in snake_case.
 *
 * @example
 * ```ts ignore
 * const snapshot = clusterSnapshot(await takeInventory(source), new Date().toISOString());
 * ```
 */
export function clusterSnapshot(inventory: ClusterInventory, takenAt: string): EvidencePart {
  const c = inventory.cluster;
  return {
    label: inventory.label,
    taken_at: takenAt,
    cluster: {
      cluster_id: c.clusterId,
      controller_id: c.controllerId,
      mode: c.mode,
      mode_evidence: c.modeEvidence,
      kafka_version: c.kafkaVersion,
      kafka_version_at_least: c.kafkaVersionAtLeast,
      broker_count: c.brokerCount,
      brokers: c.brokers.map((b) => ({
        node_id: b.nodeId,
        host: b.host,
        port: b.port,
        rack: b.rack,
      })),
    },
    topics: inventory.topics.map((t) => ({
      name: t.name,
      partition_count: t.partitionCount,
      replication_factor: t.replicationFactor,
      compacted: t.compacted,
      configs: t.configs,
      partitions: t.partitions.map((p) => ({
        partition: p.partition,
        leader: p.leader,
        replicas: p.replicas,
        isr: p.isr,
        log_start_offset: p.logStartOffset,
        end_offset: p.endOffset,
        size_bytes: p.sizeBytes,
      })),
    })),
    groups: inventory.groups.map((g) => ({
      group_id: g.groupId,
      state: g.state,
      protocol_type: g.protocolType,
      members: g.members.length,
      offsets: g.offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset })),
    })),
    acls: {
      available: inventory.acls.available,
      reason: inventory.acls.reason,
      bindings: inventory.acls.bindings.map(aclPart),
    },
    problems: inventory.problems.map((p) => ({
      area: p.area,
      code: p.code,
      message: p.message,
      ...(p.subject === undefined ? {} : { subject: p.subject }),
    })),
  };
}

function aclPart(b: {
  resourceType: string;
  resourceName: string;
  patternType: string;
  principal: string;
  host: string;
  operation: string;
  permission: string;
}): EvidencePart {
  return {
    resource_type: b.resourceType,
    resource_name: b.resourceName,
    pattern_type: b.patternType,
    principal: b.principal,
    host: b.host,
    operation: b.operation,
    permission: b.permission,
  };
}

function checkpointData<T>(records: readonly JournalRecord[], name: string): T[] {
  const out: T[] = [];
  for (const r of records) {
    if (r.type === "checkpoint" && r.name === name) out.push(r.data as unknown as T);
  }
  return out;
}

function firstCheckpoint(
  records: readonly JournalRecord[],
  name: string,
): JournalRecord | undefined {
  return records.find((r) => r.type === "checkpoint" && r.name === name);
}

function transitionTime(
  records: readonly JournalRecord[],
  to: string,
  which: "first" | "last",
): string | undefined {
  const list = records.filter((r) => r.type === "transition" && r.to === to);
  return (which === "first" ? list[0] : list.at(-1))?.ts;
}

interface PhaseTotals {
  records: number;
  bytes: number;
  holes: { aborted: number; control: number; absent: number };
  perPartition: Map<PartitionKey, { records: number; bytes: number }>;
}

function phaseTotals(
  records: readonly JournalRecord[],
): Record<CopyStepData["phase"], PhaseTotals> {
  const empty = (): PhaseTotals => ({
    records: 0,
    bytes: 0,
    holes: { aborted: 0, control: 0, absent: 0 },
    perPartition: new Map(),
  });
  const out = { seed: empty(), tail: empty(), cutover: empty() };
  for (const step of checkpointData<CopyStepData>(records, CHECKPOINT.step)) {
    const totals = out[step.phase] ?? out.tail;
    const n = step.runs.reduce((sum, run) => sum + run[2], 0);
    totals.records += n;
    totals.bytes += step.bytes;
    totals.holes.aborted += step.holes.aborted;
    totals.holes.control += step.holes.control;
    totals.holes.absent += step.holes.absent;
    const key = partitionKey(step.topic, step.partition);
    const p = totals.perPartition.get(key) ?? { records: 0, bytes: 0 };
    p.records += n;
    p.bytes += step.bytes;
    totals.perPartition.set(key, p);
  }
  return out;
}

function perPartition(totals: PhaseTotals): EvidencePart[] {
  return [...totals.perPartition].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map((
    [key, v],
  ) => ({ ...parsePartitionKey(key), records: v.records, bytes: v.bytes }));
}

/**
 * Builds the bundle (through `buildEvidenceBundle`, so secrets are redacted)
 * from the journal up to the finalize intent, the cluster snapshots and the
 * validation report. Pure: the same inputs give the same bundle.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { assembleEvidence } from "./assemble_evidence.ts";
 * const records = [
 *   { seq: 1, ts: "2025-01-01T00:00:00.000Z", type: "migration_started" as const, migration_id: "m-1", tool_version: "0.1.0" },
 *   { seq: 2, ts: "2025-01-01T00:00:01.000Z", type: "transition" as const, from: "planned" as const, to: "precheck" as const },
 * ];
 * const bundle = assembleEvidence({
 *   records,
 *   finalizedAt: "2025-01-02T00:00:00.000Z",
 *   source: { label: "source" },
 *   target: { label: "target" },
 *   validation: { outcome: "PASSED" },
 *   toolVersion: "0.1.0",
 * });
 * assert.equal(bundle.migration_id, "m-1");
 * assert.equal(bundle.timestamps.planned_at, "2025-01-01T00:00:00.000Z");
 * assert.equal(bundle.journal.length, 2);
 * ```
 */
export function assembleEvidence(input: AssembleEvidenceInput): EvidenceBundle {
  const { records } = input;
  const state = replayState(records);
  const copy = replayCopyState(records);
  const cut = replayCutoverState(records);
  const phases = phaseTotals(records);
  const validation = lastValidation(records);

  const timestamps: EvidenceTimestamps = {
    ...optional("planned_at", records.find((r) => r.type === "migration_started")?.ts),
    ...optional("started_at", transitionTime(records, "precheck", "first")),
    ...optional("cutover_started_at", transitionTime(records, "cutover", "last")),
    ...optional("cutover_ended_at", transitionTime(records, "awaiting_client_switch", "last")),
    ...optional("validated_at", validation?.data.validated_at),
    finalized_at: input.finalizedAt,
  };

  const intents = new Map(
    checkpointData<CreateIntentData>(records, TOPOLOGY_CHECKPOINT.createIntent).map((
      d,
    ) => [d.topic, d]),
  );
  const topologyDiff: EvidencePart = {
    migrated_topics: journaledTopics(records),
    topics_created: createdTopics(records).map((topic) => {
      const intent = intents.get(topic);
      return {
        topic,
        partitions: intent?.partitions ?? null,
        replication_factor: intent?.replication_factor ?? null,
        configs: intent?.configs ?? {},
      };
    }),
    configs_altered: checkpointData(records, TOPOLOGY_CHECKPOINT.configsAltered),
    config_drift: checkpointData(records, TOPOLOGY_CHECKPOINT.configDrift),
    configs_dropped: checkpointData(records, TOPOLOGY_CHECKPOINT.configsDropped),
    held_back: checkpointData(records, TOPOLOGY_CHECKPOINT.heldBack),
    held_back_applied: checkpointData(records, TOPOLOGY_CHECKPOINT.heldBackApplied),
  };

  const accessMap = checkpointData<AccessMapData>(records, TOPOLOGY_CHECKPOINT.accessMap).at(-1);
  const aclPlan: EvidencePart = {
    plans: checkpointData(records, TOPOLOGY_CHECKPOINT.aclPlan),
    applied: checkpointData(records, TOPOLOGY_CHECKPOINT.aclApplied),
    created: createdAclBindings(records).map(aclPart),
    access_map: accessMap === undefined
      ? null
      : { path: accessMap.path, sha256: accessMap.sha256, content: accessMap.access_map },
  };

  const seedStarted = firstCheckpoint(records, CHECKPOINT.seedStarted);
  const seedDone = records.filter((r) => r.type === "checkpoint" && r.name === CHECKPOINT.seedDone);
  const seedStats: EvidencePart = {
    via: (seedStarted?.type === "checkpoint" ? seedStarted.data.via : undefined) ?? null,
    started_at: seedStarted?.ts ?? null,
    ended_at: seedDone.at(-1)?.ts ?? null,
    records: phases.seed.records,
    bytes: phases.seed.bytes,
    holes: phases.seed.holes,
    segments: checkpointData(records, CHECKPOINT.segmentWritten).length,
    partitions: [...copy.partitions.values()].map((p) => ({
      topic: p.topic,
      partition: p.partition,
      source_start: p.sourceStart,
      seed_end: p.seedEnd,
      target_start: p.targetStart,
      records: phases.seed.perPartition.get(partitionKey(p.topic, p.partition))?.records ?? 0,
      bytes: phases.seed.perPartition.get(partitionKey(p.topic, p.partition))?.bytes ?? 0,
    })),
  };
  const lastLag = checkpointData(records, "tail.lag").at(-1) ?? null;
  const tailStats: EvidencePart = {
    started_at: transitionTime(records, "tail", "first") ?? null,
    drain_ready_at: transitionTime(records, "drain_ready", "first") ?? null,
    ended_at: transitionTime(records, "cutover", "last") ?? null,
    records: phases.tail.records,
    bytes: phases.tail.bytes,
    holes: phases.tail.holes,
    last_lag: lastLag,
    partitions: perPartition(phases.tail),
  };

  const started = firstCheckpoint(records, CUTOVER_CHECKPOINT.started);
  const freezeStart: FreezeStartedData | undefined = cut.freezeStarted;
  const cutover: EvidenceCutoverReport = {
    ...(freezeStart !== undefined && cut.freezeEnded !== undefined
      ? {
        freeze: {
          started_at: freezeStart.at,
          ended_at: cut.freezeEnded.at,
          duration_ms: cut.freezeEnded.duration_ms,
        },
      }
      : {}),
    freeze_deadline: freezeStart?.deadline ?? null,
    freeze_end_reason: cut.freezeEnded?.reason ?? null,
    started_at: started?.ts ?? null,
    catch_up: started?.type === "checkpoint" ? started.data : null,
    sentinels: cut.sentinels.map((s) => ({
      topic: s.topic,
      partition: s.partition,
      source_offset: s.source_offset,
      target_offset: s.target_offset ??
        copy.partitions.get(partitionKey(s.topic, s.partition))?.map.targetOf(s.source_offset) ??
        null,
    })),
    drained: cut.drained,
    records_copied_during_cutover: phases.cutover.records,
    bytes_copied_during_cutover: phases.cutover.bytes,
    aborted_attempts: cut.aborts,
    client_switch: cut.switched === undefined ? null : { ...cut.switched },
  };

  const committed = cut.committed;
  const groupOffsets: EvidencePart[] = (committed?.groups ?? []).map((g) => ({
    group: g.group,
    stage: committed!.stage,
    offsets: g.offsets.map((o) => ({
      topic: o.topic,
      partition: o.partition,
      source: o.source,
      target: o.target,
      via: o.via,
    })),
  }));

  return buildEvidenceBundle({
    migration_id: state.migrationId ?? "",
    ...(input.toolVersion === undefined
      ? {}
      : { tool: { name: "kraftover", version: input.toolVersion } }),
    timestamps,
    source: input.source,
    target: input.target,
    journal: records.map((r) => ({ ...r }) as EvidencePart),
    topology_diff: topologyDiff,
    acl_plan: aclPlan,
    seed_stats: seedStats,
    tail_stats: tailStats,
    cutover,
    offset_map: copy.offsetMap.toJSON(),
    group_offsets: groupOffsets,
    validation: input.validation,
  });
}

function optional<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: string };
}
