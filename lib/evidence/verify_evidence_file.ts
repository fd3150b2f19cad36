/**
 * Offline verification of a bundle on disk — what
 * `kraftover evidence verify FILE --public-key KEY` runs.
 *
 * @module
 */

import { KraftoverError } from "../errors.ts";
import { loadPublicKey } from "./keys.ts";
import { parseDetachedSignature, verifyEvidence } from "./sign.ts";
import type { VerifyEvidenceResult } from "./sign.ts";

/** Options for {@linkcode verifyEvidenceFile}. */
export interface VerifyEvidenceFileOptions {
  /** The SPKI PEM public key to verify with. */
  publicKeyPath: string;
  /** The detached signature. @default `${file}.sig` */
  signaturePath?: string;
}

/** The outcome of {@linkcode verifyEvidenceFile}: the verification plus the paths used. */
export type VerifyEvidenceFileResult = VerifyEvidenceResult & {
  /** The bundle verified. */
  file: string;
  /** The signature used. */
  signaturePath: string;
};

/**
 * Verifies a bundle file against its detached signature (`FILE.sig` unless
 * given) and a public key, with no network. A failed check is a result with
 * `ok: false` (exit 3 in the CLI); an unreadable bundle or signature file
 * throws `USAGE`, an unusable key `SIGNING_KEY`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { generateSigningKeyPair, writeKeyPair } from "./keys.ts";
 * import { encodeDetachedSignature, signEvidence } from "./sign.ts";
 * import { verifyEvidenceFile } from "./verify_evidence_file.ts";
 * import type { EvidenceBundle } from "./bundle.ts";
 * const dir = await Deno.makeTempDir();
 * const pair = await generateSigningKeyPair();
 * const { publicKeyPath } = await writeKeyPair(pair, dir);
 * const bundle = { schema: "kraftover.evidence/v1", migration_id: "m-1" } as unknown as EvidenceBundle;
 * const signed = await signEvidence(bundle, pair.privateKey);
 * await Deno.writeFile(`${dir}/bundle.json`, signed.payload);
 * await Deno.writeFile(`${dir}/bundle.json.sig`, encodeDetachedSignature(signed.signature));
 * const result = await verifyEvidenceFile(`${dir}/bundle.json`, { publicKeyPath });
 * assert.equal(result.ok, true);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function verifyEvidenceFile(
  file: string,
  options: VerifyEvidenceFileOptions,
): Promise<VerifyEvidenceFileResult> {
  const signaturePath = options.signaturePath ?? `${file}.sig`;
  const payload = await readInput(file, "evidence bundle");
  const signatureBytes = await readInput(signaturePath, "detached signature");
  const publicKey = await loadPublicKey(options.publicKeyPath);
  let result: VerifyEvidenceResult;
  try {
    result = await verifyEvidence(payload, parseDetachedSignature(signatureBytes), publicKey);
  } catch (error) {
    if (!(error instanceof KraftoverError) || error.code !== "EVIDENCE_INVALID") throw error;
    result = { ok: false, check: "malformed_signature", reason: error.message };
  }
  return { ...result, file, signaturePath };
}

async function readInput(path: string, what: string): Promise<Uint8Array> {
  try {
    return await Deno.readFile(path);
  } catch (cause) {
    const why = cause instanceof Deno.errors.NotFound ? "not found" : (cause as Error).message;
    throw new KraftoverError("USAGE", `Cannot read ${what} ${path}: ${why}`, {
      phase: "evidence",
      cause,
      detail: { path },
    });
  }
}
