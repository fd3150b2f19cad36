/**
 * `finalize` (SPEC §2, §9): once the last validation PASSED (or only
 * warned), snapshot both clusters, assemble the evidence bundle from the
 * journal, sign it with Ed25519, store it in the evidence store (under S3
 * Object Lock retention when configured), journal where it went and move the
 * migration to `finalized`.
 *
 * Re-runnable at any point: the first run journals a `finalize.started`
 * intent (time, tool version, the cluster snapshots stored beside the
 * journal), and every run builds the bundle from that intent and the journal
 * up to it — so a run after a crash between storing and journaling produces
 * the same bytes, which the store accepts as already there.
 *
 * @module
 */

import { join } from "node:path";
import type { MigrationContext } from "../context.ts";
import { KraftoverError } from "../errors.ts";
import type { JournalRecord } from "../journal.ts";
import { journaledTopics } from "../copy/copy_state.ts";
import { CUTOVER_CHECKPOINT } from "../cutover/cutover_state.ts";
import { takeInventory } from "../inventory/take_inventory.ts";
import { NEXT_ACTION } from "../state_machine.ts";
import { writeFileAtomic } from "../store/atomic_write.ts";
import type { ObjectLockMode } from "../store/object_store.ts";
import { VERSION } from "../version.ts";
import { assembleEvidence, clusterSnapshot } from "../evidence/assemble_evidence.ts";
import type { EvidencePart } from "../evidence/bundle.ts";
import { loadSigningKey } from "../evidence/keys.ts";
import { sha256Hex, signEvidence } from "../evidence/sign.ts";
import { storeEvidence } from "../evidence/store_evidence.ts";
import { lastValidation } from "../validation/validation_report.ts";
import type { ValidationOutcome } from "../validation/validation_report.ts";

/** The checkpoint `finalize` journals before building the bundle. */
export const FINALIZE_STARTED = "finalize.started";

/** Directory, inside the journal directory, holding the cluster snapshots of `finalize`. */
export const FINALIZE_DIR = "finalize";

/** Payload of `finalize.started`. */
export interface FinalizeStartedData {
  /** When finalize began: the bundle's `finalized_at`, the signature's `signed_at`, the retention base. */
  at: string;
  /** kraftover version building the bundle. */
  tool_version: string;
  /** Sequence number of the `validation.report` this finalize relies on. */
  validation_seq: number;
  /** The cluster snapshots' file inside the journal directory. */
  snapshots_file: string;
  /** Hex SHA-256 of that file. */
  snapshots_sha256: string;
}

/** Payload of `evidence.stored`. */
export interface EvidenceStoredData {
  /** Where the bundle is. */
  bundle: string;
  /** Where its detached signature is. */
  signature: string;
  /** Hex SHA-256 of the bundle bytes. */
  payload_sha256: string;
  /** Fingerprint of the signing key. */
  key_fingerprint: string;
  /** Object Lock retention end, when retention was asked for. */
  retain_until: string | null;
  /** Object Lock mode, when retention was asked for. */
  lock_mode: ObjectLockMode | null;
  /** The store already held these exact bytes (a re-run). */
  already_stored: boolean;
  /** The bundle's `finalized_at`. */
  finalized_at: string;
}

/** Options for {@linkcode finalize}. */
export interface FinalizeOptions {
  /** Cancels the snapshots and the store writes (finalize can be run again). */
  signal?: AbortSignal;
}

/** What {@linkcode finalize} did. */
export interface FinalizeReport {
  /** The migration id. */
  migrationId: string;
  /** Where the bundle is (`s3://…/evidence/<id>/bundle.json` or a path). */
  bundle: string;
  /** Where the detached signature is. */
  signature: string;
  /** Hex SHA-256 of the bundle. */
  payloadSha256: string;
  /** Fingerprint of the signing key (verify with its public key). */
  keyFingerprint: string;
  /** Object Lock retention end, when configured. */
  retainUntil: string | null;
  /** Object Lock mode, when configured. */
  lockMode: ObjectLockMode | null;
  /** The bundle's `finalized_at`. */
  finalizedAt: string;
  /** The outcome of the validation the bundle holds. */
  validationOutcome: ValidationOutcome;
  /** Nothing new was written: the store already held this bundle, or the migration was finalized. */
  alreadyStored: boolean;
}

function lastCheckpoint(
  records: readonly JournalRecord[],
  name: string,
  after = 0,
): (JournalRecord & { type: "checkpoint" }) | undefined {
  for (let i = records.length - 1; i >= 0; i--) {
    const r = records[i]!;
    if (r.seq <= after) return undefined;
    if (r.type === "checkpoint" && r.name === name) return r;
  }
  return undefined;
}

function reportOf(
  migrationId: string,
  data: EvidenceStoredData,
  outcome: ValidationOutcome,
  alreadyStored: boolean,
): FinalizeReport {
  return {
    migrationId,
    bundle: data.bundle,
    signature: data.signature,
    payloadSha256: data.payload_sha256,
    keyFingerprint: data.key_fingerprint,
    retainUntil: data.retain_until,
    lockMode: data.lock_mode,
    finalizedAt: data.finalized_at,
    validationOutcome: outcome,
    alreadyStored,
  };
}

/** Reads a file stored beside the journal and checks its SHA-256; undefined when missing or changed. */
async function readVerified(
  dir: string,
  file: string,
  sha256: string,
): Promise<Uint8Array | undefined> {
  try {
    const bytes = await Deno.readFile(join(dir, file));
    return (await sha256Hex(bytes)) === sha256 ? bytes : undefined;
  } catch {
    return undefined;
  }
}

function topicFilterOf(topics: readonly string[]): { include: string[]; exclude: string[] } {
  return { include: topics.map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")), exclude: [] };
}

/**
 * Signs and stores the evidence and finalizes the migration. Refuses
 * (`VALIDATION_FAILED`) when the last validation FAILED, and
 * (`ILLEGAL_TRANSITION`) before any validation or outside `validating`;
 * `SIGNING_KEY` names the key path (and `kraftover keygen`) when the key is
 * missing or unusable. On a finalized migration it returns what was stored.
 *
 * @example
 * ```ts ignore
 * const report = await finalize(ctx, {});
 * console.log(report.bundle, report.payloadSha256);
 * ```
 */
export async function finalize(
  ctx: MigrationContext,
  options: FinalizeOptions = {},
): Promise<FinalizeReport> {
  const journal = await ctx.journal();
  const { state, failedFrom, failure } = journal.state;
  const validation = lastValidation(journal.records);
  const stored = lastCheckpoint(journal.records, CUTOVER_CHECKPOINT.evidence, validation?.seq);
  if (state === "finalized" && stored !== undefined) {
    return reportOf(
      journal.migrationId,
      stored.data as unknown as EvidenceStoredData,
      validation?.data.outcome ?? "PASSED",
      true,
    );
  }
  if (state === "failed" && failedFrom === "validating" && failure?.code === "VALIDATION_FAILED") {
    // Fall through to the outcome check below, which explains the refusal.
  } else if (state !== "validating") {
    const where = state === "failed" ? `failed in ${failedFrom ?? "planned"}` : state;
    throw new KraftoverError(
      "ILLEGAL_TRANSITION",
      `Cannot finalize: the migration is ${where}; finalize comes after a passing validation ` +
        `(state validating). Next: ${
          NEXT_ACTION[state === "failed" ? failedFrom ?? "planned" : state]
        }`,
      { phase: state, detail: { state } },
    );
  }
  if (validation === undefined) {
    throw new KraftoverError(
      "ILLEGAL_TRANSITION",
      "Cannot finalize: the migration was never validated; run kraftover validate first",
      { phase: "validating" },
    );
  }
  if (validation.data.outcome === "FAILED") {
    const failing = validation.data.checks.filter((c) => c.status === "FAILED");
    throw new KraftoverError(
      "VALIDATION_FAILED",
      `Cannot finalize: the last validation (${validation.data.validated_at}) FAILED: ` +
        failing.map((c) =>
          `${c.name} (${c.failing.slice(0, 3).join(", ")}${c.failing_count > 3 ? ", …" : ""})`
        ).join("; ") +
        ". Fix what it names and run kraftover validate again; only a PASSED or WARNING " +
        "validation can be finalized",
      { phase: "validating", detail: { checks: failing.map((c) => c.name) } },
    );
  }
  if (state !== "validating") {
    throw new KraftoverError(
      "ILLEGAL_TRANSITION",
      "Cannot finalize: the migration failed in validating; run kraftover validate again",
      { phase: state },
    );
  }

  // The key first: a missing key must not leave anything behind.
  const evidence = ctx.config.evidence;
  const store = ctx.evidenceStore();
  const keyPath = evidence?.signing_key_path;
  if (keyPath === undefined) {
    throw new KraftoverError(
      "SIGNING_KEY",
      "Cannot sign the evidence: evidence.signing_key_path is not set; make a key pair with " +
        "kraftover keygen --out-dir DIR and set evidence.signing_key_path to " +
        "DIR/kraftover-evidence.key.pem",
      { phase: "evidence" },
    );
  }
  const key = await loadSigningKey(keyPath);

  const reportBytes = await readVerified(
    journal.dir,
    validation.data.report_file,
    validation.data.report_sha256,
  );
  if (reportBytes === undefined) {
    throw new KraftoverError(
      "EVIDENCE_INVALID",
      `Cannot finalize: the validation report ${join(journal.dir, validation.data.report_file)} ` +
        "is missing or was changed since validation; run kraftover validate again",
      { phase: "evidence", detail: { file: validation.data.report_file } },
    );
  }

  // Already stored, but the transition was lost: finish it.
  if (stored !== undefined) {
    await journal.transition("finalized");
    return reportOf(
      journal.migrationId,
      stored.data as unknown as EvidenceStoredData,
      validation.data.outcome,
      true,
    );
  }

  let intent = lastCheckpoint(journal.records, FINALIZE_STARTED, validation.seq);
  let snapshots: Uint8Array | undefined;
  if (intent !== undefined) {
    const d = intent.data as unknown as FinalizeStartedData;
    snapshots = await readVerified(journal.dir, d.snapshots_file, d.snapshots_sha256);
    if (snapshots === undefined) {
      ctx.logger.warn("The cluster snapshots of an earlier finalize are gone; taking new ones", {
        file: d.snapshots_file,
      });
      intent = undefined;
    }
  }
  if (intent === undefined) {
    const at = ctx.now().toISOString();
    const topics = journaledTopics(journal.records).map((t) => t.topic);
    const signal = options.signal === undefined ? {} : { signal: options.signal };
    const [sourceInventory, targetInventory] = await Promise.all([
      takeInventory(await ctx.source(), {
        topics: { include: ctx.config.topics.include, exclude: ctx.config.topics.exclude },
        logger: ctx.logger,
        ...signal,
      }),
      takeInventory(await ctx.target(), {
        topics: topicFilterOf(topics),
        logger: ctx.logger,
        ...signal,
      }),
    ]);
    snapshots = new TextEncoder().encode(
      JSON.stringify({
        source: clusterSnapshot(sourceInventory, at),
        target: clusterSnapshot(targetInventory, at),
      }) + "\n",
    );
    const file = join(FINALIZE_DIR, `snapshots-${journal.records.length + 1}.json`);
    await Deno.mkdir(join(journal.dir, FINALIZE_DIR), { recursive: true });
    await writeFileAtomic(join(journal.dir, file), snapshots);
    const data: FinalizeStartedData = {
      at,
      tool_version: VERSION,
      validation_seq: validation.seq,
      snapshots_file: file,
      snapshots_sha256: await sha256Hex(snapshots),
    };
    intent = await journal.append({
      type: "checkpoint",
      name: FINALIZE_STARTED,
      data: data as unknown as Record<string, unknown>,
    }) as JournalRecord & { type: "checkpoint" };
  }
  if (intent === undefined || snapshots === undefined) {
    throw new KraftoverError("INTERNAL", "Finalize lost its intent checkpoint", {
      phase: "evidence",
    });
  }
  const intentSeq = intent.seq;
  const started = intent.data as unknown as FinalizeStartedData;
  const parsed = JSON.parse(new TextDecoder().decode(snapshots)) as {
    source: EvidencePart;
    target: EvidencePart;
  };
  const records = journal.records.filter((r) => r.seq <= intentSeq);
  const bundle = assembleEvidence({
    records,
    finalizedAt: started.at,
    source: parsed.source,
    target: parsed.target,
    validation: JSON.parse(new TextDecoder().decode(reportBytes)) as EvidencePart,
    toolVersion: started.tool_version,
  });
  const signed = await signEvidence(bundle, key, { now: () => new Date(started.at) });
  const retainUntil = evidence?.retention === undefined
    ? undefined
    : new Date(Date.parse(started.at) + evidence.retention);
  const lockMode = retainUntil === undefined
    ? undefined
    : evidence?.object_lock_mode ?? "COMPLIANCE";
  const result = await storeEvidence(store, {
    migrationId: journal.migrationId,
    ...signed,
    ...(retainUntil === undefined ? {} : { retainUntil }),
    ...(lockMode === undefined ? {} : { lockMode }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  const data: EvidenceStoredData = {
    bundle: result.bundle,
    signature: result.signature,
    payload_sha256: signed.signature.payload_sha256,
    key_fingerprint: signed.signature.key_fingerprint,
    retain_until: retainUntil?.toISOString() ?? null,
    lock_mode: lockMode ?? null,
    already_stored: result.alreadyStored,
    finalized_at: started.at,
  };
  await journal.append({
    type: "checkpoint",
    name: CUTOVER_CHECKPOINT.evidence,
    data: data as unknown as Record<string, unknown>,
  });
  await journal.transition("finalized");
  ctx.logger.info("Evidence signed and stored; the migration is finalized", {
    bundle: result.bundle,
    payload_sha256: data.payload_sha256,
  });
  return reportOf(journal.migrationId, data, validation.data.outcome, result.alreadyStored);
}
