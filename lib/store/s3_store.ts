/**
 * An {@linkcode ObjectStore} on Amazon S3 or an S3-compatible server, with
 * SSE-KMS, Object Lock retention and no-overwrite puts.
 *
 * - `kmsKeyArn`: every put asks for `aws:kms` server-side encryption with that key.
 * - `retainUntil`/`lockMode`: the put carries Object Lock headers, plus the
 *   Content-MD5 that S3 requires for Object Lock puts (and a SHA-256 checksum
 *   on every put).
 * - `ifAbsent`: a conditional put (`If-None-Match: *`), atomic on S3 and moto.
 *   With `conditionalWrites: false`, or on a server answering 501 to it, the
 *   store falls back to head-then-put, which has a race: two writers can both
 *   see no object and both write (the later one wins, or adds a version).
 * - `delete` removes every version of the key (on a versioned or Object Lock
 *   bucket a plain delete would only add a delete marker), oldest first; a
 *   version under retention makes it fail with `detail.reason: "retained"`.
 *   It needs `s3:ListBucketVersions` and `s3:DeleteObjectVersion`.
 *
 * Errors are `STORE_ERROR` with `retriable` for throttling, 5xx and network
 * failures; messages name `s3://bucket/key`, the S3 error code and HTTP
 * status, never credentials.
 *
 * @module
 */

import {
  DeleteObjectCommand,
  GetObjectCommand,
  GetObjectLockConfigurationCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import type { PutObjectCommandInput, S3ClientConfig } from "@aws-sdk/client-s3";
import { createHash } from "node:crypto";
import { KraftoverError } from "../errors.ts";
import { redactText, Secret } from "../secret.ts";
import {
  abortedError,
  checkKey,
  checkPrefix,
  lockModeFor,
  objectExistsError,
  retentionError,
} from "./object_store.ts";
import type {
  ListEntry,
  ObjectInfo,
  ObjectLockInfo,
  ObjectLockMode,
  ObjectStore,
  PutOptions,
  PutResult,
  ReadOptions,
} from "./object_store.ts";

/** Static AWS credentials. Secret parts may be given as {@linkcode Secret}. */
export interface S3Credentials {
  /** Access key id. */
  accessKeyId: string;
  /** Secret access key. */
  secretAccessKey: string | Secret;
  /** Session token of temporary credentials. */
  sessionToken?: string | Secret;
}

/** Options for {@linkcode createS3Store}. */
export interface S3StoreOptions {
  /** Bucket name. */
  bucket: string;
  /** Key prefix inside the bucket; slashes at either end are ignored. @default "" */
  prefix?: string;
  /** Bucket region. */
  region: string;
  /** S3-compatible endpoint URL (moto, MinIO, …). @default AWS's endpoint for the region */
  endpoint?: string;
  /** SSE-KMS key for every object written. @default the bucket's default encryption */
  kmsKeyArn?: string;
  /** Static credentials. @default the AWS credential chain (env, profile, role) */
  credentials?: S3Credentials;
  /** Named profile from the shared AWS config files. @default the chain's choice */
  profile?: string;
  /** Path-style addressing (`endpoint/bucket/key`). @default true when `endpoint` is set */
  forcePathStyle?: boolean;
  /** Keys per listing request (S3's MaxKeys, at most 1000). @default 1000 */
  listPageSize?: number;
  /** Attempts per request, including the first (the SDK's retry with backoff). @default 3 */
  maxAttempts?: number;
  /** Use `If-None-Match: *` for `ifAbsent` puts; false means head-then-put. @default true */
  conditionalWrites?: boolean;
}

const RETRIABLE_NAMES = new Set([
  "SlowDown",
  "Throttling",
  "ThrottlingException",
  "TooManyRequestsException",
  "RequestTimeout",
  "RequestTimeoutException",
  "TimeoutError",
  "InternalError",
  "ServiceUnavailable",
]);
const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ENETUNREACH",
  "EHOSTUNREACH",
  "ECONNABORTED",
]);
const AUTH_NAMES = new Set([
  "InvalidAccessKeyId",
  "SignatureDoesNotMatch",
  "ExpiredToken",
  "InvalidToken",
  "CredentialsProviderError",
]);

/**
 * Creates an object store on an S3 bucket.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createS3Store } from "./s3_store.ts";
 * using store = createS3Store({
 *   bucket: "kraftover-evidence",
 *   prefix: "prod/",
 *   region: "eu-west-1",
 *   credentials: { accessKeyId: "AKIAEXAMPLE", secretAccessKey: "example-secret" },
 * });
 * assert.equal(store.describe(), "s3://kraftover-evidence/prod");
 * assert.equal(store.locate("evidence/m/bundle.json"), "s3://kraftover-evidence/prod/evidence/m/bundle.json");
 * ```
 */
export function createS3Store(options: S3StoreOptions): ObjectStore {
  const bucket = options.bucket;
  const prefix = (options.prefix ?? "").replace(/^\/+|\/+$/g, "");
  const pageSize = Math.max(1, Math.min(1000, options.listPageSize ?? 1000));
  let conditionalWrites = options.conditionalWrites ?? true;
  const client = new S3Client(clientConfig(options));

  function fullKey(key: string): string {
    return prefix === "" ? key : `${prefix}/${key}`;
  }
  function locate(key: string): string {
    return `s3://${bucket}/${fullKey(key)}`;
  }
  function relative(full: string): string {
    return prefix === "" ? full : full.slice(prefix.length + 1);
  }
  const fail = (operation: string, location: string, error: unknown): never => {
    throw s3Error(operation, location, error);
  };

  async function deleteVersions(key: string, signal: AbortSignal | undefined): Promise<void> {
    const full = fullKey(key);
    const versions: { id: string; latest: boolean; modified: number }[] = [];
    let keyMarker: string | undefined;
    let versionMarker: string | undefined;
    for (;;) {
      let page;
      try {
        page = await client.send(
          new ListObjectVersionsCommand({
            Bucket: bucket,
            Prefix: full,
            MaxKeys: pageSize,
            ...(keyMarker === undefined ? {} : { KeyMarker: keyMarker }),
            ...(versionMarker === undefined ? {} : { VersionIdMarker: versionMarker }),
          }),
          sendOptions(signal),
        );
      } catch (error) {
        if (errorName(error) === "NotImplemented") {
          // A server without versioning support: a plain delete removes the object.
          await client.send(
            new DeleteObjectCommand({ Bucket: bucket, Key: full }),
            sendOptions(signal),
          );
          return;
        }
        throw error;
      }
      let pastKey = false;
      for (const v of [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])]) {
        if (v.Key !== full) pastKey ||= v.Key !== undefined && v.Key > full;
        if (v.Key !== full || v.VersionId === undefined) continue;
        versions.push({
          id: v.VersionId,
          latest: v.IsLatest ?? false,
          modified: v.LastModified?.getTime() ?? 0,
        });
      }
      // Keys come in order and the exact key sorts first among those it prefixes.
      if (!page.IsTruncated || pastKey) break;
      keyMarker = page.NextKeyMarker;
      versionMarker = page.NextVersionIdMarker;
    }
    // Oldest first and the current version last: a refusal part-way leaves what
    // readers see unchanged.
    versions.sort((a, b) => Number(a.latest) - Number(b.latest) || a.modified - b.modified);
    for (const version of versions) {
      try {
        await client.send(
          new DeleteObjectCommand({ Bucket: bucket, Key: full, VersionId: version.id }),
          sendOptions(signal),
        );
      } catch (error) {
        if (errorName(error) === "AccessDenied") {
          const held = await heldBy(full, version.id, signal).catch(() => undefined);
          if (held !== undefined) throw retentionError(locate(key), "delete", held.until, error);
        }
        throw error;
      }
    }
  }

  /** The retention of a version still held (retention or legal hold), if any. */
  async function heldBy(
    full: string,
    versionId: string,
    signal: AbortSignal | undefined,
  ): Promise<{ until?: Date } | undefined> {
    const head = await client.send(
      new HeadObjectCommand({ Bucket: bucket, Key: full, VersionId: versionId }),
      sendOptions(signal),
    );
    const until = head.ObjectLockRetainUntilDate;
    if (until !== undefined && until.getTime() > Date.now()) return { until };
    return head.ObjectLockLegalHoldStatus === "ON" ? {} : undefined;
  }

  const store: ObjectStore = {
    async put(key: string, body: Uint8Array, opts: PutOptions = {}): Promise<PutResult> {
      const location = locate(checkKey(key));
      const lockMode = lockModeFor(opts, location);
      const input: PutObjectCommandInput = {
        Bucket: bucket,
        Key: fullKey(key),
        Body: body,
        ContentLength: body.length,
        ContentType: opts.contentType ?? "application/octet-stream",
        ChecksumAlgorithm: "SHA256",
        ...(options.kmsKeyArn === undefined
          ? {}
          : { ServerSideEncryption: "aws:kms", SSEKMSKeyId: options.kmsKeyArn }),
        ...(lockMode === undefined || opts.retainUntil === undefined ? {} : {
          ObjectLockMode: lockMode,
          ObjectLockRetainUntilDate: opts.retainUntil,
          // S3 refuses Object Lock puts without Content-MD5 (or an SDK checksum header).
          ContentMD5: createHash("md5").update(body).digest("base64"),
        }),
      };
      const send = async (extra: Partial<PutObjectCommandInput>) => {
        const out = await client.send(
          new PutObjectCommand({ ...input, ...extra }),
          sendOptions(opts.signal),
        );
        return {
          location,
          ...(out.ETag === undefined ? {} : { etag: out.ETag }),
          ...(out.VersionId === undefined ? {} : { versionId: out.VersionId }),
        };
      };
      try {
        if (!opts.ifAbsent) return await send({});
        if (conditionalWrites) {
          try {
            return await send({ IfNoneMatch: "*" });
          } catch (error) {
            if (errorName(error) === "PreconditionFailed" || httpStatus(error) === 412) {
              throw objectExistsError(location, error);
            }
            if (errorName(error) !== "NotImplemented") throw error;
            conditionalWrites = false; // this server has no conditional writes
          }
        }
        // Head-then-put: racy (see the module documentation).
        if (await store.head(key, opts.signal === undefined ? {} : { signal: opts.signal })) {
          throw objectExistsError(location);
        }
        return await send({});
      } catch (error) {
        return fail("write", location, error);
      }
    },

    async get(key: string, opts: ReadOptions = {}): Promise<Uint8Array | undefined> {
      const location = locate(checkKey(key));
      try {
        const out = await client.send(
          new GetObjectCommand({ Bucket: bucket, Key: fullKey(key), ChecksumMode: "ENABLED" }),
          sendOptions(opts.signal),
        );
        const bytes = out.Body === undefined
          ? new Uint8Array()
          : await out.Body.transformToByteArray();
        if (out.ContentLength !== undefined && bytes.length !== out.ContentLength) {
          throw new KraftoverError(
            "STORE_INTEGRITY",
            `Cannot read ${location}: got ${bytes.length} of ${out.ContentLength} bytes`,
            { phase: "store", retriable: true, detail: { location } },
          );
        }
        return bytes;
      } catch (error) {
        if (isNotFound(error) && errorName(error) !== "NoSuchBucket") return undefined;
        return fail("read", location, error);
      }
    },

    async head(key: string, opts: ReadOptions = {}): Promise<ObjectInfo | undefined> {
      const location = locate(checkKey(key));
      try {
        const out = await client.send(
          new HeadObjectCommand({ Bucket: bucket, Key: fullKey(key) }),
          sendOptions(opts.signal),
        );
        return {
          size: out.ContentLength ?? 0,
          ...(out.ETag === undefined ? {} : { etag: out.ETag }),
          ...(out.ObjectLockRetainUntilDate === undefined
            ? {}
            : { retainUntil: out.ObjectLockRetainUntilDate }),
          ...(out.ObjectLockMode === undefined
            ? {}
            : { lockMode: out.ObjectLockMode as ObjectLockMode }),
        };
      } catch (error) {
        // HEAD has no body: a missing bucket is a bare 404 too; ping tells them apart.
        if (isNotFound(error)) return undefined;
        return fail("stat", location, error);
      }
    },

    async *list(listPrefix: string, opts: ReadOptions = {}): AsyncIterable<ListEntry> {
      checkPrefix(listPrefix);
      const full = prefix === "" ? listPrefix : `${prefix}/${listPrefix}`;
      const location = `s3://${bucket}/${full}`;
      let token: string | undefined;
      do {
        let page;
        try {
          page = await client.send(
            new ListObjectsV2Command({
              Bucket: bucket,
              Prefix: full,
              MaxKeys: pageSize,
              ...(token === undefined ? {} : { ContinuationToken: token }),
            }),
            sendOptions(opts.signal),
          );
        } catch (error) {
          return fail("list", location, error);
        }
        for (const object of page.Contents ?? []) {
          if (object.Key === undefined) continue;
          yield { key: relative(object.Key), size: object.Size ?? 0 };
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token !== undefined);
    },

    async delete(key: string, opts: ReadOptions = {}): Promise<void> {
      const location = locate(checkKey(key));
      try {
        await deleteVersions(key, opts.signal);
      } catch (error) {
        fail("delete", location, error);
      }
    },

    async ping(opts: ReadOptions = {}): Promise<void> {
      const location = `s3://${bucket}`;
      try {
        await client.send(new HeadBucketCommand({ Bucket: bucket }), sendOptions(opts.signal));
      } catch (error) {
        if (isNotFound(error)) {
          throw new KraftoverError(
            "STORE_ERROR",
            `Cannot reach ${location}: no such bucket; create it or fix the bucket name`,
            { phase: "store", cause: error, detail: { reason: "no_such_bucket", location } },
          );
        }
        fail("reach", location, error);
      }
    },

    async objectLock(opts: ReadOptions = {}): Promise<ObjectLockInfo> {
      const location = `s3://${bucket}`;
      try {
        const out = await client.send(
          new GetObjectLockConfigurationCommand({ Bucket: bucket }),
          sendOptions(opts.signal),
        );
        const config = out.ObjectLockConfiguration;
        const enabled = config?.ObjectLockEnabled === "Enabled";
        const rule = config?.Rule?.DefaultRetention;
        return {
          enabled,
          enforced: enabled,
          ...(rule?.Mode === undefined ? {} : {
            defaultRetention: {
              mode: rule.Mode as ObjectLockMode,
              ...(rule.Days === undefined ? {} : { days: rule.Days }),
              ...(rule.Years === undefined ? {} : { years: rule.Years }),
            },
          }),
        };
      } catch (error) {
        if (errorName(error) === "ObjectLockConfigurationNotFoundError") {
          return { enabled: false, enforced: false };
        }
        return fail("read the Object Lock configuration of", location, error);
      }
    },

    describe(): string {
      return prefix === "" ? `s3://${bucket}` : `s3://${bucket}/${prefix}`;
    },

    locate(key: string): string {
      return locate(checkKey(key));
    },

    close(): void {
      client.destroy();
    },

    [Symbol.dispose](): void {
      client.destroy();
    },
  };
  return store;
}

function sendOptions(signal: AbortSignal | undefined): { abortSignal?: AbortSignal } {
  return signal === undefined ? {} : { abortSignal: signal };
}

function clientConfig(options: S3StoreOptions): S3ClientConfig {
  const config: S3ClientConfig = {
    region: options.region,
    forcePathStyle: options.forcePathStyle ?? options.endpoint !== undefined,
    maxAttempts: options.maxAttempts ?? 3,
  };
  if (options.endpoint !== undefined) config.endpoint = options.endpoint;
  if (options.profile !== undefined) config.profile = options.profile;
  const creds = options.credentials;
  if (creds !== undefined) {
    const secret = reveal(creds.secretAccessKey);
    const token = creds.sessionToken === undefined ? undefined : reveal(creds.sessionToken);
    config.credentials = {
      accessKeyId: creds.accessKeyId,
      secretAccessKey: secret,
      ...(token === undefined ? {} : { sessionToken: token }),
    };
  }
  return config;
}

/** The plain value, registered so that redaction scrubs it from any text. */
function reveal(value: string | Secret): string {
  return (value instanceof Secret ? value : new Secret(value)).reveal();
}

function errorName(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const name = (error as { name?: unknown }).name;
  return typeof name === "string" ? name : undefined;
}

function httpStatus(error: unknown): number | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const status = (error as { $metadata?: { httpStatusCode?: unknown } }).$metadata?.httpStatusCode;
  return typeof status === "number" ? status : undefined;
}

function isNotFound(error: unknown): boolean {
  const name = errorName(error);
  return name === "NoSuchKey" || name === "NotFound" || name === "NoSuchBucket" ||
    httpStatus(error) === 404;
}

/**
 * Maps an S3 SDK error to a `STORE_ERROR` {@linkcode KraftoverError} (or
 * passes a `KraftoverError` through): retriable for throttling, 5xx and
 * network errors; `detail.reason` one of `no_such_bucket`, `not_found`,
 * `access_denied`, `auth_failed`, `throttled`, `server_error`, `unreachable`,
 * `s3_error`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { s3Error } from "./s3_store.ts";
 * const err = s3Error("write", "s3://b/k", Object.assign(new Error("Slow down"), {
 *   name: "SlowDown",
 *   $metadata: { httpStatusCode: 503 },
 * }));
 * assert.ok(err.code === "STORE_ERROR" && err.retriable);
 * ```
 */
export function s3Error(operation: string, location: string, error: unknown): KraftoverError {
  if (error instanceof KraftoverError) return error;
  const name = errorName(error) ?? "Error";
  if (name === "AbortError") return abortedError(operation, location, error);
  const status = httpStatus(error);
  const code = typeof error === "object" && error !== null
    ? (error as { code?: unknown }).code
    : undefined;
  const network = typeof code === "string" && NETWORK_CODES.has(code);
  const fault = typeof error === "object" && error !== null
    ? (error as { $fault?: unknown }).$fault
    : undefined;
  const reason = network
    ? "unreachable"
    : name === "NoSuchBucket"
    ? "no_such_bucket"
    : name === "NoSuchKey" || status === 404
    ? "not_found"
    : AUTH_NAMES.has(name)
    ? "auth_failed"
    : name === "AccessDenied" || status === 403
    ? "access_denied"
    : RETRIABLE_NAMES.has(name) || status === 429
    ? "throttled"
    : (status !== undefined && status >= 500) || fault === "server"
    ? "server_error"
    : "s3_error";
  const retriable = network || reason === "throttled" || reason === "server_error";
  const raw = error instanceof Error ? error.message : String(error);
  const what = network ? `${code}` : `${name}${status === undefined ? "" : ` (HTTP ${status})`}`;
  const hint = HINTS[reason] ?? "";
  return new KraftoverError(
    "STORE_ERROR",
    `Cannot ${operation} ${location}: ${what}: ${redactText(raw)}${hint}`,
    {
      phase: "store",
      retriable,
      cause: error,
      detail: {
        operation,
        location,
        reason,
        s3_code: network ? code : name,
        ...(status === undefined ? {} : { http_status: status }),
      },
    },
  );
}

const HINTS: Record<string, string> = {
  no_such_bucket: "; create the bucket or fix its name",
  access_denied: "; check the runner's IAM policy (kraftover plan --format iam-policy)",
  auth_failed: "; check the AWS credentials of the runner",
  unreachable: "; check the endpoint and the network",
};
