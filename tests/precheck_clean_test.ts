/**
 * A clean source/target pair passes precheck (no blocker), by bootstrap
 * servers and by MSK ARN, and precheck writes nothing to either cluster.
 */

import assert from "node:assert/strict";
import {
  adminConnection,
  blockerCodes,
  deleteTopics,
  findings,
  runPrecheck,
  sandboxTest,
  testConfig,
  topicWithRecords,
  uniquePrefix,
} from "./precheck_env.ts";
import { topicOffsetsByPartition } from "./_fixtures.ts";

sandboxTest("precheck() passes a clean pair and changes neither cluster", async (t, info) => {
  const p = uniquePrefix();
  const source = await adminConnection(info, "source");
  const target = await adminConnection(info, "target");
  const topic = `${p}.orders`;
  const group = `${p}-billing`;
  try {
    await topicWithRecords(source, topic, {
      partitions: 3,
      count: 30,
      configs: { "retention.ms": "86400000" },
    });
    const admin = await source.admin();
    await admin.setOffsets({ groupId: group, topic, partitions: [{ partition: 0, offset: "5" }] });
    const sourceOffsets = JSON.stringify(await topicOffsetsByPartition(admin, topic));
    const targetAdmin = await target.admin();
    const mine = async () => {
      const topics = (await targetAdmin.listTopics()).filter((n) => n.startsWith(p));
      const groups = (await targetAdmin.listGroups()).groups.filter((g) => g.groupId.startsWith(p));
      const sourceGroups = (await admin.listGroups()).groups.filter((g) => g.groupId.startsWith(p));
      return JSON.stringify({ topics, groups, sourceGroups });
    };
    const before = await mine();

    await t.step(
      "by bootstrap servers: no blocker, and the inventory and estimate are reported",
      async () => {
        const report = await runPrecheck(await testConfig(info, { prefix: p }));
        assert.deepEqual(blockerCodes(report), [], JSON.stringify(report.findings, null, 2));
        assert.equal(report.passed, true);
        assert.equal(report.source.topics, 1);
        assert.equal(report.source.partitions, 3);
        assert.equal(report.source.groups, 1);
        assert.equal(report.source.mode, "zookeeper");
        assert.equal(report.target.mode, "kraft");
        assert.equal(findings(report, "I04", "source").length, 1);
        assert.equal(findings(report, "I04", "target").length, 1);
        assert.match(findings(report, "I03", "seed")[0]!.detail, /3 partitions/);
      },
    );

    await t.step(
      "by MSK ARN through the MSK fake: no blocker, versions from the MSK API",
      async () => {
        const report = await runPrecheck(await testConfig(info, { prefix: p, addressing: "arn" }));
        assert.deepEqual(blockerCodes(report), [], JSON.stringify(report.findings, null, 2));
        assert.equal(report.source.kafkaVersion, info.source.mskKafkaVersion);
        assert.equal(report.target.kafkaVersion, info.target.mskKafkaVersion);
      },
    );

    await t.step(
      "neither cluster changed: no topic or group appeared, source offsets unchanged",
      async () => {
        assert.equal(await mine(), before);
        assert.equal(JSON.stringify(await topicOffsetsByPartition(admin, topic)), sourceOffsets);
      },
    );
  } finally {
    await (await source.admin()).deleteGroups([group]).catch(() => {});
    await deleteTopics(source, [topic]);
    await source.close();
    await target.close();
  }
});
