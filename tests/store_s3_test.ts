import assert from "node:assert/strict";
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  PutObjectCommand,
} from "@aws-sdk/client-s3";
import { createObjectStore } from "../lib/store/create_object_store.ts";
import {
  isObjectExistsError,
  isRetentionError,
  type ObjectStore,
} from "../lib/store/object_store.ts";
import { probeStore } from "../lib/store/probe_store.ts";
import { createS3Store, type S3StoreOptions } from "../lib/store/s3_store.ts";
import { isKraftoverError } from "../lib/errors.ts";
import { type S3TestEnv, s3TestEnv, uniquePrefix } from "./store_s3_env.ts";

const found = await s3TestEnv();
const env: S3TestEnv | undefined = "skip" in found ? undefined : found;
if (env === undefined) {
  // deno-lint-ignore no-console
  console.log(`skipping the S3 store tests: ${(found as { skip: string }).skip}`);
}

function s3Test(name: string, fn: (env: S3TestEnv) => Promise<void>): void {
  Deno.test({ name, ignore: env === undefined, fn: () => fn(env!) });
}

function storeFor(
  e: S3TestEnv,
  bucket: string,
  prefix: string,
  extra: Partial<S3StoreOptions> = {},
): ObjectStore {
  return createS3Store({
    bucket,
    prefix,
    region: e.region,
    endpoint: e.endpoint,
    credentials: e.credentials,
    ...extra,
  });
}

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array | undefined) =>
  b === undefined ? undefined : new TextDecoder().decode(b);

async function errorOf(promise: Promise<unknown>): Promise<unknown> {
  return await promise.then(() => assert.fail("expected a rejection"), (e: unknown) => e);
}

s3Test("S3 store puts, gets, heads and deletes under its prefix", async (e) => {
  const prefix = uniquePrefix("basic");
  using store = storeFor(e, e.buckets.backup, `${prefix}/`);
  assert.equal(store.describe(), `s3://${e.buckets.backup}/${prefix}`);
  const put = await store.put("segments/0001.bin", enc("hello"), { contentType: "text/plain" });
  assert.equal(put.location, `s3://${e.buckets.backup}/${prefix}/segments/0001.bin`);
  assert.equal(dec(await store.get("segments/0001.bin")), "hello");
  const head = await store.head("segments/0001.bin");
  assert.equal(head?.size, 5);
  assert.equal(head?.etag, put.etag);
  assert.equal(await store.get("segments/missing"), undefined);
  assert.equal(await store.head("segments/missing"), undefined);

  // The object really sits under the prefix (checked with a raw client).
  const raw = e.client();
  try {
    const out = await raw.send(
      new GetObjectCommand({ Bucket: e.buckets.backup, Key: `${prefix}/segments/0001.bin` }),
    );
    assert.equal(await out.Body?.transformToString(), "hello");
    assert.equal(out.ContentType, "text/plain");
  } finally {
    raw.destroy();
  }

  await store.delete("segments/0001.bin");
  await store.delete("segments/0001.bin"); // absent: fine
  assert.equal(await store.get("segments/0001.bin"), undefined);
});

s3Test("S3 store lists every key across pages (MaxKeys 4, 23 keys)", async (e) => {
  const prefix = uniquePrefix("paging");
  using store = storeFor(e, e.buckets.backup, prefix, { listPageSize: 4 });
  const expected: string[] = [];
  for (let i = 0; i < 23; i++) {
    const key = `seg/${String(i).padStart(4, "0")}`;
    expected.push(key);
    await store.put(key, enc("x".repeat(i)));
  }
  await store.put("segx", enc("outside seg/"));
  const raw = e.client();
  try {
    // The server really pages at this size: one request gives 4 and a continuation token.
    const first = await raw.send(
      new ListObjectsV2Command({ Bucket: e.buckets.backup, Prefix: `${prefix}/seg/`, MaxKeys: 4 }),
    );
    assert.equal(first.Contents?.length, 4);
    assert.equal(first.IsTruncated, true);
  } finally {
    raw.destroy();
  }
  const listed = await Array.fromAsync(store.list("seg/"));
  assert.deepEqual(listed.map((x) => x.key), expected);
  assert.deepEqual(listed.map((x) => x.size), expected.map((_, i) => i));
  assert.deepEqual((await Array.fromAsync(store.list("seg"))).length, 24);
  assert.deepEqual(await Array.fromAsync(store.list("nothing/")), []);
});

s3Test(
  "S3 store ifAbsent refuses an existing key, conditionally and with head-then-put",
  async (e) => {
    const prefix = uniquePrefix("ifabsent");
    for (const conditionalWrites of [true, false]) {
      using store = storeFor(e, e.buckets.backup, `${prefix}/${conditionalWrites}`, {
        conditionalWrites,
      });
      await store.put("k", enc("first"), { ifAbsent: true });
      const err = await errorOf(store.put("k", enc("second"), { ifAbsent: true }));
      assert.ok(isObjectExistsError(err), `conditionalWrites ${conditionalWrites}: ${err}`);
      assert.equal(dec(await store.get("k")), "first");
    }
  },
);

s3Test(
  "S3 store: an object under COMPLIANCE retention cannot be deleted or overwritten",
  async (e) => {
    const prefix = uniquePrefix("lock");
    using store = storeFor(e, e.buckets.evidence, prefix);
    const key = "evidence/m-1/bundle.json";
    const fullKey = `${prefix}/${key}`;
    const retainUntil = new Date(Math.ceil((Date.now() + 10 * 60_000) / 1000) * 1000);
    const put = await store.put(key, enc('{"a":1}'), {
      ifAbsent: true,
      retainUntil,
      lockMode: "COMPLIANCE",
      contentType: "application/json",
    });
    assert.ok(put.versionId, "a lock bucket is versioned");
    const head = await store.head(key);
    assert.equal(head?.lockMode, "COMPLIANCE");
    assert.equal(head?.retainUntil?.getTime(), retainUntil.getTime());

    // Through the store: delete refused as retained, with S3's AccessDenied as the cause.
    const deleteError = await errorOf(store.delete(key));
    assert.ok(isRetentionError(deleteError), String(deleteError));
    assert.equal((deleteError.cause as { name?: string }).name, "AccessDenied");
    assert.equal(deleteError.retriable, false);
    const overwriteError = await errorOf(store.put(key, enc("{}"), { ifAbsent: true }));
    assert.ok(isObjectExistsError(overwriteError));
    assert.equal(dec(await store.get(key)), '{"a":1}');

    // Straight at S3: deleting the locked version is AccessDenied; a conditional put is 412;
    // an unconditional put only adds a version — the locked one is untouched.
    const raw = e.client();
    try {
      const del = await errorOf(raw.send(
        new DeleteObjectCommand({
          Bucket: e.buckets.evidence,
          Key: fullKey,
          VersionId: put.versionId,
        }),
      )) as { name: string; $metadata: { httpStatusCode: number } };
      assert.equal(del.name, "AccessDenied");
      assert.equal(del.$metadata.httpStatusCode, 403);
      const cond = await errorOf(raw.send(
        new PutObjectCommand({
          Bucket: e.buckets.evidence,
          Key: fullKey,
          Body: enc("{}"),
          IfNoneMatch: "*",
        }),
      )) as { name: string; $metadata: { httpStatusCode: number } };
      assert.equal(cond.name, "PreconditionFailed");
      assert.equal(cond.$metadata.httpStatusCode, 412);
      await raw.send(
        new PutObjectCommand({ Bucket: e.buckets.evidence, Key: fullKey, Body: enc("{}") }),
      );
      const original = await raw.send(
        new GetObjectCommand({
          Bucket: e.buckets.evidence,
          Key: fullKey,
          VersionId: put.versionId,
        }),
      );
      assert.equal(await original.Body?.transformToString(), '{"a":1}');
      // And the store still refuses to delete the key while one version is retained.
      assert.ok(isRetentionError(await errorOf(store.delete(key))));
      const versions = await raw.send(
        new ListObjectVersionsCommand({ Bucket: e.buckets.evidence, Prefix: fullKey }),
      );
      assert.ok(
        versions.Versions?.some((v) => v.VersionId === put.versionId),
        "the retained version survives the delete attempt",
      );
    } finally {
      raw.destroy();
    }
  },
);

s3Test("S3 store delete removes every version of a key on a versioned bucket", async (e) => {
  const prefix = uniquePrefix("versions");
  using store = storeFor(e, e.buckets.evidence, prefix, { listPageSize: 2 });
  await store.put("k", enc("v1"));
  await store.put("k", enc("v2"));
  await store.put("k", enc("v3"));
  await store.put("k0", enc("keep")); // shares the prefix "k": must survive
  await store.put("k1", enc("keep"));
  await store.delete("k");
  const raw = e.client();
  try {
    const versions = await raw.send(
      new ListObjectVersionsCommand({ Bucket: e.buckets.evidence, Prefix: `${prefix}/k` }),
    );
    assert.deepEqual((versions.Versions ?? []).map((v) => v.Key), [`${prefix}/k0`, `${prefix}/k1`]);
    assert.deepEqual(versions.DeleteMarkers ?? [], []);
  } finally {
    raw.destroy();
  }
  assert.equal(dec(await store.get("k0")), "keep");
});

s3Test("S3 store asks for SSE-KMS with the configured key", async (e) => {
  const prefix = uniquePrefix("kms");
  const kmsKeyArn = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555";
  using store = storeFor(e, e.buckets.backup, prefix, { kmsKeyArn });
  await store.put("k", enc("secret data"));
  const raw = e.client();
  try {
    const head = await raw.send(
      new HeadObjectCommand({ Bucket: e.buckets.backup, Key: `${prefix}/k` }),
    );
    assert.equal(head.ServerSideEncryption, "aws:kms");
    assert.equal(head.SSEKMSKeyId, kmsKeyArn);
  } finally {
    raw.destroy();
  }
});

s3Test("createObjectStore builds an S3 store from a backup: section", async (e) => {
  const prefix = uniquePrefix("config");
  using store = createObjectStore(
    { s3_bucket: e.buckets.backup, s3_prefix: prefix, region: e.region, endpoint: e.endpoint },
    { credentials: e.credentials },
  );
  await store.put("a", enc("x"));
  assert.equal(dec(await store.get("a")), "x");
  assert.throws(
    () => createObjectStore({ s3_bucket: "b", directory: "/tmp/x" }),
    (err: unknown) => isKraftoverError(err, "CONFIG_INVALID"),
  );
  assert.throws(
    () => createObjectStore({}),
    (err: unknown) => isKraftoverError(err, "CONFIG_INVALID"),
  );
});

s3Test("probeStore: a missing bucket is neither reachable nor writable", async (e) => {
  using store = storeFor(e, `kraftover-missing-${crypto.randomUUID().slice(0, 8)}`, "");
  const result = await probeStore(store, { requireObjectLock: true });
  assert.equal(result.reachable, false);
  assert.equal(result.writable, false);
  assert.equal(result.objectLockEnabled, undefined);
  assert.ok(isKraftoverError(result.error, "STORE_ERROR"));
  assert.equal(result.error.detail?.reason, "no_such_bucket");
});

s3Test("probeStore: a bucket without Object Lock fails requireObjectLock", async (e) => {
  using store = storeFor(e, e.buckets.nolock, uniquePrefix("probe"));
  const result = await probeStore(store, { requireObjectLock: true });
  assert.equal(result.reachable, true);
  assert.equal(result.writable, true);
  assert.equal(result.objectLockEnabled, false);
  assert.equal(result.error?.detail?.reason, "no_object_lock");
  const plain = await probeStore(store);
  assert.equal(plain.objectLockEnabled, undefined);
  assert.equal(plain.error, undefined);
});

s3Test("probeStore: a good Object Lock bucket passes and the probe object is gone", async (e) => {
  const prefix = uniquePrefix("probe");
  using store = storeFor(e, e.buckets.evidence, prefix);
  const result = await probeStore(store, { requireObjectLock: true });
  assert.deepEqual(result, {
    store: `s3://${e.buckets.evidence}/${prefix}`,
    reachable: true,
    writable: true,
    objectLockEnabled: true,
  });
  const raw = e.client();
  try {
    const versions = await raw.send(
      new ListObjectVersionsCommand({ Bucket: e.buckets.evidence, Prefix: `${prefix}/` }),
    );
    assert.deepEqual(versions.Versions ?? [], [], "no version of the probe object is left");
    assert.deepEqual(versions.DeleteMarkers ?? [], [], "no delete marker is left");
  } finally {
    raw.destroy();
  }
});

s3Test("probeStore: an unreachable endpoint is reported as retriable, never thrown", async (e) => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close(); // nothing listens there now
  using store = createS3Store({
    bucket: e.buckets.backup,
    region: e.region,
    endpoint: `http://127.0.0.1:${port}`,
    credentials: { accessKeyId: "AKIAPROBE", secretAccessKey: "probe-secret-value-1234" },
    maxAttempts: 1,
  });
  const result = await probeStore(store);
  assert.equal(result.reachable, false);
  assert.equal(result.writable, false);
  assert.equal(result.error?.retriable, true);
  assert.equal(result.error?.detail?.reason, "unreachable");
  assert.ok(!result.error?.message.includes("probe-secret-value-1234"));
  assert.ok(!JSON.stringify(result.error).includes("probe-secret-value-1234"));
});

s3Test("S3 store errors name the object and never the credentials", async (e) => {
  const secret = "never-print-this-secret-9876";
  using store = createS3Store({
    bucket: `kraftover-missing-${crypto.randomUUID().slice(0, 8)}`,
    region: e.region,
    endpoint: e.endpoint,
    credentials: { accessKeyId: "AKIANEVERPRINT", secretAccessKey: secret },
  });
  const err = await errorOf(store.put("k", enc("x")));
  assert.ok(isKraftoverError(err, "STORE_ERROR"));
  assert.match(err.message, /^Cannot write s3:\/\/kraftover-missing-[0-9a-f]+\/k: NoSuchBucket/);
  assert.equal(err.detail?.reason, "no_such_bucket");
  assert.equal(err.retriable, false);
  assert.ok(!err.message.includes(secret));
  assert.ok(!JSON.stringify(err).includes(secret));
  await assert.rejects(
    Array.fromAsync(store.list("")),
    (x: unknown) => isKraftoverError(x, "STORE_ERROR"),
  );
});
