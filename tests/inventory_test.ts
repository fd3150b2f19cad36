/**
 * takeInventory() against the sandbox's real clusters: configs with their
 * source, partitions and offsets, sizes, groups with static members and
 * committed offsets, ACLs, SCRAM users, filtering, modes and versions.
 */

import assert from "node:assert/strict";
import { Secret } from "../lib/secret.ts";
import { connectCluster } from "../lib/kafka/connect.ts";
import { silentLogger } from "../lib/logger.ts";
import { takeInventory } from "../lib/inventory/take_inventory.ts";
import { compareKafkaVersions } from "../lib/inventory/detect_cluster_mode.ts";
import {
  adminConnection,
  alterClusterConfig,
  deleteTopics,
  hasProgram,
  sandboxTest,
  topicWithRecords,
  uniquePrefix,
  waitFor,
} from "./precheck_env.ts";

sandboxTest(
  "takeInventory() reads topics, sizes, offsets, groups, ACLs and SCRAM users of the source",
  async (t, info) => {
    const p = uniquePrefix();
    const source = await adminConnection(info, "source");
    const admin = await source.admin();
    const orders = `${p}.orders`;
    const empty = `${p}.empty`;
    const tmp = `${p}.tmp`;
    const group = `${p}-billing`;
    const otherGroup = `${p}-other`;
    const acl = {
      resourceType: 2,
      resourceName: orders,
      resourcePatternType: 3,
      principal: "User:bob",
      host: "*",
      operation: 3,
      permissionType: 3,
    };
    try {
      await topicWithRecords(source, orders, {
        partitions: 3,
        count: 60,
        size: 200,
        configs: { "retention.ms": "86400000", "cleanup.policy": "delete" },
      });
      await topicWithRecords(source, empty, { partitions: 2 });
      await topicWithRecords(source, tmp, { partitions: 1, count: 1 });
      const before = await admin.fetchTopicOffsets(orders);
      const p0 = before.find((x) => x.partition === 0)!;
      await admin.deleteTopicRecords({
        topic: orders,
        partitions: [{ partition: 0, offset: "3" }],
      });
      await admin.setOffsets({
        groupId: group,
        topic: orders,
        partitions: [{ partition: 1, offset: "4" }],
      });
      await admin.setOffsets({
        groupId: otherGroup,
        topic: tmp,
        partitions: [{ partition: 0, offset: "1" }],
      });
      // deno-lint-ignore no-explicit-any
      await admin.createAcls({ acl: [acl as any] });
      // A broker-wide dynamic default that topics inherit (harmless: 1 ms over Kafka's default).
      await alterClusterConfig(
        source,
        { name: "log.cleaner.delete.retention.ms", op: "set", value: "86400001" },
        "86400001",
      );

      const inv = await takeInventory(source, {
        topics: { include: [`${p}\\..*`], exclude: [".*\\.tmp"] },
      });

      await t.step("the cluster: ZooKeeper mode told by ApiVersions, one broker", () => {
        assert.equal(inv.cluster.mode, "zookeeper");
        assert.equal(inv.cluster.modeEvidence, "api_versions");
        assert.equal(inv.cluster.brokerCount, info.source.brokers.length);
        assert.equal(inv.brokerSettings.zookeeperConnectSet, true);
        assert.equal(inv.brokerSettings.processRolesSet, false);
      });

      await t.step("topics: include/exclude are anchored, internal topics always left out", () => {
        assert.deepEqual(inv.topics.map((x) => x.name), [empty, orders]);
        assert.deepEqual(inv.excludedTopics.find((e) => e.name === tmp), {
          name: tmp,
          reason: "excluded",
        });
        assert.deepEqual(inv.excludedTopics.find((e) => e.name === "__consumer_offsets"), {
          name: "__consumer_offsets",
          reason: "internal",
        });
      });

      const topic = inv.topics.find((x) => x.name === orders)!;
      await t.step(
        "configs: only the topic's own (DYNAMIC_TOPIC_CONFIG), never the broker's",
        () => {
          assert.deepEqual(topic.configs, {
            "cleanup.policy": "delete",
            "retention.ms": "86400000",
          });
          assert.deepEqual(topic.inheritedConfigs["delete.retention.ms"], {
            value: "86400001",
            source: "DYNAMIC_DEFAULT_BROKER_CONFIG",
          });
          assert.equal(
            topic.inheritedConfigs["min.insync.replicas"]?.source,
            "STATIC_BROKER_CONFIG",
          );
          assert.equal(topic.effectiveConfigs["retention.ms"], "86400000");
        },
      );

      await t.step("partitions: counts, replicas, log start and end offsets", () => {
        assert.equal(topic.partitionCount, 3);
        assert.equal(topic.replicationFactor, 1);
        const part0 = topic.partitions[0]!;
        assert.equal(part0.logStartOffset, 3);
        assert.equal(part0.endOffset, Number(p0.high));
        assert.equal(topic.records, 60 - 3);
        assert.equal(topic.underReplicatedPartitions, 0);
      });

      await t.step("sizes come from DescribeLogDirs, not estimates", () => {
        assert.equal(topic.sizeEstimated, false);
        assert.ok(
          topic.sizeBytes >= 60 * 200,
          `${topic.sizeBytes} bytes for 60 records of 200 bytes`,
        );
        assert.equal(inv.topics.find((x) => x.name === empty)!.sizeBytes, 0);
      });

      await t.step(
        "groups: the one committing to a selected topic, with its offsets; the other only counted",
        () => {
          assert.deepEqual(inv.groups.map((g) => g.groupId), [group]);
          assert.deepEqual(inv.groups[0]!.offsets, [{ topic: orders, partition: 1, offset: 4 }]);
          assert.deepEqual(inv.groups[0]!.topics, [orders]);
          assert.ok(inv.groupsInfo.otherGroups >= 1);
        },
      );

      await t.step(
        "ACLs (DescribeAcls with ANY filters) and SCRAM users (names and mechanisms only)",
        () => {
          assert.ok(inv.acls.available);
          assert.ok(
            inv.acls.bindings.some((b) =>
              b.resourceName === orders && b.principal === "User:bob" && b.operation === "READ" &&
              b.permission === "ALLOW"
            ),
          );
          assert.ok(inv.scramUsers.available);
          const alice = inv.scramUsers.users.find((u) => u.user === "alice");
          assert.deepEqual(alice?.mechanisms.map((m) => m.mechanism), [
            "SCRAM-SHA-256",
            "SCRAM-SHA-512",
          ]);
          assert.ok(!JSON.stringify(inv).includes(info.scram.users.alice.password));
        },
      );
    } finally {
      await alterClusterConfig(
        source,
        { name: "log.cleaner.delete.retention.ms", op: "delete" },
        "86400000",
      )
        .catch(() => {});
      // deno-lint-ignore no-explicit-any
      await admin.deleteAcls({ filters: [acl as any] }).catch(() => {});
      await admin.deleteGroups([group, otherGroup]).catch(() => {});
      await deleteTopics(source, [orders, empty, tmp]);
      await source.close();
    }
  },
);

sandboxTest(
  "takeInventory() reads the target as KRaft mode, at least Kafka 3.7",
  async (_t, info) => {
    const target = await adminConnection(info, "target");
    try {
      const inv = await takeInventory(target, {
        topics: { include: ["kp-none-\\..*"] },
        sizes: false,
      });
      assert.equal(inv.cluster.mode, "kraft");
      assert.equal(inv.cluster.apiMode, "kraft");
      assert.equal(inv.brokerSettings.processRolesSet, true);
      const floor = inv.cluster.kafkaVersionAtLeast;
      assert.ok(floor !== null && compareKafkaVersions(floor, "3.7") >= 0, `floor ${floor}`);
      assert.ok(
        compareKafkaVersions(info.target.kafkaVersion, floor) >= 0,
        "a lower bound of the real version",
      );
    } finally {
      await target.close();
    }
  },
);

sandboxTest(
  "takeInventory() shows a static member's group.instance.id (a kcat consumer)",
  async (t, info) => {
    if (!(await hasProgram("kcat"))) {
      // deno-lint-ignore no-console
      console.log(
        "Skipped: kcat is not installed (the only client here that joins as a static member)",
      );
      return;
    }
    const p = uniquePrefix();
    const source = await adminConnection(info, "source");
    const topic = `${p}.static`;
    const group = `${p}-static`;
    let child: Deno.ChildProcess | undefined;
    try {
      await topicWithRecords(source, topic, { partitions: 1, count: 2 });
      child = new Deno.Command("kcat", {
        args: [
          "-b",
          info.source.bootstrap.plaintext.join(","),
          "-G",
          group,
          topic,
          "-X",
          `group.instance.id=${p}-instance-1`,
          "-X",
          "session.timeout.ms=6000",
          "-q",
        ],
        stdout: "null",
        stderr: "null",
      }).spawn();
      const inv = await waitFor("the kcat consumer to join as a static member", async () => {
        const inv = await takeInventory(source, {
          topics: { include: [`${p}\\..*`] },
          groupIds: [group],
          sizes: false,
        });
        const g = inv.groups.find((x) => x.groupId === group);
        return g?.members.some((m) => m.groupInstanceId !== null) ? inv : undefined;
      });
      await t.step("the member carries its group.instance.id (DescribeGroups v4)", () => {
        const g = inv.groups.find((x) => x.groupId === group)!;
        assert.equal(g.staticMembershipKnown, true);
        assert.deepEqual(g.members.map((m) => m.groupInstanceId), [`${p}-instance-1`]);
        assert.deepEqual(g.members[0]!.assignedTopics, [topic]);
      });
    } finally {
      child?.kill("SIGKILL");
      await child?.status;
      // The static member stays until its session times out: wait, then delete the group.
      const admin = await source.admin();
      await waitFor("the static member to expire", async () => {
        try {
          await admin.deleteGroups([group]);
          return true;
        } catch {
          return false;
        }
      }, 30_000).catch(() => {});
      await deleteTopics(source, [topic]);
      await source.close();
    }
  },
);

sandboxTest(
  "takeInventory() estimates sizes from sampled records when DescribeLogDirs is refused",
  async (t, info) => {
    const p = uniquePrefix();
    const source = await adminConnection(info, "source");
    const admin = await source.admin();
    const topic = `${p}.sampled`;
    const alice = info.scram.users.alice;
    const acls = [8, 3].map((operation) => ({
      resourceType: 2,
      resourceName: topic,
      resourcePatternType: 3,
      principal: `User:${alice.username}`,
      host: "*",
      operation,
      permissionType: 3,
    }));
    try {
      await topicWithRecords(source, topic, { partitions: 2, count: 40, size: 500 });
      const exact = (await takeInventory(source, { topics: { include: [`${p}\\..*`] } }))
        .topics[0]!;
      // deno-lint-ignore no-explicit-any
      await admin.createAcls({ acl: acls as any });
      const asAlice = await connectCluster({
        bootstrap_servers: info.source.bootstrap.scram,
        auth: {
          mode: "scram-sha-512",
          username: alice.username,
          password: new Secret(alice.password),
        },
        tls: false,
        client_id: "kraftover-test",
      }, { label: "source", logger: silentLogger });
      try {
        const inv = await waitFor("alice to see the topic", async () => {
          const inv = await takeInventory(asAlice, { topics: { include: [`${p}\\..*`] } });
          return inv.topics.length === 1 ? inv : undefined;
        });
        const sampled = inv.topics[0]!;
        await t.step("the size is marked estimated and close to the real one", () => {
          assert.equal(sampled.sizeEstimated, true);
          assert.equal(inv.totals.sizeEstimated, true);
          assert.ok(
            sampled.sizeBytes > exact.sizeBytes * 0.7 && sampled.sizeBytes < exact.sizeBytes * 1.3,
            `estimated ${sampled.sizeBytes}, DescribeLogDirs ${exact.sizeBytes}`,
          );
        });
        await t.step("what alice may not read is recorded as problems", () => {
          const areas = new Set(inv.problems.map((x) => x.area));
          assert.ok(areas.has("acls") && areas.has("topic_configs"), JSON.stringify(inv.problems));
        });
      } finally {
        await asAlice.close();
      }
    } finally {
      // deno-lint-ignore no-explicit-any
      await admin.deleteAcls({ filters: acls as any }).catch(() => {});
      await deleteTopics(source, [topic]);
      await source.close();
    }
  },
);
