import assert from "node:assert/strict";
import {
  generateSigningKeyPair,
  loadPublicKey,
  loadSigningKey,
  PRIVATE_KEY_FILE,
  PUBLIC_KEY_FILE,
  PublicKey,
  SigningKey,
  writeKeyPair,
} from "../lib/evidence/keys.ts";
import { isKraftoverError } from "../lib/errors.ts";

const signingKeyError = (e: unknown) => isKraftoverError(e, "SIGNING_KEY");

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "kraftover-keys-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Runs openssl; undefined when it is not installed. */
async function openssl(args: string[], stdin?: Uint8Array): Promise<
  { code: number; stdout: string; stderr: string } | undefined
> {
  let child;
  try {
    child = new Deno.Command("openssl", {
      args,
      stdin: stdin === undefined ? "null" : "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
  if (stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(stdin);
    await writer.close();
  }
  const out = await child.output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

const opensslVersion = await openssl(["version"]);
const opensslSkip = opensslVersion === undefined
  ? "openssl is not installed"
  : opensslVersion.code !== 0
  ? `openssl does not run: ${opensslVersion.stderr}`
  : undefined;
// deno-lint-ignore no-console
if (opensslSkip !== undefined) console.log(`skipping the openssl interop tests: ${opensslSkip}`);

Deno.test("writeKeyPair writes a 0600 private key and a 0644 public key, refusing to overwrite", async () => {
  await withDir(async (dir) => {
    const pair = await generateSigningKeyPair();
    const written = await writeKeyPair(pair, `${dir}/keys`);
    assert.equal(written.privateKeyPath, `${dir}/keys/${PRIVATE_KEY_FILE}`);
    assert.equal(written.publicKeyPath, `${dir}/keys/${PUBLIC_KEY_FILE}`);
    assert.equal(written.fingerprint, pair.publicKey.fingerprint);
    if (Deno.build.os !== "windows") {
      assert.equal((await Deno.stat(written.privateKeyPath)).mode! & 0o777, 0o600);
      assert.equal((await Deno.stat(written.publicKeyPath)).mode! & 0o777, 0o644);
      assert.equal((await Deno.stat(`${dir}/keys`)).mode! & 0o777, 0o700);
    }
    const privatePem = await Deno.readTextFile(written.privateKeyPath);
    assert.match(
      privatePem,
      /^-----BEGIN PRIVATE KEY-----\n[A-Za-z0-9+/=\n]+-----END PRIVATE KEY-----\n$/,
    );
    assert.match(
      await Deno.readTextFile(written.publicKeyPath),
      /^-----BEGIN PUBLIC KEY-----\n[A-Za-z0-9+/=\n]+-----END PUBLIC KEY-----\n$/,
    );

    const loaded = await loadSigningKey(written.privateKeyPath);
    assert.equal(loaded.publicKey.fingerprint, pair.publicKey.fingerprint);
    assert.equal((await loadPublicKey(written.publicKeyPath)).fingerprint, written.fingerprint);

    const other = await generateSigningKeyPair();
    await assert.rejects(
      writeKeyPair(other, `${dir}/keys`),
      (e: unknown) =>
        signingKeyError(e) &&
        (e as { detail?: { reason?: string } }).detail?.reason === "already_exists",
    );
    assert.equal(
      await Deno.readTextFile(written.privateKeyPath),
      privatePem,
      "the old key is kept",
    );
    // Only the public key in the way: refused before the private key is written.
    await Deno.writeTextFile(`${dir}/lonely.pub.pem`, "old");
    await assert.rejects(
      writeKeyPair(other, {
        privateKeyPath: `${dir}/lonely.key.pem`,
        publicKeyPath: `${dir}/lonely.pub.pem`,
      }),
      signingKeyError,
    );
    await assert.rejects(Deno.stat(`${dir}/lonely.key.pem`), Deno.errors.NotFound);
    await writeKeyPair(other, `${dir}/keys`, { overwrite: true });
    assert.equal(
      (await loadSigningKey(written.privateKeyPath)).publicKey.fingerprint,
      other.publicKey.fingerprint,
    );
  });
});

Deno.test({
  name: "loadSigningKey refuses a private key that group or others can read or write",
  ignore: Deno.build.os === "windows", // no POSIX permission bits to check there
  fn: async () => {
    await withDir(async (dir) => {
      const { privateKeyPath } = await writeKeyPair(await generateSigningKeyPair(), dir);
      for (const mode of [0o640, 0o604, 0o620, 0o644]) {
        await Deno.chmod(privateKeyPath, mode);
        await assert.rejects(
          loadSigningKey(privateKeyPath),
          (e: unknown) =>
            signingKeyError(e) && (e as Error).message.includes(`chmod 600 ${privateKeyPath}`) &&
            (e as { detail?: { reason?: string } }).detail?.reason === "insecure_permissions",
          `mode ${mode.toString(8)}`,
        );
      }
      await Deno.chmod(privateKeyPath, 0o400);
      await loadSigningKey(privateKeyPath);
    });
  },
});

Deno.test("key loading names the file and what is wrong", async () => {
  await withDir(async (dir) => {
    await assert.rejects(loadSigningKey(`${dir}/missing.pem`), /kraftover keygen/);
    await assert.rejects(loadPublicKey(`${dir}/missing.pem`), signingKeyError);
    const pair = await generateSigningKeyPair();
    const cases: [string, string, RegExp][] = [
      ["pub-as-private.pem", pair.publicKey.toPem(), /found "PUBLIC KEY"/],
      [
        "encrypted.pem",
        "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n",
        /decrypt it first/,
      ],
      [
        "openssh.pem",
        "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n",
        /ssh-keygen -p -m PKCS8/,
      ],
      ["garbage.pem", "hello", /expected a PEM "PRIVATE KEY" block/],
      ["bad-base64.pem", "-----BEGIN PRIVATE KEY-----\n!!!\n-----END PRIVATE KEY-----\n", /base64/],
    ];
    for (const [name, text, message] of cases) {
      await Deno.writeTextFile(`${dir}/${name}`, text, { mode: 0o600 });
      await assert.rejects(
        loadSigningKey(`${dir}/${name}`),
        (e: unknown) =>
          signingKeyError(e) && message.test((e as Error).message) &&
          (e as Error).message.includes(`${dir}/${name}`),
        name,
      );
    }
  });
});

Deno.test("SigningKey never shows its secret", async () => {
  const { privateKey } = await generateSigningKeyPair();
  const secretB64 = privateKey.toPem().split("\n")[1]!.slice(-20);
  assert.equal(JSON.stringify({ privateKey }), '{"privateKey":"[redacted]"}');
  assert.equal(String(privateKey), "[redacted]");
  assert.ok(!Deno.inspect(privateKey).includes(secretB64));
  assert.match(Deno.inspect(privateKey), /SigningKey\(sha256:[0-9a-f]{64}, \[redacted\]\)/);
});

Deno.test("fingerprint is sha256: + hex SHA-256 of the raw public key", async () => {
  const { publicKey } = await generateSigningKeyPair();
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", publicKey.raw.slice()));
  assert.equal(publicKey.fingerprint, `sha256:${digest.toHex()}`);
  // The SPKI DER ends with the raw key.
  const der = Uint8Array.fromBase64(publicKey.toPem().split("\n").slice(1, -2).join(""));
  assert.deepEqual(der.subarray(der.length - 32), publicKey.raw);
  await assert.rejects(PublicKey.fromRaw(new Uint8Array(31)), signingKeyError);
  await assert.rejects(SigningKey.fromSeed(new Uint8Array(33)), signingKeyError);
});

Deno.test({
  name: "openssl derives the same public key file from our private key, and reads our keys",
  ignore: opensslSkip !== undefined,
  fn: async () => {
    await withDir(async (dir) => {
      const written = await writeKeyPair(await generateSigningKeyPair(), dir);
      const pub = await openssl(["pkey", "-in", written.privateKeyPath, "-pubout"]);
      assert.equal(pub?.code, 0, pub?.stderr ?? "");
      assert.equal(pub?.stdout, await Deno.readTextFile(written.publicKeyPath));
      const text = await openssl([
        "pkey",
        "-pubin",
        "-in",
        written.publicKeyPath,
        "-noout",
        "-text",
      ]);
      assert.match(text?.stdout ?? "", /ED25519 Public-Key/);
    });
  },
});

Deno.test({
  name: "keys made by openssl load, and signatures verify across openssl and kraftover",
  ignore: opensslSkip !== undefined,
  fn: async () => {
    await withDir(async (dir) => {
      const keyPath = `${dir}/openssl.key.pem`;
      const gen = await openssl(["genpkey", "-algorithm", "ed25519", "-out", keyPath]);
      assert.equal(gen?.code, 0, gen?.stderr ?? "");
      await Deno.chmod(keyPath, 0o600);
      const key = await loadSigningKey(keyPath);
      const pub = await openssl(["pkey", "-in", keyPath, "-pubout"]);
      assert.equal(key.publicKey.toPem(), pub?.stdout);
      assert.equal(
        key.toPem(),
        await Deno.readTextFile(keyPath),
        "PKCS#8 round-trips byte for byte",
      );

      const message = new TextEncoder().encode('{"kraftover":"evidence"}');
      await Deno.writeFile(`${dir}/msg`, message);
      // openssl signs, kraftover verifies.
      const signed = await openssl([
        "pkeyutl",
        "-sign",
        "-inkey",
        keyPath,
        "-rawin",
        "-in",
        `${dir}/msg`,
        "-out",
        `${dir}/sig.bin`,
      ]);
      assert.equal(signed?.code, 0, signed?.stderr ?? "");
      const opensslSig = await Deno.readFile(`${dir}/sig.bin`);
      assert.ok(await key.publicKey.verify(opensslSig, message));
      // kraftover signs, openssl verifies (Ed25519 is deterministic: same bytes too).
      const ours = await key.sign(message);
      assert.deepEqual(ours, opensslSig);
      await Deno.writeTextFile(`${dir}/pub.pem`, key.publicKey.toPem());
      await Deno.writeFile(`${dir}/ours.bin`, ours);
      const verified = await openssl([
        "pkeyutl",
        "-verify",
        "-pubin",
        "-inkey",
        `${dir}/pub.pem`,
        "-rawin",
        "-in",
        `${dir}/msg`,
        "-sigfile",
        `${dir}/ours.bin`,
      ]);
      assert.equal(verified?.code, 0, verified?.stderr ?? "");
      assert.match(verified?.stdout ?? "", /Signature Verified Successfully/);
    });
  },
});

Deno.test({
  name: "keys of other algorithms are refused",
  ignore: opensslSkip !== undefined,
  fn: async () => {
    await withDir(async (dir) => {
      for (const algorithm of ["ed448", "x25519"]) {
        const path = `${dir}/${algorithm}.pem`;
        const gen = await openssl(["genpkey", "-algorithm", algorithm, "-out", path]);
        assert.equal(gen?.code, 0, gen?.stderr ?? "");
        await Deno.chmod(path, 0o600);
        await assert.rejects(loadSigningKey(path), /not an Ed25519 key/, algorithm);
        const pub = await openssl(["pkey", "-in", path, "-pubout", "-out", `${path}.pub`]);
        assert.equal(pub?.code, 0);
        await assert.rejects(loadPublicKey(`${path}.pub`), /not an Ed25519 key/, algorithm);
      }
    });
  },
});
