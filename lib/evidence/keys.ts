/**
 * Ed25519 keys for evidence signing (`@noble/ed25519`, async API over
 * WebCrypto SHA-512), stored as PEM: PKCS#8 `PRIVATE KEY` and SPKI
 * `PUBLIC KEY` (RFC 8410), the formats OpenSSL reads and writes — so
 * `openssl pkey -in key.pem -pubout` prints the same public key file, and
 * keys made with `openssl genpkey -algorithm ed25519` load here.
 *
 * A key's fingerprint is `sha256:` followed by the hex SHA-256 of the raw
 * 32-byte public key.
 *
 * The private key file is written with mode 0600 and loading refuses a file
 * that group or others can read or write.
 *
 * @module
 */

import * as ed from "@noble/ed25519";
import { join } from "node:path";
import { KraftoverError } from "../errors.ts";
import { REDACTED } from "../secret.ts";
import { writeFileAtomic } from "../store/atomic_write.ts";
import { equalBytes } from "../store/equal_bytes.ts";

/** File name of the private key that {@linkcode writeKeyPair} writes into a directory. */
export const PRIVATE_KEY_FILE = "kraftover-evidence.key.pem";
/** File name of the public key that {@linkcode writeKeyPair} writes into a directory. */
export const PUBLIC_KEY_FILE = "kraftover-evidence.pub.pem";

// DER: SEQUENCE { SEQUENCE { OID 1.3.101.112 } … }
const ED25519_OID = Uint8Array.from([0x06, 0x03, 0x2b, 0x65, 0x70]);
const PKCS8_PREFIX = Uint8Array.fromHex("302e020100300506032b657004220420");
const SPKI_PREFIX = Uint8Array.fromHex("302a300506032b6570032100");

/**
 * An Ed25519 public key.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { generateSigningKeyPair, PublicKey } from "./keys.ts";
 * const { publicKey } = await generateSigningKeyPair();
 * const again = await PublicKey.fromPem(publicKey.toPem());
 * assert.equal(again.fingerprint, publicKey.fingerprint);
 * assert.match(publicKey.fingerprint, /^sha256:[0-9a-f]{64}$/);
 * ```
 */
export class PublicKey {
  /** Always `Ed25519`. */
  readonly algorithm = "Ed25519" as const;
  /** The raw 32-byte key. */
  readonly raw: Uint8Array;
  /** `sha256:` + hex SHA-256 of {@linkcode PublicKey.raw}. */
  readonly fingerprint: string;

  private constructor(raw: Uint8Array, fingerprint: string) {
    this.raw = raw;
    this.fingerprint = fingerprint;
  }

  /** A public key from its raw 32 bytes. */
  static async fromRaw(raw: Uint8Array): Promise<PublicKey> {
    if (raw.length !== 32) throw keyError(`an Ed25519 public key has 32 bytes, not ${raw.length}`);
    try {
      ed.Point.fromBytes(raw); // rejects bytes that are not a curve point
    } catch (cause) {
      throw keyError("the public key is not a valid Ed25519 point", cause);
    }
    const copy = raw.slice();
    return new PublicKey(copy, await keyFingerprint(copy));
  }

  /** A public key from SPKI PEM (`-----BEGIN PUBLIC KEY-----`). */
  static fromPem(pem: string): Promise<PublicKey> {
    const der = pemBody(pem, "PUBLIC KEY");
    return PublicKey.fromRaw(spkiToRaw(der));
  }

  /** Verifies an Ed25519 signature (RFC 8032, strict: not ZIP-215). */
  verify(signature: Uint8Array, message: Uint8Array): Promise<boolean> {
    if (signature.length !== 64) return Promise.resolve(false);
    return ed.verifyAsync(signature, message, this.raw, { zip215: false }).catch(() => false);
  }

  /** SPKI PEM, as `openssl pkey -pubout` writes it. */
  toPem(): string {
    return toPem("PUBLIC KEY", concat(SPKI_PREFIX, this.raw));
  }
}

/**
 * An Ed25519 private key. It never prints or serialises its secret part
 * (`toJSON`/inspection give `[redacted]`); {@linkcode SigningKey.toPem} is the
 * one way out.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { generateSigningKeyPair } from "./keys.ts";
 * const { privateKey, publicKey } = await generateSigningKeyPair();
 * const message = new TextEncoder().encode("hello");
 * assert.ok(await publicKey.verify(await privateKey.sign(message), message));
 * assert.equal(JSON.stringify({ privateKey }), '{"privateKey":"[redacted]"}');
 * ```
 */
export class SigningKey {
  /** Always `Ed25519`. */
  readonly algorithm = "Ed25519" as const;
  /** The matching public key. */
  readonly publicKey: PublicKey;
  readonly #seed: Uint8Array;

  private constructor(seed: Uint8Array, publicKey: PublicKey) {
    this.#seed = seed;
    this.publicKey = publicKey;
  }

  /** A private key from its 32-byte RFC 8032 seed. */
  static async fromSeed(seed: Uint8Array): Promise<SigningKey> {
    if (seed.length !== 32) {
      throw keyError(`an Ed25519 private key has 32 bytes, not ${seed.length}`);
    }
    const copy = seed.slice();
    return new SigningKey(copy, await PublicKey.fromRaw(await ed.getPublicKeyAsync(copy)));
  }

  /** A private key from unencrypted PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`). */
  static async fromPem(pem: string): Promise<SigningKey> {
    const { seed, publicKey } = pkcs8ToSeed(pemBody(pem, "PRIVATE KEY"));
    const key = await SigningKey.fromSeed(seed);
    if (publicKey !== undefined && !equalBytes(publicKey, key.publicKey.raw)) {
      throw keyError("the public key inside the PKCS#8 file does not match its private key");
    }
    return key;
  }

  /** The Ed25519 signature (64 bytes) of `message`. */
  sign(message: Uint8Array): Promise<Uint8Array> {
    return ed.signAsync(message, this.#seed);
  }

  /** PKCS#8 PEM, as `openssl genpkey -algorithm ed25519` writes it. Contains the secret. */
  toPem(): string {
    return toPem("PRIVATE KEY", concat(PKCS8_PREFIX, this.#seed));
  }

  /** Always `[redacted]`. */
  toJSON(): string {
    return REDACTED;
  }

  /** Always `[redacted]`. */
  toString(): string {
    return REDACTED;
  }

  /** Deno's inspection: the fingerprint, never the secret. */
  [Symbol.for("Deno.customInspect")](): string {
    return `SigningKey(${this.publicKey.fingerprint}, ${REDACTED})`;
  }

  /** Node's inspection: the fingerprint, never the secret. */
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return `SigningKey(${this.publicKey.fingerprint}, ${REDACTED})`;
  }
}

/** A private key and its public key. */
export interface SigningKeyPair {
  /** The private (signing) key. */
  privateKey: SigningKey;
  /** The public (verifying) key. */
  publicKey: PublicKey;
}

/**
 * Makes a new Ed25519 key pair from the system's secure random source.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { generateSigningKeyPair } from "./keys.ts";
 * const pair = await generateSigningKeyPair();
 * assert.equal(pair.privateKey.publicKey.fingerprint, pair.publicKey.fingerprint);
 * ```
 */
export async function generateSigningKeyPair(): Promise<SigningKeyPair> {
  const privateKey = await SigningKey.fromSeed(ed.utils.randomSecretKey());
  return { privateKey, publicKey: privateKey.publicKey };
}

/**
 * `sha256:` + hex SHA-256 of a raw 32-byte public key.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { keyFingerprint } from "./keys.ts";
 * assert.equal(
 *   await keyFingerprint(new Uint8Array(32)),
 *   "sha256:66687aadf862bd776c8fc18b8e9f8e20089714856ee233b3902a591d0d5f2925",
 * );
 * ```
 */
export async function keyFingerprint(raw: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", raw.slice()));
  return `sha256:${digest.toHex()}`;
}

/** Where {@linkcode writeKeyPair} writes: a directory, or both paths. */
export type KeyPairTarget = string | { privateKeyPath: string; publicKeyPath: string };

/** Options for {@linkcode writeKeyPair}. */
export interface WriteKeyPairOptions {
  /** Replace existing key files (the old private key is lost). @default false */
  overwrite?: boolean;
}

/** What {@linkcode writeKeyPair} wrote. */
export interface WrittenKeyPair {
  /** The private key file (mode 0600). */
  privateKeyPath: string;
  /** The public key file (mode 0644). */
  publicKeyPath: string;
  /** The key's fingerprint. */
  fingerprint: string;
}

/**
 * Writes a key pair as PEM files: the private key with mode 0600, the public
 * key with mode 0644, each crash-safely. Given a directory (created with mode
 * 0700 when missing), the files are {@linkcode PRIVATE_KEY_FILE} and
 * {@linkcode PUBLIC_KEY_FILE} in it. Existing files are never replaced unless
 * `overwrite` is set (`SIGNING_KEY` error).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { generateSigningKeyPair, loadSigningKey, writeKeyPair } from "./keys.ts";
 * const dir = await Deno.makeTempDir();
 * const written = await writeKeyPair(await generateSigningKeyPair(), dir);
 * assert.equal((await Deno.stat(written.privateKeyPath)).mode! & 0o777, 0o600);
 * const key = await loadSigningKey(written.privateKeyPath);
 * assert.equal(key.publicKey.fingerprint, written.fingerprint);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeKeyPair(
  pair: SigningKeyPair,
  target: KeyPairTarget,
  options: WriteKeyPairOptions = {},
): Promise<WrittenKeyPair> {
  let paths: { privateKeyPath: string; publicKeyPath: string };
  if (typeof target === "string") {
    try {
      await Deno.mkdir(target, { recursive: true, mode: 0o700 });
    } catch (cause) {
      throw writeError(target, cause);
    }
    paths = {
      privateKeyPath: join(target, PRIVATE_KEY_FILE),
      publicKeyPath: join(target, PUBLIC_KEY_FILE),
    };
  } else {
    paths = target;
  }
  const noClobber = !(options.overwrite ?? false);
  const files = [
    [paths.privateKeyPath, pair.privateKey.toPem(), 0o600],
    [paths.publicKeyPath, pair.publicKey.toPem(), 0o644],
  ] as const;
  if (noClobber) {
    // Check both first, so a refusal never leaves a new private key beside an old public key.
    for (const [path] of files) {
      if (await Deno.lstat(path).then(() => true, () => false)) throw existsError(path);
    }
  }
  for (const [path, pem, mode] of files) {
    try {
      await writeFileAtomic(path, new TextEncoder().encode(pem), { mode, noClobber });
    } catch (cause) {
      throw cause instanceof Deno.errors.AlreadyExists
        ? existsError(path, cause)
        : writeError(path, cause);
    }
  }
  return { ...paths, fingerprint: pair.publicKey.fingerprint };
}

/**
 * Loads a PKCS#8 PEM private key. Refuses (`SIGNING_KEY`) a file that group or
 * others may read or write, an encrypted or OpenSSH-format key, or another
 * algorithm.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { generateSigningKeyPair, loadSigningKey } from "./keys.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/k.pem`, (await generateSigningKeyPair()).privateKey.toPem(), {
 *   mode: 0o644,
 * });
 * await Deno.chmod(`${dir}/k.pem`, 0o644);
 * await assert.rejects(loadSigningKey(`${dir}/k.pem`), /chmod 600/);
 * await Deno.chmod(`${dir}/k.pem`, 0o600);
 * await loadSigningKey(`${dir}/k.pem`);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function loadSigningKey(path: string): Promise<SigningKey> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (cause) {
    throw readError("private", path, cause);
  }
  if (info.mode !== null && (info.mode & 0o077) !== 0) {
    const mode = (info.mode & 0o777).toString(8).padStart(4, "0");
    throw new KraftoverError(
      "SIGNING_KEY",
      `Cannot use private key ${path}: group or others may read or write it (mode ${mode}); ` +
        `run chmod 600 ${path}`,
      { phase: "evidence", detail: { path, mode, reason: "insecure_permissions" } },
    );
  }
  let pem: string;
  try {
    pem = await Deno.readTextFile(path);
  } catch (cause) {
    throw readError("private", path, cause);
  }
  return withPath(path, () => SigningKey.fromPem(pem));
}

/**
 * Loads an SPKI PEM public key (as written by {@linkcode writeKeyPair} or
 * `openssl pkey -pubout`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { generateSigningKeyPair, loadPublicKey } from "./keys.ts";
 * const dir = await Deno.makeTempDir();
 * const { publicKey } = await generateSigningKeyPair();
 * await Deno.writeTextFile(`${dir}/k.pub.pem`, publicKey.toPem());
 * assert.equal((await loadPublicKey(`${dir}/k.pub.pem`)).fingerprint, publicKey.fingerprint);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function loadPublicKey(path: string): Promise<PublicKey> {
  let pem: string;
  try {
    pem = await Deno.readTextFile(path);
  } catch (cause) {
    throw readError("public", path, cause);
  }
  return withPath(path, () => PublicKey.fromPem(pem));
}

async function withPath<T>(path: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (cause) {
    if (cause instanceof KraftoverError && typeof cause.detail?.problem === "string") {
      throw new KraftoverError("SIGNING_KEY", `Cannot use key ${path}: ${cause.detail.problem}`, {
        phase: "evidence",
        cause,
        detail: { path, problem: cause.detail.problem },
      });
    }
    throw cause;
  }
}

function existsError(path: string, cause?: unknown): KraftoverError {
  return new KraftoverError(
    "SIGNING_KEY",
    `Cannot write ${path}: it already exists; move it away first (bundles signed with the old ` +
      "key verify only with its public key)",
    { phase: "evidence", cause, detail: { path, reason: "already_exists" } },
  );
}

function writeError(path: string, cause: unknown): KraftoverError {
  return new KraftoverError("SIGNING_KEY", `Cannot write ${path}: ${(cause as Error).message}`, {
    phase: "evidence",
    cause,
    detail: { path },
  });
}

function readError(kind: "private" | "public", path: string, cause: unknown): KraftoverError {
  const hint = cause instanceof Deno.errors.NotFound
    ? kind === "private" ? "not found; make one with kraftover keygen" : "not found"
    : (cause as Error).message;
  return new KraftoverError("SIGNING_KEY", `Cannot read ${kind} key ${path}: ${hint}`, {
    phase: "evidence",
    cause,
    detail: { path },
  });
}

function keyError(message: string, cause?: unknown): KraftoverError {
  return new KraftoverError("SIGNING_KEY", `Cannot use the key: ${message}`, {
    phase: "evidence",
    detail: { problem: message },
    ...(cause === undefined ? {} : { cause }),
  });
}

function pemBody(pem: string, label: "PRIVATE KEY" | "PUBLIC KEY"): Uint8Array {
  const match = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/.exec(pem);
  if (match === null) throw keyError(`expected a PEM "${label}" block`);
  const found = match[1]!;
  if (found !== label) {
    const hint = found === "ENCRYPTED PRIVATE KEY"
      ? "; decrypt it first (openssl pkey -in KEY -out PLAIN)"
      : found === "OPENSSH PRIVATE KEY"
      ? "; convert it to PKCS#8 (ssh-keygen -p -m PKCS8 -f KEY) or make one with kraftover keygen"
      : "";
    throw keyError(`expected a PEM "${label}" block, found "${found}"${hint}`);
  }
  try {
    return Uint8Array.fromBase64(match[2]!.replace(/\s+/g, ""));
  } catch (cause) {
    throw keyError("the PEM body is not base64", cause);
  }
}

function toPem(label: string, der: Uint8Array): string {
  const lines = der.toBase64().match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

/** One DER TLV: tag, contents [start, end), and where the next TLV begins. */
interface Der {
  tag: number;
  start: number;
  end: number;
}

function readDer(bytes: Uint8Array, at: number, limit: number): Der {
  const tag = bytes[at];
  let length = bytes[at + 1];
  if (tag === undefined || length === undefined) throw keyError("truncated DER");
  let start = at + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 2) throw keyError("unsupported DER length");
    length = 0;
    for (let i = 0; i < count; i++) length = (length << 8) | (bytes[start + i] ?? 0);
    start += count;
  }
  const end = start + length;
  if (end > limit) throw keyError("truncated DER");
  return { tag, start, end };
}

function children(bytes: Uint8Array, parent: Der): Der[] {
  const out: Der[] = [];
  for (let at = parent.start; at < parent.end;) {
    const child = readDer(bytes, at, parent.end);
    out.push(child);
    at = child.end;
  }
  return out;
}

function checkAlgorithm(bytes: Uint8Array, algorithm: Der | undefined): void {
  // AlgorithmIdentifier: SEQUENCE { OID 1.3.101.112 }, parameters absent (RFC 8410).
  const parts = algorithm?.tag === 0x30 ? children(bytes, algorithm) : [];
  const oid = parts[0];
  const isEd25519 = parts.length === 1 && oid !== undefined &&
    equalBytes(bytes.subarray(oid.start - 2, oid.end), ED25519_OID);
  if (!isEd25519) throw keyError("not an Ed25519 key (OID 1.3.101.112)");
}

/** PKCS#8 v1 or v2 (RFC 5958/8410) → the 32-byte seed, and the embedded public key if any. */
function pkcs8ToSeed(der: Uint8Array): { seed: Uint8Array; publicKey?: Uint8Array } {
  const top = readDer(der, 0, der.length);
  if (top.tag !== 0x30 || top.end !== der.length) throw keyError("not a PKCS#8 structure");
  const [version, algorithm, privateKey, ...rest] = children(der, top);
  if (version?.tag !== 0x02 || version.end - version.start !== 1) {
    throw keyError("not a PKCS#8 structure");
  }
  checkAlgorithm(der, algorithm);
  if (privateKey?.tag !== 0x04) throw keyError("PKCS#8 private key missing");
  const inner = readDer(der, privateKey.start, privateKey.end);
  if (inner.tag !== 0x04 || inner.end - inner.start !== 32 || inner.end !== privateKey.end) {
    throw keyError("PKCS#8 private key is not a 32-byte Ed25519 seed");
  }
  const seed = der.slice(inner.start, inner.end);
  const publicField = rest.find((d) => d.tag === 0x81); // [1] IMPLICIT BIT STRING
  if (publicField === undefined) return { seed };
  if (publicField.end - publicField.start !== 33 || der[publicField.start] !== 0) {
    throw keyError("PKCS#8 public key is not 32 bytes");
  }
  return { seed, publicKey: der.slice(publicField.start + 1, publicField.end) };
}

/** SPKI → the raw 32-byte public key. */
function spkiToRaw(der: Uint8Array): Uint8Array {
  const top = readDer(der, 0, der.length);
  if (top.tag !== 0x30 || top.end !== der.length) throw keyError("not an SPKI structure");
  const [algorithm, bits, ...rest] = children(der, top);
  checkAlgorithm(der, algorithm);
  if (bits?.tag !== 0x03 || rest.length > 0) throw keyError("not an SPKI structure");
  if (bits.end - bits.start !== 33 || der[bits.start] !== 0) {
    throw keyError("SPKI public key is not 32 bytes");
  }
  return der.slice(bits.start + 1, bits.end);
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
