/**
 * topologyCopy() against the sandbox's real clusters: topics created with
 * the source's partitions and own configs, replication factors capped,
 * held-back configs applied later, each config-drift and ACL-drift policy,
 * the refusals, the access map for an IAM target, and a resumed run that
 * adopts the topic a crashed run created.
 *
 * All sandbox tests of topology copy live in this one file so they run one
 * after another: ACL copy copies every GROUP and CLUSTER binding of the
 * source, so two copies at once would see each other's bindings.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  adminConnection,
  deleteTopics,
  sandboxTest,
  testConfig,
  topicWithRecords,
  uniquePrefix,
} from "./precheck_env.ts";
import type { TestConfigOptions } from "./precheck_env.ts";
import { createMigrationContext } from "../lib/context.ts";
import type { MigrationContext } from "../lib/context.ts";
import { createMemoryLogger } from "../lib/logger.ts";
import { isKraftoverError } from "../lib/errors.ts";
import type { KraftoverError } from "../lib/errors.ts";
import type { KafkaConnection } from "../lib/kafka/connect.ts";
import {
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  ConfigResourceTypes,
  ResourcePatternTypes,
} from "../lib/kafka/kafkajs.ts";
import type { SandboxInfo } from "../lib/sandbox/sandbox_info.ts";
import { journaledTopics } from "../lib/copy/copy_state.ts";
import { readJournal } from "../lib/journal.ts";
import { topologyCopy } from "../lib/phases/topology_copy.ts";
import type { TopologyReport } from "../lib/phases/topology_copy.ts";
import {
  applyHeldBackConfigs,
  heldBackConfigs,
  LONG_MAX,
} from "../lib/topology/held_back_configs.ts";
import { createdTopics, unconfirmedCreateIntents } from "../lib/topology/topology_checkpoints.ts";
import type { AccessMap } from "../lib/topology/access_map.ts";
import type { AclBinding } from "../lib/inventory/types.ts";

/** A context on a fresh journal already in precheck (as execute leaves it). */
async function freshContext(
  config: Awaited<ReturnType<typeof testConfig>>,
): Promise<{ ctx: MigrationContext; lines: string[]; dir: string }> {
  const dir = await Deno.makeTempDir({ prefix: "kraftover-topology-" });
  const { logger, lines } = createMemoryLogger();
  const ctx = createMigrationContext(config, { journalDir: dir, logger });
  await (await ctx.journal()).transition("precheck");
  return { ctx, lines, dir };
}

async function configFor(
  info: SandboxInfo,
  prefix: string,
  edit?: TestConfigOptions["edit"],
) {
  return await testConfig(info, { prefix, ...(edit === undefined ? {} : { edit }) });
}

/** A topic's configs as kafkajs (not kraftover) describes them: own and effective. */
async function describeTopic(connection: KafkaConnection, topic: string) {
  const admin = await connection.admin();
  const result = await admin.describeConfigs({
    includeSynonyms: false,
    resources: [{ type: ConfigResourceTypes.TOPIC, name: topic }],
  });
  const entries = result.resources[0]!.configEntries;
  return {
    own: Object.fromEntries(
      entries.filter((e) => Number(e.configSource) === 1).map((e) => [e.configName, e.configValue]),
    ),
    effective: Object.fromEntries(entries.map((e) => [e.configName, e.configValue])),
  };
}

async function partitionCount(connection: KafkaConnection, topic: string): Promise<number> {
  const meta = await (await connection.admin()).fetchTopicMetadata({ topics: [topic] });
  return meta.topics[0]!.partitions.length;
}

async function refusal(promise: Promise<unknown>): Promise<KraftoverError> {
  try {
    await promise;
  } catch (error) {
    if (isKraftoverError(error, "TOPOLOGY_REFUSED")) return error;
    throw error;
  }
  assert.fail("expected TOPOLOGY_REFUSED");
}

function kafkajsAcl(b: AclBinding) {
  return {
    resourceType: AclResourceTypes[b.resourceType as keyof typeof AclResourceTypes],
    resourceName: b.resourceName,
    resourcePatternType: ResourcePatternTypes[b.patternType as keyof typeof ResourcePatternTypes],
    principal: b.principal,
    host: b.host,
    operation: AclOperationTypes[b.operation as keyof typeof AclOperationTypes],
    permissionType: AclPermissionTypes[b.permission as keyof typeof AclPermissionTypes],
  };
}

/** Bindings of some principals on a cluster, as kafka-acls would list them. */
async function aclsOf(connection: KafkaConnection, principals: readonly string[]) {
  const admin = await connection.admin();
  const result = await admin.describeAcls({
    resourceType: AclResourceTypes.ANY,
    resourcePatternType: ResourcePatternTypes.ANY,
    operation: AclOperationTypes.ANY,
    permissionType: AclPermissionTypes.ANY,
  });
  // kafkajs's enums are plain objects at runtime: name them by value.
  const name = (e: object, v: number) => Object.entries(e).find(([, x]) => x === v)?.[0];
  const out: string[] = [];
  for (const r of result.resources) {
    for (const a of r.acls) {
      if (!principals.includes(a.principal)) continue;
      out.push(
        `${name(AclPermissionTypes, a.permissionType)} ${a.principal} ` +
          `${name(AclOperationTypes, a.operation)} ${name(AclResourceTypes, r.resourceType)} ` +
          `${r.resourceName} ${name(ResourcePatternTypes, r.resourcePatternType)}`,
      );
    }
  }
  return out.sort();
}

async function deleteAclsOf(connection: KafkaConnection, principals: readonly string[]) {
  const admin = await connection.admin();
  await admin.deleteAcls({
    filters: principals.map((principal) => ({
      resourceType: AclResourceTypes.ANY,
      resourcePatternType: ResourcePatternTypes.ANY,
      principal,
      operation: AclOperationTypes.ANY,
      permissionType: AclPermissionTypes.ANY,
    })),
  });
}

function lastCheckpointName(records: readonly { type: string; name?: string }[]): string {
  return records.filter((r) => r.type === "checkpoint").at(-1)?.name ?? "";
}

sandboxTest(
  "topologyCopy() creates missing topics with the source's partitions and only its own configs",
  async (_t, info) => {
    const p = uniquePrefix();
    const orders = `${p}.orders`;
    const payments = `${p}.payments`;
    const source = await adminConnection(info, "source");
    const target = await adminConnection(info, "target");
    const config = await configFor(info, p, (m) => {
      m.topology = { replication_factor: 3 };
    });
    const { ctx, lines, dir } = await freshContext(config);
    try {
      await topicWithRecords(source, orders, {
        partitions: 3,
        count: 4,
        configs: { "retention.ms": "3600000", "cleanup.policy": "compact,delete" },
      });
      await topicWithRecords(source, payments, { partitions: 1 });
      const sourceOrders = await describeTopic(source, orders);
      assert.equal(sourceOrders.effective["min.insync.replicas"], "1");
      assert.ok(!("min.insync.replicas" in sourceOrders.own), "inherited, not the topic's own");

      const report = await topologyCopy(ctx, {});

      assert.deepEqual(report.created, [orders, payments]);
      assert.equal(await partitionCount(target, orders), 3);
      assert.equal(await partitionCount(target, payments), 1);
      // Kafka 4 brokers default message.timestamp.after.max.ms to one hour: for the copy
      // the topics get a no-limit override, removed again at cutover (held back as null).
      const guard = { "message.timestamp.after.max.ms": LONG_MAX };
      assert.deepEqual((await describeTopic(target, orders)).own, {
        "cleanup.policy": "compact,delete",
        "retention.ms": "3600000",
        ...guard,
      });
      assert.deepEqual((await describeTopic(target, payments)).own, guard);
      for (const topic of [orders, payments]) {
        const held = report.heldBack.find((h) => h.topic === topic)?.configs;
        assert.deepEqual(Object.keys(held ?? {}), ["message.timestamp.after.max.ms"]);
        assert.equal(held?.["message.timestamp.after.max.ms"]?.value, null);
      }
      assert.deepEqual(report.replicationFactorCaps.map((c) => [c.topic, c.wanted, c.used]), [
        [orders, 3, 1],
        [payments, 3, 1],
      ]);
      assert.ok(lines.some((l) => l.includes("Replication factor lowered")));
      const { records } = await readJournal(dir);
      assert.ok(
        records.some((r) => r.type === "note" && r.message.includes("replication factor 3")),
      );
      assert.equal(lastCheckpointName(records), "topology.topics");
      assert.deepEqual(journaledTopics(records), [
        { topic: orders, partitions: 3 },
        { topic: payments, partitions: 1 },
      ]);
      assert.deepEqual(createdTopics(records), [orders, payments]);
      assert.equal((await ctx.journal()).state.state, "topology_copy");
    } finally {
      await ctx.close();
      await deleteTopics(source, [orders, payments]);
      await deleteTopics(target, [orders, payments]);
      await source.close();
      await target.close();
    }
  },
);

sandboxTest(
  "topologyCopy() holds back LogAppendTime and timestamp limits, and applyHeldBackConfigs() sets them",
  async (_t, info) => {
    const p = uniquePrefix();
    const events = `${p}.events`;
    const source = await adminConnection(info, "source");
    const target = await adminConnection(info, "target");
    const { ctx, dir } = await freshContext(await configFor(info, p));
    try {
      await topicWithRecords(source, events, {
        partitions: 2,
        configs: {
          "message.timestamp.type": "LogAppendTime",
          "message.timestamp.before.max.ms": "3600000",
          "message.timestamp.difference.max.ms": "7200000",
          "min.insync.replicas": "2",
          "retention.ms": "86400000",
        },
      });

      const report = await topologyCopy(ctx, {});

      const during = await describeTopic(target, events);
      assert.deepEqual(during.own, {
        "retention.ms": "86400000",
        "message.timestamp.after.max.ms": LONG_MAX,
      });
      assert.equal(during.effective["message.timestamp.type"], "CreateTime");
      assert.equal(during.effective["message.timestamp.before.max.ms"], LONG_MAX);
      assert.equal(during.effective["min.insync.replicas"], "1");
      const held = report.heldBack.find((h) => h.topic === events)!;
      assert.deepEqual(Object.keys(held.configs).sort(), [
        "message.timestamp.after.max.ms",
        "message.timestamp.before.max.ms",
        "message.timestamp.type",
        "min.insync.replicas",
      ]);
      assert.match(
        held.configs["message.timestamp.type"]!.reason,
        /replacing the source timestamp/,
      );
      assert.deepEqual(Object.keys(report.droppedConfigs[0]!.configs), [
        "message.timestamp.difference.max.ms",
      ]);
      const journaled = (await readJournal(dir)).records.filter((r) =>
        r.type === "checkpoint" && r.name === "topology.held_back"
      );
      assert.ok(journaled.length > 0);

      const applied = await applyHeldBackConfigs(ctx);

      assert.deepEqual(applied.applied.map((a) => `${a.key}=${a.value}`).sort(), [
        "message.timestamp.after.max.ms=7200000",
        "message.timestamp.before.max.ms=3600000",
        "message.timestamp.type=LogAppendTime",
      ]);
      assert.deepEqual(applied.skipped.map((s) => s.key), ["min.insync.replicas"]);
      const after = await describeTopic(target, events);
      assert.equal(after.own["message.timestamp.type"], "LogAppendTime");
      assert.equal(after.own["message.timestamp.before.max.ms"], "3600000");
      assert.equal(after.own["message.timestamp.after.max.ms"], "7200000");
      assert.ok(!("min.insync.replicas" in after.own));
      const pending = heldBackConfigs((await readJournal(dir)).records);
      assert.deepEqual(pending.map((h) => [h.topic, Object.keys(h.configs)]), [
        [events, ["min.insync.replicas"]],
      ]);
      const again = await applyHeldBackConfigs(ctx);
      assert.deepEqual(again.applied, []);
    } finally {
      await ctx.close();
      await deleteTopics(source, [events]);
      await deleteTopics(target, [events]);
      await source.close();
      await target.close();
    }
  },
);

sandboxTest(
  "topologyCopy() handles config drift as topology.on_config_drift says",
  async (t, info) => {
    const source = await adminConnection(info, "source");
    const target = await adminConnection(info, "target");
    try {
      const setup = async (policy: string) => {
        const p = uniquePrefix();
        const topic = `${p}.drift`;
        await topicWithRecords(source, topic, {
          partitions: 2,
          configs: { "retention.ms": "3600000", "cleanup.policy": "delete" },
        });
        await topicWithRecords(target, topic, {
          partitions: 2,
          configs: { "retention.ms": "7200000", "segment.ms": "600000" },
        });
        const config = await configFor(info, p, (m) => {
          m.topology = { on_config_drift: policy };
        });
        return { p, topic, ...(await freshContext(config)) };
      };

      await t.step("overwrite_with_source writes the source's values on the target", async () => {
        const { topic, ctx, dir } = await setup("overwrite_with_source");
        try {
          const report = await topologyCopy(ctx, {});
          assert.deepEqual(report.existing, [topic]);
          assert.deepEqual(report.created, []);
          assert.deepEqual((await describeTopic(target, topic)).own, {
            "retention.ms": "3600000",
            "message.timestamp.after.max.ms": LONG_MAX,
          });
          assert.equal(report.configDrift[0]!.action, "overwritten");
          assert.deepEqual(report.configDrift[0]!.drift.map((d) => `${d.kind}:${d.key}`), [
            "differs:retention.ms",
            "target_only:segment.ms",
          ]);
          assert.deepEqual(createdTopics((await readJournal(dir)).records), []);
        } finally {
          await ctx.close();
          await deleteTopics(source, [topic]);
          await deleteTopics(target, [topic]);
        }
      });

      await t.step("keep_target leaves the target's values and journals the drift", async () => {
        const { topic, ctx, dir } = await setup("keep_target");
        try {
          const report = await topologyCopy(ctx, {});
          assert.deepEqual((await describeTopic(target, topic)).own, {
            "retention.ms": "7200000",
            "segment.ms": "600000",
            "message.timestamp.after.max.ms": LONG_MAX,
          });
          const drift = (await readJournal(dir)).records.find((r) =>
            r.type === "checkpoint" && r.name === "topology.config_drift"
          );
          assert.ok(drift !== undefined && drift.type === "checkpoint");
          assert.equal(drift.data.action, "kept");
          assert.equal(report.configDrift[0]!.drift[0]!.key, "retention.ms");
        } finally {
          await ctx.close();
          await deleteTopics(source, [topic]);
          await deleteTopics(target, [topic]);
        }
      });

      await t.step("refuse stops before creating anything, naming the topic and keys", async () => {
        const { p, topic, ctx, dir } = await setup("refuse");
        const missing = `${p}.missing`;
        try {
          await topicWithRecords(source, missing);
          const error = await refusal(topologyCopy(ctx, {}));
          assert.match(error.message, new RegExp(topic.replaceAll(".", "\\.")));
          assert.match(error.message, /retention\.ms source=3600000 target=7200000/);
          assert.match(error.message, /segment\.ms/);
          assert.deepEqual(
            await (await target.admin()).fetchTopicMetadata({ topics: [] }).then((m) =>
              m.topics.filter((x) => x.name === missing)
            ),
            [],
          );
          const { records } = await readJournal(dir);
          assert.ok(
            !records.some((r) => r.type === "checkpoint" && r.name.startsWith("topology.")),
          );
        } finally {
          await ctx.close();
          await deleteTopics(source, [topic, missing]);
          await deleteTopics(target, [topic, missing]);
        }
      });
    } finally {
      await source.close();
      await target.close();
    }
  },
);

sandboxTest(
  "topologyCopy() refuses a target topic with other partitions or with records it did not write",
  async (t, info) => {
    const source = await adminConnection(info, "source");
    const target = await adminConnection(info, "target");
    try {
      await t.step("a different partition count", async () => {
        const p = uniquePrefix();
        const topic = `${p}.parts`;
        const { ctx } = await freshContext(await configFor(info, p));
        try {
          await topicWithRecords(source, topic, { partitions: 3 });
          await topicWithRecords(target, topic, { partitions: 2 });
          const error = await refusal(topologyCopy(ctx, {}));
          assert.match(error.message, /3 partition\(s\) on the source and 2 on the target/);
          assert.match(error.message, /Delete .* on the target \(it is empty\)/);
        } finally {
          await ctx.close();
          await deleteTopics(source, [topic]);
          await deleteTopics(target, [topic]);
        }
      });
      await t.step("records already on the target", async () => {
        const p = uniquePrefix();
        const topic = `${p}.dirty`;
        const { ctx } = await freshContext(await configFor(info, p));
        try {
          await topicWithRecords(source, topic, { partitions: 1, count: 2 });
          await topicWithRecords(target, topic, { partitions: 1, count: 3 });
          const error = await refusal(topologyCopy(ctx, {}));
          assert.match(error.message, /already holds 3 record\(s\) on the target/);
          assert.match(error.message, /kafka-delete-records|topics\.exclude/);
        } finally {
          await ctx.close();
          await deleteTopics(source, [topic]);
          await deleteTopics(target, [topic]);
        }
      });
    } finally {
      await source.close();
      await target.close();
    }
  },
);

sandboxTest("topologyCopy() copies ACLs as acl.on_drift says", async (t, info) => {
  const source = await adminConnection(info, "source");
  const target = await adminConnection(info, "target");
  const id = crypto.randomUUID().slice(0, 8);
  const app = `User:tc-${id}-app`;
  const old = `User:tc-${id}-old`;
  const skipped = `User:tc-${id}-skip`;
  const superUser = `User:tc-${id}-super`;
  const internal = `User:CN=*.tc-${id}.abc123.c4.kafka.eu-west-1.amazonaws.com`;
  const principals = [app, old, skipped, superUser, internal];
  try {
    const setup = async (policy: string) => {
      const p = uniquePrefix();
      const orders = `${p}.orders`;
      await topicWithRecords(source, orders, { partitions: 1 });
      const b = (over: Partial<AclBinding>): AclBinding => ({
        resourceType: "TOPIC",
        resourceName: orders,
        patternType: "LITERAL",
        principal: app,
        host: "*",
        operation: "READ",
        permission: "ALLOW",
        ...over,
      });
      const sourceBindings = [
        b({}),
        b({ resourceName: `${p}.`, patternType: "PREFIXED", operation: "WRITE" }),
        b({ resourceType: "GROUP", resourceName: `${p}-group` }),
        b({ principal: skipped }),
        b({ principal: internal }),
      ];
      const targetBindings = [
        b({ principal: old, operation: "DESCRIBE" }),
        b({ principal: superUser, operation: "ALL" }),
      ];
      await (await source.admin()).createAcls({ acl: sourceBindings.map(kafkajsAcl) });
      await (await target.admin()).createAcls({ acl: targetBindings.map(kafkajsAcl) });
      const config = await configFor(info, p, (m) => {
        m.acl = { on_drift: policy, skip_principals: ["User:ANONYMOUS", skipped] };
      });
      return { p, orders, ...(await freshContext(config)) };
    };
    const cleanup = async (ctx: MigrationContext, topics: string[]) => {
      await ctx.close();
      await deleteAclsOf(source, principals);
      await deleteAclsOf(target, principals);
      await deleteTopics(source, topics);
      await deleteTopics(target, topics);
    };

    await t.step("merge adds the missing bindings and keeps the target's own", async () => {
      const { p, orders, ctx } = await setup("merge");
      try {
        const report = await topologyCopy(ctx, { protectedPrincipals: [superUser] });
        assert.equal(report.acls.mode, "acls");
        assert.equal(report.acls.created.length, 3);
        assert.deepEqual(report.acls.deleted, []);
        assert.deepEqual(await aclsOf(target, principals), [
          `ALLOW ${app} READ GROUP ${p}-group LITERAL`,
          `ALLOW ${app} READ TOPIC ${orders} LITERAL`,
          `ALLOW ${app} WRITE TOPIC ${p}. PREFIXED`,
          `ALLOW ${old} DESCRIBE TOPIC ${orders} LITERAL`,
          `ALLOW ${superUser} ALL TOPIC ${orders} LITERAL`,
        ]);
        assert.deepEqual(
          // Other tests share the sandbox (and its ACLs): look at this test's principals only.
          report.acls.skipped.filter((s) => principals.includes(s.binding.principal))
            .map((s) => [s.binding.principal, s.reason]).sort(),
          [[internal, "msk_internal"], [skipped, "skip_principals"]],
        );
      } finally {
        await cleanup(ctx, [orders]);
      }
    });

    await t.step("replace also removes the target-only binding, not a protected one", async () => {
      const { p, orders, ctx, dir } = await setup("replace");
      try {
        const report = await topologyCopy(ctx, { protectedPrincipals: [superUser] });
        assert.deepEqual(report.acls.deleted.map((b) => b.principal), [old]);
        assert.deepEqual(report.acls.kept.map((k) => [k.binding.principal, k.reason]), [
          [superUser, "protected_principal"],
        ]);
        assert.deepEqual(await aclsOf(target, principals), [
          `ALLOW ${app} READ GROUP ${p}-group LITERAL`,
          `ALLOW ${app} READ TOPIC ${orders} LITERAL`,
          `ALLOW ${app} WRITE TOPIC ${p}. PREFIXED`,
          `ALLOW ${superUser} ALL TOPIC ${orders} LITERAL`,
        ]);
        const names = (await readJournal(dir)).records.flatMap((r) =>
          r.type === "checkpoint" && r.name.startsWith("topology.acl") ? [r.name] : []
        );
        assert.deepEqual(names, ["topology.acl_plan", "topology.acl_applied"]);
      } finally {
        await cleanup(ctx, [orders]);
      }
    });

    await t.step("refuse stops with the diff and creates nothing", async () => {
      const { orders, ctx } = await setup("refuse");
      try {
        const error = await refusal(topologyCopy(ctx, { protectedPrincipals: [superUser] }));
        assert.match(error.message, new RegExp(`ALLOW ${old} DESCRIBE on TOPIC`));
        const detail =
          (error.detail?.refusals as { extra: AclBinding[]; missing: AclBinding[] }[])[0]!;
        assert.deepEqual(detail.extra.map((b) => b.principal), [old]);
        assert.equal(detail.missing.length, 3);
        assert.deepEqual(await aclsOf(target, [app]), []);
        assert.deepEqual(
          await (await target.admin()).listTopics().then((l) => l.includes(orders)),
          false,
        );
      } finally {
        await cleanup(ctx, [orders]);
      }
    });
  } finally {
    await deleteAclsOf(source, principals).catch(() => {});
    await deleteAclsOf(target, principals).catch(() => {});
    await source.close();
    await target.close();
  }
});

sandboxTest(
  "topologyCopy() writes access-map.json for an IAM target, byte for byte the same each run",
  async (_t, info) => {
    const p = uniquePrefix();
    const orders = `${p}.orders`;
    const source = await adminConnection(info, "source");
    const target = await adminConnection(info, "target");
    const id = crypto.randomUUID().slice(0, 8);
    const app = `User:tc-${id}-app`;
    const deny = `User:tc-${id}-deny`;
    const skipped = `User:tc-${id}-skip`;
    const arn = info.target.clusterArn;
    const m = /^arn:aws:kafka:([^:]+):(\d+):cluster\/([^/]+)\/(.+)$/.exec(arn)!;
    const base = `arn:aws:kafka:${m[1]}:${m[2]}`;
    const topicArn = (n: string) => `${base}:topic/${m[3]}/${m[4]}/${n}`;
    const groupArn = (n: string) => `${base}:group/${m[3]}/${m[4]}/${n}`;
    const txnArn = (n: string) => `${base}:transactional-id/${m[3]}/${m[4]}/${n}`;
    const b = (over: Partial<AclBinding>): AclBinding => ({
      resourceType: "TOPIC",
      resourceName: orders,
      patternType: "LITERAL",
      principal: app,
      host: "*",
      operation: "READ",
      permission: "ALLOW",
      ...over,
    });
    const bindings = [
      b({}),
      b({ resourceName: `${p}.`, patternType: "PREFIXED", operation: "WRITE" }),
      b({ resourceType: "GROUP", resourceName: `${p}-group` }),
      b({ resourceType: "TRANSACTIONAL_ID", resourceName: `${p}-tx`, operation: "WRITE" }),
      b({ resourceType: "CLUSTER", resourceName: "kafka-cluster", operation: "IDEMPOTENT_WRITE" }),
      b({ principal: deny, operation: "WRITE", permission: "DENY" }),
      b({ principal: deny, operation: "DESCRIBE" }),
      b({ principal: skipped }),
    ];
    // Every principal, action and ARN, as MSK's table for IAM access control gives them.
    const expected: Record<string, [string, string[], string[]][]> = {
      [app]: [
        ["ALLOW CLUSTER", ["WriteDataIdempotently"], [arn]],
        ["ALLOW GROUP", ["AlterGroup", "DescribeGroup"], [groupArn(`${p}-group`)]],
        ["ALLOW TOPIC", ["DescribeTopic", "ReadData"], [topicArn(orders)]],
        ["ALLOW TOPIC", ["DescribeTopic", "WriteData"], [topicArn(`${p}.*`)]],
        [
          "ALLOW TRANSACTIONAL_ID",
          ["AlterTransactionalId", "DescribeTransactionalId"],
          [txnArn(`${p}-tx`)],
        ],
      ],
      [deny]: [
        ["ALLOW TOPIC", ["DescribeTopic"], [topicArn(orders)]],
        ["DENY TOPIC", ["WriteData"], [topicArn(orders)]],
      ],
    };
    const config = await configFor(info, p, (mig) => {
      mig.target = {
        ...mig.target,
        bootstrap_servers: info.target.bootstrap.iam,
        cluster_arn: arn,
        auth: { mode: "iam", profile: info.iam.profiles.admin.profile },
        tls: { ca_file: info.tls.caFile },
      };
      mig.acl = { skip_principals: ["User:ANONYMOUS", skipped] };
    });
    const runs: { json: string; report: TopologyReport; journaled: unknown }[] = [];
    try {
      await topicWithRecords(source, orders, { partitions: 2 });
      await (await source.admin()).createAcls({ acl: bindings.map(kafkajsAcl) });
      for (let run = 0; run < 2; run++) {
        const { ctx, dir } = await freshContext(config);
        try {
          const report = await topologyCopy(ctx, {});
          const json = await Deno.readTextFile(report.acls.accessMapPath!);
          const checkpoint = (await readJournal(dir)).records.find((r) =>
            r.type === "checkpoint" && r.name === "topology.access_map"
          );
          assert.ok(checkpoint?.type === "checkpoint");
          runs.push({ json, report, journaled: checkpoint.data.access_map });
        } finally {
          await ctx.close();
        }
      }
      assert.equal(runs[0]!.json, runs[1]!.json);
      assert.equal(runs[0]!.report.acls.mode, "access_map");
      assert.deepEqual(runs[0]!.journaled, JSON.parse(runs[0]!.json));
      assert.deepEqual(await aclsOf(target, [app, deny]), [], "no Kafka ACLs on an IAM target");

      const map = JSON.parse(runs[0]!.json) as AccessMap;
      assert.equal(map.target.cluster_arn, arn);
      // Other tests share the sandbox (and its ACLs): look at this test's principals only.
      const mine = map.principals.filter((x) => [app, deny].includes(x.principal));
      assert.deepEqual(mine.map((x) => x.principal), [app, deny].sort());
      assert.deepEqual(map.skipped.filter((s) => s.principal === skipped).map((s) => s.principal), [
        skipped,
      ]);
      for (const principal of mine) {
        const got = principal.mappings.map((x) => [
          `${x.binding.permission} ${x.binding.resourceType}`,
          x.actions.map((a) => a.replace("kafka-cluster:", "")),
          x.resources,
        ]).sort((a, c) => JSON.stringify(a) < JSON.stringify(c) ? -1 : 1);
        assert.deepEqual(got, expected[principal.principal], principal.principal);
        const statements = principal.policy.Statement;
        assert.ok(
          statements.some((s) =>
            s.Effect === "Allow" && s.Action.includes("kafka-cluster:Connect") &&
            s.Resource.includes(arn)
          ),
        );
      }
      const denyPolicy = map.principals.find((x) => x.principal === deny)!.policy;
      assert.deepEqual(denyPolicy.Statement.filter((s) => s.Effect === "Deny"), [{
        Sid: "DenyTopics1",
        Effect: "Deny",
        Action: ["kafka-cluster:WriteData"],
        Resource: [topicArn(orders)],
      }]);
    } finally {
      await deleteAclsOf(source, [app, deny, skipped]);
      await deleteTopics(source, [orders]);
      await deleteTopics(target, [orders]);
      await source.close();
      await target.close();
    }
  },
);

sandboxTest(
  "topologyCopy() adopts the empty topic a crashed run created after journaling its intent",
  async (_t, info) => {
    const p = uniquePrefix();
    const orders = `${p}.orders`;
    const source = await adminConnection(info, "source");
    const target = await adminConnection(info, "target");
    const { ctx, dir } = await freshContext(await configFor(info, p));
    try {
      await topicWithRecords(source, orders, { partitions: 2, count: 3 });
      // The crashed run: intent journaled, topic created, no confirmation.
      const journal = await ctx.journal();
      await journal.transition("topology_copy");
      await journal.append({
        type: "checkpoint",
        name: "topology.create_intent",
        data: { topic: orders, partitions: 2, replication_factor: 1, configs: {} },
      });
      await topicWithRecords(target, orders, { partitions: 2 });
      assert.deepEqual(unconfirmedCreateIntents(journal.records), [orders]);

      const report = await topologyCopy(ctx, {});

      assert.deepEqual(report.adopted, [orders]);
      assert.deepEqual(report.created, []);
      const { records } = await readJournal(dir);
      assert.deepEqual(createdTopics(records), [orders]);
      assert.deepEqual(unconfirmedCreateIntents(records), []);
      assert.equal(lastCheckpointName(records), "topology.topics");

      const rerun = await topologyCopy(ctx, {});
      assert.deepEqual(rerun.existing, [orders]);
      assert.deepEqual([...rerun.created, ...rerun.adopted], []);
      assert.deepEqual(createdTopics((await readJournal(dir)).records), [orders]);
    } finally {
      await ctx.close();
      await deleteTopics(source, [orders]);
      await deleteTopics(target, [orders]);
      await source.close();
      await target.close();
    }
  },
);

sandboxTest(
  "topologyCopy() refuses to adopt a topic a crashed run intended when it holds records",
  async (_t, info) => {
    const p = uniquePrefix();
    const orders = `${p}.orders`;
    const source = await adminConnection(info, "source");
    const target = await adminConnection(info, "target");
    const { ctx, dir } = await freshContext(await configFor(info, p));
    try {
      await topicWithRecords(source, orders, { partitions: 1, count: 1 });
      const journal = await ctx.journal();
      await journal.transition("topology_copy");
      await journal.append({
        type: "checkpoint",
        name: "topology.create_intent",
        data: { topic: orders, partitions: 1, replication_factor: 1, configs: {} },
      });
      // Someone produced into it after the crash (a client switched early).
      await topicWithRecords(target, orders, { partitions: 1, count: 2 });

      const error = await refusal(topologyCopy(ctx, {}));

      assert.match(error.message, /already holds 2 record\(s\) on the target/);
      assert.deepEqual(createdTopics((await readJournal(dir)).records), []);
    } finally {
      await ctx.close();
      await deleteTopics(source, [orders]);
      await deleteTopics(target, [orders]);
      await source.close();
      await target.close();
    }
  },
);
