/**
 * Signing and verifying the evidence bundle: the payload is the bundle's RFC
 * 8785 canonical JSON (UTF-8 bytes); the detached signature is a small JSON
 * document naming the algorithm, the signing key's fingerprint, the payload's
 * SHA-256 and the base64 Ed25519 signature over the exact payload bytes.
 *
 * `signed_at` in the detached signature is informational: it is not covered by
 * the signature. The authenticated times are those inside the payload
 * (`timestamps`).
 *
 * @module
 */

import { KraftoverError } from "../errors.ts";
import type { EvidenceBundle } from "./bundle.ts";
import { EVIDENCE_SCHEMA } from "./bundle.ts";
import { canonicalJsonBytes, parseCanonicalJson } from "./canonical_json.ts";
import type { PublicKey, SigningKey } from "./keys.ts";

/** The detached signature of a bundle (`bundle.json.sig`). */
export interface DetachedSignature {
  /** Always `Ed25519`. */
  readonly algorithm: "Ed25519";
  /** `sha256:` + hex SHA-256 of the raw public key that verifies it. */
  readonly key_fingerprint: string;
  /** Hex SHA-256 of the payload bytes. */
  readonly payload_sha256: string;
  /** Base64 of the 64-byte Ed25519 signature over the payload bytes. */
  readonly signature: string;
  /** When it was signed (ISO 8601; not covered by the signature). */
  readonly signed_at: string;
}

/** A signed bundle: the exact payload bytes and their detached signature. */
export interface SignedEvidence {
  /** The canonical JSON of the bundle (what is stored as `bundle.json`). */
  payload: Uint8Array;
  /** The detached signature (stored as `bundle.json.sig`). */
  signature: DetachedSignature;
}

/** Options for {@linkcode signEvidence}. */
export interface SignEvidenceOptions {
  /** The clock for `signed_at`. @default () => new Date() */
  now?: () => Date;
}

/**
 * Canonicalises a bundle (RFC 8785) and signs the bytes with Ed25519.
 * Throws `EVIDENCE_INVALID` when it is not a `kraftover.evidence/v1` bundle
 * or holds a value JSON cannot represent exactly (a bigint, NaN, …).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { generateSigningKeyPair } from "./keys.ts";
 * import { signEvidence, verifyEvidence } from "./sign.ts";
 * import type { EvidenceBundle } from "./bundle.ts";
 * const bundle = { schema: "kraftover.evidence/v1", migration_id: "m-1" } as unknown as EvidenceBundle;
 * const { privateKey, publicKey } = await generateSigningKeyPair();
 * const { payload, signature } = await signEvidence(bundle, privateKey);
 * assert.equal(signature.key_fingerprint, publicKey.fingerprint);
 * assert.deepEqual(await verifyEvidence(payload, signature, publicKey), {
 *   ok: true,
 *   keyFingerprint: publicKey.fingerprint,
 *   payloadSha256: signature.payload_sha256,
 *   migrationId: "m-1",
 * });
 * ```
 */
export async function signEvidence(
  bundle: EvidenceBundle,
  privateKey: SigningKey,
  options: SignEvidenceOptions = {},
): Promise<SignedEvidence> {
  if (bundle.schema !== EVIDENCE_SCHEMA || typeof bundle.migration_id !== "string") {
    throw new KraftoverError(
      "EVIDENCE_INVALID",
      `Cannot sign evidence: expected a ${EVIDENCE_SCHEMA} bundle with a migration_id; ` +
        "build it with buildEvidenceBundle",
      { phase: "evidence" },
    );
  }
  const payload = canonicalJsonBytes(bundle);
  const signature: DetachedSignature = {
    algorithm: "Ed25519",
    key_fingerprint: privateKey.publicKey.fingerprint,
    payload_sha256: await sha256Hex(payload),
    signature: (await privateKey.sign(payload)).toBase64(),
    signed_at: (options.now ?? (() => new Date()))().toISOString(),
  };
  return { payload, signature };
}

/** Which verification check failed. */
export type EvidenceCheck =
  | "malformed_signature"
  | "key_mismatch"
  | "digest_mismatch"
  | "bad_signature"
  | "not_canonical"
  | "wrong_schema";

/** The outcome of {@linkcode verifyEvidence}. */
export type VerifyEvidenceResult =
  | {
    ok: true;
    /** The fingerprint of the key that signed it. */
    keyFingerprint: string;
    /** Hex SHA-256 of the payload. */
    payloadSha256: string;
    /** The bundle's migration id. */
    migrationId: string;
  }
  | {
    ok: false;
    /** The check that failed (stable, for programs). */
    check: EvidenceCheck;
    /** What is wrong, for people. */
    reason: string;
  };

/**
 * Verifies a payload against its detached signature and a public key,
 * offline. Checks, in order: the signature document's shape; that it names
 * the given key (else "signed with another key"); the payload's SHA-256; the
 * Ed25519 signature over the exact bytes (RFC 8032, strict); that the payload
 * is canonical JSON (re-canonicalising gives identical bytes); and its schema.
 * Any changed byte fails.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { generateSigningKeyPair } from "./keys.ts";
 * import { signEvidence, verifyEvidence } from "./sign.ts";
 * import type { EvidenceBundle } from "./bundle.ts";
 * const bundle = { schema: "kraftover.evidence/v1", migration_id: "m-1" } as unknown as EvidenceBundle;
 * const { privateKey } = await generateSigningKeyPair();
 * const other = await generateSigningKeyPair();
 * const { payload, signature } = await signEvidence(bundle, privateKey);
 * const result = await verifyEvidence(payload, signature, other.publicKey);
 * assert.equal(result.ok, false);
 * assert.equal(!result.ok && result.check, "key_mismatch");
 * ```
 */
export async function verifyEvidence(
  payload: Uint8Array,
  signature: DetachedSignature,
  publicKey: PublicKey,
): Promise<VerifyEvidenceResult> {
  const shape = signatureProblem(signature);
  if (shape !== undefined) return fail("malformed_signature", shape);
  if (signature.key_fingerprint !== publicKey.fingerprint) {
    return fail(
      "key_mismatch",
      `signed with another key: the signature names ${signature.key_fingerprint}, ` +
        `the public key given is ${publicKey.fingerprint}`,
    );
  }
  const digest = await sha256Hex(payload);
  if (digest !== signature.payload_sha256) {
    return fail(
      "digest_mismatch",
      `the payload changed: its SHA-256 is ${digest}, the signature covers ${signature.payload_sha256}`,
    );
  }
  const bytes = Uint8Array.fromBase64(signature.signature);
  if (!(await publicKey.verify(bytes, payload))) {
    return fail("bad_signature", "the Ed25519 signature does not verify over the payload");
  }
  let parsed: unknown;
  try {
    parsed = parseCanonicalJson(payload);
  } catch (error) {
    return fail("not_canonical", (error as Error).message);
  }
  const doc = (typeof parsed === "object" && parsed !== null ? parsed : {}) as Record<
    string,
    unknown
  >;
  if (doc.schema !== EVIDENCE_SCHEMA || typeof doc.migration_id !== "string") {
    return fail(
      "wrong_schema",
      `the payload is not a ${EVIDENCE_SCHEMA} bundle (schema ${JSON.stringify(doc.schema)})`,
    );
  }
  return {
    ok: true,
    keyFingerprint: publicKey.fingerprint,
    payloadSha256: digest,
    migrationId: doc.migration_id,
  };
}

/**
 * The bytes of a detached signature file: canonical JSON.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeDetachedSignature, parseDetachedSignature } from "./sign.ts";
 * const sig = {
 *   algorithm: "Ed25519",
 *   key_fingerprint: "sha256:" + "0".repeat(64),
 *   payload_sha256: "0".repeat(64),
 *   signature: "A".repeat(86) + "==",
 *   signed_at: "2025-01-01T00:00:00.000Z",
 * } as const;
 * assert.deepEqual(parseDetachedSignature(encodeDetachedSignature(sig)), sig);
 * ```
 */
export function encodeDetachedSignature(signature: DetachedSignature): Uint8Array {
  return canonicalJsonBytes(signature);
}

/**
 * Parses a detached signature file. Throws `EVIDENCE_INVALID` when it is not
 * JSON or lacks a field; values are checked by {@linkcode verifyEvidence}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseDetachedSignature } from "./sign.ts";
 * assert.throws(() => parseDetachedSignature(new TextEncoder().encode("{}")));
 * ```
 */
export function parseDetachedSignature(bytes: Uint8Array): DetachedSignature {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (cause) {
    throw invalidSignature("it is not JSON", cause);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw invalidSignature("it is not a JSON object");
  }
  const fields = ["algorithm", "key_fingerprint", "payload_sha256", "signature", "signed_at"];
  const record = value as Record<string, unknown>;
  const missing = fields.filter((f) => typeof record[f] !== "string");
  if (missing.length > 0) throw invalidSignature(`missing or non-string ${missing.join(", ")}`);
  return {
    algorithm: record.algorithm as "Ed25519",
    key_fingerprint: record.key_fingerprint as string,
    payload_sha256: record.payload_sha256 as string,
    signature: record.signature as string,
    signed_at: record.signed_at as string,
  };
}

/**
 * Hex SHA-256 of bytes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sha256Hex } from "./sign.ts";
 * assert.equal(
 *   await sha256Hex(new Uint8Array()),
 *   "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
 * );
 * ```
 */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes.slice())).toHex();
}

function signatureProblem(signature: DetachedSignature): string | undefined {
  if (signature.algorithm !== "Ed25519") {
    return `unsupported algorithm ${JSON.stringify(signature.algorithm)} (expected Ed25519)`;
  }
  if (!/^sha256:[0-9a-f]{64}$/.test(signature.key_fingerprint)) {
    return "key_fingerprint is not sha256:<64 hex digits>";
  }
  if (!/^[0-9a-f]{64}$/.test(signature.payload_sha256)) {
    return "payload_sha256 is not 64 lowercase hex digits";
  }
  if (!/^[A-Za-z0-9+/]{86}==$/.test(signature.signature)) {
    return "signature is not the base64 of 64 bytes";
  }
  return undefined;
}

function fail(check: EvidenceCheck, reason: string): VerifyEvidenceResult {
  return { ok: false, check, reason };
}

function invalidSignature(problem: string, cause?: unknown): KraftoverError {
  return new KraftoverError("EVIDENCE_INVALID", `Cannot read the detached signature: ${problem}`, {
    phase: "evidence",
    ...(cause === undefined ? {} : { cause }),
  });
}
