/**
 * Storing and reading a signed bundle in the evidence store:
 * `evidence/<migration-id>/bundle.json` (the canonical payload) and
 * `evidence/<migration-id>/bundle.json.sig` (the detached signature), never
 * overwritten, under Object Lock retention on S3 when asked.
 *
 * @module
 */

import { KraftoverError } from "../errors.ts";
import type { ObjectLockMode, ObjectStore } from "../store/object_store.ts";
import { checkKey, isObjectExistsError } from "../store/object_store.ts";
import type { DetachedSignature } from "./sign.ts";
import { encodeDetachedSignature, parseDetachedSignature, sha256Hex } from "./sign.ts";
import { equalBytes } from "../store/equal_bytes.ts";

/** The keys of a migration's evidence in its store. */
export interface EvidenceKeys {
  /** `evidence/<migration-id>/bundle.json` */
  bundle: string;
  /** `evidence/<migration-id>/bundle.json.sig` */
  signature: string;
}

/**
 * The keys of a migration's evidence.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { evidenceKeys } from "./store_evidence.ts";
 * assert.deepEqual(evidenceKeys("m-1"), {
 *   bundle: "evidence/m-1/bundle.json",
 *   signature: "evidence/m-1/bundle.json.sig",
 * });
 * ```
 */
export function evidenceKeys(migrationId: string): EvidenceKeys {
  if (migrationId.includes("/")) {
    throw new KraftoverError(
      "EVIDENCE_INVALID",
      `Cannot store evidence for migration ${JSON.stringify(migrationId)}: ids contain no "/"`,
      { phase: "evidence" },
    );
  }
  const bundle = checkKey(`evidence/${migrationId}/bundle.json`);
  return { bundle, signature: `${bundle}.sig` };
}

/** Options for {@linkcode storeEvidence}. */
export interface StoreEvidenceOptions {
  /** The migration id (one key segment). */
  migrationId: string;
  /** The canonical payload from `signEvidence`. */
  payload: Uint8Array;
  /** Its detached signature. */
  signature: DetachedSignature;
  /** Object Lock retention end (S3), advisory on a directory. @default no retention */
  retainUntil?: Date;
  /** Object Lock mode. @default "COMPLIANCE" when `retainUntil` is set */
  lockMode?: ObjectLockMode;
  /** Cancels the writes. */
  signal?: AbortSignal;
}

/** Where the evidence went. */
export interface StoredEvidence {
  /** Location of the bundle, e.g. `s3://bucket/prefix/evidence/m-1/bundle.json`. */
  bundle: string;
  /** Location of the detached signature. */
  signature: string;
  /** Both objects were already there with these exact bytes (a re-run); nothing was written. */
  alreadyStored: boolean;
}

/**
 * Writes the bundle, then its signature, each only if absent (`ifAbsent`) and
 * with retention when asked. Re-running with identical bytes succeeds without
 * writing (`alreadyStored`); different bytes under an existing key fail with
 * `STORE_ERROR` (`detail.reason: "already_exists"`): stored evidence is never
 * replaced. Throws `EVIDENCE_INVALID` when the signature does not belong to
 * the payload (nothing is written then).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createDirectoryStore } from "../store/directory_store.ts";
 * import { generateSigningKeyPair } from "./keys.ts";
 * import { signEvidence } from "./sign.ts";
 * import { readEvidence, storeEvidence } from "./store_evidence.ts";
 * import type { EvidenceBundle } from "./bundle.ts";
 * const dir = await Deno.makeTempDir();
 * using store = createDirectoryStore({ directory: dir });
 * const bundle = { schema: "kraftover.evidence/v1", migration_id: "m-1" } as unknown as EvidenceBundle;
 * const signed = await signEvidence(bundle, (await generateSigningKeyPair()).privateKey);
 * const stored = await storeEvidence(store, { migrationId: "m-1", ...signed });
 * assert.equal(stored.bundle, `${dir}/evidence/m-1/bundle.json`);
 * const again = await storeEvidence(store, { migrationId: "m-1", ...signed });
 * assert.equal(again.alreadyStored, true);
 * const read = await readEvidence(store, { migrationId: "m-1" });
 * assert.deepEqual(read?.payload, signed.payload);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function storeEvidence(
  store: ObjectStore,
  options: StoreEvidenceOptions,
): Promise<StoredEvidence> {
  const keys = evidenceKeys(options.migrationId);
  const digest = await sha256Hex(options.payload);
  if (digest !== options.signature.payload_sha256) {
    throw new KraftoverError(
      "EVIDENCE_INVALID",
      `Cannot store evidence for ${options.migrationId}: the signature covers payload ` +
        `${options.signature.payload_sha256}, not this payload (${digest})`,
      { phase: "evidence" },
    );
  }
  const retention = {
    ...(options.retainUntil === undefined ? {} : { retainUntil: options.retainUntil }),
    ...(options.lockMode === undefined ? {} : { lockMode: options.lockMode }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  };
  let written = 0;
  for (
    const [key, bytes] of [
      [keys.bundle, options.payload],
      [keys.signature, encodeDetachedSignature(options.signature)],
    ] as const
  ) {
    try {
      await store.put(key, bytes, {
        ...retention,
        contentType: "application/json",
        ifAbsent: true,
      });
      written++;
    } catch (error) {
      if (!isObjectExistsError(error)) throw error;
      const existing = await store.get(
        key,
        options.signal === undefined ? {} : { signal: options.signal },
      );
      if (existing === undefined || !equalBytes(existing, bytes)) {
        throw new KraftoverError(
          "STORE_ERROR",
          `Cannot store evidence for ${options.migrationId}: ${store.locate(key)} already holds ` +
            "different evidence, which is never overwritten; check it with kraftover evidence verify",
          {
            phase: "evidence",
            cause: error,
            detail: { reason: "already_exists", location: store.locate(key) },
          },
        );
      }
    }
  }
  return {
    bundle: store.locate(keys.bundle),
    signature: store.locate(keys.signature),
    alreadyStored: written === 0,
  };
}

/** Options for {@linkcode readEvidence}. */
export interface ReadEvidenceOptions {
  /** The migration id. */
  migrationId: string;
  /** Cancels the reads. */
  signal?: AbortSignal;
}

/** A bundle read back from a store (not yet verified). */
export interface ReadEvidenceResult {
  /** The payload bytes. */
  payload: Uint8Array;
  /** The detached signature. */
  signature: DetachedSignature;
  /** Where they were. */
  locations: { bundle: string; signature: string };
}

/**
 * Reads a migration's bundle and signature; `undefined` when the bundle is
 * absent. Throws `EVIDENCE_INVALID` when the bundle is there without a
 * readable signature. Verify the result with `verifyEvidence`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createDirectoryStore } from "../store/directory_store.ts";
 * import { readEvidence } from "./store_evidence.ts";
 * const dir = await Deno.makeTempDir();
 * using store = createDirectoryStore({ directory: dir });
 * assert.equal(await readEvidence(store, { migrationId: "nope" }), undefined);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function readEvidence(
  store: ObjectStore,
  options: ReadEvidenceOptions,
): Promise<ReadEvidenceResult | undefined> {
  const keys = evidenceKeys(options.migrationId);
  const read = options.signal === undefined ? {} : { signal: options.signal };
  const payload = await store.get(keys.bundle, read);
  if (payload === undefined) return undefined;
  const locations = { bundle: store.locate(keys.bundle), signature: store.locate(keys.signature) };
  const sigBytes = await store.get(keys.signature, read);
  if (sigBytes === undefined) {
    throw new KraftoverError(
      "EVIDENCE_INVALID",
      `Cannot read evidence for ${options.migrationId}: ${locations.signature} is missing`,
      { phase: "evidence", detail: locations },
    );
  }
  return { payload, signature: parseDetachedSignature(sigBytes), locations };
}
