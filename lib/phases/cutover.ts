/**
 * The cutover (SPEC §2, §7, §10): a final catch-up while producers still
 * run, then `producers:freeze`, one sentinel per source partition, a drain
 * until every sentinel is on the target, every group's committed offsets
 * translated through the offset map and committed on the (empty) target
 * groups — all inside `cutover.max_producer_freeze`. Any failure before the
 * commit, or a passed deadline, runs `producers:unfreeze`, puts back what the
 * target groups held, journals why, and leaves the migration resumable: the
 * next `cutover` makes a fresh attempt.
 *
 * @module
 */

import { join } from "node:path";
import type { MigrationContext } from "../context.ts";
import { KraftoverError } from "../errors.ts";
import type { Journal, JournalRecord } from "../journal.ts";
import { partitionKey } from "../offset_map.ts";
import type { PartitionKey } from "../offset_map.ts";
import { journaledTopics } from "../copy/copy_state.ts";
import { openCopyEngine } from "../copy/copy_engine.ts";
import type { CopyEngine } from "../copy/copy_engine.ts";
import type { KafkaConnection } from "../kafka/connect.ts";
import { CUTOVER_CHECKPOINT, replayCutoverState } from "../cutover/cutover_state.ts";
import type {
  GroupOffsetsData,
  SentinelPosition,
  TranslatedOffset,
} from "../cutover/cutover_state.ts";
import { writeSentinels } from "../cutover/sentinels.ts";
import {
  commitGroupOffsets,
  committedGroupOffsets,
  restoreGroupOffsets,
  translateGroups,
} from "../cutover/group_offsets.ts";
import type { PriorOffsets } from "../cutover/group_offsets.ts";
import { runFreeze } from "../../hooks/run_freeze.ts";
import type { HookRunner } from "../../hooks/runner.ts";
import { applyHeldBackConfigs } from "./topology_copy.ts";
import { tailWith } from "./tail.ts";
import { delay } from "../retry.ts";
import { HANDOVER_FILE } from "./execute.ts";

/** Options for {@linkcode cutover}. */
export interface CutoverOptions {
  /** Interrupts the cutover (it aborts safely: unfreeze, nothing committed). */
  signal?: AbortSignal;
  /** How long to wait for `execute --follow` to hand the journal over (ms). @default 60000 */
  handoverTimeoutMs?: number;
  /** Wait between two reads of target end offsets when resuming (ms). @default 1000 */
  settleMs?: number;
}

/** What {@linkcode cutover} did. */
export interface CutoverReport {
  /** The migration id. */
  migrationId: string;
  /** Records copied by the final catch-up before the freeze. */
  catchUpRecords: number;
  /** Records copied during the freeze (up to the sentinels). */
  drainRecords: number;
  /** When the freeze hooks returned. */
  freezeStartedAt: string;
  /** When the groups were committed on the target (clients may switch). */
  committedAt: string;
  /** The freeze window: freeze hooks returned → clients may switch (ms). */
  freezeWindowMs: number;
  /** The sentinels, with their source and target offsets. */
  sentinels: SentinelPosition[];
  /** The translated, committed group offsets. */
  groups: { group: string; offsets: TranslatedOffset[] }[];
}

/**
 * Takes the journal, asking an `execute --follow` that holds it to hand over
 * (through the handover file) and waiting for it to let go.
 */
export async function takeJournal(ctx: MigrationContext, timeoutMs = 60_000): Promise<Journal> {
  const handover = join(ctx.journalDir, HANDOVER_FILE);
  const deadline = Date.now() + timeoutMs;
  let asked = false;
  try {
    for (;;) {
      try {
        return await ctx.journal();
      } catch (error) {
        if (
          !(error instanceof KraftoverError && error.code === "JOURNAL_LOCKED") ||
          Date.now() > deadline
        ) {
          throw error;
        }
        if (!asked) {
          await Deno.writeTextFile(
            handover,
            JSON.stringify({ pid: Deno.pid, at: new Date().toISOString() }),
          );
          asked = true;
          ctx.logger.info(
            "Asking the running execute --follow to hand the migration over to cutover",
          );
        }
        await delay(500);
      }
    }
  } finally {
    if (asked) await Deno.remove(handover).catch(() => {});
  }
}

function lastIndexOf(records: readonly JournalRecord[], name: string): number {
  for (let i = records.length - 1; i >= 0; i--) {
    const r = records[i]!;
    if (r.type === "checkpoint" && r.name === name) return i;
  }
  return -1;
}

/**
 * Runs (or resumes) the cutover and ends in `awaiting_client_switch`.
 *
 * @example
 * ```ts ignore
 * const report = await cutover(ctx, {});
 * console.log(`freeze window ${report.freezeWindowMs} ms`);
 * ```
 */
export async function cutover(
  ctx: MigrationContext,
  options: CutoverOptions = {},
): Promise<CutoverReport> {
  const journal = await takeJournal(ctx, options.handoverTimeoutMs);
  const state = journal.state.state;
  const resuming = state === "cutover" ||
    (state === "failed" && journal.state.failedFrom === "cutover");
  if (state !== "drain_ready" && !resuming) {
    throw new KraftoverError(
      "ILLEGAL_TRANSITION",
      state === "tail" || state === "seed" || state === "topology_copy" || state === "precheck" ||
        state === "planned"
        ? `The migration is in ${state}, not drain-ready: run kraftover execute until it reports drain-ready`
        : `The migration is in ${state}: the cutover is already done (next: kraftover status)`,
      { phase: state },
    );
  }
  const records = journal.records;
  const committedAt = lastIndexOf(records, CUTOVER_CHECKPOINT.committed);
  const freezeAt = lastIndexOf(records, CUTOVER_CHECKPOINT.freezeStarted);
  const runner = await ctx.hooks();
  const topics = journaledTopics(records).map((t) => t.topic);
  const migrationId = journal.migrationId;

  // A run that died after committing only has to record the transition.
  if (resuming && committedAt > freezeAt && freezeAt >= 0) {
    if (state === "failed") await journal.transition("cutover");
    await journal.transition("awaiting_client_switch");
    return reportFromJournal(journal);
  }
  // A run that died mid-freeze: release the producers first, then start afresh.
  const previous = replayCutoverState(records);
  if (previous.freezeStarted !== undefined && previous.freezeEnded === undefined) {
    await unfreeze(ctx, runner, journal, topics, "a previous cutover attempt was interrupted");
  }
  if (state === "failed") await journal.transition("cutover");

  // Final catch-up while producers still run, so the freeze only covers the last records.
  // One copy engine serves the catch-up and the drain: the freeze window pays no connection set-up.
  const source = await ctx.source();
  const target = await ctx.target();
  const engine = await openCopyEngine(ctx);
  try {
    return await freezeAndMove(ctx, engine, {
      journal,
      runner,
      topics,
      migrationId,
      source,
      target,
      options,
    });
  } finally {
    await engine.close();
  }
}

async function freezeAndMove(
  ctx: MigrationContext,
  engine: CopyEngine,
  c: {
    journal: Journal;
    runner: HookRunner;
    topics: string[];
    migrationId: string;
    source: KafkaConnection;
    target: KafkaConnection;
    options: CutoverOptions;
  },
): Promise<CutoverReport> {
  const { journal, runner, topics, migrationId, source, target, options } = c;
  const until = new Map<PartitionKey, number>();
  for (const p of engine.state.partitions.values()) {
    until.set(
      partitionKey(p.topic, p.partition),
      (await engine.sourceReader.bounds(p.topic, p.partition)).highWatermark,
    );
  }
  const caught = await tailWith(ctx, {
    until,
    phase: "tail",
    ...(options.settleMs === undefined ? {} : { settleMs: options.settleMs }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  }, { engine });
  const catchUpRecords = caught.records;
  if (journal.state.state === "drain_ready") await journal.transition("cutover");
  await journal.append({
    type: "checkpoint",
    name: CUTOVER_CHECKPOINT.started,
    data: { catch_up_records: catchUpRecords },
  });

  // The groups to move: found before the freeze, so the freeze window only re-reads their offsets.
  const groupIds = (await committedGroupOffsets(source, topics)).map((g) => g.group);

  // Freeze.
  const partitions = [...engine.state.partitions.values()].map((p) => ({
    topic: p.topic,
    partition: p.partition,
  }));
  const freezeDeadline = new Date(ctx.now().getTime() + ctx.config.cutover.max_producer_freeze);
  try {
    await runFreeze(runner, {
      migrationId,
      topics,
      partitions: partitions.length,
      deadline: freezeDeadline,
      sourceBootstrapServers: source.brokers,
    }, {
      deadline: freezeDeadline,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
  } catch (error) {
    // runFreeze already unfroze every plugin.
    await journal.append({
      type: "checkpoint",
      name: CUTOVER_CHECKPOINT.aborted,
      data: { reason: (error as Error).message, stage: "freeze" },
    });
    await journal.transition("drain_ready", { reason: "cutover aborted: producer freeze failed" });
    throw new KraftoverError(
      "CUTOVER_ABORTED",
      `Cutover aborted: the producer freeze failed: ${
        (error as Error).message
      }. Producers were unfrozen; ` +
        "nothing was written to either cluster. Fix the freeze hook, then run cutover again",
      { phase: "cutover", retriable: true, cause: error },
    );
  }
  const freezeStartedAt = ctx.now();
  await journal.append({
    type: "checkpoint",
    name: CUTOVER_CHECKPOINT.freezeStarted,
    data: { at: freezeStartedAt.toISOString(), deadline: freezeDeadline.toISOString() },
  });

  // Everything below must finish before the freeze deadline.
  const abort = new AbortController();
  const timer = setTimeout(
    () =>
      abort.abort(
        new KraftoverError(
          "DRAIN_TIMEOUT",
          "The producer freeze window (cutover.max_producer_freeze) ended",
          {
            phase: "cutover",
            retriable: true,
          },
        ),
      ),
    Math.max(0, freezeDeadline.getTime() - Date.now()),
  );
  const onOuter = () => abort.abort(options.signal?.reason);
  options.signal?.addEventListener("abort", onOuter, { once: true });
  const prior: PriorOffsets = new Map();
  let sentinels: SentinelPosition[] = [];
  let drainRecords = 0;
  let groups: { group: string; offsets: TranslatedOffset[] }[] = [];
  try {
    await journal.append({ type: "checkpoint", name: CUTOVER_CHECKPOINT.sentinelIntent, data: {} });
    sentinels = await writeSentinels(source, migrationId, partitions, ctx.now());
    ctx.logger.debug("Sentinels written", { ms: Date.now() - freezeStartedAt.getTime() });
    await journal.append({
      type: "checkpoint",
      name: CUTOVER_CHECKPOINT.sentinels,
      data: { sentinels },
    });
    abort.signal.throwIfAborted();

    // The catch-up's engine again, and no reconciling: this process wrote everything on the
    // target since the catch-up checked it.
    const drained = await tailWith(ctx, {
      until: new Map(
        sentinels.map((s) => [partitionKey(s.topic, s.partition), s.source_offset + 1]),
      ),
      phase: "cutover",
      signal: abort.signal,
    }, { engine, reconcile: false });
    drainRecords = drained.records;
    ctx.logger.debug("Sentinels drained", {
      ms: Date.now() - freezeStartedAt.getTime(),
      stop: drained.stop,
    });
    if (drained.stop !== "until_reached") abort.signal.throwIfAborted();
    const afterDrain = engine.state;
    sentinels = sentinels.map((s) => {
      const t = afterDrain.partitions.get(partitionKey(s.topic, s.partition))?.map.targetOf(
        s.source_offset,
      );
      if (t === undefined) {
        throw new KraftoverError(
          "INTERNAL",
          `The sentinel of ${s.topic}[${s.partition}] is not in the offset map`,
          {
            phase: "cutover",
          },
        );
      }
      return { ...s, target_offset: t };
    });
    await journal.append({
      type: "checkpoint",
      name: CUTOVER_CHECKPOINT.drained,
      data: { sentinels },
    });

    groups = translateGroups(
      await committedGroupOffsets(source, topics, { groups: groupIds }),
      afterDrain,
      sentinels,
    );
    const translated: GroupOffsetsData = { stage: "cutover", groups };
    await journal.append({
      type: "checkpoint",
      name: CUTOVER_CHECKPOINT.groupOffsets,
      data: { ...translated },
    });
    abort.signal.throwIfAborted();
    await commitGroupOffsets(target, groups, prior);
    abort.signal.throwIfAborted();
    await journal.append({
      type: "checkpoint",
      name: CUTOVER_CHECKPOINT.committed,
      data: { ...translated },
    });
  } catch (error) {
    const reason = abort.signal.aborted && abort.signal.reason instanceof KraftoverError
      ? abort.signal.reason.message
      : (error as Error).message;
    ctx.logger.error("Cutover aborted; unfreezing producers and restoring target group offsets", {
      reason,
    });
    await restoreGroupOffsets(target, prior).catch((e) =>
      ctx.logger.error("Could not restore target group offsets", { error: (e as Error).message })
    );
    await journal.append({
      type: "checkpoint",
      name: CUTOVER_CHECKPOINT.aborted,
      data: { reason, stage: "drain_or_commit" },
    });
    await unfreeze(ctx, runner, journal, topics, reason);
    throw new KraftoverError(
      abort.signal.aborted && abort.signal.reason instanceof KraftoverError
        ? "DRAIN_TIMEOUT"
        : "CUTOVER_ABORTED",
      `Cutover aborted: ${reason}. Producers were unfrozen and no group offsets are committed on the target; ` +
        "the sentinels written to the source are ordinary records now. Run cutover again for a fresh attempt",
      { phase: "cutover", retriable: true, cause: error },
    );
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", onOuter);
  }
  const committed = ctx.now();
  await applyHeldBackConfigs(ctx);
  await journal.transition("awaiting_client_switch");
  ctx.logger.info("Cutover done: group offsets committed on the target", {
    freeze_window_ms: committed.getTime() - freezeStartedAt.getTime(),
    groups: groups.length,
    next: "switch clients to the target, then kraftover switch-ack (or a clients:switch hook)",
  });
  return {
    migrationId,
    catchUpRecords,
    drainRecords,
    freezeStartedAt: freezeStartedAt.toISOString(),
    committedAt: committed.toISOString(),
    freezeWindowMs: committed.getTime() - freezeStartedAt.getTime(),
    sentinels,
    groups,
  };
}

/** Runs `producers:unfreeze` and journals the end of the freeze window. */
export async function unfreeze(
  ctx: MigrationContext,
  runner: HookRunner,
  journal: Journal,
  topics: readonly string[],
  error: string | undefined,
): Promise<void> {
  const started = replayCutoverState(journal.records).freezeStarted;
  const reason = error === undefined ? "cutover_complete" : "cutover_aborted";
  try {
    await runner.run("producers:unfreeze", {
      migrationId: journal.migrationId,
      topics,
      reason,
      ...(error === undefined ? {} : { error }),
    }, { deadline: new Date(Date.now() + 60_000) });
  } finally {
    const at = ctx.now();
    await journal.append({
      type: "checkpoint",
      name: CUTOVER_CHECKPOINT.freezeEnded,
      data: {
        at: at.toISOString(),
        duration_ms: started === undefined ? 0 : at.getTime() - new Date(started.at).getTime(),
        reason,
      },
    });
  }
}

function reportFromJournal(journal: Journal): CutoverReport {
  const state = replayCutoverState(journal.records);
  const committed = [...journal.records].reverse().find((r) =>
    r.type === "checkpoint" && r.name === CUTOVER_CHECKPOINT.committed
  );
  const started = state.freezeStarted?.at ?? committed?.ts ?? "";
  return {
    migrationId: journal.migrationId,
    catchUpRecords: 0,
    drainRecords: 0,
    freezeStartedAt: started,
    committedAt: committed?.ts ?? "",
    freezeWindowMs: committed === undefined
      ? 0
      : new Date(committed.ts).getTime() - new Date(started).getTime(),
    sentinels: state.sentinels,
    groups: state.committed?.groups ?? [],
  };
}
