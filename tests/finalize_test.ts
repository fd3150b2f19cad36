/**
 * finalize() and the evidence CLI against a real migration on the sandbox:
 * the signed bundle lands in the lock-enabled S3 bucket with every part of
 * SPEC §9, `kraftover evidence verify` accepts it and rejects any changed
 * byte and any other key, S3 refuses to delete or replace it within
 * retention, and a finalize interrupted between storing and journaling
 * completes with the very same bytes.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { DeleteObjectCommand, ListObjectVersionsCommand, S3Client } from "@aws-sdk/client-s3";
import { finalize } from "../lib/phases/finalize.ts";
import type { FinalizeReport } from "../lib/phases/finalize.ts";
import { JOURNAL_FILE, readJournal, replayState } from "../lib/journal.ts";
import { evidenceKeys, storeEvidence } from "../lib/evidence/store_evidence.ts";
import { parseDetachedSignature } from "../lib/evidence/sign.ts";
import { isKraftoverError } from "../lib/errors.ts";
import { isObjectExistsError, isRetentionError } from "../lib/store/object_store.ts";
import { freshContext, migrationFixture } from "./validate_fixture.ts";
import type { MigrationFixture } from "./validate_fixture.ts";
import { sandboxTest } from "./precheck_env.ts";

const cli = new URL("../cli.ts", import.meta.url).pathname;

/** Runs the kraftover CLI; returns its exit code and output. */
async function kraftover(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", cli, ...args],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const d = new TextDecoder();
  return { code: out.code, out: d.decode(out.stdout), err: d.decode(out.stderr) };
}

async function runFinalize(f: MigrationFixture): Promise<FinalizeReport> {
  const ctx = freshContext(f);
  try {
    return await finalize(ctx, {});
  } finally {
    await ctx.close();
  }
}

sandboxTest(
  "finalize() stores a signed bundle with every part of SPEC §9 under Object Lock, evidence verify accepts it and rejects a changed byte or another key, and a re-run after a crash gives the same bytes",
  async (t, info) => {
    const f = await migrationFixture(info, { abortedTransaction: true, switched: true });
    const work = await Deno.makeTempDir({ prefix: "kraftover-evidence-" });
    const base = ["--config", f.configFile, "--journal-dir", f.journalDir];
    try {
      await t.step("finalize before any validation is refused", async () => {
        const ctx = freshContext(f);
        try {
          await assert.rejects(finalize(ctx, {}), (e: unknown) => {
            assert.ok(isKraftoverError(e, "ILLEGAL_TRANSITION"));
            assert.match(e.message, /never validated; run kraftover validate first/);
            return true;
          });
        } finally {
          await ctx.close();
        }
      });

      await t.step("kraftover validate --json passes (exit 0)", async () => {
        const r = await kraftover("validate", ...base, "--json");
        assert.equal(r.code, 0, r.err);
        assert.equal(JSON.parse(r.out).outcome, "PASSED");
      });

      await t.step("a missing signing key is refused, naming the path and keygen", async () => {
        const missing = join(work, "nowhere", "key.pem");
        const ctx = freshContext(f, {
          ...f.config,
          evidence: { ...f.config.evidence!, signing_key_path: missing },
        });
        try {
          await assert.rejects(finalize(ctx, {}), (e: unknown) => {
            assert.ok(isKraftoverError(e, "SIGNING_KEY"));
            assert.ok(e.message.includes(missing), e.message);
            assert.match(e.message, /kraftover keygen/);
            return true;
          });
        } finally {
          await ctx.close();
        }
        const { records } = await readJournal(f.journalDir);
        assert.ok(!records.some((r) => r.type === "checkpoint" && r.name === "finalize.started"));
      });

      let report: FinalizeReport;
      await t.step("kraftover finalize signs and stores the bundle and finalizes", async () => {
        const r = await kraftover("finalize", ...base, "--json");
        assert.equal(r.code, 0, r.err);
        report = JSON.parse(r.out) as FinalizeReport;
        const keys = evidenceKeys(f.migrationId);
        assert.equal(report.bundle, `s3://${info.s3.buckets.evidence}/${keys.bundle}`);
        assert.equal(report.validationOutcome, "PASSED");
        assert.equal(report.lockMode, "COMPLIANCE");
        assert.equal(
          Date.parse(report.retainUntil!) - Date.parse(report.finalizedAt),
          24 * 3600 * 1000,
          "retained for evidence.retention (1d) from finalization",
        );
        const { records } = await readJournal(f.journalDir);
        assert.equal(replayState(records).state, "finalized");
        const stored = records.findLast((r) =>
          r.type === "checkpoint" && r.name === "evidence.stored"
        );
        assert.equal(
          (stored as unknown as { data: { payload_sha256: string } }).data.payload_sha256,
          report.payloadSha256,
        );
      });

      const ctx = freshContext(f);
      const store = ctx.evidenceStore();
      const keys = evidenceKeys(f.migrationId);
      const bundleFile = join(work, "bundle.json");
      const payload = (await store.get(keys.bundle))!;
      await Deno.writeFile(bundleFile, payload);
      await Deno.writeFile(`${bundleFile}.sig`, (await store.get(keys.signature))!);

      await t.step("the bundle holds every part of SPEC §9", () => {
        const b = JSON.parse(new TextDecoder().decode(payload));
        assert.equal(b.schema, "kraftover.evidence/v1");
        assert.equal(b.migration_id, f.migrationId);
        assert.equal(b.tool.name, "kraftover");
        for (
          const k of [
            "planned_at",
            "started_at",
            "cutover_started_at",
            "cutover_ended_at",
            "validated_at",
            "finalized_at",
          ]
        ) {
          assert.equal(typeof b.timestamps[k], "string", `timestamps.${k}`);
        }
        assert.equal(b.timestamps.finalized_at, report.finalizedAt);
        assert.equal(b.source.cluster.mode, "zookeeper");
        assert.equal(b.target.cluster.mode, "kraft");
        assert.deepEqual(
          b.target.topics.map((x: { name: string }) => x.name).sort(),
          [f.topic],
        );
        assert.ok(Array.isArray(b.source.acls.bindings));
        assert.ok(
          b.source.groups.some((g: { group_id: string }) => g.group_id === f.group),
          "the source snapshot has the migrated group",
        );
        const journal = b.journal as { seq: number; name?: string }[];
        assert.equal(journal[0]!.seq, 1);
        assert.equal(journal.at(-1)!.name, "finalize.started", "the whole journal up to finalize");
        assert.deepEqual(
          b.topology_diff.topics_created.map((x: { topic: string }) => x.topic),
          [f.topic],
        );
        assert.ok(Array.isArray(b.acl_plan.plans));
        assert.equal(b.seed_stats.via, "direct");
        assert.equal(
          b.seed_stats.records,
          25,
          "2 × 12 records and the committed transactional one",
        );
        assert.deepEqual(b.seed_stats.holes, { aborted: 1, control: 2, absent: 0 });
        assert.equal(typeof b.tail_stats.records, "number");
        assert.equal(typeof b.cutover.freeze.duration_ms, "number");
        assert.equal(b.cutover.sentinels.length, 2);
        for (const s of b.cutover.sentinels) assert.equal(typeof s.target_offset, "number");
        assert.deepEqual(Object.keys(b.offset_map).sort(), [`${f.topic}/0`, `${f.topic}/1`]);
        assert.equal(b.group_offsets[0].group, f.group);
        assert.equal(b.validation.outcome, "PASSED");
        assert.equal(b.validation.checks.length, 5);
      });

      await t.step("kraftover evidence verify accepts the stored bundle (exit 0)", async () => {
        const r = await kraftover(
          "evidence",
          "verify",
          bundleFile,
          "--public-key",
          info.evidence.publicKeyPath,
        );
        assert.equal(r.code, 0, r.out + r.err);
        assert.match(r.out, new RegExp(`Valid: .*\\n.*migration +${f.migrationId}`));
      });

      await t.step(
        "changing any one byte makes it fail (exit 3) and says which check",
        async () => {
          for (const at of [0, Math.floor(payload.length / 2), payload.length - 1]) {
            const changed = payload.slice();
            changed[at] = changed[at]! ^ 0x01;
            const file = join(work, `changed-${at}.json`);
            await Deno.writeFile(file, changed);
            const r = await kraftover(
              "evidence",
              "verify",
              file,
              "--public-key",
              info.evidence.publicKeyPath,
              "--signature",
              `${bundleFile}.sig`,
              "--json",
            );
            assert.equal(r.code, 3, `byte ${at}: ${r.out}`);
            const result = JSON.parse(r.out);
            assert.equal(result.ok, false);
            assert.equal(result.check, "digest_mismatch");
          }
        },
      );

      await t.step("another key makes it fail with key_mismatch (keygen CLI)", async () => {
        const other = join(work, "other-keys");
        const made = await kraftover("keygen", "--out-dir", other);
        assert.equal(made.code, 0, made.err);
        const r = await kraftover(
          "evidence",
          "verify",
          bundleFile,
          "--public-key",
          join(other, "kraftover-evidence.pub.pem"),
        );
        assert.equal(r.code, 3);
        assert.match(r.out, /INVALID[\s\S]*failed check +key_mismatch/);
      });

      await t.step(
        "S3 refuses to delete or replace the stored evidence within retention",
        async () => {
          const head = await store.head(keys.bundle);
          assert.equal(head?.lockMode, "COMPLIANCE");
          assert.equal(head?.retainUntil?.toISOString(), report.retainUntil);
          const deleted = await store.delete(keys.bundle).then(() => undefined, (e) => e);
          assert.ok(isRetentionError(deleted), String(deleted));
          const sig = parseDetachedSignature((await store.get(keys.signature))!);
          const replaced = await storeEvidence(store, {
            migrationId: f.migrationId,
            payload: new TextEncoder().encode("{}"),
            signature: {
              ...sig,
              payload_sha256: "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
            },
          }).then(() => undefined, (e) => e);
          assert.ok(isObjectExistsError(replaced), String(replaced));
          const raw = new S3Client({
            endpoint: info.s3.endpoint,
            region: info.s3.region,
            forcePathStyle: true,
            credentials: info.s3.credentials,
            maxAttempts: 1,
          });
          try {
            const versions = await raw.send(
              new ListObjectVersionsCommand({
                Bucket: info.s3.buckets.evidence,
                Prefix: keys.bundle,
              }),
            );
            const version = versions.Versions?.find((v) => v.Key === keys.bundle)?.VersionId;
            assert.ok(version);
            const denied = await raw.send(
              new DeleteObjectCommand({
                Bucket: info.s3.buckets.evidence,
                Key: keys.bundle,
                VersionId: version,
              }),
            ).then(() => undefined, (e) => e as { name: string });
            assert.equal(denied?.name, "AccessDenied");
          } finally {
            raw.destroy();
          }
          assert.deepEqual(await store.get(keys.bundle), payload);
        },
      );

      await t.step(
        "a finalize killed between storing and journaling completes with the same bytes",
        async () => {
          // The crash: the evidence is in the store, the journal ends at finalize.started.
          const path = join(f.journalDir, JOURNAL_FILE);
          const lines = (await Deno.readTextFile(path)).trimEnd().split("\n");
          const cut = lines.findIndex((l) => l.includes('"name":"finalize.started"'));
          await Deno.writeTextFile(path, lines.slice(0, cut + 1).join("\n") + "\n");
          assert.equal(replayState((await readJournal(f.journalDir)).records).state, "validating");
          const again = await runFinalize(f);
          assert.equal(again.alreadyStored, true);
          assert.equal(again.payloadSha256, report.payloadSha256);
          assert.equal(again.finalizedAt, report.finalizedAt);
          assert.equal(replayState((await readJournal(f.journalDir)).records).state, "finalized");
        },
      );

      await t.step("finalize on a finalized migration reports what was stored", async () => {
        const again = await runFinalize(f);
        assert.equal(again.alreadyStored, true);
        assert.equal(again.bundle, report.bundle);
      });
      store.close();
      await ctx.close();
    } finally {
      await Deno.remove(work, { recursive: true }).catch(() => {});
      await f.cleanup();
    }
  },
);

Deno.test("kraftover keygen writes an owner-only private key, prints the fingerprint and never overwrites without --force", async () => {
  const dir = join(await Deno.makeTempDir(), "keys");
  try {
    const r = await kraftover("keygen", "--out-dir", dir, "--json");
    assert.equal(r.code, 0, r.err);
    const written = JSON.parse(r.out);
    assert.equal(written.privateKeyPath, join(dir, "kraftover-evidence.key.pem"));
    assert.match(written.fingerprint, /^sha256:[0-9a-f]{64}$/);
    assert.equal((await Deno.stat(written.privateKeyPath)).mode! & 0o777, 0o600);
    assert.equal((await Deno.stat(dir)).mode! & 0o777, 0o700);
    const human = await kraftover("keygen", "--out-dir", dir);
    assert.equal(human.code, 1);
    assert.match(human.err, /already exists/);
    const forced = await kraftover("keygen", "--out-dir", dir, "--force");
    assert.equal(forced.code, 0, forced.err);
    assert.match(forced.out, /Fingerprint {2}sha256:[0-9a-f]{64}/);
    assert.doesNotMatch(forced.out, new RegExp(written.fingerprint.slice(7)));
  } finally {
    await Deno.remove(join(dir, ".."), { recursive: true });
  }
});

Deno.test("kraftover evidence verify on a missing bundle is a usage error (exit 2)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const keys = await kraftover("keygen", "--out-dir", dir);
    assert.equal(keys.code, 0, keys.err);
    const r = await kraftover(
      "evidence",
      "verify",
      join(dir, "nope.json"),
      "--public-key",
      join(dir, "kraftover-evidence.pub.pem"),
    );
    assert.equal(r.code, 2);
    assert.match(r.err, /Cannot read evidence bundle .*nope\.json: not found/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
