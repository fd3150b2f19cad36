/**
 * `kraftover status --offsets GROUP`: how a group's committed source offsets
 * translate to target offsets, partition by partition, and why — the run of
 * the offset map used, or "after the sentinel" for a caught-up group. Before
 * the cutover it shows what the translation would be now.
 *
 * @module
 */

import type { MigrationContext } from "../context.ts";
import { journaledTopics, replayCopyState } from "../copy/copy_state.ts";
import { partitionKey } from "../offset_map.ts";
import type { OffsetRunTuple, Translation } from "../offset_map.ts";
import { readJournal } from "../journal.ts";
import { committedGroupOffsets } from "./group_offsets.ts";
import { replayCutoverState } from "./cutover_state.ts";

/** One partition of the explanation. */
export interface OffsetExplanation {
  /** Topic. */
  topic: string;
  /** Partition. */
  partition: number;
  /** Committed offset on the source. */
  source: number;
  /** The target offset it translates to. */
  target: number;
  /** How (SPEC §7). */
  via: Translation["via"];
  /** The offset-map run used, `[source_start, target_start, count]`. */
  run?: OffsetRunTuple;
  /** Whether this is the value committed at cutover (else: what it would be now). */
  committed: boolean;
}

/**
 * Explains a group's translation, reading the journal without locking it.
 *
 * @example
 * ```ts ignore
 * for (const row of await explainGroupOffsets(ctx, "billing")) {
 *   console.log(`${row.topic}[${row.partition}] ${row.source} → ${row.target} (${row.via})`);
 * }
 * ```
 */
export async function explainGroupOffsets(
  ctx: MigrationContext,
  group: string,
): Promise<OffsetExplanation[]> {
  const { records } = await readJournal(ctx.journalDir);
  const copy = replayCopyState(records);
  const cut = replayCutoverState(records);
  const committed = cut.committed?.groups.find((g) => g.group === group);
  const afterSentinel = new Map(
    cut.sentinels.map((s) => [partitionKey(s.topic, s.partition), (s.target_offset ?? -1) + 1]),
  );
  const topics = journaledTopics(records).map((t) => t.topic);
  const source = await ctx.source();
  const live = (await committedGroupOffsets(source, topics)).find((g) => g.group === group);
  const rows: OffsetExplanation[] = [];
  for (const o of live?.offsets ?? []) {
    const p = copy.partitions.get(partitionKey(o.topic, o.partition));
    if (p === undefined) continue;
    const done = committed?.offsets.find((c) => c.topic === o.topic && c.partition === o.partition);
    const end = afterSentinel.get(partitionKey(o.topic, o.partition)) ?? p.targetEnd;
    const source = done?.source ?? o.offset;
    const raw = p.map.translate(source, end);
    const sentinelCopied = afterSentinel.has(partitionKey(o.topic, o.partition));
    const t = sentinelCopied && raw.target >= end - 1
      ? { source, target: end, via: "after_sentinel" as const }
      : raw;
    rows.push({
      topic: o.topic,
      partition: o.partition,
      source,
      target: done?.target ?? t.target,
      via: t.via,
      ...(t.run === undefined ? {} : { run: t.run }),
      committed: done !== undefined,
    });
  }
  return rows;
}
