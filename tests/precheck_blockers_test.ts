/**
 * Each precheck blocker from its real condition on the sandbox: B01 a wrong
 * password, B05 the same cluster twice, B07/B08 a missing bucket and a bucket
 * without Object Lock, B09/B10 a closed port, B12 a topic with another
 * partition count on the target, B13 a consumer running in the group on the
 * target, B14 replication factors the target cannot hold, B15 a principal
 * without describe permissions (with W04 and W11 that come with them).
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
  waitFor,
} from "./precheck_env.ts";

/** A port nothing listens on: bound, then released. */
function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

sandboxTest("precheck() reports B01 when the source refuses the password", async (_t, info) => {
  const report = await runPrecheck(
    await testConfig(info, {
      prefix: uniquePrefix(),
      pair: "scram-scram",
      edit: (m) => {
        (m.source.auth as Record<string, unknown>).password = "not-the-password-" +
          crypto.randomUUID();
      },
    }),
    { stores: false },
  );
  const b01 = findings(report, "B01", "source");
  assert.equal(b01.length, 1, JSON.stringify(report.findings, null, 2));
  assert.match(b01[0]!.remediation, /password/);
  assert.equal(report.source.reachable, false);
  assert.equal(findings(report, "B01", "target").length, 0, "the target's credentials are right");
});

sandboxTest(
  "precheck() reports B09 and B10 when nothing listens on the brokers' ports",
  async (_t, info) => {
    const report = await runPrecheck(
      await testConfig(info, {
        prefix: uniquePrefix(),
        edit: (m) => {
          m.source.bootstrap_servers = [`127.0.0.1:${closedPort()}`];
          m.target.bootstrap_servers = [`127.0.0.1:${closedPort()}`];
        },
      }),
      { stores: false },
    );
    assert.deepEqual(
      blockerCodes(report),
      ["B09", "B10"],
      JSON.stringify(report.findings, null, 2),
    );
    assert.match(findings(report, "B09", "source")[0]!.detail, /No source broker answered/);
  },
);

sandboxTest(
  "precheck() reports B05 when source and target are the same cluster",
  async (_t, info) => {
    const report = await runPrecheck(
      await testConfig(info, {
        prefix: uniquePrefix(),
        edit: (m) => {
          m.target.bootstrap_servers = info.source.bootstrap.plaintext;
        },
      }),
      { stores: false },
    );
    const b05 = findings(report, "B05", "source/target");
    assert.equal(b05.length, 1);
    assert.match(b05[0]!.detail, /share bootstrap servers/);
    assert.equal(
      findings(report, "B04", "target").length,
      1,
      "a ZooKeeper-mode target is also B04",
    );
  },
);

sandboxTest(
  "precheck() reports B07 for a missing backup bucket and B08 for evidence without Object Lock",
  async (_t, info) => {
    const missing = `kraftover-missing-${crypto.randomUUID().slice(0, 8)}`;
    const report = await runPrecheck(
      await testConfig(info, {
        prefix: uniquePrefix(),
        edit: (m) => {
          (m.backup as Record<string, unknown>).s3_bucket = missing;
          (m.evidence as Record<string, unknown>).s3_bucket = info.s3.buckets.nolock;
        },
      }),
    );
    const b07 = findings(report, "B07", "backup");
    assert.equal(b07.length, 1, JSON.stringify(report.findings, null, 2));
    assert.match(b07[0]!.detail, new RegExp(missing));
    const b08 = findings(report, "B08", "evidence");
    assert.equal(b08.length, 1);
    assert.match(b08[0]!.detail, /Object Lock is not enabled/);
    assert.match(b08[0]!.remediation, /aws-cli/);
  },
);

sandboxTest(
  "precheck() reports B12 for a topic with another partition count on the target",
  async (_t, info) => {
    const p = uniquePrefix();
    const source = await adminConnection(info, "source");
    const target = await adminConnection(info, "target");
    const topic = `${p}.b12`;
    try {
      await topicWithRecords(source, topic, { partitions: 3, count: 3 });
      await topicWithRecords(target, topic, { partitions: 2 });
      const report = await runPrecheck(await testConfig(info, { prefix: p }), { stores: false });
      assert.deepEqual(blockerCodes(report), ["B12"], JSON.stringify(report.findings, null, 2));
      const b12 = findings(report, "B12", `topic:${topic}`)[0]!;
      assert.match(b12.detail, /3 partitions on the source and 2 on the target/);
      assert.match(b12.remediation, /it is empty/);
    } finally {
      await deleteTopics(source, [topic]);
      await deleteTopics(target, [topic]);
      await source.close();
      await target.close();
    }
  },
);

sandboxTest(
  "precheck() reports B13 when a group to migrate has a consumer running on the target",
  async (t, info) => {
    const p = uniquePrefix();
    const source = await adminConnection(info, "source");
    const target = await adminConnection(info, "target");
    const topic = `${p}.shared`;
    const group = `${p}-g13`;
    const consumer = target.kafka.consumer({
      groupId: group,
      sessionTimeout: 10_000,
      heartbeatInterval: 500,
    });
    try {
      await topicWithRecords(source, topic, { partitions: 2, count: 4 });
      await topicWithRecords(target, topic, { partitions: 2 });
      await (await source.admin()).setOffsets({
        groupId: group,
        topic,
        partitions: [{ partition: 0, offset: "2" }],
      });

      await t.step("a clean pair first: the group has no member on the target yet", async () => {
        const report = await runPrecheck(await testConfig(info, { prefix: p }), { stores: false });
        assert.equal(findings(report, "B13").length, 0, JSON.stringify(report.findings, null, 2));
      });

      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({ eachMessage: async () => {} });
      const targetAdmin = await target.admin();
      await waitFor("the consumer to join its group on the target", async () => {
        const { groups } = await targetAdmin.describeGroups([group]);
        return groups[0]?.state === "Stable" && groups[0].members.length === 1;
      });

      await t.step("with the consumer running: B13 names the group", async () => {
        const report = await runPrecheck(await testConfig(info, { prefix: p }), { stores: false });
        const b13 = findings(report, "B13", `group:${group}`);
        assert.equal(b13.length, 1, JSON.stringify(report.findings, null, 2));
        assert.match(b13[0]!.detail, /1 active member/);
      });
    } finally {
      await consumer.disconnect().catch(() => {});
      await (await source.admin()).deleteGroups([group]).catch(() => {});
      await (await target.admin()).deleteGroups([group]).catch(() => {});
      await deleteTopics(source, [topic]);
      await deleteTopics(target, [topic]);
      await source.close();
      await target.close();
    }
  },
);

sandboxTest(
  "precheck() warns (W12) when a replication factor will be capped, blocks (B14) an explicit one the target cannot hold, and reports W11 for lost replicas",
  async (t, info) => {
    const p = uniquePrefix();
    const source = await adminConnection(info, "source");
    const topic = `${p}.rf2`;
    const admin = await source.admin();
    try {
      // The source has one broker: replica 2 is assigned to a broker that does not exist, so the
      // partition really is under-replicated and its replication factor is 2.
      await admin.createTopics({
        waitForLeaders: true,
        topics: [{ topic, replicaAssignment: [{ partition: 0, replicas: [1, 2] }] }],
      });

      await t.step(
        "a topic with replication factor 2 and a one-broker target: W12 says it will be capped",
        async () => {
          const report = await runPrecheck(await testConfig(info, { prefix: p }), {
            stores: false,
          });
          assert.equal(findings(report, "B14", `topic:${topic}`).length, 0);
          const w12 = findings(report, "W12", `topic:${topic}`);
          assert.equal(w12.length, 1, JSON.stringify(report.findings, null, 2));
          assert.match(w12[0]!.detail, /replication factor 2 .* 1 broker.*replication factor 1/);
          assert.equal(
            findings(report, "W11", `topic:${topic}`).length,
            1,
            "the partition is under-replicated",
          );
        },
      );

      await t.step(
        "topology.replication_factor above the target's brokers: B14 for the setting",
        async () => {
          const report = await runPrecheck(
            await testConfig(info, {
              prefix: p,
              edit: (m) => {
                m.topology = { replication_factor: 3 };
              },
            }),
            { stores: false },
          );
          assert.equal(findings(report, "B14", "topology.replication_factor").length, 1);
          assert.equal(findings(report, "B14", `topic:${topic}`).length, 0);
        },
      );
    } finally {
      // Move the partition off the missing broker so the topic can be deleted.
      await admin.alterPartitionReassignments({
        topics: [{ topic, partitionAssignment: [{ partition: 0, replicas: [1] }] }],
      }).catch(() => {});
      await waitFor("the reassignment to one replica", async () => {
        const meta = await admin.fetchTopicMetadata({ topics: [topic] });
        return meta.topics[0]?.partitions[0]?.replicas.length === 1;
      }).catch(() => {});
      await deleteTopics(source, [topic]);
      await source.close();
    }
  },
);

sandboxTest(
  "precheck() reports B15 for a principal that may not describe configs or ACLs, and W04",
  async (t, info) => {
    const p = uniquePrefix();
    const source = await adminConnection(info, "source");
    const topic = `${p}.visible`;
    const alice = info.scram.users.alice;
    const acls = [
      { operation: 8 /* DESCRIBE */ },
      { operation: 3 /* READ */ },
    ].map(({ operation }) => ({
      resourceType: 2, /* TOPIC */
      resourceName: topic,
      resourcePatternType: 3, /* LITERAL */
      principal: `User:${alice.username}`,
      host: "*",
      operation,
      permissionType: 3, /* ALLOW */
    }));
    const admin = await source.admin();
    try {
      await topicWithRecords(source, topic, { partitions: 1, count: 5 });
      // deno-lint-ignore no-explicit-any
      await admin.createAcls({ acl: acls as any });
      await waitFor("alice's ACLs to be visible", async () => {
        // deno-lint-ignore no-explicit-any
        const r = await admin.describeAcls({ ...acls[0]!, operation: 1, permissionType: 1 } as any);
        return r.resources.length > 0;
      });
      const report = await runPrecheck(
        await testConfig(info, {
          prefix: p,
          pair: "scram-scram",
          edit: (m) => {
            for (const side of [m.source, m.target]) {
              const auth = side.auth as Record<string, unknown>;
              auth.username = alice.username;
              auth.password = alice.password;
            }
          },
        }),
        { stores: false },
      );
      await t.step(
        "the source topic is visible but its configs are not: B15 for topic configs",
        () => {
          const b15 = findings(report, "B15", "source:topic_configs");
          assert.equal(b15.length, 1, JSON.stringify(report.findings, null, 2));
          assert.match(b15[0]!.detail, new RegExp(topic.replaceAll(".", "\\.")));
        },
      );
      await t.step("ACLs cannot be described on either side: B15 for ACLs", () => {
        assert.equal(findings(report, "B15", "source:acls").length, 1);
        assert.equal(findings(report, "B15", "target:acls").length, 1);
      });
      await t.step("the target's broker configs cannot be described: W04", () => {
        assert.equal(findings(report, "W04", "target").length, 1);
      });
    } finally {
      await admin.deleteAcls({
        // deno-lint-ignore no-explicit-any
        filters: acls.map((a) => ({ ...a, operation: 1, permissionType: 1 })) as any,
      }).catch(() => {});
      await deleteTopics(source, [topic]);
      await source.close();
    }
  },
);
