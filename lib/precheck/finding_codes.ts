/**
 * The closed set of precheck finding codes (SPEC §6): each code's severity
 * and title. `docs/precheck-codes.md` explains every one; a test keeps the
 * two in step.
 *
 * @module
 */

/** How serious a finding is: a blocker stops the migration (exit 3). */
export type Severity = "blocker" | "warning" | "info";

/** Every finding code. */
export type FindingCode =
  | "B01"
  | "B02"
  | "B03"
  | "B04"
  | "B05"
  | "B06"
  | "B07"
  | "B08"
  | "B09"
  | "B10"
  | "B11"
  | "B12"
  | "B13"
  | "B14"
  | "B15"
  | "W01"
  | "W02"
  | "W03"
  | "W04"
  | "W05"
  | "W06"
  | "W07"
  | "W08"
  | "W09"
  | "W10"
  | "W11"
  | "W12"
  | "I01"
  | "I02"
  | "I03"
  | "I04"
  | "I05";

/** A code's fixed severity and title. */
export interface FindingCodeInfo {
  /** Severity. */
  severity: Severity;
  /** One-line title. */
  title: string;
}

/**
 * Every finding code with its severity and title, in code order.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { FINDING_CODES } from "./finding_codes.ts";
 * assert.ok(FINDING_CODES.B12.severity === "blocker");
 * assert.ok(Object.keys(FINDING_CODES).length === 32);
 * ```
 */
export const FINDING_CODES: Readonly<Record<FindingCode, FindingCodeInfo>> = {
  B01: { severity: "blocker", title: "Authentication failed" },
  B02: { severity: "blocker", title: "MSK Serverless cluster" },
  B03: { severity: "blocker", title: "Source is not in ZooKeeper mode" },
  B04: { severity: "blocker", title: "Target is not in KRaft mode" },
  B05: { severity: "blocker", title: "Source and target are the same cluster" },
  B06: { severity: "blocker", title: "Target Kafka is older than 3.7" },
  B07: { severity: "blocker", title: "Backup store not reachable or not writable" },
  B08: {
    severity: "blocker",
    title: "Evidence store not reachable, not writable or without Object Lock",
  },
  B09: { severity: "blocker", title: "Source brokers unreachable" },
  B10: { severity: "blocker", title: "Target brokers unreachable" },
  B11: { severity: "blocker", title: "Target accepts smaller records than a source topic holds" },
  B12: { severity: "blocker", title: "Topic exists on the target with another partition count" },
  B13: { severity: "blocker", title: "Group to migrate has active members on the target" },
  B14: { severity: "blocker", title: "Target has fewer brokers than a topic's replication factor" },
  B15: {
    severity: "blocker",
    title: "Missing permission to describe topics, configs, groups or ACLs",
  },
  W01: { severity: "warning", title: "Cross-region transfer" },
  W02: { severity: "warning", title: "Compacted topic" },
  W03: { severity: "warning", title: "KMS key set but not verified" },
  W04: { severity: "warning", title: "Target message size limit unverifiable" },
  W05: { severity: "warning", title: "Static group members" },
  W06: { severity: "warning", title: "Retention shorter than the estimated seed time" },
  W07: { severity: "warning", title: "Transactional producers seen" },
  W08: { severity: "warning", title: "Target creates topics automatically" },
  W09: { severity: "warning", title: "Config drift on an existing target topic" },
  W10: { severity: "warning", title: "ACL drift on the target" },
  W11: { severity: "warning", title: "Under-replicated source partitions" },
  W12: { severity: "warning", title: "Target has fewer brokers than the source" },
  I01: { severity: "info", title: "Target uses IAM: ACLs go to access-map.json" },
  I02: { severity: "info", title: "Source is eligible for MSK's in-place ZooKeeper→KRaft upgrade" },
  I03: { severity: "info", title: "Estimated seed duration and cost" },
  I04: { severity: "info", title: "Inventory" },
  I05: { severity: "info", title: "Empty topics" },
};

/** Every code, in order. */
export const ALL_FINDING_CODES: readonly FindingCode[] = Object.keys(
  FINDING_CODES,
) as FindingCode[];
