import assert from "node:assert/strict";
import { parseConfigText } from "../config/load_config.ts";
import { buildIamPolicy, MANAGED_POLICY_LIMIT, policySize, regexToIamGlob } from "./iam_policy.ts";

const SOURCE = "arn:aws:kafka:eu-west-1:123456789012:cluster/old/abc-1";
const TARGET = "arn:aws:kafka:eu-west-1:123456789012:cluster/new/def-2";

async function config(sourceAuth: string, targetAuth: string, extra = "") {
  const auth = (mode: string) =>
    mode === "scram-sha-512"
      ? "{ mode: scram-sha-512, username: u, password: p-long-enough }"
      : `{ mode: ${mode} }`;
  return (await parseConfigText(
    [
      "migration:",
      `  source: { cluster_arn: '${SOURCE}', auth: ${auth(sourceAuth)} }`,
      `  target: { cluster_arn: '${TARGET}', auth: ${auth(targetAuth)} }`,
      "  backup: { s3_bucket: my-backup, s3_prefix: /stage/ }",
      "  evidence: { s3_bucket: my-evidence, retention: 1y, object_lock_mode: GOVERNANCE }",
      extra,
    ].join("\n"),
    { env: {} },
  )).config;
}

Deno.test("buildIamPolicy() gives kafka-cluster actions only to the sides that use IAM", async () => {
  const { policy } = buildIamPolicy({
    config: await config("scram-sha-512", "iam"),
    topics: ["t"],
    groups: ["g"],
  });
  const sids = policy.Statement.map((s) => s.Sid);
  assert.ok(
    !sids.some((s) => s.startsWith("Source") && s !== "SourceCluster") &&
      !sids.includes("SourceCluster"),
  );
  assert.ok(sids.includes("TargetTopics") && sids.includes("TargetGroups"));
  const msk = policy.Statement.find((s) => s.Sid === "MskDescribeAndBootstrap")!;
  assert.deepEqual(msk.Resource, [TARGET, SOURCE].sort());
});

Deno.test("buildIamPolicy() separates bucket-level and object-level S3 actions and scopes probe deletes", async () => {
  const { policy } = buildIamPolicy({
    config: await config("iam", "iam"),
    topics: ["t"],
    groups: [],
  });
  const sid = (id: string) => policy.Statement.find((s) => s.Sid === id)!;
  assert.deepEqual(sid("BackupBucket").Resource, ["arn:aws:s3:::my-backup"]);
  assert.deepEqual(sid("BackupObjects").Resource, ["arn:aws:s3:::my-backup/stage/*"]);
  assert.ok(sid("BackupBucket").Action.every((a) => !a.includes("Object")));
  assert.ok(sid("EvidenceObjects").Action.includes("s3:PutObjectRetention"));
  assert.ok(!sid("EvidenceObjects").Action.includes("s3:DeleteObject"));
  assert.deepEqual(sid("EvidenceProbeCleanup").Resource, [
    "arn:aws:s3:::my-evidence/_kraftover_probe/*",
  ]);
  assert.equal(
    policy.Statement.find((s) => s.Sid === "KmsForStores"),
    undefined,
    "no KMS key, no KMS",
  );
});

Deno.test("buildIamPolicy({ templated }) uses placeholders for every environment value", async () => {
  const r = buildIamPolicy({ config: await config("iam", "iam"), topics: ["t"], groups: ["g"] }, {
    templated: true,
  });
  const text = JSON.stringify(r.policy);
  assert.ok(!text.includes("123456789012") && !text.includes("my-backup"));
  assert.ok(
    r.placeholders.includes("SourceClusterArn") && r.placeholders.includes("EvidenceBucket"),
  );
  assert.ok(text.includes("topic/${SourceClusterName}/${SourceClusterUuid}/t"));
});

Deno.test("buildIamPolicy() falls back to patterns when exact names exceed the managed policy limit", async () => {
  const topics = Array.from({ length: 400 }, (_, i) => `orders.topic-${i}`);
  const r = buildIamPolicy({
    config: await config("iam", "iam", "  topics: { include: ['orders\\\\..*'] }"),
    topics,
    groups: [],
  });
  assert.equal(r.scope, "patterns");
  assert.ok(policySize(r.policy) <= MANAGED_POLICY_LIMIT);
  assert.ok(r.notes[0]!.includes("6144"));
});

Deno.test("regexToIamGlob() converts literal prefixes and refuses the rest", () => {
  assert.equal(regexToIamGlob("orders\\..*"), "orders.*");
  assert.equal(regexToIamGlob("payments-v2"), "payments-v2");
  assert.equal(regexToIamGlob(".*"), "*");
  assert.equal(regexToIamGlob("a[0-9]+"), "*");
});
