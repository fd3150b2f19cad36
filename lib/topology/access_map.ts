/**
 * The access map for a target that uses IAM (SPEC §5): Kafka ACLs do not
 * apply on such a target, so each source principal's ACL bindings are mapped
 * to the MSK IAM actions (`kafka-cluster:*`) and resource ARNs they need,
 * with a ready policy document per principal to attach to the IAM identity
 * that replaces the principal.
 *
 * The mapping follows AWS's "Semantics of IAM authorization policy actions
 * and resources" for MSK (each `kafka-cluster:` action is documented as the
 * equivalent of a Kafka ACL operation on a resource type); see
 * `docs/topology.md` for the table and the choices made. ALLOW bindings also
 * grant the actions Kafka implies with them (READ, WRITE, DELETE and ALTER
 * imply DESCRIBE; ALTER_CONFIGS implies DESCRIBE_CONFIGS), DENY bindings deny
 * only the operation itself, as Kafka does, and become explicit `Deny`
 * statements. Every principal gets `kafka-cluster:Connect`.
 *
 * @module
 */

import type { ClusterConfig } from "../config/types.ts";
import type { AclBinding } from "../inventory/types.ts";
import { compareStrings } from "../inventory/select_topics.ts";
import { compareAcls } from "../inventory/take_inventory.ts";
import { MANAGED_POLICY_LIMIT, parseClusterArn, policySize } from "../plan/iam_policy.ts";
import type { IamPolicyDocument } from "../plan/iam_policy.ts";
import { isCopyableBinding, skippedPrincipalReason } from "./acl_plan.ts";

/** Format identifier written into every access map. */
export const ACCESS_MAP_FORMAT = "kraftover.access-map/v1";

/** File name of the access map in the journal directory. */
export const ACCESS_MAP_FILE = "access-map.json";

/** One statement of an access-map policy (Allow, or Deny for DENY bindings). */
export interface AccessPolicyStatement {
  /** Statement id. */
  Sid: string;
  /** Allow, or Deny for Kafka DENY bindings. */
  Effect: "Allow" | "Deny";
  /** Actions, sorted. */
  Action: string[];
  /** Resource ARNs, sorted. */
  Resource: string[];
}

/** A principal's IAM policy document. */
export interface AccessPolicyDocument {
  /** Policy language version. */
  Version: "2012-10-17";
  /** Statements, Allow before Deny. */
  Statement: AccessPolicyStatement[];
}

/** How one ACL binding maps to IAM. */
export interface AccessMapping {
  /** The source binding. */
  binding: AclBinding;
  /** Allow for ALLOW, Deny for DENY. */
  effect: "Allow" | "Deny";
  /** `kafka-cluster:` actions, sorted. */
  actions: string[];
  /** Resource ARNs, sorted. */
  resources: string[];
}

/** A principal's entry in the access map. */
export interface AccessMapPrincipal {
  /** The Kafka principal on the source, e.g. `User:orders-app`. */
  principal: string;
  /** How each of its bindings maps, sorted by binding. */
  mappings: AccessMapping[];
  /** Bindings with no IAM equivalent, with why. */
  unmapped: { binding: AclBinding; reason: string }[];
  /** What the operator should know (host restrictions dropped, required actions not granted, …). */
  notes: string[];
  /** The policy to attach to the IAM identity that replaces this principal. */
  policy: AccessPolicyDocument;
}

/** The access map (`access-map.json`). */
export interface AccessMap {
  /** {@linkcode ACCESS_MAP_FORMAT}. */
  format: typeof ACCESS_MAP_FORMAT;
  /** The target cluster the ARNs name. */
  target: {
    /** `target.cluster_arn`, or null. */
    cluster_arn: string | null;
    /** `concrete` ARNs from the cluster ARN, or `templated` with placeholders. */
    arn_form: "concrete" | "templated";
    /** Placeholders used in `templated` ARNs (the same names as `plan`'s templated IAM policy). */
    placeholders: string[];
  };
  /** Principals, sorted. */
  principals: AccessMapPrincipal[];
  /** Principals left out, with why and how many bindings they had. */
  skipped: { principal: string; reason: string; bindings: number }[];
  /** Notes about the whole map. */
  notes: string[];
}

/** Input of {@linkcode buildAccessMap}. */
export interface BuildAccessMapInput {
  /** The source's ACL bindings (already limited to what the migration copies, or all). */
  bindings: readonly AclBinding[];
  /** The target cluster (its `cluster_arn` names the ARNs). */
  target: Pick<ClusterConfig, "cluster_arn">;
  /** `acl.skip_principals` (MSK's internal principals are always left out). @default [] */
  skipPrincipals?: readonly string[];
  /** Notes to add to the map (e.g. why some bindings were not considered). @default [] */
  notes?: readonly string[];
}

const P = "kafka-cluster:";

/** What an ACL operation on a resource type grants (`primary`) and implies when allowed (`implied`). */
interface ActionRule {
  primary: string[];
  implied?: string[];
  /** The actions apply to all topics (cluster CREATE) instead of the binding's resource. */
  onAllTopics?: boolean;
}

const TOPIC_RULES: Record<string, ActionRule> = {
  READ: { primary: ["ReadData"], implied: ["DescribeTopic"] },
  WRITE: { primary: ["WriteData"], implied: ["DescribeTopic"] },
  CREATE: { primary: ["CreateTopic"] },
  DELETE: { primary: ["DeleteTopic"], implied: ["DescribeTopic"] },
  ALTER: { primary: ["AlterTopic"], implied: ["DescribeTopic"] },
  DESCRIBE: { primary: ["DescribeTopic"] },
  DESCRIBE_CONFIGS: { primary: ["DescribeTopicDynamicConfiguration"] },
  ALTER_CONFIGS: {
    primary: ["AlterTopicDynamicConfiguration"],
    implied: ["DescribeTopicDynamicConfiguration"],
  },
};
const GROUP_RULES: Record<string, ActionRule> = {
  READ: { primary: ["AlterGroup"], implied: ["DescribeGroup"] },
  DESCRIBE: { primary: ["DescribeGroup"] },
  DELETE: { primary: ["DeleteGroup"], implied: ["DescribeGroup"] },
};
const CLUSTER_RULES: Record<string, ActionRule> = {
  DESCRIBE: { primary: ["DescribeCluster"] },
  ALTER: { primary: ["AlterCluster"], implied: ["DescribeCluster"] },
  DESCRIBE_CONFIGS: { primary: ["DescribeClusterDynamicConfiguration"] },
  ALTER_CONFIGS: {
    primary: ["AlterClusterDynamicConfiguration"],
    implied: ["DescribeClusterDynamicConfiguration"],
  },
  IDEMPOTENT_WRITE: { primary: ["WriteDataIdempotently"] },
};
const TRANSACTIONAL_ID_RULES: Record<string, ActionRule> = {
  DESCRIBE: { primary: ["DescribeTransactionalId"] },
  WRITE: { primary: ["AlterTransactionalId"], implied: ["DescribeTransactionalId"] },
};

const RULES: Record<string, Record<string, ActionRule>> = {
  TOPIC: TOPIC_RULES,
  GROUP: GROUP_RULES,
  CLUSTER: CLUSTER_RULES,
  TRANSACTIONAL_ID: TRANSACTIONAL_ID_RULES,
};

/** Why an ACL has no IAM equivalent, or undefined. */
function unmappedReason(b: AclBinding): string | undefined {
  if (!isCopyableBinding(b)) return "unknown resource type, pattern type, operation or permission";
  if (b.resourceType === "DELEGATION_TOKEN") {
    return "MSK IAM access control has no actions for delegation tokens";
  }
  if (b.resourceType === "CLUSTER" && b.operation === "CLUSTER_ACTION") {
    return "CLUSTER_ACTION is for brokers' own requests; MSK IAM access control has no such action";
  }
  if (b.resourceType === "CLUSTER" && b.operation === "CREATE") return undefined;
  if (b.operation === "ALL") return undefined;
  if (RULES[b.resourceType]?.[b.operation] === undefined) {
    return `Kafka has no ${b.operation} operation on ${b.resourceType} resources`;
  }
  return undefined;
}

/**
 * The `kafka-cluster:` actions an ACL binding maps to: for an ALLOW binding
 * the operation's action and the actions Kafka implies with it; for a DENY
 * binding the operation's action only. `ALL` maps to every action of the
 * resource type. Cluster `CREATE` maps to `CreateTopic` (on every topic).
 * Empty for bindings with no IAM equivalent.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { iamActionsForAcl } from "./access_map.ts";
 * const b = { resourceType: "TOPIC", resourceName: "t", patternType: "LITERAL", principal: "User:a", host: "*", operation: "READ", permission: "ALLOW" };
 * assert.ok(iamActionsForAcl(b).join() === "kafka-cluster:DescribeTopic,kafka-cluster:ReadData");
 * assert.ok(iamActionsForAcl({ ...b, permission: "DENY" }).join() === "kafka-cluster:ReadData");
 * assert.ok(iamActionsForAcl({ ...b, resourceType: "GROUP" }).join() === "kafka-cluster:AlterGroup,kafka-cluster:DescribeGroup");
 * ```
 */
export function iamActionsForAcl(b: AclBinding): string[] {
  if (unmappedReason(b) !== undefined) return [];
  const rules = RULES[b.resourceType] ?? {};
  const allow = b.permission === "ALLOW";
  const actions = new Set<string>();
  const add = (rule: ActionRule | undefined) => {
    for (const a of rule?.primary ?? []) actions.add(P + a);
    if (allow) { for (const a of rule?.implied ?? []) actions.add(P + a); }
  };
  if (b.resourceType === "CLUSTER" && (b.operation === "CREATE" || b.operation === "ALL")) {
    actions.add(`${P}CreateTopic`);
  }
  if (b.operation === "ALL") { for (const rule of Object.values(rules)) add(rule); }
  else add(rules[b.operation]);
  return [...actions].sort(compareStrings);
}

/** Builds resource ARNs for the target cluster. */
interface ArnBuilder {
  form: "concrete" | "templated";
  placeholders: string[];
  cluster: string;
  resource(kind: "topic" | "group" | "transactional-id", name: string): string;
}

function arnBuilder(target: Pick<ClusterConfig, "cluster_arn">): ArnBuilder {
  const arn = parseClusterArn(target.cluster_arn);
  if (arn !== undefined) {
    const base = `arn:${arn.partition}:kafka:${arn.region}:${arn.account}`;
    return {
      form: "concrete",
      placeholders: [],
      cluster: target.cluster_arn!,
      resource: (kind, name) => `${base}:${kind}/${arn.name}/${arn.uuid}/${name}`,
    };
  }
  return {
    form: "templated",
    placeholders: [
      "TargetAccountId",
      "TargetClusterArn",
      "TargetClusterName",
      "TargetClusterUuid",
      "TargetRegion",
    ],
    cluster: "${TargetClusterArn}",
    resource: (kind, name) =>
      "arn:aws:kafka:${TargetRegion}:${TargetAccountId}:" +
      `${kind}/\${TargetClusterName}/\${TargetClusterUuid}/${name}`,
  };
}

const KIND: Record<string, "topic" | "group" | "transactional-id"> = {
  TOPIC: "topic",
  GROUP: "group",
  TRANSACTIONAL_ID: "transactional-id",
};

/**
 * The resource ARNs an ACL binding's actions apply to: the cluster ARN for
 * CLUSTER bindings (plus every topic for a cluster CREATE or ALL); for other
 * types the resource's ARN, with `*` for a LITERAL `*` and `name*` for a
 * PREFIXED pattern.
 */
function resourcesFor(b: AclBinding, arns: ArnBuilder): { cluster: string[]; other: string[] } {
  if (b.resourceType === "CLUSTER") {
    const creates = b.operation === "CREATE" || b.operation === "ALL";
    return {
      cluster: b.operation === "CREATE" ? [] : [arns.cluster],
      other: creates ? [arns.resource("topic", "*")] : [],
    };
  }
  const kind = KIND[b.resourceType];
  if (kind === undefined) return { cluster: [], other: [] };
  const name = b.patternType === "PREFIXED"
    ? `${b.resourceName}*`
    : b.resourceName === "*"
    ? "*"
    : b.resourceName;
  return { cluster: [], other: [arns.resource(kind, name)] };
}

const CLUSTER_ACTIONS = new Set(
  [
    "Connect",
    "DescribeCluster",
    "AlterCluster",
    "DescribeClusterDynamicConfiguration",
    "AlterClusterDynamicConfiguration",
    "WriteDataIdempotently",
  ].map((a) => P + a),
);

function sortedUnique(items: Iterable<string>): string[] {
  return [...new Set(items)].sort(compareStrings);
}

/**
 * Builds the access map from source ACL bindings. Per principal: each
 * binding's mapping, the bindings with no IAM equivalent, notes, and one
 * policy whose statements never widen a grant: resources are grouped only
 * with others that need exactly the same actions. Principals in
 * `skipPrincipals` and MSK's internal principals are listed as skipped.
 * Everything is sorted, so the same bindings give the same bytes
 * ({@linkcode accessMapJson}).
 *
 * Beyond the bindings, each principal gets `kafka-cluster:Connect` on the
 * cluster, and a principal allowed to write a topic also gets
 * `kafka-cluster:WriteDataIdempotently` on the cluster: Kafka ≥ 3.0 lets a
 * topic WRITE stand for IDEMPOTENT_WRITE (KIP-679), and producers are
 * idempotent by default, while MSK IAM checks `WriteDataIdempotently`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildAccessMap } from "./access_map.ts";
 * const map = buildAccessMap({
 *   bindings: [{ resourceType: "TOPIC", resourceName: "orders.", patternType: "PREFIXED", principal: "User:app", host: "*", operation: "READ", permission: "ALLOW" }],
 *   target: { cluster_arn: "arn:aws:kafka:eu-west-1:123456789012:cluster/new/abc-1" },
 * });
 * const p = map.principals[0]!;
 * assert.ok(p.mappings[0]!.resources[0] === "arn:aws:kafka:eu-west-1:123456789012:topic/new/abc-1/orders.*");
 * assert.ok(p.policy.Statement.some((s) => s.Action.includes("kafka-cluster:Connect")));
 * ```
 */
export function buildAccessMap(input: BuildAccessMapInput): AccessMap {
  const arns = arnBuilder(input.target);
  const skip = input.skipPrincipals ?? [];
  const byPrincipal = new Map<string, AclBinding[]>();
  const skipped = new Map<string, { reason: string; bindings: number }>();
  for (const b of input.bindings) {
    const reason = skippedPrincipalReason(b.principal, skip);
    if (reason !== undefined) {
      const s = skipped.get(b.principal) ?? {
        reason: reason === "msk_internal"
          ? "MSK internal principal (amazonaws.com certificate name)"
          : "listed in acl.skip_principals",
        bindings: 0,
      };
      s.bindings++;
      skipped.set(b.principal, s);
      continue;
    }
    const list = byPrincipal.get(b.principal) ?? [];
    list.push(b);
    byPrincipal.set(b.principal, list);
  }

  const principals: AccessMapPrincipal[] = [];
  for (const principal of [...byPrincipal.keys()].sort(compareStrings)) {
    const unique = new Map<string, AclBinding>();
    for (const b of byPrincipal.get(principal)!) unique.set(JSON.stringify(b), b);
    const bindings = [...unique.values()].sort(compareAcls);
    principals.push(principalEntry(principal, bindings, arns));
  }

  const notes = [...(input.notes ?? [])];
  if (arns.form === "templated") {
    notes.push(
      "target.cluster_arn is not set: ARNs use the placeholders ${TargetRegion}, ${TargetAccountId}, " +
        "${TargetClusterName}, ${TargetClusterUuid} and ${TargetClusterArn}, as plan's " +
        "iam-policy-templated.json does; replace them before attaching the policies.",
    );
  }
  return {
    format: ACCESS_MAP_FORMAT,
    target: {
      cluster_arn: input.target.cluster_arn ?? null,
      arn_form: arns.form,
      placeholders: arns.placeholders,
    },
    principals,
    skipped: [...skipped].sort(([a], [b]) => compareStrings(a, b)).map(([principal, s]) => ({
      principal,
      ...s,
    })),
    notes,
  };
}

function principalEntry(
  principal: string,
  bindings: readonly AclBinding[],
  arns: ArnBuilder,
): AccessMapPrincipal {
  const mappings: AccessMapping[] = [];
  const unmapped: { binding: AclBinding; reason: string }[] = [];
  const notes = new Set<string>();
  // resource ARN → actions, per effect
  const grants = { Allow: new Map<string, Set<string>>(), Deny: new Map<string, Set<string>>() };
  const grant = (effect: "Allow" | "Deny", resource: string, actions: Iterable<string>) => {
    const set = grants[effect].get(resource) ?? new Set<string>();
    for (const a of actions) set.add(a);
    grants[effect].set(resource, set);
  };
  grant("Allow", arns.cluster, [`${P}Connect`]);

  for (const b of bindings) {
    const reason = unmappedReason(b);
    if (reason !== undefined) {
      unmapped.push({ binding: b, reason });
      continue;
    }
    const effect = b.permission === "DENY" ? "Deny" : "Allow";
    const actions = iamActionsForAcl(b);
    const where = resourcesFor(b, arns);
    const clusterActions = actions.filter((a) => CLUSTER_ACTIONS.has(a));
    const otherActions = actions.filter((a) => !CLUSTER_ACTIONS.has(a));
    for (const r of where.cluster) grant(effect, r, clusterActions);
    for (const r of where.other) grant(effect, r, otherActions);
    mappings.push({
      binding: b,
      effect,
      actions,
      resources: sortedUnique([
        ...(clusterActions.length > 0 ? where.cluster : []),
        ...(otherActions.length > 0 ? where.other : []),
      ]),
    });
    if (b.host !== "*") {
      notes.add(
        `${b.permission} ${b.operation} on ${b.resourceType} ${b.resourceName} is limited to host ` +
          `${b.host} on the source; IAM policies here do not restrict by client address, so the ` +
          (effect === "Allow" ? "grant applies from any host." : "denial applies from every host."),
      );
    }
    if (b.resourceType !== "CLUSTER" && /[*?]/.test(b.resourceName) && b.resourceName !== "*") {
      notes.add(
        `${b.resourceType} name ${b.resourceName} contains * or ?, which IAM reads as wildcards: ` +
          "the ARN matches more resources than the ACL did.",
      );
    }
  }

  const allowed = new Set([...grants.Allow.values()].flatMap((s) => [...s]));
  if (allowed.has(`${P}WriteData`)) {
    grant("Allow", arns.cluster, [`${P}WriteDataIdempotently`]);
    allowed.add(`${P}WriteDataIdempotently`);
    notes.add(
      "kafka-cluster:WriteDataIdempotently is granted on the cluster because the principal may write " +
        "topics: idempotent producers (the default since Kafka 3.0) need it with MSK IAM, while Kafka " +
        "lets a topic WRITE ACL stand for IDEMPOTENT_WRITE.",
    );
  }
  if (allowed.has(`${P}ReadData`) && !allowed.has(`${P}AlterGroup`)) {
    notes.add(
      "kafka-cluster:ReadData is granted but no consumer group: MSK also requires " +
        "kafka-cluster:AlterGroup (and DescribeGroup) on the group a consumer joins or commits to; the " +
        "source ACLs grant no group READ to this principal, so add the group ARNs if it consumes with a group.",
    );
  }
  if (allowed.has(`${P}AlterTransactionalId`) && !allowed.has(`${P}WriteData`)) {
    notes.add(
      "kafka-cluster:AlterTransactionalId is granted but no WriteData: MSK requires WriteData on the " +
        "topics a transactional producer writes.",
    );
  }
  if (principal.endsWith(":*")) {
    notes.add(
      `${principal} applies to every principal on the source: attach this policy to every IAM identity ` +
        "that connects to the target.",
    );
  }

  const policy: AccessPolicyDocument = {
    Version: "2012-10-17",
    Statement: statements(grants, arns.cluster),
  };
  // policySize only serialises; its type allows Allow statements only.
  if (policySize(policy as unknown as IamPolicyDocument) > MANAGED_POLICY_LIMIT) {
    notes.add(
      `The policy exceeds IAM's ${MANAGED_POLICY_LIMIT}-character limit for a managed policy: split it ` +
        "into several policies, or use prefixed ACLs (wildcard ARNs) on the source.",
    );
  }
  return {
    principal,
    mappings: mappings.sort((a, b) => compareAcls(a.binding, b.binding)),
    unmapped: unmapped.sort((a, b) => compareAcls(a.binding, b.binding)),
    notes: [...notes].sort(compareStrings),
    policy,
  };
}

function statements(
  grants: Record<"Allow" | "Deny", Map<string, Set<string>>>,
  clusterArn: string,
): AccessPolicyStatement[] {
  const out: AccessPolicyStatement[] = [];
  for (const effect of ["Allow", "Deny"] as const) {
    const cluster = grants[effect].get(clusterArn);
    if (cluster !== undefined && cluster.size > 0) {
      out.push({
        Sid: `${effect}Cluster`,
        Effect: effect,
        Action: sortedUnique(cluster),
        Resource: [clusterArn],
      });
    }
    // Resources needing exactly the same actions share a statement (never widening a grant).
    const groups = new Map<string, { kind: string; actions: string[]; resources: string[] }>();
    for (const [resource, actions] of grants[effect]) {
      if (resource === clusterArn || actions.size === 0) continue;
      const kind = /:(topic|group|transactional-id)\//.exec(resource)?.[1] ?? "resource";
      const sorted = sortedUnique(actions);
      const key = JSON.stringify([kind, sorted]);
      const g = groups.get(key) ?? { kind, actions: sorted, resources: [] };
      g.resources.push(resource);
      groups.set(key, g);
    }
    const ordered = [...groups.entries()].sort(([a], [b]) => compareStrings(a, b)).map(([, g]) =>
      g
    );
    const counters = new Map<string, number>();
    for (const g of ordered) {
      const label = g.kind === "topic"
        ? "Topics"
        : g.kind === "group"
        ? "Groups"
        : g.kind === "transactional-id"
        ? "TransactionalIds"
        : "Resources";
      const n = (counters.get(label) ?? 0) + 1;
      counters.set(label, n);
      out.push({
        Sid: `${effect}${label}${n}`,
        Effect: effect,
        Action: g.actions,
        Resource: sortedUnique(g.resources),
      });
    }
  }
  return out;
}

/**
 * The access map as file bytes: two-space indented JSON and a final newline.
 * The map is built sorted, so the same input gives the same bytes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { accessMapJson, buildAccessMap } from "./access_map.ts";
 * const map = buildAccessMap({ bindings: [], target: {} });
 * assert.ok(accessMapJson(map) === accessMapJson(buildAccessMap({ bindings: [], target: {} })));
 * assert.ok(accessMapJson(map).endsWith("}\n"));
 * ```
 */
export function accessMapJson(map: AccessMap): string {
  return JSON.stringify(map, null, 2) + "\n";
}
