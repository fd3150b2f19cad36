import assert from "node:assert/strict";
import { buildEvidenceBundle, type EvidenceBundle } from "../lib/evidence/bundle.ts";
import { canonicalJsonBytes } from "../lib/evidence/canonical_json.ts";
import { generateSigningKeyPair, writeKeyPair } from "../lib/evidence/keys.ts";
import {
  type DetachedSignature,
  encodeDetachedSignature,
  parseDetachedSignature,
  sha256Hex,
  signEvidence,
  verifyEvidence,
} from "../lib/evidence/sign.ts";
import { verifyEvidenceFile } from "../lib/evidence/verify_evidence_file.ts";
import { isKraftoverError } from "../lib/errors.ts";
import { Secret } from "../lib/secret.ts";

const SCRAM_PASSWORD = "scram-pass-Zq81-unique";
const IAM_SECRET = "iam-secret-key-Xk27-unique";
const WEBHOOK_SECRET = "webhook-hmac-Lm55-unique";
const TOKEN = "bearer-token-Pp09-unique";

/** A bundle shaped like a real one, with secrets planted in the usual places. */
function sampleBundle(): EvidenceBundle {
  return buildEvidenceBundle({
    migration_id: "msk-prod-2025-01",
    timestamps: {
      started_at: "2025-01-01T10:00:00.000Z",
      cutover_started_at: "2025-01-02T10:00:00.000Z",
      finalized_at: "2025-01-02T11:00:00.000Z",
    },
    source: {
      bootstrap_servers: ["b-1.example:9096"],
      kafka_version: "3.9.0",
      mode: "zookeeper",
      auth: { mode: "scram-sha-512", username: "migrator", password: SCRAM_PASSWORD },
    },
    target: {
      bootstrap_servers: ["b-1.kraft.example:9098"],
      mode: "kraft",
      auth: { mode: "iam", secret_access_key: new Secret(IAM_SECRET) },
    },
    journal: [
      { seq: 1, type: "transition", to: "precheck" },
      {
        seq: 2,
        type: "hook",
        plugin: "webhook-freeze",
        // Config secrets arrive as Secret, which also registers their values for scrubbing.
        config: { secret: new Secret(WEBHOOK_SECRET), headers: { "x-api-key": new Secret(TOKEN) } },
      },
      // Library error messages quoting secrets (registered by the Secrets above).
      {
        seq: 3,
        type: "warning",
        message: `retrying: auth failed for token ${TOKEN}`,
        token: TOKEN,
      },
      { seq: 4, type: "warning", message: `webhook ${WEBHOOK_SECRET} rejected` },
    ],
    topology_diff: { created: [{ topic: "orders", partitions: 12 }] },
    acl_plan: { copied: 3 },
    seed_stats: { records: 1_000_000, bytes: 512_000_000 },
    tail_stats: { records: 5_000 },
    cutover: {
      freeze: {
        started_at: "2025-01-02T10:00:00.000Z",
        ended_at: "2025-01-02T10:00:04.250Z",
        duration_ms: 4250,
      },
      sentinels: [{
        topic: "orders",
        partition: 0,
        source_offset: "1000000",
        target_offset: 999_990,
      }],
    },
    offset_map: { "orders-0": [[0, 0, 999_990]] },
    group_offsets: [{ group: "billing", topic: "orders", partition: 0, source: 5, target: 5 }],
    validation: { outcome: "PASSED", checks: [] },
  });
}

const keys = await generateSigningKeyPair();
const other = await generateSigningKeyPair();

Deno.test("signEvidence → verifyEvidence is ok, and the payload is the canonical bundle", async () => {
  const bundle = sampleBundle();
  const now = new Date("2025-01-02T11:00:01.000Z");
  const { payload, signature } = await signEvidence(bundle, keys.privateKey, { now: () => now });
  assert.deepEqual(payload, canonicalJsonBytes(bundle));
  assert.equal(signature.algorithm, "Ed25519");
  assert.equal(signature.key_fingerprint, keys.publicKey.fingerprint);
  assert.equal(signature.payload_sha256, await sha256Hex(payload));
  assert.equal(signature.signed_at, now.toISOString());
  assert.equal(Uint8Array.fromBase64(signature.signature).length, 64);
  const result = await verifyEvidence(payload, signature, keys.publicKey);
  assert.deepEqual(result, {
    ok: true,
    keyFingerprint: keys.publicKey.fingerprint,
    payloadSha256: signature.payload_sha256,
    migrationId: "msk-prod-2025-01",
  });
});

Deno.test("flipping any single byte of the payload fails verification", async () => {
  const { payload, signature } = await signEvidence(sampleBundle(), keys.privateKey);
  const positions = new Set([0, 1, payload.length - 2, payload.length - 1]);
  for (let i = 0; i < 200; i++) positions.add(Math.floor((i * payload.length) / 200));
  for (let i = 0; i < 50; i++) positions.add(Math.floor(Math.random() * payload.length));
  for (const position of positions) {
    for (const mask of [0x01, 0x80]) {
      const tampered = payload.slice();
      tampered[position]! ^= mask;
      const result = await verifyEvidence(tampered, signature, keys.publicKey);
      assert.equal(result.ok, false, `byte ${position} ^ ${mask}`);
      assert.equal(!result.ok && result.check, "digest_mismatch");
    }
  }
  // Nor may bytes be added or removed.
  for (
    const changed of [payload.subarray(0, payload.length - 1), new Uint8Array([...payload, 0x20])]
  ) {
    assert.equal((await verifyEvidence(changed, signature, keys.publicKey)).ok, false);
  }
});

Deno.test("a payload changed together with its digest still fails on the Ed25519 signature", async () => {
  const { payload, signature } = await signEvidence(sampleBundle(), keys.privateKey);
  const text = new TextDecoder().decode(payload).replace('"PASSED"', '"FAILED"');
  const tampered = new TextEncoder().encode(text);
  const forged = { ...signature, payload_sha256: await sha256Hex(tampered) };
  const result = await verifyEvidence(tampered, forged, keys.publicKey);
  assert.equal(!result.ok && result.check, "bad_signature");
});

Deno.test("verifying with another key says it was signed with another key", async () => {
  const { payload, signature } = await signEvidence(sampleBundle(), keys.privateKey);
  const result = await verifyEvidence(payload, signature, other.publicKey);
  assert.equal(result.ok, false);
  assert.equal(!result.ok && result.check, "key_mismatch");
  assert.match(!result.ok ? result.reason : "", /signed with another key/);
  // Claiming the other key's fingerprint does not help: the signature does not verify.
  const claimed = { ...signature, key_fingerprint: other.publicKey.fingerprint };
  const forged = await verifyEvidence(payload, claimed, other.publicKey);
  assert.equal(!forged.ok && forged.check, "bad_signature");
});

Deno.test("a tampered signature fails", async () => {
  const { payload, signature } = await signEvidence(sampleBundle(), keys.privateKey);
  const raw = Uint8Array.fromBase64(signature.signature);
  for (const position of [0, 17, 31, 32, 50, 63]) {
    const bad = raw.slice();
    bad[position]! ^= 0x04;
    const result = await verifyEvidence(
      payload,
      { ...signature, signature: bad.toBase64() },
      keys.publicKey,
    );
    assert.equal(!result.ok && result.check, "bad_signature", `signature byte ${position}`);
  }
  const malformed: DetachedSignature[] = [
    { ...signature, algorithm: "RSA" as "Ed25519" },
    { ...signature, signature: "AAAA" },
    { ...signature, payload_sha256: "zz" },
    { ...signature, key_fingerprint: "md5:00" },
  ];
  for (const sig of malformed) {
    const result = await verifyEvidence(payload, sig, keys.publicKey);
    assert.equal(!result.ok && result.check, "malformed_signature", JSON.stringify(sig));
  }
});

Deno.test("a validly signed but non-canonical or foreign payload is refused", async () => {
  const sign = async (bytes: Uint8Array): Promise<DetachedSignature> => ({
    algorithm: "Ed25519",
    key_fingerprint: keys.publicKey.fingerprint,
    payload_sha256: await sha256Hex(bytes),
    signature: (await keys.privateKey.sign(bytes)).toBase64(),
    signed_at: new Date().toISOString(),
  });
  const pretty = new TextEncoder().encode(JSON.stringify(sampleBundle(), null, 2));
  const notCanonical = await verifyEvidence(pretty, await sign(pretty), keys.publicKey);
  assert.equal(!notCanonical.ok && notCanonical.check, "not_canonical");
  const foreign = canonicalJsonBytes({ schema: "something/else", migration_id: "m" });
  const wrong = await verifyEvidence(foreign, await sign(foreign), keys.publicKey);
  assert.equal(!wrong.ok && wrong.check, "wrong_schema");
});

Deno.test("secrets given as Secret, under secret-named keys or inside messages never reach the payload", async () => {
  const { payload, signature } = await signEvidence(sampleBundle(), keys.privateKey);
  const text = new TextDecoder().decode(payload);
  for (const secret of [SCRAM_PASSWORD, IAM_SECRET, WEBHOOK_SECRET, TOKEN]) {
    assert.ok(!text.includes(secret), `${secret} leaked into the payload`);
    assert.ok(!new TextDecoder().decode(encodeDetachedSignature(signature)).includes(secret));
  }
  const doc = JSON.parse(text);
  assert.equal(doc.source.auth.password, "[redacted]");
  assert.equal(doc.source.auth.username, "migrator", "non-secrets are kept");
  assert.equal(doc.target.auth.secret_access_key, "[redacted]");
  assert.equal(doc.journal[2].token, "[redacted]");
  assert.equal(doc.journal[3].message, "webhook [redacted] rejected");
});

Deno.test("signEvidence refuses bigint offsets instead of mangling them", async () => {
  const bundle = { ...sampleBundle(), offset_map: { "orders-0": [[0n, 0n, 10n]] } };
  await assert.rejects(
    signEvidence(bundle as unknown as EvidenceBundle, keys.privateKey),
    (e: unknown) =>
      isKraftoverError(e, "EVIDENCE_INVALID") && /offset_map/.test((e as Error).message),
  );
});

Deno.test("signEvidence refuses something that is not an evidence bundle", async () => {
  for (const value of [{ migration_id: "m" }, { schema: "kraftover.evidence/v1" }]) {
    await assert.rejects(
      signEvidence(value as unknown as EvidenceBundle, keys.privateKey),
      (e: unknown) => isKraftoverError(e, "EVIDENCE_INVALID"),
    );
  }
});

Deno.test("detached signature files round-trip and bad ones are EVIDENCE_INVALID", async () => {
  const { signature } = await signEvidence(sampleBundle(), keys.privateKey);
  assert.deepEqual(parseDetachedSignature(encodeDetachedSignature(signature)), signature);
  for (const text of ["", "[]", "{}", '{"algorithm":"Ed25519"}']) {
    assert.throws(
      () => parseDetachedSignature(new TextEncoder().encode(text)),
      (e: unknown) => isKraftoverError(e, "EVIDENCE_INVALID"),
    );
  }
});

async function onDisk(
  fn: (paths: { dir: string; file: string; publicKeyPath: string }) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "kraftover-evidence-" });
  try {
    const { publicKeyPath } = await writeKeyPair(keys, `${dir}/keys`);
    const { payload, signature } = await signEvidence(sampleBundle(), keys.privateKey);
    await Deno.writeFile(`${dir}/bundle.json`, payload);
    await Deno.writeFile(`${dir}/bundle.json.sig`, encodeDetachedSignature(signature));
    await fn({ dir, file: `${dir}/bundle.json`, publicKeyPath });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("verifyEvidenceFile checks FILE against FILE.sig or an explicit signature path", async () => {
  await onDisk(async ({ dir, file, publicKeyPath }) => {
    const ok = await verifyEvidenceFile(file, { publicKeyPath });
    assert.equal(ok.ok, true);
    assert.equal(ok.signaturePath, `${file}.sig`);

    await Deno.rename(`${file}.sig`, `${dir}/elsewhere.sig`);
    await assert.rejects(
      verifyEvidenceFile(file, { publicKeyPath }),
      (e: unknown) =>
        isKraftoverError(e, "USAGE") && /bundle\.json\.sig: not found/.test((e as Error).message),
    );
    const explicit = await verifyEvidenceFile(file, {
      publicKeyPath,
      signaturePath: `${dir}/elsewhere.sig`,
    });
    assert.equal(explicit.ok, true);

    const bytes = await Deno.readFile(file);
    bytes[Math.floor(bytes.length / 2)]! ^= 0x01;
    await Deno.writeFile(file, bytes);
    const bad = await verifyEvidenceFile(file, {
      publicKeyPath,
      signaturePath: `${dir}/elsewhere.sig`,
    });
    assert.equal(!bad.ok && bad.check, "digest_mismatch");

    await Deno.writeTextFile(`${dir}/garbage.sig`, "not json");
    const garbage = await verifyEvidenceFile(file, {
      publicKeyPath,
      signaturePath: `${dir}/garbage.sig`,
    });
    assert.equal(!garbage.ok && garbage.check, "malformed_signature");

    await assert.rejects(
      verifyEvidenceFile(file, {
        publicKeyPath: `${dir}/none.pem`,
        signaturePath: `${dir}/elsewhere.sig`,
      }),
      (e: unknown) => isKraftoverError(e, "SIGNING_KEY"),
    );
  });
});

const opensslAvailable = await new Deno.Command("openssl", {
  args: ["version"],
  stdout: "null",
  stderr: "null",
})
  .output().then((o) => o.success, () => false);
if (!opensslAvailable) {
  // deno-lint-ignore no-console
  console.log("skipping the plain-openssl verification test: openssl is not installed");
}

Deno.test({
  name: "a stored bundle verifies with plain openssl, as docs/evidence.md shows",
  ignore: !opensslAvailable,
  fn: async () => {
    await onDisk(async ({ dir, file, publicKeyPath }) => {
      const sig = parseDetachedSignature(await Deno.readFile(`${file}.sig`));
      await Deno.writeFile(`${dir}/bundle.sig.bin`, Uint8Array.fromBase64(sig.signature));
      const run = (args: string[]) =>
        new Deno.Command("openssl", { args, stdout: "piped", stderr: "piped" }).output();
      const verify = await run([
        "pkeyutl",
        "-verify",
        "-pubin",
        "-inkey",
        publicKeyPath,
        "-rawin",
        "-in",
        file,
        "-sigfile",
        `${dir}/bundle.sig.bin`,
      ]);
      assert.ok(verify.success, new TextDecoder().decode(verify.stderr));
      const digest = await run(["dgst", "-sha256", "-r", file]);
      assert.equal(new TextDecoder().decode(digest.stdout).split(" ")[0], sig.payload_sha256);
      const der = await run(["pkey", "-pubin", "-in", publicKeyPath, "-outform", "DER"]);
      const raw = der.stdout.subarray(der.stdout.length - 32);
      const fingerprint = await sha256Hex(raw);
      assert.equal(`sha256:${fingerprint}`, sig.key_fingerprint);

      const bytes = await Deno.readFile(file);
      bytes[bytes.length - 1]! ^= 0x01;
      await Deno.writeFile(file, bytes);
      const tampered = await run([
        "pkeyutl",
        "-verify",
        "-pubin",
        "-inkey",
        publicKeyPath,
        "-rawin",
        "-in",
        file,
        "-sigfile",
        `${dir}/bundle.sig.bin`,
      ]);
      assert.equal(tampered.success, false);
    });
  },
});
