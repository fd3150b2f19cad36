/**
 * The ACL copy plan: which source bindings are copied, which the target
 * lacks (created), and which target bindings the source lacks (deleted with
 * `acl.on_drift: replace`, refused with `refuse`). Bindings compare as the
 * tuple (resourceType, resourceName, patternType, principal, host,
 * operation, permission).
 *
 * Never copied: bindings of `acl.skip_principals` and of MSK's internal
 * principals ({@linkcode isMskInternalPrincipal}); TOPIC bindings that match
 * no migrated topic. Never deleted: bindings of skipped principals, of the
 * principal kraftover connects to the target as, and of the principals given
 * as protected (super users), and bindings on resources the migration does
 * not touch.
 *
 * @module
 */

import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import type { ClusterConfig } from "../config/types.ts";
import type { AclBinding } from "../inventory/types.ts";
import { compareAcls } from "../inventory/take_inventory.ts";

/**
 * Whether a principal is one of MSK's own: a TLS certificate principal whose
 * common name (or whole name) is under `amazonaws.com` / `amazonaws.com.cn`.
 * MSK brokers authenticate to each other with certificates named after the
 * cluster's broker DNS (`User:CN=*.mycluster.abc123.c4.kafka.us-east-1.amazonaws.com`),
 * and AWS's MSK documentation tells operators to grant ACLs to exactly that
 * principal; such bindings name the source cluster and mean nothing on the
 * target. Customer certificates are not issued under AWS-owned domains.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isMskInternalPrincipal } from "./acl_plan.ts";
 * assert.ok(isMskInternalPrincipal("User:CN=*.old.abc123.c4.kafka.us-east-1.amazonaws.com"));
 * assert.ok(isMskInternalPrincipal("User:CN=b-1.old.x.c2.kafka.cn-north-1.amazonaws.com.cn,O=Amazon"));
 * assert.ok(!isMskInternalPrincipal("User:CN=orders-service,O=Example"));
 * assert.ok(!isMskInternalPrincipal("User:alice"));
 * ```
 */
export function isMskInternalPrincipal(principal: string): boolean {
  const colon = principal.indexOf(":");
  const name = colon < 0 ? principal : principal.slice(colon + 1);
  const cn = /(?:^|,)\s*CN=([^,]+)/i.exec(name)?.[1]?.trim();
  const aws = /(^|\.)amazonaws\.com(\.cn)?$/i;
  return (cn !== undefined && aws.test(cn)) || aws.test(name.trim());
}

/**
 * Why a principal's bindings are not copied, or undefined when they are.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { skippedPrincipalReason } from "./acl_plan.ts";
 * assert.ok(skippedPrincipalReason("User:ANONYMOUS", ["User:ANONYMOUS"]) === "skip_principals");
 * assert.ok(skippedPrincipalReason("User:CN=*.c.x.c4.kafka.us-east-1.amazonaws.com", []) === "msk_internal");
 * assert.ok(skippedPrincipalReason("User:app", []) === undefined);
 * ```
 */
export function skippedPrincipalReason(
  principal: string,
  skipPrincipals: readonly string[],
): "skip_principals" | "msk_internal" | undefined {
  if (skipPrincipals.includes(principal)) return "skip_principals";
  if (isMskInternalPrincipal(principal)) return "msk_internal";
  return undefined;
}

/**
 * The principal(s) a cluster config authenticates as, for ACLs: SCRAM
 * `User:<username>`; PLAINTEXT (or TLS without a client certificate)
 * `User:ANONYMOUS`; mTLS the certificate's subject as Kafka's default
 * principal builder writes it (`User:CN=…,O=…`) and its common name alone
 * (what `ssl.principal.mapping.rules` commonly reduce it to); IAM none (Kafka
 * ACLs do not apply).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { clientPrincipals } from "./acl_plan.ts";
 * assert.ok(clientPrincipals({ auth: { mode: "scram-sha-512", username: "mig" }, client_id: "k" })[0] === "User:mig");
 * assert.ok(clientPrincipals({ auth: { mode: "plaintext" }, client_id: "k" })[0] === "User:ANONYMOUS");
 * assert.ok(clientPrincipals({ auth: { mode: "iam" }, client_id: "k" }).length === 0);
 * ```
 */
export function clientPrincipals(cluster: ClusterConfig): string[] {
  const auth = cluster.auth;
  switch (auth.mode) {
    case "plaintext":
      return ["User:ANONYMOUS"];
    case "scram-sha-512":
    case "scram-sha-256":
      return auth.username === undefined ? [] : [`User:${auth.username}`];
    case "iam":
      return [];
    case "mtls": {
      if (auth.cert_file === undefined) return [];
      try {
        const subject = new X509Certificate(readFileSync(auth.cert_file)).subject;
        const rdns = subject.split("\n").map((s) => s.trim()).filter((s) => s !== "");
        const cn = rdns.find((r) => r.startsWith("CN="))?.slice(3);
        return [
          `User:${[...rdns].reverse().join(",")}`,
          ...(cn === undefined ? [] : [`User:${cn}`]),
        ];
      } catch {
        return [];
      }
    }
  }
}

/**
 * A binding as one comparable string (the 7-tuple).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { aclBindingKey } from "./acl_plan.ts";
 * const b = { resourceType: "TOPIC", resourceName: "t", patternType: "LITERAL", principal: "User:a", host: "*", operation: "READ", permission: "ALLOW" };
 * assert.ok(aclBindingKey(b) === aclBindingKey({ ...b }));
 * assert.ok(aclBindingKey(b) !== aclBindingKey({ ...b, host: "10.0.0.1" }));
 * ```
 */
export function aclBindingKey(b: AclBinding): string {
  return JSON.stringify([
    b.resourceType,
    b.resourceName,
    b.patternType,
    b.principal,
    b.host,
    b.operation,
    b.permission,
  ]);
}

/**
 * Whether a binding's resource pattern matches a resource name: LITERAL the
 * same name or `*`, PREFIXED a name starting with it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { patternMatches } from "./acl_plan.ts";
 * assert.ok(patternMatches({ resourceName: "orders.", patternType: "PREFIXED" }, "orders.v1"));
 * assert.ok(patternMatches({ resourceName: "*", patternType: "LITERAL" }, "x"));
 * assert.ok(!patternMatches({ resourceName: "orders", patternType: "LITERAL" }, "orders.v1"));
 * ```
 */
export function patternMatches(
  b: Pick<AclBinding, "resourceName" | "patternType">,
  name: string,
): boolean {
  if (b.patternType === "PREFIXED") return name.startsWith(b.resourceName);
  if (b.patternType === "LITERAL") return b.resourceName === "*" || b.resourceName === name;
  return false;
}

const COPYABLE = {
  resourceType: new Set(["TOPIC", "GROUP", "CLUSTER", "TRANSACTIONAL_ID", "DELEGATION_TOKEN"]),
  patternType: new Set(["LITERAL", "PREFIXED"]),
  operation: new Set([
    "ALL",
    "READ",
    "WRITE",
    "CREATE",
    "DELETE",
    "ALTER",
    "DESCRIBE",
    "CLUSTER_ACTION",
    "DESCRIBE_CONFIGS",
    "ALTER_CONFIGS",
    "IDEMPOTENT_WRITE",
  ]),
  permission: new Set(["ALLOW", "DENY"]),
};

/**
 * Whether kraftover can copy a binding (its resource type, pattern type,
 * operation and permission are ones the Kafka protocol and kafkajs name).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isCopyableBinding } from "./acl_plan.ts";
 * const b = { resourceType: "TOPIC", resourceName: "t", patternType: "LITERAL", principal: "User:a", host: "*", operation: "READ", permission: "ALLOW" };
 * assert.ok(isCopyableBinding(b) && !isCopyableBinding({ ...b, resourceType: "7" }));
 * ```
 */
export function isCopyableBinding(b: AclBinding): boolean {
  return COPYABLE.resourceType.has(b.resourceType) && COPYABLE.patternType.has(b.patternType) &&
    COPYABLE.operation.has(b.operation) && COPYABLE.permission.has(b.permission);
}

/** Why a source binding is not copied. */
export type AclSkipReason =
  | "skip_principals"
  | "msk_internal"
  | "topic_not_migrated"
  | "unsupported";

/** A source binding that is not copied. */
export interface AclSkippedBinding {
  /** The binding. */
  binding: AclBinding;
  /** Why. */
  reason: AclSkipReason;
}

/** A target-only binding that `replace` leaves alone. */
export interface AclKeptBinding {
  /** The binding. */
  binding: AclBinding;
  /** Its principal is protected (kraftover's own, super users) or skipped. */
  reason: "protected_principal" | "skipped_principal";
}

/** Input of {@linkcode planAclCopy}. */
export interface PlanAclCopyInput {
  /** The source's bindings. */
  source: readonly AclBinding[];
  /** The target's bindings. */
  target: readonly AclBinding[];
  /** Topics the migration copies. */
  topics: readonly string[];
  /** Consumer groups the migration moves (those touching the topics). @default [] */
  groups?: readonly string[];
  /** `acl.skip_principals`. */
  skipPrincipals: readonly string[];
  /** Principals whose target bindings are never deleted (super users, kraftover's own). @default [] */
  protectedPrincipals?: readonly string[];
  /** `acl.on_drift`. */
  policy: "merge" | "replace" | "refuse";
}

/** What {@linkcode planAclCopy} decided. */
export interface AclCopyPlan {
  /** Source bindings that belong on the target. */
  copy: AclBinding[];
  /** Of those, the ones the target lacks: created. */
  create: AclBinding[];
  /** Target bindings the source lacks, on resources the migration touches (the drift). */
  extra: AclBinding[];
  /** Of those, the ones deleted (`replace` only). */
  delete: AclBinding[];
  /** Target-only bindings left alone although `replace`: their principal is protected or skipped. */
  kept: AclKeptBinding[];
  /** Source bindings not copied, with why. */
  skipped: AclSkippedBinding[];
  /** `refuse` and the target has extra bindings: topology copy stops. */
  refused: boolean;
}

/**
 * Plans the ACL copy. A target binding is on a resource the migration
 * touches when it is a TOPIC binding matching a migrated topic, a GROUP
 * binding matching a migrated group, or any binding whose resource pattern
 * (type, name, pattern type) the source also has bindings on. `merge` only
 * creates; `replace` also deletes the extra bindings (never a protected or
 * skipped principal's); `refuse` sets `refused` when there is any extra
 * binding (missing ones alone are not drift: they are what the copy adds).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { planAclCopy } from "./acl_plan.ts";
 * const b = (principal: string, operation: string) => ({
 *   resourceType: "TOPIC", resourceName: "orders", patternType: "LITERAL",
 *   principal, host: "*", operation, permission: "ALLOW",
 * });
 * const plan = planAclCopy({
 *   source: [b("User:app", "READ"), b("User:ANONYMOUS", "READ")],
 *   target: [b("User:old", "WRITE")],
 *   topics: ["orders"],
 *   skipPrincipals: ["User:ANONYMOUS"],
 *   policy: "replace",
 * });
 * assert.ok(plan.create.length === 1 && plan.create[0]!.principal === "User:app");
 * assert.ok(plan.delete.length === 1 && plan.delete[0]!.principal === "User:old");
 * assert.ok(plan.skipped[0]!.reason === "skip_principals");
 * ```
 */
export function planAclCopy(input: PlanAclCopyInput): AclCopyPlan {
  const topics = input.topics;
  const groups = input.groups ?? [];
  const protectedSet = new Set(input.protectedPrincipals ?? []);
  const plan: AclCopyPlan = {
    copy: [],
    create: [],
    extra: [],
    delete: [],
    kept: [],
    skipped: [],
    refused: false,
  };
  for (const b of input.source) {
    const principalReason = skippedPrincipalReason(b.principal, input.skipPrincipals);
    if (principalReason !== undefined) plan.skipped.push({ binding: b, reason: principalReason });
    else if (!isCopyableBinding(b)) plan.skipped.push({ binding: b, reason: "unsupported" });
    else if (b.resourceType === "TOPIC" && !topics.some((t) => patternMatches(b, t))) {
      plan.skipped.push({ binding: b, reason: "topic_not_migrated" });
    } else plan.copy.push(b);
  }
  const targetKeys = new Set(input.target.map(aclBindingKey));
  const copyKeys = new Set(plan.copy.map(aclBindingKey));
  plan.create = plan.copy.filter((b) => !targetKeys.has(aclBindingKey(b)));
  const sourcePatterns = new Set(
    input.source.map((b) => JSON.stringify([b.resourceType, b.resourceName, b.patternType])),
  );
  const touched = (b: AclBinding): boolean => {
    if (b.resourceType === "TOPIC" && topics.some((t) => patternMatches(b, t))) return true;
    if (b.resourceType === "GROUP" && groups.some((g) => patternMatches(b, g))) return true;
    return sourcePatterns.has(JSON.stringify([b.resourceType, b.resourceName, b.patternType]));
  };
  for (const b of input.target) {
    if (copyKeys.has(aclBindingKey(b)) || !touched(b)) continue;
    if (skippedPrincipalReason(b.principal, input.skipPrincipals) !== undefined) {
      if (input.policy === "replace") plan.kept.push({ binding: b, reason: "skipped_principal" });
      continue;
    }
    if (protectedSet.has(b.principal)) {
      if (input.policy === "replace") plan.kept.push({ binding: b, reason: "protected_principal" });
      continue;
    }
    plan.extra.push(b);
  }
  if (input.policy === "replace") plan.delete = [...plan.extra];
  plan.refused = input.policy === "refuse" && plan.extra.length > 0;
  for (const list of [plan.copy, plan.create, plan.extra, plan.delete]) list.sort(compareAcls);
  plan.kept.sort((a, b) => compareAcls(a.binding, b.binding));
  plan.skipped.sort((a, b) => compareAcls(a.binding, b.binding));
  return plan;
}

/**
 * A binding in the words of `kafka-acls`, for messages.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { describeAclBinding } from "./acl_plan.ts";
 * const b = { resourceType: "TOPIC", resourceName: "orders.", patternType: "PREFIXED", principal: "User:a", host: "*", operation: "READ", permission: "ALLOW" };
 * assert.ok(describeAclBinding(b) === "ALLOW User:a READ on TOPIC orders.* from *");
 * ```
 */
export function describeAclBinding(b: AclBinding): string {
  const name = b.patternType === "PREFIXED" ? `${b.resourceName}*` : b.resourceName;
  return `${b.permission} ${b.principal} ${b.operation} on ${b.resourceType} ${name} from ${b.host}`;
}
