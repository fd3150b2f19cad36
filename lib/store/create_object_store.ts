/**
 * Builds the object store a `backup:` or `evidence:` config section asks for.
 *
 * @module
 */

import { KraftoverError } from "../errors.ts";
import { createDirectoryStore } from "./directory_store.ts";
import type { ObjectStore } from "./object_store.ts";
import { createS3Store } from "./s3_store.ts";
import type { S3Credentials } from "./s3_store.ts";

/** The store fields of a `backup:`/`evidence:` section (SPEC §4), snake_case as in the YAML. */
export interface ObjectStoreConfig {
  /** S3 bucket; excludes `directory`. */
  s3_bucket?: string | undefined;
  /** Key prefix inside the bucket. */
  s3_prefix?: string | undefined;
  /** Bucket region. */
  region?: string | undefined;
  /** S3-compatible endpoint (path-style addressing is used when set). */
  endpoint?: string | undefined;
  /** SSE-KMS key for objects written. */
  kms_key_arn?: string | undefined;
  /** Local directory instead of S3; excludes `s3_bucket`. */
  directory?: string | undefined;
}

/** Options for {@linkcode createObjectStore} that are not in the config file. */
export interface CreateObjectStoreOptions {
  /** Region when the section has none (e.g. the source cluster's). @default `AWS_REGION`, then `AWS_DEFAULT_REGION` */
  defaultRegion?: string;
  /** Static credentials. @default the AWS credential chain */
  credentials?: S3Credentials;
  /** Named AWS profile. @default the chain's choice */
  profile?: string;
  /** Keys per S3 listing request. @default 1000 */
  listPageSize?: number;
  /** Attempts per S3 request. @default 3 */
  maxAttempts?: number;
  /** Where the section sits in the config, for error messages. @default "backup" */
  configPath?: string;
}

/**
 * Creates a directory store when `directory` is set, else an S3 store.
 *
 * Throws `CONFIG_INVALID` when both or neither of `s3_bucket` and `directory`
 * are set, or when an S3 store has no region (regions default to "us-east-1"
 * only when an `endpoint` is given, as S3-compatible servers ignore it).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createObjectStore } from "./create_object_store.ts";
 * const dir = await Deno.makeTempDir();
 * using local = createObjectStore({ directory: dir });
 * assert.equal(local.describe(), dir);
 * using s3 = createObjectStore(
 *   { s3_bucket: "kraftover-backup", s3_prefix: "staging", region: "eu-west-1" },
 *   { credentials: { accessKeyId: "AKIAEXAMPLE", secretAccessKey: "example-secret" } },
 * );
 * assert.equal(s3.describe(), "s3://kraftover-backup/staging");
 * await Deno.remove(dir);
 * ```
 */
export function createObjectStore(
  config: ObjectStoreConfig,
  options: CreateObjectStoreOptions = {},
): ObjectStore {
  const where = options.configPath ?? "backup";
  if (config.s3_bucket !== undefined && config.directory !== undefined) {
    throw new KraftoverError(
      "CONFIG_INVALID",
      `Cannot choose a store: ${where}.s3_bucket and ${where}.directory are both set; keep one`,
      { phase: "config" },
    );
  }
  if (config.directory !== undefined) return createDirectoryStore({ directory: config.directory });
  if (config.s3_bucket === undefined) {
    throw new KraftoverError(
      "CONFIG_INVALID",
      `Cannot choose a store: ${where} needs s3_bucket or directory`,
      { phase: "config" },
    );
  }
  const region = config.region ?? options.defaultRegion ?? envRegion() ??
    (config.endpoint === undefined ? undefined : "us-east-1");
  if (region === undefined) {
    throw new KraftoverError(
      "CONFIG_INVALID",
      `Cannot use s3://${config.s3_bucket}: ${where}.region is not set and AWS_REGION is empty`,
      { phase: "config" },
    );
  }
  return createS3Store({
    bucket: config.s3_bucket,
    prefix: config.s3_prefix ?? "",
    region,
    ...(config.endpoint === undefined ? {} : { endpoint: config.endpoint }),
    ...(config.kms_key_arn === undefined ? {} : { kmsKeyArn: config.kms_key_arn }),
    ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
    ...(options.profile === undefined ? {} : { profile: options.profile }),
    ...(options.listPageSize === undefined ? {} : { listPageSize: options.listPageSize }),
    ...(options.maxAttempts === undefined ? {} : { maxAttempts: options.maxAttempts }),
  });
}

function envRegion(): string | undefined {
  try {
    return Deno.env.get("AWS_REGION") || Deno.env.get("AWS_DEFAULT_REGION") || undefined;
  } catch {
    return undefined; // no --allow-env
  }
}
