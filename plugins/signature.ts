/**
 * The `X-Kraftover-Signature` scheme of kraftover's webhooks, for senders and
 * receivers: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`.
 * Receivers recompute the HMAC over the raw body they received and reject
 * timestamps outside a tolerance, which defeats replays.
 *
 * @module
 */

import type { Secret } from "../lib/secret.ts";

/** The header carrying the signature. */
export const SIGNATURE_HEADER = "X-Kraftover-Signature";

/** Options for {@linkcode signKraftoverBody}. */
export interface SignKraftoverBodyOptions {
  /** The signing time in Unix seconds. @default now */
  timestamp?: number;
}

/** Options for {@linkcode verifyKraftoverSignature}. */
export interface VerifyKraftoverSignatureOptions {
  /** Largest accepted distance between the signature's time and now, in seconds. @default 300 */
  toleranceSeconds?: number;
  /** The clock. @default () => new Date() */
  now?: () => Date;
}

/** The outcome of {@linkcode verifyKraftoverSignature}. */
export type KraftoverSignatureVerification =
  | { readonly ok: true; readonly timestamp: number }
  | { readonly ok: false; readonly reason: "missing" | "malformed" | "stale" | "mismatch" };

const encoder = new TextEncoder();

/**
 * The `X-Kraftover-Signature` header value for a body.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { signKraftoverBody } from "./signature.ts";
 * const header = await signKraftoverBody('{"event":"notify"}', "whsec-example-0002", {
 *   timestamp: 1_700_000_000,
 * });
 * assert.ok(/^t=1700000000,v1=[0-9a-f]{64}$/.test(header));
 * ```
 */
export async function signKraftoverBody(
  body: string | Uint8Array,
  secret: string | Secret,
  options: SignKraftoverBodyOptions = {},
): Promise<string> {
  const t = options.timestamp ?? Math.floor(Date.now() / 1000);
  const key = await hmacKey(secret, ["sign"]);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, signedBytes(t, body)));
  return `t=${t},v1=${toHex(mac)}`;
}

/**
 * Checks an `X-Kraftover-Signature` header against the raw request body (the
 * exact bytes received, before any JSON parsing) and a shared secret. Accepts
 * when one `v1` matches and `t` is within `toleranceSeconds` of now; the
 * comparison is constant-time (WebCrypto `verify`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { signKraftoverBody, verifyKraftoverSignature } from "./signature.ts";
 * const body = '{"event":"producers:freeze"}';
 * const header = await signKraftoverBody(body, "whsec-example-0003");
 * const good = await verifyKraftoverSignature(body, header, "whsec-example-0003");
 * const bad = await verifyKraftoverSignature(body, header, "another-secret");
 * assert.ok(good.ok && !bad.ok && bad.reason === "mismatch");
 * ```
 *
 * A receiver:
 * ```ts ignore
 * Deno.serve(async (req) => {
 *   const body = new Uint8Array(await req.arrayBuffer());
 *   const check = await verifyKraftoverSignature(body, req.headers.get("X-Kraftover-Signature"), SECRET);
 *   if (!check.ok) return new Response(check.reason, { status: 401 });
 *   // …freeze producers, then answer 2xx
 *   return new Response(null, { status: 204 });
 * });
 * ```
 */
export async function verifyKraftoverSignature(
  body: string | Uint8Array,
  header: string | null | undefined,
  secret: string | Secret,
  options: VerifyKraftoverSignatureOptions = {},
): Promise<KraftoverSignatureVerification> {
  if (header === null || header === undefined || header.trim() === "") {
    return { ok: false, reason: "missing" };
  }
  let t: number | undefined;
  const macs: Uint8Array<ArrayBuffer>[] = [];
  for (const part of header.split(",")) {
    const eq = part.indexOf("=");
    const name = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (eq < 0) return { ok: false, reason: "malformed" };
    if (name === "t") {
      if (!/^\d{1,12}$/.test(value) || t !== undefined) return { ok: false, reason: "malformed" };
      t = Number(value);
    } else if (name === "v1") {
      const mac = fromHex(value);
      if (mac === undefined) return { ok: false, reason: "malformed" };
      macs.push(mac);
    }
  }
  if (t === undefined || macs.length === 0) return { ok: false, reason: "malformed" };
  const nowSeconds = Math.floor((options.now?.() ?? new Date()).getTime() / 1000);
  if (Math.abs(nowSeconds - t) > (options.toleranceSeconds ?? 300)) {
    return { ok: false, reason: "stale" };
  }
  const key = await hmacKey(secret, ["verify"]);
  const data = signedBytes(t, body);
  for (const mac of macs) {
    if (await crypto.subtle.verify("HMAC", key, mac, data)) return { ok: true, timestamp: t };
  }
  return { ok: false, reason: "mismatch" };
}

function hmacKey(secret: string | Secret, usages: KeyUsage[]): Promise<CryptoKey> {
  const raw = encoder.encode(typeof secret === "string" ? secret : secret.reveal());
  return crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, usages);
}

function signedBytes(t: number, body: string | Uint8Array): Uint8Array<ArrayBuffer> {
  const prefix = encoder.encode(`${t}.`);
  const rest = typeof body === "string" ? encoder.encode(body) : body;
  const out = new Uint8Array(prefix.length + rest.length);
  out.set(prefix);
  out.set(rest, prefix.length);
  return out;
}

function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function fromHex(text: string): Uint8Array<ArrayBuffer> | undefined {
  if (text.length !== 64 || !/^[0-9a-fA-F]+$/.test(text)) return undefined;
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = Number.parseInt(text.slice(i * 2, i * 2 + 2), 16);
  return out;
}
