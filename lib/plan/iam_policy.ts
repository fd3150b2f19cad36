/**
 * The runner's least-privilege IAM policy (`iam-policy-concrete.json`) and
 * its template with placeholders (`iam-policy-templated.json`). Every action
 * is explained in `docs/permissions.md`.
 *
 * @module
 */

import type { ClusterConfig, MigrationConfig } from "../config/types.ts";
import { compareStrings } from "../inventory/select_topics.ts";
import { PROBE_PREFIX } from "../store/probe_store.ts";
import { configRegion } from "./estimate_cost.ts";

/** One IAM policy statement. */
export interface IamStatement {
  /** Statement id (what it is for). */
  Sid: string;
  /** Always Allow. */
  Effect: "Allow";
  /** Actions, sorted. */
  Action: string[];
  /** Resources, sorted. */
  Resource: string[];
}

/** An IAM policy document. */
export interface IamPolicyDocument {
  /** Policy language version. */
  Version: "2012-10-17";
  /** Statements. */
  Statement: IamStatement[];
}

/** Input of {@linkcode buildIamPolicy}. */
export interface BuildIamPolicyInput {
  /** The config. */
  config: MigrationConfig;
  /** Selected source topics (exact names), when the source could be read. */
  topics?: readonly string[] | undefined;
  /** Consumer groups to migrate, when the source could be read. */
  groups?: readonly string[] | undefined;
}

/** Options for {@linkcode buildIamPolicy}. */
export interface BuildIamPolicyOptions {
  /** Placeholders (`${SourceClusterArn}`, `${BackupBucket}`, …) instead of this config's values. @default false */
  templated?: boolean;
}

/** What {@linkcode buildIamPolicy} returns. */
export interface IamPolicyResult {
  /** The policy. */
  policy: IamPolicyDocument;
  /** How topics and groups are scoped: exact names, or wildcards from the include patterns. */
  scope: "exact" | "patterns";
  /** Notes about what could not be scoped tightly. */
  notes: string[];
  /** The placeholders used (templated only), sorted. */
  placeholders: string[];
}

/** IAM's limit for a customer managed policy, in characters without whitespace. */
export const MANAGED_POLICY_LIMIT = 6144;

/** Parts of an MSK cluster ARN. */
export interface ClusterArnParts {
  partition: string;
  region: string;
  account: string;
  name: string;
  uuid: string;
}

/**
 * Splits an MSK cluster ARN (`arn:aws:kafka:REGION:ACCOUNT:cluster/NAME/UUID`)
 * into its parts; `undefined` when the ARN is absent or has another shape.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseClusterArn } from "./iam_policy.ts";
 * const parts = parseClusterArn("arn:aws:kafka:eu-west-1:123456789012:cluster/old/abc-1");
 * assert.equal(parts?.name, "old");
 * assert.equal(parts?.uuid, "abc-1");
 * assert.equal(parseClusterArn("arn:aws:s3:::bucket"), undefined);
 * ```
 */
export function parseClusterArn(arn: string | undefined): ClusterArnParts | undefined {
  const m = arn === undefined
    ? null
    : /^arn:(aws[\w-]*):kafka:([^:]+):(\d{12}):cluster\/([^/]+)\/(.+)$/.exec(arn);
  if (m === null) return undefined;
  return { partition: m[1]!, region: m[2]!, account: m[3]!, name: m[4]!, uuid: m[5]! };
}

/**
 * The IAM resource glob for an anchored topic regular expression, when one
 * exists: a literal name, or a literal prefix followed by `.*`. Anything else
 * gives `*` (IAM globs cannot express it).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { regexToIamGlob } from "./iam_policy.ts";
 * assert.ok(regexToIamGlob("orders\\..*") === "orders.*");
 * assert.ok(regexToIamGlob("payments") === "payments");
 * assert.ok(regexToIamGlob("(a|b)-.*") === "*");
 * ```
 */
export function regexToIamGlob(pattern: string): string {
  let body = pattern;
  let wildcard = false;
  if (body.endsWith(".*")) {
    body = body.slice(0, -2);
    wildcard = true;
  }
  let literal = "";
  for (let i = 0; i < body.length; i++) {
    const ch = body[i]!;
    if (ch === "\\") {
      const next = body[i + 1];
      if (next === undefined || !/[.\-_]/.test(next)) return "*";
      literal += next;
      i++;
    } else if (/[A-Za-z0-9_-]/.test(ch)) {
      literal += ch;
    } else {
      return "*";
    }
  }
  return wildcard ? `${literal}*` : literal;
}

function sortedUnique(items: Iterable<string>): string[] {
  return [...new Set(items)].sort(compareStrings);
}

/**
 * Builds the runner's policy: MSK describe/bootstrap on the cluster ARNs;
 * `kafka-cluster:*` scoped to each IAM side's cluster, topic and group ARNs
 * (read on the source, plus WriteData for the cutover sentinels; create,
 * write and alter on the target); S3 bucket-level and object-level actions
 * on the backup and evidence buckets in separate statements; KMS when a key
 * is set. Sides that do not use IAM get no `kafka-cluster:*` statements
 * (their Kafka ACLs apply instead, see docs/permissions.md).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildIamPolicy } from "./iam_policy.ts";
 * import { parseConfigText } from "../config/load_config.ts";
 * const { config } = await parseConfigText([
 *   "migration:",
 *   "  source: { cluster_arn: 'arn:aws:kafka:eu-west-1:123456789012:cluster/old/abc-1', auth: { mode: iam } }",
 *   "  target: { cluster_arn: 'arn:aws:kafka:eu-west-1:123456789012:cluster/new/def-2', auth: { mode: iam } }",
 *   "  seed: { via: direct }",
 * ].join("\n"), { env: {} });
 * const { policy } = buildIamPolicy({ config, topics: ["orders"], groups: ["billing"] });
 * const read = policy.Statement.find((s) => s.Sid === "SourceTopicsRead")!;
 * assert.ok(read.Resource[0] === "arn:aws:kafka:eu-west-1:123456789012:topic/old/abc-1/orders");
 * ```
 */
export function buildIamPolicy(
  input: BuildIamPolicyInput,
  options: BuildIamPolicyOptions = {},
): IamPolicyResult {
  const exact = buildWith(input, options, "exact");
  if (exact.scope === "patterns" || policySize(exact.policy) <= MANAGED_POLICY_LIMIT) return exact;
  const patterns = buildWith(input, options, "patterns");
  patterns.notes.unshift(
    `The policy with every topic and group listed would exceed IAM's ${MANAGED_POLICY_LIMIT}-character ` +
      "limit for a managed policy: topics and groups are scoped by the include patterns instead.",
  );
  return patterns;
}

/**
 * The size IAM counts for a managed policy: its JSON without whitespace.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { policySize } from "./iam_policy.ts";
 * assert.ok(policySize({ Version: "2012-10-17", Statement: [] }) === 39);
 * ```
 */
export function policySize(policy: IamPolicyDocument): number {
  return JSON.stringify(policy).replace(/\s/g, "").length;
}

function buildWith(
  input: BuildIamPolicyInput,
  options: BuildIamPolicyOptions,
  wanted: "exact" | "patterns",
): IamPolicyResult {
  const { config } = input;
  const templated = options.templated ?? false;
  const notes: string[] = [];
  const placeholders = new Set<string>();
  const ph = (name: string) => {
    placeholders.add(name);
    return `\${${name}}`;
  };
  const haveNames = input.topics !== undefined && wanted === "exact";
  const scope: "exact" | "patterns" = haveNames ? "exact" : "patterns";
  if (!haveNames && wanted === "exact") {
    notes.push(
      "The source could not be read: topics are scoped by the include patterns and groups by `*`. " +
        "Run plan again with access to the source for exact names.",
    );
  }
  const topicNames = haveNames
    ? sortedUnique(input.topics ?? [])
    : sortedUnique(config.topics.include.map(regexToIamGlob));
  if (!haveNames && topicNames.includes("*") && !config.topics.include.every((p) => p === ".*")) {
    notes.push(
      "Some include patterns cannot be written as IAM wildcards: those topics are scoped by `*`.",
    );
  }
  if (!haveNames && config.topics.exclude.length > 0) {
    notes.push(
      "IAM wildcards cannot express topics.exclude: excluded topics matching the patterns are covered.",
    );
  }
  const groupNames = haveNames && input.groups !== undefined ? sortedUnique(input.groups) : ["*"];

  const statements: IamStatement[] = [];
  const add = (Sid: string, actions: string[], resources: string[]) => {
    if (resources.length === 0) return;
    statements.push({
      Sid,
      Effect: "Allow",
      Action: sortedUnique(actions),
      Resource: sortedUnique(resources),
    });
  };

  const sideArns = (label: "Source" | "Target", cluster: ClusterConfig) => {
    const parts = parseClusterArn(cluster.cluster_arn);
    if (templated) {
      const base = `arn:aws:kafka:${ph(`${label}Region`)}:${ph(`${label}AccountId`)}`;
      const path = `${ph(`${label}ClusterName`)}/${ph(`${label}ClusterUuid`)}`;
      return {
        cluster: ph(`${label}ClusterArn`),
        topic: (t: string) => `${base}:topic/${path}/${t}`,
        group: (g: string) => `${base}:group/${path}/${g}`,
        transactionalId: (id: string) => `${base}:transactional-id/${path}/${id}`,
      };
    }
    if (parts === undefined) {
      const region = configRegion(cluster) ?? "*";
      notes.push(
        `The ${label.toLowerCase()} has no cluster_arn: its kafka-cluster resources use wildcards for the ` +
          "account, cluster name and id. Set cluster_arn for a tighter policy.",
      );
      const base = `arn:aws:kafka:${region}:*`;
      return {
        cluster: `${base}:cluster/*/*`,
        topic: (t: string) => `${base}:topic/*/*/${t}`,
        group: (g: string) => `${base}:group/*/*/${g}`,
        transactionalId: (id: string) => `${base}:transactional-id/*/*/${id}`,
      };
    }
    const base = `arn:${parts.partition}:kafka:${parts.region}:${parts.account}`;
    const path = `${parts.name}/${parts.uuid}`;
    return {
      cluster: cluster.cluster_arn!,
      topic: (t: string) => `${base}:topic/${path}/${t}`,
      group: (g: string) => `${base}:group/${path}/${g}`,
      transactionalId: (id: string) => `${base}:transactional-id/${path}/${id}`,
    };
  };

  const mskArns = [
    ...(config.source.cluster_arn !== undefined
      ? [templated ? ph("SourceClusterArn") : config.source.cluster_arn]
      : []),
    ...(config.target.cluster_arn !== undefined
      ? [templated ? ph("TargetClusterArn") : config.target.cluster_arn]
      : []),
  ];
  add("MskDescribeAndBootstrap", ["kafka:DescribeClusterV2", "kafka:GetBootstrapBrokers"], mskArns);

  if (config.source.auth.mode === "iam") {
    const arns = sideArns("Source", config.source);
    add("SourceCluster", [
      "kafka-cluster:Connect",
      "kafka-cluster:DescribeCluster",
      "kafka-cluster:DescribeClusterDynamicConfiguration",
      ...(config.cutover.sentinels ? ["kafka-cluster:WriteDataIdempotently"] : []),
    ], [arns.cluster]);
    add("SourceTopicsRead", [
      "kafka-cluster:DescribeTopic",
      "kafka-cluster:DescribeTopicDynamicConfiguration",
      "kafka-cluster:ReadData",
    ], topicNames.map(arns.topic));
    if (config.cutover.sentinels) {
      add("SourceTopicsCutoverSentinels", ["kafka-cluster:WriteData"], topicNames.map(arns.topic));
    }
    add("SourceGroupsRead", ["kafka-cluster:DescribeGroup"], groupNames.map(arns.group));
    add("SourceTransactionalIdsDescribe", ["kafka-cluster:DescribeTransactionalId"], [
      arns.transactionalId("*"),
    ]);
  }
  if (config.target.auth.mode === "iam") {
    const arns = sideArns("Target", config.target);
    add("TargetCluster", [
      "kafka-cluster:Connect",
      "kafka-cluster:DescribeCluster",
      "kafka-cluster:DescribeClusterDynamicConfiguration",
      "kafka-cluster:WriteDataIdempotently",
    ], [arns.cluster]);
    add("TargetTopics", [
      "kafka-cluster:CreateTopic",
      "kafka-cluster:DescribeTopic",
      "kafka-cluster:DescribeTopicDynamicConfiguration",
      "kafka-cluster:AlterTopicDynamicConfiguration",
      "kafka-cluster:WriteData",
      "kafka-cluster:ReadData",
    ], topicNames.map(arns.topic));
    add("TargetTopicsRollbackDelete", ["kafka-cluster:DeleteTopic"], topicNames.map(arns.topic));
    add(
      "TargetGroups",
      ["kafka-cluster:DescribeGroup", "kafka-cluster:AlterGroup"],
      groupNames.map(arns.group),
    );
  }

  const keys: string[] = [];
  const bucket = (which: "backup" | "evidence") => {
    const store = config[which];
    if (store?.s3_bucket === undefined) return;
    if (which === "backup" && config.seed.via !== "staged") return;
    const label = which === "backup" ? "Backup" : "Evidence";
    const name = templated ? ph(`${label}Bucket`) : store.s3_bucket;
    const prefix = templated ? ph(`${label}Prefix`) : normalizedPrefix(store.s3_prefix);
    const bucketArn = `arn:aws:s3:::${name}`;
    const objects = `${bucketArn}/${prefix}*`;
    if (which === "backup") {
      add("BackupBucket", ["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketVersions"], [
        bucketArn,
      ]);
      add("BackupObjects", [
        "s3:PutObject",
        "s3:GetObject",
        "s3:GetObjectVersion",
        "s3:DeleteObject",
        "s3:DeleteObjectVersion",
      ], [objects]);
    } else {
      add("EvidenceBucket", [
        "s3:GetBucketLocation",
        "s3:ListBucket",
        "s3:ListBucketVersions",
        "s3:GetBucketVersioning",
        "s3:GetBucketObjectLockConfiguration",
      ], [bucketArn]);
      add("EvidenceObjects", [
        "s3:PutObject",
        "s3:GetObject",
        "s3:GetObjectVersion",
        ...(config.evidence?.retention !== undefined
          ? ["s3:PutObjectRetention", "s3:GetObjectRetention"]
          : []),
      ], [objects]);
      add("EvidenceProbeCleanup", ["s3:DeleteObject", "s3:DeleteObjectVersion"], [
        `${bucketArn}/${prefix}${PROBE_PREFIX}*`,
      ]);
    }
    if (store.kms_key_arn !== undefined) {
      keys.push(templated ? ph(`${label}KmsKeyArn`) : store.kms_key_arn);
    }
  };
  bucket("backup");
  bucket("evidence");
  add("KmsForStores", ["kms:GenerateDataKey", "kms:Decrypt"], keys);

  return {
    policy: { Version: "2012-10-17", Statement: statements },
    scope,
    notes,
    placeholders: sortedUnique(placeholders),
  };
}

/**
 * An S3 key prefix as kraftover's S3 store uses it: no leading or trailing
 * slashes, and a trailing `/` when not empty.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { normalizedPrefix } from "./iam_policy.ts";
 * assert.ok(normalizedPrefix("/zk-to-kraft/") === "zk-to-kraft/");
 * assert.ok(normalizedPrefix("") === "");
 * ```
 */
export function normalizedPrefix(prefix: string | undefined): string {
  const trimmed = (prefix ?? "").replace(/^\/+|\/+$/g, "");
  return trimmed === "" ? "" : `${trimmed}/`;
}
