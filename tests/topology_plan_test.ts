/**
 * Topology copy's decisions without a cluster: config drift, held-back
 * configs, the ACL copy plan, the ACL → IAM access map and the journal
 * readers rollback relies on.
 *
 * @module
 */

import assert from "node:assert/strict";
import { configDrift, configValuesEqual } from "../lib/topology/config_drift.ts";
import {
  heldBackConfigs,
  LONG_MAX,
  planTopicConfigs,
  recordAlteringReason,
  targetAcceptsConfig,
  targetConfigMinimums,
} from "../lib/topology/held_back_configs.ts";
import { clientPrincipals, isMskInternalPrincipal, planAclCopy } from "../lib/topology/acl_plan.ts";
import { accessMapJson, buildAccessMap, iamActionsForAcl } from "../lib/topology/access_map.ts";
import {
  createdAclBindings,
  createdTopics,
  unconfirmedCreateIntents,
} from "../lib/topology/topology_checkpoints.ts";
import type { AclBinding } from "../lib/inventory/types.ts";
import type { JournalRecord } from "../lib/journal.ts";

function acl(over: Partial<AclBinding>): AclBinding {
  return {
    resourceType: "TOPIC",
    resourceName: "orders",
    patternType: "LITERAL",
    principal: "User:app",
    host: "*",
    operation: "READ",
    permission: "ALLOW",
    ...over,
  };
}

function checkpoint(seq: number, name: string, data: Record<string, unknown>): JournalRecord {
  return { seq, ts: "2026-01-01T00:00:00.000Z", type: "checkpoint", name, data };
}

Deno.test("configDrift() ignores values equal after normalisation and the keys it is told to", () => {
  const drift = configDrift({
    source: {
      "cleanup.policy": "compact,delete",
      "min.cleanable.dirty.ratio": "0.50",
      "retention.ms": "3600000",
      "message.timestamp.type": "LogAppendTime",
    },
    sourceEffective: { "segment.ms": "604800000" },
    targetOwn: { "cleanup.policy": "delete, compact", "segment.ms": "3600000" },
    targetEffective: {
      "cleanup.policy": "delete, compact",
      "min.cleanable.dirty.ratio": "0.5",
      "retention.ms": "604800000",
      "message.timestamp.type": "CreateTime",
      "segment.ms": "3600000",
    },
    ignore: ["message.timestamp.type"],
  });
  assert.deepEqual(drift, [
    { key: "retention.ms", source: "3600000", target: "604800000", kind: "differs" },
    { key: "segment.ms", source: "604800000", target: "3600000", kind: "target_only" },
  ]);
  assert.ok(configValuesEqual(LONG_MAX, "9223372036854775807"));
  assert.ok(!configValuesEqual("9223372036854775806", LONG_MAX));
});

Deno.test("planTopicConfigs() holds back record-altering configs and drops what the target does not know", () => {
  const plan = planTopicConfigs({
    own: {
      "retention.ms": "86400000",
      "message.timestamp.type": "LogAppendTime",
      "message.timestamp.before.max.ms": "3600000",
      "message.timestamp.difference.max.ms": "7200000",
      "message.format.version": "2.8",
      "min.insync.replicas": "2",
    },
    replicationFactor: 1,
    targetAccepts: targetAcceptsConfig(undefined, "4.0"),
  });
  assert.deepEqual(plan.copy, { "retention.ms": "86400000" });
  assert.deepEqual(Object.keys(plan.heldBack).sort(), [
    "message.timestamp.after.max.ms",
    "message.timestamp.before.max.ms",
    "message.timestamp.type",
    "min.insync.replicas",
  ]);
  assert.equal(plan.heldBack["message.timestamp.before.max.ms"]?.value, "3600000");
  assert.equal(plan.heldBack["message.timestamp.after.max.ms"]?.value, "7200000");
  assert.match(plan.heldBack["min.insync.replicas"]!.reason, /replication factor 1/);
  assert.deepEqual(Object.keys(plan.dropped).sort(), [
    "message.format.version",
    "message.timestamp.difference.max.ms",
  ]);
  assert.match(
    plan.dropped["message.timestamp.difference.max.ms"]!.reason,
    /replaced by message\.timestamp\.after\.max\.ms/,
  );
});

Deno.test("planTopicConfigs() copies harmless timestamp settings and a satisfiable min.insync.replicas", () => {
  const plan = planTopicConfigs({
    own: {
      "message.timestamp.type": "CreateTime",
      "message.timestamp.after.max.ms": LONG_MAX,
      "min.insync.replicas": "2",
    },
    replicationFactor: 3,
  });
  assert.deepEqual(Object.keys(plan.heldBack), []);
  assert.equal(plan.copy["min.insync.replicas"], "2");
  assert.equal(recordAlteringReason("message.timestamp.after.max.ms", LONG_MAX, 3), undefined);
});

Deno.test("heldBackConfigs() merges journaled entries and forgets what was applied", () => {
  const records = [
    checkpoint(1, "topology.held_back", {
      topic: "a",
      configs: {
        "message.timestamp.type": { value: "LogAppendTime", reason: "r1" },
        "min.insync.replicas": { value: "2", reason: "r2" },
      },
    }),
    checkpoint(2, "topology.held_back", {
      topic: "b",
      configs: { "message.timestamp.before.max.ms": { value: null, reason: "guard" } },
    }),
    checkpoint(3, "topology.held_back_applied", {
      topic: "a",
      configs: { "message.timestamp.type": "LogAppendTime" },
      skipped: { "min.insync.replicas": "rf too low" },
    }),
  ];
  const pending = heldBackConfigs(records);
  assert.deepEqual(pending.map((p) => [p.topic, Object.keys(p.configs)]), [
    ["a", ["min.insync.replicas"]],
    ["b", ["message.timestamp.before.max.ms"]],
  ]);
  assert.equal(pending[1]!.configs["message.timestamp.before.max.ms"]!.value, null);
});

Deno.test("createdTopics() lists confirmed creations and unconfirmedCreateIntents() the rest", () => {
  const records = [
    checkpoint(1, "topology.create_intent", { topic: "b" }),
    checkpoint(2, "topology.create_intent", { topic: "a" }),
    checkpoint(3, "topology.topic_created", { topic: "a", adopted: false }),
    checkpoint(4, "topology.topic_created", { topic: "c", adopted: true }),
    checkpoint(5, "topology.acl_plan", { policy: "merge", create: [acl({})], delete: [] }),
  ];
  assert.deepEqual(createdTopics(records), ["a", "c"]);
  assert.deepEqual(unconfirmedCreateIntents(records), ["b"]);
  assert.deepEqual(createdAclBindings(records), [acl({})]);
});

Deno.test("isMskInternalPrincipal() recognises MSK broker certificates only", () => {
  assert.ok(isMskInternalPrincipal("User:CN=*.old.67281x.c4.kafka.us-east-1.amazonaws.com"));
  assert.ok(isMskInternalPrincipal("User:CN=b-2.old.x.c2.kafka.eu-west-1.amazonaws.com,O=Amazon"));
  assert.ok(!isMskInternalPrincipal("User:CN=orders.example.com"));
  assert.ok(!isMskInternalPrincipal("User:amazonaws.com.evil"));
  assert.deepEqual(
    clientPrincipals({ auth: { mode: "scram-sha-256", username: "m" }, client_id: "k" }),
    [
      "User:m",
    ],
  );
});

Deno.test("planAclCopy() merges, replaces and refuses as acl.on_drift says", () => {
  const source = [
    acl({}),
    acl({ operation: "WRITE", resourceName: "orders.", patternType: "PREFIXED" }),
    acl({ resourceType: "GROUP", resourceName: "billing" }),
    acl({ resourceName: "not-migrated" }),
    acl({ principal: "User:ANONYMOUS" }),
    acl({ principal: "User:CN=*.c.x.c4.kafka.us-east-1.amazonaws.com" }),
  ];
  const target = [
    acl({}),
    acl({ principal: "User:old", operation: "DESCRIBE" }),
    acl({ principal: "User:super", operation: "ALL" }),
    acl({ principal: "User:other", resourceName: "unrelated" }),
  ];
  const input = {
    source,
    target,
    topics: ["orders", "orders.v2"],
    skipPrincipals: ["User:ANONYMOUS"],
    protectedPrincipals: ["User:super"],
  };
  const merge = planAclCopy({ ...input, policy: "merge" });
  assert.equal(merge.create.length, 2);
  assert.deepEqual(merge.delete, []);
  assert.deepEqual(merge.extra.map((b) => b.principal), ["User:old"]);
  assert.deepEqual(merge.skipped.map((s) => s.reason).sort(), [
    "msk_internal",
    "skip_principals",
    "topic_not_migrated",
  ]);
  const replace = planAclCopy({ ...input, policy: "replace" });
  assert.deepEqual(replace.delete.map((b) => b.principal), ["User:old"]);
  assert.deepEqual(replace.kept.map((k) => [k.binding.principal, k.reason]), [
    ["User:super", "protected_principal"],
  ]);
  const refuse = planAclCopy({ ...input, policy: "refuse" });
  assert.ok(refuse.refused);
  assert.ok(!planAclCopy({ ...input, target: [], policy: "refuse" }).refused);
});

Deno.test("iamActionsForAcl() follows MSK's action table, granting implied actions only for ALLOW", () => {
  const cases: [Partial<AclBinding>, string[]][] = [
    [{ operation: "READ" }, ["DescribeTopic", "ReadData"]],
    [{ operation: "WRITE" }, ["DescribeTopic", "WriteData"]],
    [{ operation: "CREATE" }, ["CreateTopic"]],
    [{ operation: "DELETE" }, ["DeleteTopic", "DescribeTopic"]],
    [{ operation: "ALTER" }, ["AlterTopic", "DescribeTopic"]],
    [{ operation: "DESCRIBE" }, ["DescribeTopic"]],
    [{ operation: "DESCRIBE_CONFIGS" }, ["DescribeTopicDynamicConfiguration"]],
    [
      { operation: "ALTER_CONFIGS" },
      ["AlterTopicDynamicConfiguration", "DescribeTopicDynamicConfiguration"],
    ],
    [{ operation: "READ", permission: "DENY" }, ["ReadData"]],
    [{ resourceType: "GROUP", operation: "READ" }, ["AlterGroup", "DescribeGroup"]],
    [{ resourceType: "GROUP", operation: "DELETE" }, ["DeleteGroup", "DescribeGroup"]],
    [{ resourceType: "GROUP", operation: "ALL" }, ["AlterGroup", "DeleteGroup", "DescribeGroup"]],
    [{ resourceType: "CLUSTER", operation: "CREATE" }, ["CreateTopic"]],
    [{ resourceType: "CLUSTER", operation: "IDEMPOTENT_WRITE" }, ["WriteDataIdempotently"]],
    [{ resourceType: "CLUSTER", operation: "ALTER" }, ["AlterCluster", "DescribeCluster"]],
    [{ resourceType: "CLUSTER", operation: "CLUSTER_ACTION" }, []],
    [
      { resourceType: "TRANSACTIONAL_ID", operation: "WRITE" },
      ["AlterTransactionalId", "DescribeTransactionalId"],
    ],
    [{ resourceType: "DELEGATION_TOKEN", operation: "DESCRIBE" }, []],
  ];
  for (const [over, actions] of cases) {
    assert.deepEqual(
      iamActionsForAcl(acl(over)),
      actions.map((a) => `kafka-cluster:${a}`),
      JSON.stringify(over),
    );
  }
  assert.equal(iamActionsForAcl(acl({ operation: "ALL" })).length, 8);
});

Deno.test("buildAccessMap() writes Deny statements for DENY bindings and never widens a grant", () => {
  const map = buildAccessMap({
    bindings: [
      acl({ resourceName: "a" }),
      acl({ resourceName: "b", operation: "WRITE" }),
      acl({ resourceName: "c", operation: "READ", permission: "DENY" }),
      acl({ resourceType: "CLUSTER", resourceName: "kafka-cluster", operation: "CLUSTER_ACTION" }),
      acl({ principal: "User:ANONYMOUS" }),
    ],
    target: { cluster_arn: "arn:aws:kafka:eu-west-1:123456789012:cluster/new/u-1" },
    skipPrincipals: ["User:ANONYMOUS"],
  });
  assert.deepEqual(map.skipped.map((s) => s.principal), ["User:ANONYMOUS"]);
  const p = map.principals[0]!;
  const topic = (n: string) => `arn:aws:kafka:eu-west-1:123456789012:topic/new/u-1/${n}`;
  const find = (effect: string, resource: string) =>
    p.policy.Statement.filter((s) => s.Effect === effect && s.Resource.includes(resource))
      .flatMap((s) => s.Action).sort();
  assert.deepEqual(find("Allow", topic("a")), [
    "kafka-cluster:DescribeTopic",
    "kafka-cluster:ReadData",
  ]);
  assert.deepEqual(find("Allow", topic("b")), [
    "kafka-cluster:DescribeTopic",
    "kafka-cluster:WriteData",
  ]);
  assert.deepEqual(find("Deny", topic("c")), ["kafka-cluster:ReadData"]);
  assert.deepEqual(find("Allow", "arn:aws:kafka:eu-west-1:123456789012:cluster/new/u-1"), [
    "kafka-cluster:Connect",
    "kafka-cluster:WriteDataIdempotently",
  ]);
  assert.equal(p.unmapped.length, 1);
  assert.ok(p.notes.some((n) => n.includes("AlterGroup")));
});

Deno.test("buildAccessMap() uses plan's placeholders without a cluster ARN, byte-stable", () => {
  const input = {
    bindings: [
      acl({ resourceName: "orders.", patternType: "PREFIXED" }),
      acl({ resourceName: "*" }),
    ],
    target: {},
  };
  const map = buildAccessMap(input);
  assert.equal(map.target.arn_form, "templated");
  assert.deepEqual(map.principals[0]!.mappings.map((m) => m.resources), [
    ["arn:aws:kafka:${TargetRegion}:${TargetAccountId}:topic/${TargetClusterName}/${TargetClusterUuid}/*"],
    [
      "arn:aws:kafka:${TargetRegion}:${TargetAccountId}:topic/${TargetClusterName}/${TargetClusterUuid}/orders.*",
    ],
  ]);
  assert.equal(
    accessMapJson(map),
    accessMapJson(buildAccessMap({ ...input, bindings: [...input.bindings].reverse() })),
  );
});

Deno.test("planTopicConfigs() raises a segment.bytes below Kafka 4's minimum and says so", () => {
  const plan = planTopicConfigs({
    own: { "segment.bytes": "16384", "retention.ms": "1000" },
    replicationFactor: 1,
    targetMinimums: targetConfigMinimums("4.4"),
  });
  assert.equal(plan.copy["segment.bytes"], "1048576");
  assert.equal(plan.copy["retention.ms"], "1000");
  assert.match(plan.dropped["segment.bytes"]!.reason, /below the target's minimum/);
  const older = planTopicConfigs({
    own: { "segment.bytes": "16384" },
    replicationFactor: 1,
    targetMinimums: targetConfigMinimums("3.9"),
  });
  assert.equal(older.copy["segment.bytes"], "16384");
});
