/**
 * `rollback` (SPEC §2, §3): before the cutover, stop the migration and mark
 * it `rolled_back`; with `deleteTargetTopics`, also delete what it created
 * on the target — exactly the topics topology copy journaled as created and
 * the ACL bindings it journaled creating — and journal what was deleted. The
 * source is never touched: before the cutover kraftover never wrote to it.
 *
 * After the cutover, rollback is refused with an explanation: group offsets
 * were committed on the target and producers may already write there.
 *
 * @module
 */

import type { MigrationContext } from "../context.ts";
import { KraftoverError } from "../errors.ts";
import type { Journal } from "../journal.ts";
import type { AclBinding } from "../inventory/types.ts";
import { PRE_CUTOVER_STATES } from "../state_machine.ts";
import type { MigrationState } from "../state_machine.ts";
import {
  createdAclBindings,
  createdTopics,
  unconfirmedCreateIntents,
} from "../topology/topology_checkpoints.ts";
import { toKafkajsAcl } from "../topology/kafkajs_acl.ts";
import { takeJournal } from "./cutover.ts";

/** Checkpoint names written by rollback. */
export const ROLLBACK_CHECKPOINT = {
  /** What is about to be deleted on the target (journaled first). */
  deleteIntent: "rollback.delete_intent",
  /** What was deleted on the target. */
  deleted: "rollback.deleted",
} as const;

/** Options for {@linkcode rollback}. */
export interface RollbackOptions {
  /** Also delete the topics and ACL bindings the migration created on the target. @default false */
  deleteTargetTopics?: boolean;
  /** Why, recorded in the journal. @default "operator rollback" */
  reason?: string;
  /**
   * How long to wait for a running `execute` to hand the journal over (it is
   * asked through the handover file; a tail stops at once, a seed does not). @default 60000
   */
  lockWaitMs?: number;
}

/** What {@linkcode rollback} did. */
export interface RollbackReport {
  /** The migration id. */
  migrationId: string;
  /** The state it was rolled back from (`rolled_back` when it already was). */
  from: MigrationState;
  /** It was already rolled back (a re-run). */
  alreadyRolledBack: boolean;
  /** Topics deleted on the target (empty without `deleteTargetTopics`). */
  deletedTopics: string[];
  /** ACL bindings deleted on the target. */
  deletedAcls: AclBinding[];
  /** Topics left on the target, with why. */
  keptTopics: { topic: string; reason: string }[];
  /** ACL bindings the migration's `acl.on_drift: replace` removed from the target (not restored). */
  aclsRemovedByMigration: AclBinding[];
}

/**
 * Why a rollback is refused after the cutover, and what to do instead.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { rollbackRefusal } from "./rollback.ts";
 * assert.ok(rollbackRefusal("validating").includes("committed on the target"));
 * ```
 */
export function rollbackRefusal(state: MigrationState, failedFrom?: MigrationState): string {
  const where = state === "failed" ? (failedFrom ?? "cutover") : state;
  if (where === "cutover") {
    return "Cannot roll back: the cutover has begun (sentinels may be on the source and group " +
      "offsets committed on the target). Run kraftover cutover again: an interrupted cutover " +
      "either completes or aborts safely back to drain_ready (producers unfrozen, target group " +
      "offsets restored), and from drain_ready kraftover rollback is possible";
  }
  if (where === "finalized") {
    return "Cannot roll back: the migration is finalized and its evidence signed and stored; " +
      "clients run on the target. Moving back is a new migration in the other direction";
  }
  return `Cannot roll back: the migration is past the cutover (${where}). Rollback exists only ` +
    "before the cutover, because since then consumer group offsets were committed on the " +
    "target and producers may already be writing there: deleting the target's topics would " +
    "destroy records that exist nowhere else, and the source no longer receives every write. " +
    "Instead: if clients have not been switched yet, keep them on the source — it is complete " +
    "and unchanged apart from one sentinel record per partition — and leave the target unused; " +
    "if they were switched, go forward: fix what kraftover validate reports and finalize, or " +
    "move clients back yourself after copying what was written to the target since the switch";
}

async function openForRollback(ctx: MigrationContext, waitMs: number): Promise<Journal> {
  try {
    return await takeJournal(ctx, waitMs);
  } catch (error) {
    if (error instanceof KraftoverError && error.code === "JOURNAL_LOCKED") {
      const pid = error.detail?.pid;
      throw new KraftoverError(
        "JOURNAL_LOCKED",
        `Cannot roll back: the journal in ${ctx.journalDir} is held by process ${pid ?? "?"} ` +
          "(a running kraftover execute, probably --follow), which did not hand it over within " +
          `${Math.round(waitMs / 1000)}s: stop it (Ctrl-C, or kill ${
            pid ?? "its PID"
          }) and run rollback again`,
        { phase: "rolled_back", retriable: true, cause: error, detail: error.detail ?? {} },
      );
    }
    throw error;
  }
}

/**
 * Rolls the migration back (before cutover only). Re-runnable: on a rolled
 * back migration it only completes a `deleteTargetTopics` that was
 * interrupted (deleting what is already gone is fine).
 *
 * @example
 * ```ts ignore
 * const report = await rollback(ctx, { deleteTargetTopics: true });
 * console.log(report.deletedTopics);
 * ```
 */
export async function rollback(
  ctx: MigrationContext,
  options: RollbackOptions = {},
): Promise<RollbackReport> {
  const journal = await openForRollback(ctx, options.lockWaitMs ?? 60_000);
  const { state, failedFrom } = journal.state;
  const allowed = PRE_CUTOVER_STATES.includes(state) ||
    (state === "failed" && PRE_CUTOVER_STATES.includes(failedFrom ?? "planned"));
  if (state !== "rolled_back" && !allowed) {
    throw new KraftoverError("ILLEGAL_TRANSITION", rollbackRefusal(state, failedFrom), {
      phase: state,
      detail: { state, failedFrom: failedFrom ?? null },
    });
  }
  const report: RollbackReport = {
    migrationId: journal.migrationId,
    from: state,
    alreadyRolledBack: state === "rolled_back",
    deletedTopics: [],
    deletedAcls: [],
    keptTopics: [],
    aclsRemovedByMigration: [],
  };
  if (state !== "rolled_back") {
    await journal.transition("rolled_back", { reason: options.reason ?? "operator rollback" });
    ctx.logger.info("Migration rolled back; the source was never written to", { from: state });
  }
  const records = journal.records;
  report.aclsRemovedByMigration = records.flatMap((r) =>
    r.type === "checkpoint" && r.name === "topology.acl_applied"
      ? ((r.data as { deleted?: AclBinding[] }).deleted ?? [])
      : []
  );
  if (!options.deleteTargetTopics) return report;

  const topics = createdTopics(records);
  const unconfirmed = unconfirmedCreateIntents(records);
  const acls = createdAclBindings(records);
  await journal.append({
    type: "checkpoint",
    name: ROLLBACK_CHECKPOINT.deleteIntent,
    data: { topics, unconfirmed, acls },
  });
  const target = await ctx.target();
  const admin = await target.admin();
  try {
    if (acls.length > 0) {
      for (let i = 0; i < acls.length; i += 100) {
        await admin.deleteAcls({ filters: acls.slice(i, i + 100).map(toKafkajsAcl) });
      }
      report.deletedAcls = acls;
    }
    const existing = new Set(await admin.listTopics());
    const toDelete = topics.filter((t) => existing.has(t));
    for (const t of topics) {
      if (!existing.has(t)) report.keptTopics.push({ topic: t, reason: "already gone" });
    }
    for (const t of unconfirmed) {
      if (!existing.has(t)) continue;
      const offsets = await admin.fetchTopicOffsets(t);
      if (offsets.every((o) => Number(o.high) === 0)) toDelete.push(t);
      else {
        report.keptTopics.push({
          topic: t,
          reason: "a crashed topology copy meant to create it, but it holds records: it may " +
            "not be the migration's; delete it yourself if it is",
        });
      }
    }
    if (toDelete.length > 0) {
      await admin.deleteTopics({ topics: toDelete, timeout: 30_000 });
      report.deletedTopics = toDelete.sort();
    }
  } catch (error) {
    throw target.classify(
      error,
      "deleting what the migration created on the target",
      "rolled_back",
    );
  }
  await journal.append({
    type: "checkpoint",
    name: ROLLBACK_CHECKPOINT.deleted,
    data: {
      topics: report.deletedTopics,
      acls: report.deletedAcls,
      kept: report.keptTopics,
    },
  });
  ctx.logger.info("Deleted what the migration created on the target", {
    topics: report.deletedTopics.length,
    acls: report.deletedAcls.length,
  });
  return report;
}
