/**
 * Consumer-group offsets around the cutover: reading the groups' committed
 * offsets on the source, translating them through the offset map (SPEC §7),
 * and committing them on the target — only into empty groups, with what was
 * there before kept so an aborted cutover can put it back.
 *
 * @module
 */

import { KraftoverError } from "../errors.ts";
import { openOffsetCommitter } from "../kafka/_low_level_cluster.ts";
import type { KafkaConnection } from "../kafka/connect.ts";
import type { CopyState, PartitionCopyState } from "../copy/copy_state.ts";
import type { SentinelPosition, TranslatedOffset } from "./cutover_state.ts";

/** A group's committed offsets on migrated topics. */
export interface GroupCommitted {
  /** Group id. */
  group: string;
  /** Committed offsets (partitions without a commit are left out). */
  offsets: { topic: string; partition: number; offset: number }[];
}

/** Options for {@linkcode committedGroupOffsets}. */
export interface CommittedGroupOffsetsOptions {
  /** Only these groups (e.g. those found before the freeze); all groups when unset. */
  groups?: readonly string[];
  /** OffsetFetch requests in flight at once. @default 16 */
  concurrency?: number;
}

/**
 * Every consumer group's committed offsets on the given topics (groups that
 * commit nothing there are left out). Read-only. Groups are read in parallel:
 * a cluster with hundreds of groups must not stretch the freeze window.
 */
export async function committedGroupOffsets(
  connection: KafkaConnection,
  topics: readonly string[],
  options: CommittedGroupOffsetsOptions = {},
): Promise<GroupCommitted[]> {
  const admin = await connection.admin();
  let ids: string[];
  if (options.groups !== undefined) {
    ids = [...options.groups];
  } else {
    try {
      ids = (await admin.listGroups()).groups.map((g) => g.groupId);
    } catch (error) {
      throw connection.classify(error, "listing consumer groups", "cutover");
    }
  }
  ids.sort();
  const results: (GroupCommitted | undefined)[] = new Array(ids.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < ids.length; i = next++) {
      const groupId = ids[i]!;
      let fetched;
      try {
        fetched = await admin.fetchOffsets({ groupId, topics: [...topics] });
      } catch (error) {
        throw connection.classify(error, `reading the offsets of group ${groupId}`, "cutover");
      }
      const offsets = fetched.flatMap((t) =>
        t.partitions
          .filter((p) => Number(p.offset) >= 0)
          .map((p) => ({ topic: t.topic, partition: p.partition, offset: Number(p.offset) }))
      ).sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
      if (offsets.length > 0) results[i] = { group: groupId, offsets };
    }
  };
  await Promise.all(
    Array.from({ length: Math.min(options.concurrency ?? 16, ids.length) }, worker),
  );
  return results.filter((r): r is GroupCommitted => r !== undefined);
}

/**
 * Translates committed source offsets through the offset map. A group that
 * was caught up lands just after its partition's sentinel on the target.
 */
export function translateGroups(
  groups: readonly GroupCommitted[],
  copy: CopyState,
  sentinels: readonly SentinelPosition[],
): { group: string; offsets: TranslatedOffset[] }[] {
  // Indexed by topic, then partition number: no key strings built per offset (100,000 partitions
  // × 1,000 groups is 10^8 lookups).
  const byTopic = new Map<string, { state: PartitionCopyState[]; end: number[] }>();
  const topicEntry = (topic: string) => {
    let entry = byTopic.get(topic);
    if (entry === undefined) byTopic.set(topic, entry = { state: [], end: [] });
    return entry;
  };
  for (const p of copy.partitions.values()) topicEntry(p.topic).state[p.partition] = p;
  for (const s of sentinels) topicEntry(s.topic).end[s.partition] = (s.target_offset ?? -2) + 1;
  return groups.map((g) => {
    let topic: string | undefined;
    let entry: { state: PartitionCopyState[]; end: number[] } | undefined;
    return {
      group: g.group,
      offsets: g.offsets.map((o) => {
        if (o.topic !== topic) {
          topic = o.topic;
          entry = byTopic.get(o.topic);
        }
        const p = entry?.state[o.partition];
        const end = entry?.end[o.partition];
        if (p === undefined || end === undefined || end < 0) {
          throw new KraftoverError(
            "INTERNAL",
            `Cannot translate ${g.group}'s offset on ${o.topic}[${o.partition}]: the partition has no copy state or sentinel`,
            { phase: "cutover" },
          );
        }
        const t = p.map.translate(o.offset, end);
        // The sentinel is copied, but it is not one of the group's records: a group whose next
        // record would be the sentinel was caught up, and lands after it (SPEC §7).
        const caughtUp = t.target >= end - 1;
        return {
          topic: o.topic,
          partition: o.partition,
          source: o.offset,
          target: caughtUp ? end : t.target,
          via: caughtUp ? "after_sentinel" : t.via,
        };
      }),
    };
  });
}

/** Groups and their members on a cluster (empty groups have none). */
export async function groupMembers(
  connection: KafkaConnection,
  groupIds: readonly string[],
): Promise<Map<string, { state: string; members: number }>> {
  if (groupIds.length === 0) return new Map();
  const admin = await connection.admin();
  try {
    const described = await admin.describeGroups([...groupIds]);
    return new Map(
      described.groups.map((g) => [g.groupId, { state: g.state, members: g.members.length }]),
    );
  } catch (error) {
    throw connection.classify(error, "describing consumer groups", "cutover");
  }
}

/** What a group held on the target before kraftover committed to it. */
export type PriorOffsets = Map<
  string,
  { topic: string; partition: number; offset: string }[] | undefined
>;

/** Requests in flight at once when moving many groups. */
const CONCURRENCY = 16;

async function forEachLimited<T>(
  items: readonly T[],
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) await work(items[i]!);
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, items.length) }, worker));
}

/**
 * Commits translated offsets on the target. Every group must be empty there
 * (no members); what each group held before is returned so an aborted
 * cutover can restore it with {@linkcode restoreGroupOffsets}. Groups are
 * committed in parallel over one connection.
 */
export async function commitGroupOffsets(
  target: KafkaConnection,
  groups: readonly { group: string; offsets: readonly TranslatedOffset[] }[],
  prior: PriorOffsets,
): Promise<void> {
  if (groups.length === 0) return;
  const admin = await target.admin();
  const members = await groupMembers(target, groups.map((g) => g.group));
  const busy = [...members].filter(([, m]) => m.members > 0).map(([id]) => id);
  if (busy.length > 0) {
    throw new KraftoverError(
      "CUTOVER_ABORTED",
      `Consumer groups already have members on the target: ${
        busy.join(", ")
      }. Offsets can only be set on ` +
        "empty groups: stop those consumers on the target, then run cutover again",
      { phase: "cutover", retriable: true, detail: { groups: busy } },
    );
  }
  const committer = await openOffsetCommitter(target);
  try {
    await forEachLimited(groups, async (g) => {
      if (!prior.has(g.group)) {
        const topics = [...new Set(g.offsets.map((o) => o.topic))];
        let before;
        try {
          before = await admin.fetchOffsets({ groupId: g.group, topics });
        } catch (error) {
          throw target.classify(
            error,
            `reading the offsets of group ${g.group} on the target`,
            "cutover",
          );
        }
        const held = before.flatMap((t) =>
          t.partitions.filter((p) => Number(p.offset) >= 0).map((p) => ({
            topic: t.topic,
            partition: p.partition,
            offset: p.offset,
          }))
        );
        prior.set(g.group, held.length > 0 ? held : undefined);
      }
      await committer.commit(
        g.group,
        g.offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: o.target })),
      );
    });
  } finally {
    await committer.close();
  }
}

/** Puts back what {@linkcode commitGroupOffsets} replaced (groups that held nothing are deleted). */
export async function restoreGroupOffsets(
  target: KafkaConnection,
  prior: PriorOffsets,
): Promise<void> {
  if (prior.size === 0) return;
  const admin = await target.admin();
  const toDelete = [...prior].filter(([, held]) => held === undefined).map(([group]) => group);
  const committer = await openOffsetCommitter(target);
  try {
    await forEachLimited(
      [...prior].filter(([, held]) => held !== undefined),
      async ([group, held]) => {
        await committer.commit(
          group,
          held!.map((h) => ({ topic: h.topic, partition: h.partition, offset: Number(h.offset) })),
        );
      },
    );
  } finally {
    await committer.close();
  }
  if (toDelete.length > 0) await admin.deleteGroups(toDelete);
}
