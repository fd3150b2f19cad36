/**
 * Where the S3 tests find a real S3-compatible server (moto):
 *
 * 1. the sandbox's state file, `$KRAFTOVER_SANDBOX_DIR/sandbox.json` (default
 *    `.sandbox/sandbox.json`), when present, through `loadSandboxInfo()`
 *    (`lib/sandbox/sandbox_info.ts`): its moto endpoint, credentials and buckets;
 * 2. else `KRAFTOVER_TEST_S3_ENDPOINT` (e.g. `http://127.0.0.1:5000` from
 *    `moto_server -H 127.0.0.1 -p 5000`);
 * 3. else the S3 tests are skipped, with the reason printed.
 *
 * The buckets the tests use are created when absent (the sandbox makes them;
 * a bare moto does not): `kraftover-backup`, `kraftover-evidence` (Object
 * Lock) and `kraftover-nolock`.
 *
 * @module
 */

import {
  CreateBucketCommand,
  GetObjectLockConfigurationCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import {
  defaultSandboxDir,
  loadSandboxInfo,
  readSandboxState,
  SANDBOX_STATE_FILE,
} from "../lib/sandbox/sandbox_info.ts";

/** A reachable S3 server and the buckets the tests use. */
export interface S3TestEnv {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** Where the endpoint came from. */
  source: string;
  buckets: { backup: string; evidence: string; nolock: string };
  /** A raw client for assertions independent of the store. */
  client: () => S3Client;
}

const BUCKETS = {
  backup: "kraftover-backup",
  evidence: "kraftover-evidence",
  nolock: "kraftover-nolock",
} as const;

let cached: Promise<S3TestEnv | { skip: string }> | undefined;

/** The S3 test environment, or why the S3 tests are skipped. Cached per process. */
export function s3TestEnv(): Promise<S3TestEnv | { skip: string }> {
  cached ??= discover();
  return cached;
}

async function discover(): Promise<S3TestEnv | { skip: string }> {
  const found = await fromSandbox() ?? fromEnv();
  if (found === undefined) {
    return {
      skip: "no S3 server: no sandbox state file (.sandbox/sandbox.json or " +
        "$KRAFTOVER_SANDBOX_DIR/sandbox.json) and KRAFTOVER_TEST_S3_ENDPOINT is unset",
    };
  }
  const env: S3TestEnv = {
    ...found,
    client: () =>
      new S3Client({
        endpoint: found.endpoint,
        region: found.region,
        forcePathStyle: true,
        credentials: found.credentials,
        maxAttempts: 1,
      }),
  };
  await ensureBuckets(env);
  return env;
}

type Found = Omit<S3TestEnv, "client">;

function fromEnv(): Found | undefined {
  const endpoint = Deno.env.get("KRAFTOVER_TEST_S3_ENDPOINT");
  if (endpoint === undefined || endpoint === "") return undefined;
  return {
    endpoint,
    region: Deno.env.get("AWS_REGION") ?? "us-east-1",
    credentials: { accessKeyId: "testing", secretAccessKey: "testing" },
    source: "KRAFTOVER_TEST_S3_ENDPOINT",
    buckets: BUCKETS,
  };
}

async function fromSandbox(): Promise<Found | undefined> {
  const stateDir = defaultSandboxDir();
  if (await readSandboxState(stateDir) === undefined) return undefined;
  // A state file that records no running sandbox fails loudly here (SANDBOX_NOT_RUNNING).
  const { s3 } = await loadSandboxInfo(stateDir);
  return {
    endpoint: s3.endpoint,
    region: s3.region,
    credentials: s3.credentials,
    source: `${stateDir}/${SANDBOX_STATE_FILE}`,
    buckets: s3.buckets,
  };
}

async function ensureBuckets(env: S3TestEnv): Promise<void> {
  const client = env.client();
  try {
    for (
      const [bucket, lock] of [
        [env.buckets.backup, false],
        [env.buckets.evidence, true],
        [env.buckets.nolock, false],
      ] as const
    ) {
      try {
        await client.send(
          new CreateBucketCommand({
            Bucket: bucket,
            ...(lock ? { ObjectLockEnabledForBucket: true } : {}),
            ...(env.region === "us-east-1"
              ? {}
              : { CreateBucketConfiguration: { LocationConstraint: env.region as "eu-west-1" } }),
          }),
        );
      } catch (error) {
        const name = (error as { name?: string }).name;
        if (name !== "BucketAlreadyOwnedByYou" && name !== "BucketAlreadyExists") {
          throw new Error(
            `Cannot create bucket ${bucket} at ${env.endpoint} (${env.source}): ${error}`,
          );
        }
      }
    }
    const lock = await client.send(
      new GetObjectLockConfigurationCommand({ Bucket: env.buckets.evidence }),
    );
    if (lock.ObjectLockConfiguration?.ObjectLockEnabled !== "Enabled") {
      throw new Error(
        `Bucket ${env.buckets.evidence} at ${env.endpoint} exists without Object Lock`,
      );
    }
  } finally {
    client.destroy();
  }
}

/** A fresh key prefix, so runs never see each other's objects. */
export function uniquePrefix(label: string): string {
  return `test-${label}-${crypto.randomUUID()}`;
}
