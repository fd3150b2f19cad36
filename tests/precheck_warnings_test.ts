/**
 * Precheck warnings and notes from their real conditions: W02 a compacted
 * topic, W05 a static member (kcat), W06 a retention shorter than the seed,
 * W07 a transactional producer, W09/W10 config and ACL drift made on the
 * target, I05 an empty topic, W01 regions that differ, W03 a KMS key on an
 * S3-compatible store, I01 an IAM target.
 */

import assert from "node:assert/strict";
import {
  adminConnection,
  deleteTopics,
  findings,
  hasProgram,
  runPrecheck,
  sandboxTest,
  testConfig,
  topicWithRecords,
  uniquePrefix,
  waitFor,
} from "./precheck_env.ts";
import { takeInventory } from "../lib/inventory/take_inventory.ts";

sandboxTest(
  "precheck() warns about the source's topics, producers and members, and drift on the target",
  async (t, info) => {
    const p = uniquePrefix();
    const source = await adminConnection(info, "source");
    const target = await adminConnection(info, "target");
    const sourceAdmin = await source.admin();
    const targetAdmin = await target.admin();
    const topics = {
      compacted: `${p}.compacted`,
      short: `${p}.short`,
      empty: `${p}.empty`,
      drift: `${p}.drift`,
      tx: `${p}.tx`,
    };
    const staticGroup = `${p}-static`;
    const transactionalId = `${p}-tx-producer`;
    const extraAcl = {
      resourceType: 2,
      resourceName: topics.drift,
      resourcePatternType: 3,
      principal: "User:bob",
      host: "*",
      operation: 4,
      permissionType: 3,
    };
    const kcat = await hasProgram("kcat");
    let child: Deno.ChildProcess | undefined;
    const producer = source.kafka.producer({
      transactionalId,
      idempotent: true,
      maxInFlightRequests: 1,
    });
    let openTx: Awaited<ReturnType<typeof producer.transaction>> | undefined;
    try {
      await topicWithRecords(source, topics.compacted, {
        count: 5,
        configs: { "cleanup.policy": "compact" },
      });
      await topicWithRecords(source, topics.short, {
        count: 5,
        configs: { "retention.ms": "60000" },
      });
      await topicWithRecords(source, topics.empty, { partitions: 2 });
      await topicWithRecords(source, topics.drift, {
        partitions: 2,
        count: 2,
        configs: { "retention.ms": "3600000" },
      });
      await topicWithRecords(target, topics.drift, {
        partitions: 2,
        configs: { "retention.ms": "7200000" },
      });
      await topicWithRecords(source, topics.tx, { count: 0 });
      // deno-lint-ignore no-explicit-any
      await targetAdmin.createAcls({ acl: [extraAcl as any] });

      await producer.connect();
      // Left open until precheck has run: W07 names open transactions first.
      openTx = await producer.transaction();
      await openTx.send({ topic: topics.tx, messages: [{ key: "a", value: "b" }] });

      if (kcat) {
        child = new Deno.Command("kcat", {
          args: [
            "-b",
            info.source.bootstrap.plaintext.join(","),
            "-G",
            staticGroup,
            topics.compacted,
            "-X",
            `group.instance.id=${p}-instance`,
            "-X",
            "session.timeout.ms=6000",
            "-q",
          ],
          stdout: "null",
          stderr: "null",
        }).spawn();
        await waitFor("the kcat consumer to join as a static member", async () => {
          const inv = await takeInventory(source, {
            topics: { include: [`${p}\\..*`] },
            sizes: false,
          });
          return inv.groups.find((g) => g.groupId === staticGroup)?.members.some((m) =>
            m.groupInstanceId !== null
          );
        });
      }

      const report = await runPrecheck(await testConfig(info, { prefix: p }), {
        stores: false,
        seedBytesPerSecond: 1, // so the seed outlasts a one-minute retention
      });
      const dump = JSON.stringify(report.findings, null, 2);

      await t.step("W02 for the compacted topic", () => {
        assert.equal(findings(report, "W02", `topic:${topics.compacted}`).length, 1, dump);
      });
      await t.step(
        "W06 for the topic whose retention is shorter than the seed, only that one",
        () => {
          assert.equal(findings(report, "W06", `topic:${topics.short}`).length, 1, dump);
          assert.deepEqual(findings(report, "W06").map((f) => f.subject), [
            `topic:${topics.short}`,
          ]);
        },
      );
      await t.step("W07 names the transactional producer", () => {
        const w07 = findings(report, "W07", "source");
        assert.equal(w07.length, 1, dump);
        assert.match(
          w07[0]!.detail,
          new RegExp(`transaction open now: [^:]*${transactionalId} \\(Ongoing\\)`),
        );
      });
      await t.step("W09 for the target topic whose retention.ms differs", () => {
        const w09 = findings(report, "W09", `topic:${topics.drift}`);
        assert.equal(w09.length, 1, dump);
        assert.match(w09[0]!.detail, /retention\.ms source=3600000 target=7200000/);
      });
      await t.step("W10 for the ACL binding only the target has", () => {
        const w10 = findings(report, "W10", `topic:${topics.drift}`);
        assert.equal(w10.length, 1, dump);
        assert.match(w10[0]!.detail, /ALLOW User:bob WRITE/);
      });
      await t.step("I05 for the empty topic", () => {
        assert.equal(findings(report, "I05", `topic:${topics.empty}`).length, 1, dump);
      });
      await t.step("W05 for the static member", () => {
        if (!kcat) {
          // deno-lint-ignore no-console
          console.log(
            "Skipped: kcat is not installed (the only client here that joins as a static member)",
          );
          return;
        }
        const w05 = findings(report, "W05", `group:${staticGroup}`);
        assert.equal(w05.length, 1, dump);
        assert.match(w05[0]!.detail, new RegExp(`${p}-instance`));
      });
      await t.step("none of it blocks", () => {
        assert.equal(report.passed, true, dump);
      });
    } finally {
      await openTx?.abort().catch(() => {});
      await producer.disconnect();
      child?.kill("SIGKILL");
      await child?.status;
      // deno-lint-ignore no-explicit-any
      await targetAdmin.deleteAcls({ filters: [extraAcl as any] }).catch(() => {});
      await waitFor("the static member to expire", async () => {
        try {
          await sourceAdmin.deleteGroups([staticGroup]);
          return true;
        } catch {
          return false;
        }
      }, 30_000).catch(() => {});
      await deleteTopics(source, Object.values(topics));
      await deleteTopics(target, [topics.drift]);
      await source.close();
      await target.close();
    }
  },
);

sandboxTest(
  "precheck() notes regions that differ, an unverified KMS key and an IAM target",
  async (_t, info) => {
    const report = await runPrecheck(
      await testConfig(info, {
        prefix: uniquePrefix(),
        pair: "plaintext-iam",
        edit: (m) => {
          m.source.region = "eu-central-1";
          (m.backup as Record<string, unknown>).kms_key_arn =
            "arn:aws:kms:eu-west-1:000000000000:key/11111111-2222-3333-4444-555555555555";
        },
      }),
    );
    const dump = JSON.stringify(report.findings, null, 2);
    assert.equal(findings(report, "W01", "source/target").length, 1, dump);
    assert.match(
      findings(report, "W01", "source/target")[0]!.detail,
      /eu-central-1 and the target in eu-west-1/,
    );
    const w03 = findings(report, "W03", "backup");
    assert.equal(w03.length, 1, dump);
    assert.match(w03[0]!.detail, /could not prove the key works/);
    assert.equal(findings(report, "I01", "target").length, 1, dump);
    assert.equal(report.target.reachable, true, "the IAM target was read");
  },
);
