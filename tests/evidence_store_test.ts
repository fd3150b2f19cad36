import assert from "node:assert/strict";
import { DeleteObjectCommand, HeadObjectCommand } from "@aws-sdk/client-s3";
import type { EvidenceBundle } from "../lib/evidence/bundle.ts";
import { generateSigningKeyPair } from "../lib/evidence/keys.ts";
import { signEvidence, verifyEvidence } from "../lib/evidence/sign.ts";
import { evidenceKeys, readEvidence, storeEvidence } from "../lib/evidence/store_evidence.ts";
import { createDirectoryStore } from "../lib/store/directory_store.ts";
import {
  isObjectExistsError,
  isRetentionError,
  type ObjectStore,
} from "../lib/store/object_store.ts";
import { createS3Store } from "../lib/store/s3_store.ts";
import { isKraftoverError } from "../lib/errors.ts";
import { type S3TestEnv, s3TestEnv, uniquePrefix } from "./store_s3_env.ts";

const keys = await generateSigningKeyPair();

function bundle(migrationId: string, outcome = "PASSED"): EvidenceBundle {
  return {
    schema: "kraftover.evidence/v1",
    migration_id: migrationId,
    tool: { name: "kraftover", version: "0.0.0-test" },
    timestamps: { finalized_at: "2025-01-01T00:00:00.000Z" },
    source: {},
    target: {},
    journal: [],
    topology_diff: {},
    acl_plan: {},
    seed_stats: {},
    tail_stats: {},
    cutover: {},
    offset_map: {},
    group_offsets: [],
    validation: { outcome },
  };
}

const fixedClock = { now: () => new Date("2025-01-01T00:00:01.000Z") };

async function storeReadVerify(store: ObjectStore, migrationId: string): Promise<void> {
  const signed = await signEvidence(bundle(migrationId), keys.privateKey, fixedClock);
  const stored = await storeEvidence(store, { migrationId, ...signed });
  assert.equal(stored.bundle, store.locate(`evidence/${migrationId}/bundle.json`));
  assert.equal(stored.signature, store.locate(`evidence/${migrationId}/bundle.json.sig`));
  assert.equal(stored.alreadyStored, false);

  const read = await readEvidence(store, { migrationId });
  assert.ok(read !== undefined);
  assert.deepEqual(read.payload, signed.payload);
  assert.deepEqual(read.signature, signed.signature);
  assert.equal((await verifyEvidence(read.payload, read.signature, keys.publicKey)).ok, true);

  // A re-run with the same bytes is a no-op; different evidence is never written over it.
  assert.equal((await storeEvidence(store, { migrationId, ...signed })).alreadyStored, true);
  const different = await signEvidence(bundle(migrationId, "WARNING"), keys.privateKey, fixedClock);
  await assert.rejects(storeEvidence(store, { migrationId, ...different }), isObjectExistsError);
  assert.deepEqual((await readEvidence(store, { migrationId }))?.payload, signed.payload);
}

Deno.test("storeEvidence writes bundle.json and bundle.json.sig once, readEvidence reads them back", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kraftover-evidence-store-" });
  try {
    using store = createDirectoryStore({ directory: dir });
    await storeReadVerify(store, "m-dir-1");
    assert.deepEqual(await Array.fromAsync(store.list("evidence/")), [
      {
        key: "evidence/m-dir-1/bundle.json",
        size: (await store.head("evidence/m-dir-1/bundle.json"))!.size,
      },
      {
        key: "evidence/m-dir-1/bundle.json.sig",
        size: (await store.head("evidence/m-dir-1/bundle.json.sig"))!.size,
      },
    ]);
    assert.equal(await readEvidence(store, { migrationId: "absent" }), undefined);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("storeEvidence refuses a signature that does not cover the payload, writing nothing", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kraftover-evidence-store-" });
  try {
    using store = createDirectoryStore({ directory: dir });
    const a = await signEvidence(bundle("m-2"), keys.privateKey);
    const b = await signEvidence(bundle("m-2", "FAILED"), keys.privateKey);
    await assert.rejects(
      storeEvidence(store, { migrationId: "m-2", payload: a.payload, signature: b.signature }),
      (e: unknown) => isKraftoverError(e, "EVIDENCE_INVALID"),
    );
    assert.deepEqual(await Array.fromAsync(store.list("")), []);
    assert.throws(() => evidenceKeys("../x"), (e: unknown) => isKraftoverError(e));
    assert.throws(() => evidenceKeys(".."), (e: unknown) => isKraftoverError(e, "STORE_ERROR"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readEvidence fails on a bundle without its signature", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kraftover-evidence-store-" });
  try {
    using store = createDirectoryStore({ directory: dir });
    await store.put("evidence/m-3/bundle.json", new TextEncoder().encode("{}"));
    await assert.rejects(
      readEvidence(store, { migrationId: "m-3" }),
      (e: unknown) => isKraftoverError(e, "EVIDENCE_INVALID"),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("storeEvidence with retention on a directory store: delete refused until it passes", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kraftover-evidence-store-" });
  try {
    using store = createDirectoryStore({ directory: dir });
    const signed = await signEvidence(bundle("m-4"), keys.privateKey);
    const retainUntil = new Date(Date.now() + 3_600_000);
    await storeEvidence(store, {
      migrationId: "m-4",
      ...signed,
      retainUntil,
      lockMode: "GOVERNANCE",
    });
    for (const key of Object.values(evidenceKeys("m-4"))) {
      assert.equal((await store.head(key))?.lockMode, "GOVERNANCE");
      await assert.rejects(store.delete(key), isRetentionError);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

const found = await s3TestEnv();
const env: S3TestEnv | undefined = "skip" in found ? undefined : found;
if (env === undefined) {
  // deno-lint-ignore no-console
  console.log(`skipping the S3 evidence tests: ${(found as { skip: string }).skip}`);
}

Deno.test({
  name: "storeEvidence on an Object Lock bucket: COMPLIANCE retention, verifiable, undeletable",
  ignore: env === undefined,
  fn: async () => {
    const e = env!;
    const prefix = uniquePrefix("evidence");
    using store = createS3Store({
      bucket: e.buckets.evidence,
      prefix,
      region: e.region,
      endpoint: e.endpoint,
      credentials: e.credentials,
    });
    const retainUntil = new Date(Math.ceil((Date.now() + 10 * 60_000) / 1000) * 1000);
    const signed = await signEvidence(bundle("m-s3"), keys.privateKey, fixedClock);
    const stored = await storeEvidence(store, { migrationId: "m-s3", ...signed, retainUntil });
    assert.equal(stored.bundle, `s3://${e.buckets.evidence}/${prefix}/evidence/m-s3/bundle.json`);

    const raw = e.client();
    try {
      for (const key of Object.values(evidenceKeys("m-s3"))) {
        const head = await raw.send(
          new HeadObjectCommand({ Bucket: e.buckets.evidence, Key: `${prefix}/${key}` }),
        );
        assert.equal(head.ObjectLockMode, "COMPLIANCE", key);
        assert.equal(head.ObjectLockRetainUntilDate?.getTime(), retainUntil.getTime());
        const err = await raw.send(
          new DeleteObjectCommand({
            Bucket: e.buckets.evidence,
            Key: `${prefix}/${key}`,
            VersionId: head.VersionId,
          }),
        ).then(() => undefined, (x: unknown) => x as { name: string });
        assert.equal(err?.name, "AccessDenied", key);
        await assert.rejects(store.delete(key), isRetentionError);
      }
    } finally {
      raw.destroy();
    }
    const read = await readEvidence(store, { migrationId: "m-s3" });
    assert.ok(read !== undefined);
    assert.equal((await verifyEvidence(read.payload, read.signature, keys.publicKey)).ok, true);
    assert.equal(
      (await storeEvidence(store, { migrationId: "m-s3", ...signed, retainUntil })).alreadyStored,
      true,
    );
  },
});
