/**
 * The client switch (SPEC §2 awaiting_client_switch): `clients:switch` hooks
 * run, or the operator switches clients and runs `switch-ack`. Consumers may
 * have kept consuming on the source up to the sentinels since the cutover, so
 * group offsets are translated and committed again now, once the source
 * consumers have stopped; a group still active on the source is reported, not
 * silently skipped. Then producers are unfrozen (they now write to the
 * target) and the migration moves on to validation.
 *
 * @module
 */

import type { MigrationContext } from "../context.ts";
import { KraftoverError } from "../errors.ts";
import { journaledTopics, replayCopyState } from "../copy/copy_state.ts";
import { CUTOVER_CHECKPOINT, replayCutoverState } from "../cutover/cutover_state.ts";
import type { GroupOffsetsData, TranslatedOffset } from "../cutover/cutover_state.ts";
import {
  commitGroupOffsets,
  committedGroupOffsets,
  groupMembers,
  translateGroups,
} from "../cutover/group_offsets.ts";
import { unfreeze } from "./cutover.ts";

/** Options for {@linkcode switchClients}. */
export interface SwitchClientsOptions {
  /** `hook`: run the `clients:switch` hooks; `ack`: the operator switched clients. */
  via: "hook" | "ack";
  /** Interrupts the switch hooks. */
  signal?: AbortSignal;
  /** How long the switch hooks may take (ms). @default cutover.drain_timeout */
  hookTimeoutMs?: number;
}

/** What {@linkcode switchClients} did. */
export interface SwitchReport {
  /** How the switch was recorded. */
  via: "hook" | "ack";
  /** Groups whose offsets were translated and committed again. */
  recommitted: { group: string; offsets: TranslatedOffset[] }[];
  /** Groups with members still on the source (their latest commits may lag). */
  activeOnSource: string[];
  /** Groups already consuming on the target, left as committed at cutover. */
  activeOnTarget: string[];
}

/**
 * Records the client switch (running the switch hooks first with `via: "hook"`).
 *
 * @example
 * ```ts ignore
 * const report = await switchClients(ctx, { via: "ack" });
 * if (report.activeOnSource.length > 0) console.warn(report.activeOnSource);
 * ```
 */
export async function switchClients(
  ctx: MigrationContext,
  options: SwitchClientsOptions,
): Promise<SwitchReport> {
  const journal = await ctx.journal();
  if (journal.state.state !== "awaiting_client_switch") {
    throw new KraftoverError(
      "ILLEGAL_TRANSITION",
      `The migration is in ${journal.state.state}; the client switch comes after a completed cutover ` +
        "(state awaiting_client_switch): run kraftover status",
      { phase: journal.state.state },
    );
  }
  const records = journal.records;
  const topics = journaledTopics(records).map((t) => t.topic);
  const cut = replayCutoverState(records);
  const source = await ctx.source();
  const target = await ctx.target();

  // Consumers may have read further on the source (up to the sentinels): translate again.
  const copy = replayCopyState(records);
  const groupsNow = await committedGroupOffsets(source, topics);
  const onSource = await groupMembers(source, groupsNow.map((g) => g.group));
  const activeOnSource = [...onSource].filter(([, m]) => m.members > 0).map(([g]) => g);
  if (activeOnSource.length > 0) {
    ctx.logger.warn(
      "Consumer groups still have members on the source; their offsets are translated as committed now",
      {
        groups: activeOnSource,
      },
    );
  }
  const onTarget = await groupMembers(target, groupsNow.map((g) => g.group));
  const activeOnTarget = [...onTarget].filter(([, m]) => m.members > 0).map(([g]) => g);
  const translated = translateGroups(
    groupsNow.filter((g) => !activeOnTarget.includes(g.group)),
    copy,
    cut.sentinels,
  );
  const previous = new Map(
    (cut.committed?.groups ?? []).map((g) => [g.group, JSON.stringify(g.offsets)]),
  );
  const changed = translated.filter((g) => previous.get(g.group) !== JSON.stringify(g.offsets));
  const data: GroupOffsetsData = {
    stage: "switch",
    groups: translated,
    ...(activeOnSource.length > 0 ? { active_on_source: activeOnSource } : {}),
  };
  await journal.append({
    type: "checkpoint",
    name: CUTOVER_CHECKPOINT.groupOffsets,
    data: { ...data },
  });
  if (changed.length > 0) await commitGroupOffsets(target, changed, new Map());
  await journal.append({
    type: "checkpoint",
    name: CUTOVER_CHECKPOINT.committed,
    data: {
      stage: "switch",
      groups: [
        ...(cut.committed?.groups ?? []).filter((g) =>
          !translated.some((t) => t.group === g.group)
        ),
        ...translated,
      ]
        .sort((a, b) => a.group.localeCompare(b.group)),
      ...(activeOnSource.length > 0 ? { active_on_source: activeOnSource } : {}),
    },
  });

  const runner = await ctx.hooks();
  if (options.via === "hook") {
    const servers = target.brokers;
    await runner.run("clients:switch", {
      migrationId: journal.migrationId,
      topics,
      groups: translated.map((g) => g.group),
      targetBootstrapServers: { [ctx.config.target.auth.mode]: servers },
    }, {
      deadline: new Date(Date.now() + (options.hookTimeoutMs ?? ctx.config.cutover.drain_timeout)),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
  }
  // Producers now write to the target: release them.
  await unfreeze(ctx, runner, journal, topics, undefined);
  await journal.append({
    type: "checkpoint",
    name: CUTOVER_CHECKPOINT.switched,
    data: { via: options.via, at: ctx.now().toISOString() },
  });
  await journal.transition("validating");
  return { via: options.via, recommitted: changed, activeOnSource, activeOnTarget };
}
