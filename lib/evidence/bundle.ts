/**
 * The evidence bundle (SPEC §9): one JSON document holding everything needed
 * to show, later and offline, what a migration did and that it checked out.
 * Its keys are snake_case like every file kraftover writes. The parts filled
 * by the data plane are typed loosely here; their owners define the shapes.
 *
 * @module
 */

import { redact } from "../secret.ts";
import { VERSION } from "../version.ts";

/** The `schema` of bundles this version writes and verifies. */
export const EVIDENCE_SCHEMA = "kraftover.evidence/v1";

/** A JSON object part of the bundle. */
export type EvidencePart = Readonly<Record<string, unknown>>;

/** When things happened (ISO 8601 UTC strings). */
export interface EvidenceTimestamps {
  /** The migration was planned (journal opened). */
  readonly planned_at?: string;
  /** `execute` first started. */
  readonly started_at?: string;
  /** The cutover began. */
  readonly cutover_started_at?: string;
  /** The cutover ended (awaiting client switch). */
  readonly cutover_ended_at?: string;
  /** The last validation ran. */
  readonly validated_at?: string;
  /** The bundle was built. */
  readonly finalized_at: string;
}

/** The producer freeze window. */
export interface EvidenceFreezeWindow {
  /** Freeze hooks returned. */
  readonly started_at: string;
  /** Producers unfrozen / clients may switch. */
  readonly ended_at: string;
  /** `ended_at − started_at` in milliseconds. */
  readonly duration_ms: number;
}

/** The cutover report: freeze window, sentinel positions and whatever else the cutover records. */
export type EvidenceCutoverReport = Readonly<
  {
    /** The producer freeze window. */
    freeze?: EvidenceFreezeWindow;
    /** One entry per partition: topic, partition, source offset, target offset. */
    sentinels?: readonly EvidencePart[];
  } & Record<string, unknown>
>;

/** The evidence bundle (SPEC §9). */
export interface EvidenceBundle {
  /** Always {@linkcode EVIDENCE_SCHEMA}. */
  readonly schema: typeof EVIDENCE_SCHEMA;
  /** The migration id. */
  readonly migration_id: string;
  /** The tool that built the bundle. */
  readonly tool: Readonly<{ name: "kraftover"; version: string }>;
  /** When things happened. */
  readonly timestamps: EvidenceTimestamps;
  /** Source cluster snapshot (id, version, mode, brokers, topics, configs, groups…). */
  readonly source: EvidencePart;
  /** Target cluster snapshot. */
  readonly target: EvidencePart;
  /** The whole journal, one element per journal line. */
  readonly journal: readonly EvidencePart[];
  /** Topics and configs created or changed on the target. */
  readonly topology_diff: EvidencePart;
  /** ACLs copied, or the IAM access map when the target uses IAM. */
  readonly acl_plan: EvidencePart;
  /** Seed statistics (records, bytes, per partition). */
  readonly seed_stats: EvidencePart;
  /** Tail statistics. */
  readonly tail_stats: EvidencePart;
  /** The cutover report. */
  readonly cutover: EvidenceCutoverReport;
  /** The offset map: per partition, runs of (source_start, target_start, count). */
  readonly offset_map: EvidencePart;
  /** Every group's committed source offsets and their translated target offsets. */
  readonly group_offsets: readonly EvidencePart[];
  /** The validation report (five checks, outcome, per-partition detail). */
  readonly validation: EvidencePart;
}

/** What {@linkcode buildEvidenceBundle} takes: the bundle without `schema`, `tool` optional. */
export type EvidenceBundleParts = Omit<EvidenceBundle, "schema" | "tool"> & {
  /** The tool that built the bundle. @default { name: "kraftover", version: VERSION } */
  readonly tool?: EvidenceBundle["tool"];
};

/**
 * Builds the bundle from its parts, passing everything through
 * {@linkcode redact}: `Secret`s and fields named like secrets
 * (`password`, `token`, …) become `[redacted]`, and registered secret values
 * are scrubbed from every string. `Date`s become ISO strings.
 *
 * Offsets must already be numbers (safe integers) or decimal strings: a
 * `bigint` makes signing fail (see `canonical_json.ts`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildEvidenceBundle } from "./bundle.ts";
 * import { Secret } from "../secret.ts";
 * const bundle = buildEvidenceBundle({
 *   migration_id: "m-1",
 *   timestamps: { finalized_at: "2025-01-01T00:00:00.000Z" },
 *   source: { auth: { mode: "scram-sha-512", username: "app", password: "pw-123456" } },
 *   target: { auth: { token: new Secret("tok-abcdef") } },
 *   journal: [],
 *   topology_diff: {},
 *   acl_plan: {},
 *   seed_stats: {},
 *   tail_stats: {},
 *   cutover: {},
 *   offset_map: {},
 *   group_offsets: [],
 *   validation: { outcome: "PASSED" },
 * });
 * assert.equal(bundle.schema, "kraftover.evidence/v1");
 * assert.equal(bundle.tool.name, "kraftover");
 * assert.ok(!JSON.stringify(bundle).includes("pw-123456"));
 * assert.ok(!JSON.stringify(bundle).includes("tok-abcdef"));
 * ```
 */
export function buildEvidenceBundle(parts: EvidenceBundleParts): EvidenceBundle {
  return redact({
    schema: EVIDENCE_SCHEMA,
    ...parts,
    tool: parts.tool ?? { name: "kraftover", version: VERSION },
  });
}
