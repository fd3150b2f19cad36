/**
 * rollback(): before the cutover it marks the migration rolled back and, with
 * --delete-target-topics, deletes exactly what the migration created on the
 * target (topics and ACL bindings), leaving the source untouched; after the
 * cutover it is refused with the explanation; a runner holding the journal
 * is asked to hand it over.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { rollback } from "../lib/phases/rollback.ts";
import type { RollbackReport } from "../lib/phases/rollback.ts";
import { openJournal, readJournal, replayState } from "../lib/journal.ts";
import { createMigrationContext } from "../lib/context.ts";
import { parseConfigText } from "../lib/config/load_config.ts";
import { silentLogger } from "../lib/logger.ts";
import { isKraftoverError } from "../lib/errors.ts";
import { HANDOVER_FILE } from "../lib/phases/execute.ts";
import type { KafkaConnection } from "../lib/kafka/connect.ts";
import { TOPOLOGY_CHECKPOINT } from "../lib/topology/topology_checkpoints.ts";
import type { AclBinding } from "../lib/inventory/types.ts";
import { validate } from "../lib/phases/validate.ts";
import { freshContext, migrationFixture } from "./validate_fixture.ts";
import { sandboxTest, waitFor } from "./precheck_env.ts";
import { topicOffsetsByPartition } from "./_fixtures.ts";

const cli = new URL("../cli.ts", import.meta.url).pathname;

async function kraftover(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", cli, ...args],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const d = new TextDecoder();
  return { code: out.code, out: d.decode(out.stdout), err: d.decode(out.stderr) };
}

type Admin = Awaited<ReturnType<KafkaConnection["admin"]>>;
type KafkajsAcl = Parameters<Admin["createAcls"]>[0]["acl"][number];

/** kafkajs ACL numbers for a LITERAL ALLOW READ on a topic. */
function kafkajsAcl(topic: string, principal: string): KafkajsAcl {
  return {
    resourceType: 2,
    resourceName: topic,
    resourcePatternType: 3,
    principal,
    host: "*",
    operation: 3,
    permissionType: 3,
  } as unknown as KafkajsAcl;
}

sandboxTest(
  "rollback --delete-target-topics before cutover deletes only the topics and ACLs the migration created, and never touches the source",
  async (t, info) => {
    const f = await migrationFixture(info, { stopBeforeCutover: true, abortedTransaction: false });
    const target = await f.target.admin();
    const source = await f.source.admin();
    const preexisting = `${f.prefix}.preexisting`;
    const halfMade = `${f.prefix}.halfmade`;
    const ours = `User:${f.prefix}-app`;
    const theirs = `User:${f.prefix}-other`;
    try {
      // What the target had before the migration, a crashed creation, and ACLs.
      await target.createTopics({
        waitForLeaders: true,
        topics: [{ topic: preexisting, numPartitions: 1 }, { topic: halfMade, numPartitions: 1 }],
      });
      await target.createAcls({
        acl: [kafkajsAcl(f.topic, ours), kafkajsAcl(f.topic, theirs)],
      });
      const planned: AclBinding = {
        resourceType: "TOPIC",
        resourceName: f.topic,
        patternType: "LITERAL",
        principal: ours,
        host: "*",
        operation: "READ",
        permission: "ALLOW",
      };
      const ctx = freshContext(f);
      try {
        const journal = await ctx.journal();
        await journal.append({
          type: "checkpoint",
          name: TOPOLOGY_CHECKPOINT.aclPlan,
          data: { policy: "merge", create: [planned], delete: [] },
        });
        await journal.append({
          type: "checkpoint",
          name: TOPOLOGY_CHECKPOINT.createIntent,
          data: { topic: halfMade, partitions: 1, replication_factor: 1, configs: {} },
        });
      } finally {
        await ctx.close();
      }
      const sourceBefore = await topicOffsetsByPartition(source, f.topic);

      await t.step("validate is refused before the cutover", async () => {
        const c = freshContext(f);
        try {
          await assert.rejects(validate(c, {}), (e) => isKraftoverError(e, "ILLEGAL_TRANSITION"));
        } finally {
          await c.close();
        }
      });

      let report: RollbackReport;
      await t.step("kraftover rollback --delete-target-topics --json succeeds", async () => {
        const r = await kraftover(
          "rollback",
          "--config",
          f.configFile,
          "--journal-dir",
          f.journalDir,
          "--delete-target-topics",
          "--reason",
          "test rollback",
          "--json",
        );
        assert.equal(r.code, 0, r.err);
        report = JSON.parse(r.out) as RollbackReport;
        assert.equal(report.from, "tail");
        assert.deepEqual(report.deletedTopics, [halfMade, f.topic].sort());
        assert.deepEqual(report.deletedAcls, [planned]);
      });

      await t.step("the target keeps what the migration did not create", async () => {
        const topics = await waitFor("the created topics gone from the target", async () => {
          const now = await target.listTopics();
          return now.includes(f.topic) || now.includes(halfMade) ? false : now;
        });
        assert.ok(topics.includes(preexisting));
        const acls = await target.describeAcls(
          ({
            resourceType: 2,
            resourceName: f.topic,
            resourcePatternType: 3,
            operation: 1,
            permissionType: 1,
          }) as unknown as Parameters<Admin["describeAcls"]>[0],
        );
        const principals = acls.resources.flatMap((r) => r.acls.map((a) => a.principal));
        assert.deepEqual(principals, [theirs]);
      });

      await t.step("the source is exactly as it was", async () => {
        assert.deepEqual(await topicOffsetsByPartition(source, f.topic), sourceBefore);
        assert.ok((await source.listTopics()).includes(f.topic));
      });

      await t.step("the journal says rolled_back and what was deleted", async () => {
        const { records } = await readJournal(f.journalDir);
        const state = replayState(records);
        assert.equal(state.state, "rolled_back");
        assert.equal(state.transitions.at(-1)?.reason, "test rollback");
        const deleted = records.findLast((r) =>
          r.type === "checkpoint" && r.name === "rollback.deleted"
        );
        assert.deepEqual(
          (deleted as unknown as { data: { topics: string[] } }).data.topics,
          report.deletedTopics,
        );
      });

      await t.step("running it again is harmless", async () => {
        const c = freshContext(f);
        try {
          const again = await rollback(c, { deleteTargetTopics: true });
          assert.equal(again.alreadyRolledBack, true);
          assert.deepEqual(again.deletedTopics, []);
          assert.deepEqual(
            again.keptTopics.map((k) => [k.topic, k.reason]),
            [[f.topic, "already gone"]],
          );
        } finally {
          await c.close();
        }
      });
    } finally {
      await target.deleteAcls({ filters: [kafkajsAcl(f.topic, theirs)] }).catch(() => {});
      await target.deleteTopics({ topics: [preexisting] }).catch(() => {});
      await f.cleanup();
    }
  },
);

sandboxTest(
  "rollback after the cutover is refused with the explanation and changes nothing",
  async (_t, info) => {
    const f = await migrationFixture(info, { abortedTransaction: false });
    try {
      const r = await kraftover(
        "rollback",
        "--config",
        f.configFile,
        "--journal-dir",
        f.journalDir,
        "--delete-target-topics",
      );
      assert.equal(r.code, 1, r.out);
      assert.match(r.err, /Cannot roll back: the migration is past the cutover/);
      assert.match(r.err, /consumer group offsets were committed on the/);
      assert.match(r.err, /producers may already be writing there/);
      assert.match(r.err, /keep them on the source/);
      assert.equal(
        replayState((await readJournal(f.journalDir)).records).state,
        "awaiting_client_switch",
      );
      assert.ok((await (await f.target.admin()).listTopics()).includes(f.topic));
    } finally {
      await f.cleanup();
    }
  },
);

async function offlineContext(journalDir: string) {
  const { config } = await parseConfigText(
    "migration:\n  source: { bootstrap_servers: ['127.0.0.1:1'], auth: { mode: plaintext } }\n" +
      "  target: { bootstrap_servers: ['127.0.0.1:2'], auth: { mode: plaintext } }\n" +
      "  seed: { via: direct }\n",
    { env: {} },
  );
  return createMigrationContext(config, { journalDir, logger: silentLogger });
}

Deno.test("rollback asks a runner holding the journal to hand it over, then rolls back", async () => {
  const dir = await Deno.makeTempDir();
  const holder = await openJournal(dir, { migrationId: "mig-handover-test" });
  await holder.transition("precheck");
  const handover = join(dir, HANDOVER_FILE);
  // The runner: lets go of the journal when asked, as execute's tail does.
  const runner = (async () => {
    await waitFor("the handover request", () => Deno.stat(handover).then(() => true));
    await holder.close();
  })();
  const ctx = await offlineContext(dir);
  try {
    const report = await rollback(ctx, { lockWaitMs: 30_000 });
    await runner;
    assert.equal(report.from, "precheck");
    assert.equal(replayState((await readJournal(dir)).records).state, "rolled_back");
    await assert.rejects(Deno.stat(handover), Deno.errors.NotFound);
  } finally {
    await ctx.close();
    await holder.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("rollback tells the operator to stop a runner that does not hand the journal over", async () => {
  const dir = await Deno.makeTempDir();
  const holder = await openJournal(dir, { migrationId: "mig-locked-test" });
  const ctx = await offlineContext(dir);
  try {
    await assert.rejects(rollback(ctx, { lockWaitMs: 1_000 }), (e: unknown) => {
      assert.ok(isKraftoverError(e, "JOURNAL_LOCKED"));
      assert.match(e.message, new RegExp(`held by process ${Deno.pid}`));
      assert.match(e.message, /stop it \(Ctrl-C, or kill \d+\) and run rollback again/);
      return true;
    });
    assert.equal(replayState((await readJournal(dir)).records).state, "planned");
    await assert.rejects(Deno.stat(join(dir, HANDOVER_FILE)), Deno.errors.NotFound);
  } finally {
    await ctx.close();
    await holder.close();
    await Deno.remove(dir, { recursive: true });
  }
});
