/**
 * The connection layer against the sandbox's real brokers: `connectCluster`
 * for every auth pair of SPEC §5 (configs from `sandboxConfigs`, parsed by the
 * project's own loader), the error code of every refusal, what is and is not
 * retried, a kcat cross-check of records, and `cluster_arn` resolution through
 * the MSK fake.
 *
 * Uses the running sandbox in `$KRAFTOVER_SANDBOX_DIR` (`deno task test`
 * starts one); without a healthy sandbox the tests are skipped and the reason
 * is printed. kcat tests are skipped (with the reason) when kcat is missing.
 *
 * Run: `KRAFTOVER_SANDBOX_DIR=… deno test -A tests/connect_test.ts`
 */

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createHash, createHmac } from "node:crypto";
import { SignatureV4 } from "@smithy/signature-v4";
import { parseConfigText } from "../lib/config/load_config.ts";
import type { ClusterConfig } from "../lib/config/types.ts";
import { type ErrorCode, isKraftoverError, KraftoverError } from "../lib/errors.ts";
import { classifyKafkaError } from "../lib/kafka/classify_error.ts";
import { connectCluster, resolveBootstrapServers } from "../lib/kafka/connect.ts";
import type { ConnectClusterOptions, KafkaConnection } from "../lib/kafka/connect.ts";
import {
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  ResourcePatternTypes,
} from "../lib/kafka/kafkajs.ts";
import { createMemoryLogger } from "../lib/logger.ts";
import { delay } from "../lib/retry.ts";
import { Secret } from "../lib/secret.ts";
import {
  buildFakeCluster,
  registerFakeCluster,
  unregisterFakeCluster,
} from "../lib/sandbox/msk_fake_cluster.ts";
import { sandboxStatus } from "../lib/sandbox/sandbox.ts";
import { type SandboxAuthPair, sandboxConfigs } from "../lib/sandbox/sandbox_configs.ts";
import type { SandboxConfigsOptions } from "../lib/sandbox/sandbox_configs.ts";
import { defaultSandboxDir, type SandboxInfo } from "../lib/sandbox/sandbox_info.ts";

// ---------------------------------------------------------------------------
// The sandbox, or why there is none

const sandbox: { info: SandboxInfo } | { skip: string } = await (async () => {
  const stateDir = defaultSandboxDir();
  try {
    const status = await sandboxStatus({ stateDir });
    if (!status.healthy || status.info === undefined) {
      return {
        skip: `no healthy sandbox in ${stateDir} (run deno task test, or kraftover sandbox up)`,
      };
    }
    // IAM sides sign tokens through the standard AWS credential chain.
    for (const [k, v] of Object.entries(status.info.env)) Deno.env.set(k, v);
    return { info: status.info };
  } catch (error) {
    return { skip: `cannot read the sandbox in ${stateDir}: ${(error as Error).message}` };
  }
})();

/** kcat, or why it cannot be used, and the librdkafka version it links. */
const kcatInfo: { missing?: string; librdkafka?: number[] } = await (async () => {
  try {
    const out = await new Deno.Command("kcat", { args: ["-V"], stdout: "piped", stderr: "piped" })
      .output();
    if (!out.success) return { missing: "kcat -V failed" };
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    const version = /librdkafka v?(\d+)\.(\d+)\.(\d+)/.exec(text);
    return version === null ? {} : { librdkafka: version.slice(1).map(Number) };
  } catch {
    return { missing: "kcat is not installed (Debian: apt-get install kcat; .ci/run installs it)" };
  }
})();
const kcatMissing = kcatInfo.missing;

/**
 * Why kcat's SCRAM cannot log in to a cluster, if it cannot: librdkafka before
 * 2.6.1 repeats the client nonce in the SCRAM client-final-message
 * (confluentinc/librdkafka#4895), which Kafka 4.x refuses (Kafka 3.8.1–3.9
 * tolerate it). Debian bookworm's kcat links librdkafka 2.0.2.
 */
function kcatScramBlocked(kafkaVersion: string): string | undefined {
  const lib = kcatInfo.librdkafka;
  if (lib === undefined || Number(kafkaVersion.split(".")[0]) < 4) return undefined;
  const [major = 0, minor = 0, patch = 0] = lib;
  const fixed = major > 2 || (major === 2 && (minor > 6 || (minor === 6 && patch >= 1)));
  return fixed ? undefined : `kcat links librdkafka ${lib.join(".")}, whose SCRAM (before 2.6.1, ` +
    `librdkafka#4895) Kafka ${kafkaVersion} refuses`;
}

const announced = new Set<string>();

/** A test against the sandbox; skipped with the reason printed when it (or kcat) is missing. */
function sandboxTest(
  name: string,
  fn: (t: Deno.TestContext, info: SandboxInfo) => Promise<void>,
  needs: { kcat?: boolean } = {},
): void {
  const skip = "skip" in sandbox ? sandbox.skip : needs.kcat ? kcatMissing : undefined;
  if (skip !== undefined && !announced.has(skip)) {
    announced.add(skip);
    // deno-lint-ignore no-console
    console.log(`Skipping connection tests: ${skip}`);
  }
  Deno.test({
    name,
    ignore: skip !== undefined,
    // kafkajs keeps timers and sockets past disconnect.
    sanitizeOps: false,
    sanitizeResources: false,
    fn: (t) => fn(t, (sandbox as { info: SandboxInfo }).info),
  });
}

// ---------------------------------------------------------------------------
// Helpers

const run = crypto.randomUUID().slice(0, 8);
let counter = 0;

/** A name no other test (or run) uses, e.g. `kc-1a2b3c4d-pair-7`. */
function unique(what: string): string {
  return `kc-${run}-${what}-${++counter}`;
}

/** Polls `fn` until it returns a value (not undefined), or fails at the deadline. */
async function poll<T>(
  what: string,
  fn: () => Promise<T | undefined>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await fn();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`Timed out after ${timeoutMs}ms waiting for ${what}`, { cause: last });
    }
    await delay(100);
  }
}

type Side = "plaintext" | "scram" | "mtls" | "iam";

/** A cluster config of a sandbox pair, through the project's own loader. */
async function pairConfig(
  info: SandboxInfo,
  pair: SandboxAuthPair,
  options: SandboxConfigsOptions = {},
): Promise<{ source: ClusterConfig; target: ClusterConfig }> {
  const text = sandboxConfigs(info, options)[pair].yaml;
  const { config } = await parseConfigText(text, { file: `${pair}.yaml` });
  return { source: config.source, target: config.target };
}

/** One side's config: the source side of `<side>-…`, or the target side of `…-<side>`. */
async function sideConfig(
  info: SandboxInfo,
  role: "source" | "target",
  side: Side,
  options: SandboxConfigsOptions = {},
): Promise<ClusterConfig> {
  const pair = (role === "source" ? `${side}-${side}` : `plaintext-${side}`) as SandboxAuthPair;
  return (await pairConfig(info, pair, options))[role];
}

/** Every secret the sandbox knows: none may appear in an error or a log line. */
function sandboxSecrets(info: SandboxInfo): string[] {
  return [
    ...Object.values(info.scram.users).map((u) => u.password),
    ...Object.values(info.iam.profiles).map((p) => p.secretAccessKey),
    info.tls.serverKeystorePassword,
  ];
}

interface Record_ {
  partition: number;
  offset: string;
  key: string | null;
  value: string | null;
  headers: Array<[string, string]>;
}

/** kafkajs message headers (`IHeaders`, not re-exported by lib/kafka/kafkajs.ts). */
type Headers = Record<string, Buffer | string | (Buffer | string)[] | undefined>;

/** kafkajs headers (values may be arrays) as an ordered key/value list. */
function headerPairs(headers: Headers | undefined): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const [k, v] of Object.entries(headers ?? {})) {
    for (const one of Array.isArray(v) ? v : [v]) {
      out.push([k, one === undefined || one === null ? "" : Buffer.from(one).toString("utf8")]);
    }
  }
  return out;
}

/** Reads `count` records of a topic with a kafkajs consumer of the connection (unique group). */
async function consume(conn: KafkaConnection, topic: string, count: number): Promise<Record_[]> {
  const groupId = unique("group");
  const consumer = conn.kafka.consumer({ groupId, retry: { retries: 2 } });
  const got: Record_[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const done = new Promise<void>((resolve, reject) => {
      timer = setTimeout(
        () => reject(new Error(`Read ${got.length} of ${count} records of ${topic} in 30s`)),
        30_000,
      );
      consumer.run({
        eachMessage: ({ partition, message }) => {
          got.push({
            partition,
            offset: message.offset,
            key: message.key === null ? null : message.key.toString("utf8"),
            value: message.value === null ? null : message.value.toString("utf8"),
            headers: headerPairs(message.headers),
          });
          if (got.length >= count) resolve();
          return Promise.resolve();
        },
      }).catch(reject);
    });
    await done;
  } finally {
    clearTimeout(timer);
    await consumer.disconnect().catch(() => {});
    const admin = await conn.admin();
    await admin.deleteGroups([groupId]).catch(() => {});
  }
  return sortRecords(got);
}

function sortRecords(records: Record_[]): Record_[] {
  return [...records].sort((a, b) =>
    a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset))
  );
}

/** Creates a topic, runs `fn`, deletes the topic. */
async function withTopic<T>(
  conn: KafkaConnection,
  what: string,
  fn: (topic: string) => Promise<T>,
  partitions = 2,
): Promise<T> {
  const topic = unique(what);
  const admin = await conn.admin();
  assert.equal(
    await admin.createTopics({
      topics: [{ topic, numPartitions: partitions }],
      waitForLeaders: true,
    }),
    true,
  );
  try {
    return await fn(topic);
  } finally {
    await admin.deleteTopics({ topics: [topic] }).catch(() => {});
  }
}

/** Records kraftover writes in the round trips, as kafkajs messages and as expected on read. */
function sampleMessages(tag: string) {
  const messages = [
    { partition: 0, key: `${tag}-k1`, value: "hello", headers: { a: "1", b: "two" } },
    { partition: 1, key: `${tag}-k2`, value: "ünïcödé ✓ 🚀", headers: { trace: "abc-123" } },
    { partition: 0, key: `${tag}-k3`, value: "third", headers: { a: ["x", "y"] } },
    { partition: 1, key: null, value: "no key", headers: {} },
    { partition: 0, key: `${tag}-k5`, value: null, headers: { tombstone: "yes" } },
  ];
  const expected: Record_[] = sortRecords(
    messages.map((m, i) => ({
      partition: m.partition,
      offset: String(messages.slice(0, i).filter((x) => x.partition === m.partition).length),
      key: m.key,
      value: m.value,
      headers: headerPairs(m.headers),
    })),
  );
  return { messages, expected };
}

/** Create a topic on the connection, produce through kraftover's producer, read it back. */
async function roundTrip(conn: KafkaConnection): Promise<void> {
  await withTopic(conn, `rt-${conn.label}`, async (topic) => {
    const { messages, expected } = sampleMessages(conn.label);
    const producer = await conn.producer();
    const meta = await producer.send({ topic, messages });
    assert.deepEqual(
      meta.map((m) => [m.partition, m.baseOffset]).sort(),
      [[0, "0"], [1, "0"]],
    );
    assert.deepEqual(await consume(conn, topic, expected.length), expected);
  });
}

/** Connects, expecting a refusal; checks code, retriable flag, and that no secret leaks. */
async function expectRefusal(
  info: SandboxInfo,
  config: ClusterConfig,
  expected: { code: ErrorCode; retriable: boolean; secrets?: string[] },
  options: ConnectClusterOptions = {},
): Promise<{ error: KraftoverError; retries: Array<Record<string, unknown>> }> {
  const { logger, lines } = createMemoryLogger();
  let error: unknown;
  try {
    const conn = await connectCluster(config, { label: "refused", logger, ...options });
    await conn.close();
  } catch (e) {
    error = e;
  }
  assert.ok(error instanceof KraftoverError, `expected a KraftoverError, got ${String(error)}`);
  assert.equal(error.code, expected.code, error.message);
  assert.equal(error.retriable, expected.retriable, error.message);
  assert.equal(error.phase, "connect");
  assert.match(error.message, /^[A-Z]/);
  const printed = [error.message, JSON.stringify(error.toJSON()), ...lines];
  for (const secret of [...sandboxSecrets(info), ...(expected.secrets ?? [])]) {
    for (const text of printed) assert.ok(!text.includes(secret), `a secret leaked into: ${text}`);
  }
  const retries = lines.map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => String(l.msg).startsWith("Retrying"));
  return { error, retries };
}

/** A port on 127.0.0.1 that nothing listens on (bound, then released). */
function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** Broker log lengths, to read only what a test caused. */
async function logMarks(info: SandboxInfo, role: "source" | "target"): Promise<number[]> {
  return await Promise.all(
    info[role].brokers.map(async (b) => (await Deno.readTextFile(b.logFile)).length),
  );
}

/** Polls the brokers' logs (from `marks`) until one holds `text`. */
async function brokerLogShows(
  info: SandboxInfo,
  role: "source" | "target",
  marks: number[],
  text: string,
): Promise<void> {
  await poll(`"${text}" in the ${role} broker log`, async () => {
    for (const [i, b] of info[role].brokers.entries()) {
      const log = await Deno.readTextFile(b.logFile);
      if (log.slice(marks[i] ?? 0).includes(text)) return true;
    }
    return undefined;
  }, 10_000);
}

// SigV4 for crafting IAM tokens with a chosen signing date (as tests/sandbox_test.ts does).

function bytes(data: string | ArrayBuffer | ArrayBufferView): Buffer {
  if (typeof data === "string") return Buffer.from(data, "utf-8");
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

class Sha256 {
  #h: ReturnType<typeof createHash> | ReturnType<typeof createHmac>;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.#h = secret === undefined ? createHash("sha256") : createHmac("sha256", bytes(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.#h.update(bytes(data));
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.#h.digest()));
  }
}

/** An MSK-IAM token made like the signer's, signed at `signingDate`, valid 15 minutes. */
async function craftToken(info: SandboxInfo, signingDate: Date): Promise<string> {
  const hostname = `kafka.${info.region}.amazonaws.com`;
  const admin = info.iam.profiles.admin;
  const signer = new SignatureV4({
    service: "kafka-cluster",
    region: info.region,
    credentials: { accessKeyId: admin.accessKeyId, secretAccessKey: admin.secretAccessKey },
    sha256: Sha256,
    applyChecksum: false,
  });
  const signed = await signer.presign(
    {
      method: "GET",
      protocol: "https:",
      hostname,
      path: "/",
      headers: { host: hostname },
      query: { Action: "kafka-cluster:Connect" },
    },
    { expiresIn: 900, signingDate },
  );
  const query = Object.entries(signed.query ?? {})
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
    .join("&");
  return Buffer.from(`https://${hostname}/?${query}`, "utf-8").toString("base64url");
}

// ---------------------------------------------------------------------------
// Every auth pair

const LISTENER: Record<string, Side> = {
  "plaintext": "plaintext",
  "scram-sha-512": "scram",
  "scram-sha-256": "scram",
  "mtls": "mtls",
  "iam": "iam",
};

async function checkPair(
  info: SandboxInfo,
  pair: SandboxAuthPair,
  options: SandboxConfigsOptions = {},
): Promise<void> {
  const configs = await pairConfig(info, pair, options);
  const [sourceSide, targetSide] = pair.split("-") as [Side, Side];
  const source = await connectCluster(configs.source, { label: "source" });
  try {
    const target = await connectCluster(configs.target, { label: "target" });
    try {
      for (
        const [conn, role, side] of [[source, "source", sourceSide], [
          target,
          "target",
          targetSide,
        ]] as const
      ) {
        assert.equal(LISTENER[conn.config.auth.mode], side);
        assert.deepEqual(conn.brokers, info[role].bootstrap[side]);
        assert.equal(conn.tls, side === "mtls" || side === "iam");
        await roundTrip(conn);
      }
    } finally {
      await target.close();
    }
  } finally {
    await source.close();
  }
}

sandboxTest(
  "connectCluster connects both sides of every auth pair and carries records through each",
  async (t, info) => {
    const pairs: SandboxAuthPair[] = [
      "iam-iam",
      "scram-scram",
      "scram-iam",
      "iam-scram",
      "mtls-iam",
      "mtls-mtls",
      "plaintext-plaintext",
      "plaintext-scram",
      "plaintext-mtls",
      "plaintext-iam",
    ];
    for (const pair of pairs) {
      await t.step(
        `${pair}: both sides connect, create a topic, produce and consume`,
        () => checkPair(info, pair),
      );
    }
    await t.step("scram-scram with SCRAM-SHA-256 on both sides", async () => {
      const configs = await pairConfig(info, "scram-scram", { scramMechanism: "scram-sha-256" });
      assert.equal(configs.source.auth.mode, "scram-sha-256");
      await checkPair(info, "scram-scram", { scramMechanism: "scram-sha-256" });
    });
  },
);

// ---------------------------------------------------------------------------
// Refusals

sandboxTest("connectCluster refuses bad credentials with a code that says why", async (t, info) => {
  const scram = await sideConfig(info, "source", "scram");
  const scram256 = await sideConfig(info, "target", "scram", { scramMechanism: "scram-sha-256" });
  const mtls = await sideConfig(info, "source", "mtls");
  const iam = await sideConfig(info, "target", "iam");

  await t.step("a wrong SCRAM password is KAFKA_AUTH_FAILED, not retried", async () => {
    const wrong = `wrong-${crypto.randomUUID()}`;
    for (const base of [scram, scram256]) {
      const { error, retries } = await expectRefusal(
        info,
        { ...base, auth: { ...base.auth, password: new Secret(wrong) } },
        { code: "KAFKA_AUTH_FAILED", retriable: false, secrets: [wrong] },
      );
      assert.match(error.message, /auth\.password/);
      assert.deepEqual(retries, []);
    }
  });

  await t.step("an unknown SCRAM user is KAFKA_AUTH_FAILED", async () => {
    await expectRefusal(
      info,
      { ...scram, auth: { ...scram.auth, username: unique("nobody") } },
      { code: "KAFKA_AUTH_FAILED", retriable: false },
    );
  });

  await t.step("a client certificate from another CA is KAFKA_TLS_FAILED", async () => {
    for (const role of ["source", "target"] as const) {
      const base = await sideConfig(info, role, "mtls");
      await expectRefusal(
        info,
        {
          ...base,
          auth: {
            ...base.auth,
            cert_file: info.tls.rogueCertFile,
            key_file: info.tls.rogueKeyFile,
          },
        },
        { code: "KAFKA_TLS_FAILED", retriable: false },
      );
    }
  });

  await t.step("a server certificate from an untrusted CA is KAFKA_TLS_FAILED", async () => {
    await expectRefusal(
      info,
      { ...mtls, auth: { ...mtls.auth, ca_file: info.tls.rogueCaFile } },
      { code: "KAFKA_TLS_FAILED", retriable: false },
    );
  });

  for (const role of ["source", "target"] as const) {
    await t.step(
      `${role}: an IAM token signed with the wrong secret fails at connect with KAFKA_AUTH_FAILED`,
      async () => {
        const base = await sideConfig(info, role, "iam");
        const marks = await logMarks(info, role);
        const { error } = await expectRefusal(
          info,
          { ...base, auth: { mode: "iam", profile: info.iam.profiles.wrong.profile } },
          { code: "KAFKA_AUTH_FAILED", retriable: false },
        );
        // Refused during the SASL exchange, not later as "No brokers in the broker pool".
        assert.match(error.message, /while connecting: SASL OAUTHBEARER/);
        assert.match(error.message, /AWS credentials/);
        await brokerLogShows(info, role, marks, "Refused MSK-IAM token: signature mismatch");
      },
    );
  }

  await t.step("an IAM access key the brokers do not know is KAFKA_AUTH_FAILED", async () => {
    await expectRefusal(
      info,
      { ...iam, auth: { mode: "iam", profile: info.iam.profiles.unknown.profile } },
      { code: "KAFKA_AUTH_FAILED", retriable: false },
    );
  });

  await t.step("an IAM profile that does not exist is KAFKA_AUTH_FAILED", async () => {
    const { error } = await expectRefusal(
      info,
      { ...iam, auth: { mode: "iam", profile: unique("no-such-profile") } },
      { code: "KAFKA_AUTH_FAILED", retriable: false },
    );
    assert.match(error.message, /cannot make an IAM token/);
  });

  await t.step("an expired IAM token is KAFKA_AUTH_FAILED; a fresh one is accepted", async () => {
    const fresh = await craftToken(info, new Date());
    const ok = await connectCluster(iam, {
      label: "target",
      iamTokenProvider: () => Promise.resolve(fresh),
    });
    await ok.close();
    const expired = await craftToken(info, new Date(Date.now() - 20 * 60_000));
    const marks = await logMarks(info, "target");
    const { error } = await expectRefusal(
      info,
      iam,
      { code: "KAFKA_AUTH_FAILED", retriable: false, secrets: [expired] },
      { iamTokenProvider: () => Promise.resolve(expired) },
    );
    assert.match(error.message, /refused the token/);
    await brokerLogShows(info, "target", marks, "Refused MSK-IAM token: expired");
  });

  await t.step("a port nothing listens on is KAFKA_UNREACHABLE, retriable", async () => {
    const port = freePort();
    for (const base of [scram, iam]) {
      const { error } = await expectRefusal(
        info,
        { ...base, bootstrap_servers: [`127.0.0.1:${port}`] },
        { code: "KAFKA_UNREACHABLE", retriable: true },
        { attempts: 1 },
      );
      assert.match(error.message, new RegExp(`127\\.0\\.0\\.1:${port}`));
    }
  });

  await t.step("a broker that accepts but never answers is KAFKA_TIMEOUT, retriable", async () => {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const held: Deno.Conn[] = [];
    const accepting = (async () => {
      try {
        for await (const conn of listener) held.push(conn);
      } catch {
        // closed
      }
    })();
    try {
      await expectRefusal(
        info,
        {
          bootstrap_servers: [`127.0.0.1:${(listener.addr as Deno.NetAddr).port}`],
          auth: { mode: "plaintext" },
          tls: false,
          client_id: "kraftover-test",
        },
        { code: "KAFKA_TIMEOUT", retriable: true },
        { attempts: 1, requestTimeoutMs: 500, connectionTimeoutMs: 500 },
      );
    } finally {
      listener.close();
      for (const c of held) c.close();
      await accepting;
    }
  });
});

sandboxTest(
  "an IAM profile in the config wins over keys in the environment, and the SDK stays quiet",
  async (_t, info) => {
    const config = await sideConfig(info, "target", "iam");
    assert.equal(config.auth.profile, info.iam.profiles.admin.profile);
    const wrong = info.iam.profiles.wrong;
    const saved = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"].map((k) => [k, Deno.env.get(k)]);
    // The AWS SDK writes this warning with console.warn unless it is given a logger.
    const stderr = globalThis.console;
    const warn = stderr.warn;
    const printed: string[] = [];
    stderr.warn = (...args: unknown[]) => printed.push(args.map(String).join(" "));
    try {
      Deno.env.set("AWS_ACCESS_KEY_ID", wrong.accessKeyId);
      Deno.env.set("AWS_SECRET_ACCESS_KEY", wrong.secretAccessKey);
      const { logger, lines } = createMemoryLogger();
      const conn = await connectCluster(config, { label: "target", logger });
      await conn.close();
      assert.deepEqual(printed, [], "lib/ printed to the console");
      assert.ok(lines.some((l) => l.includes("Multiple credential sources")), lines.join("\n"));
      assert.ok(lines.every((l) => !l.includes(wrong.secretAccessKey)));
    } finally {
      stderr.warn = warn;
      for (const [k, v] of saved) v === undefined ? Deno.env.delete(k!) : Deno.env.set(k!, v);
    }
  },
);

sandboxTest(
  "a dropped connection is a TLS refusal only before the settings were proven",
  async (_t, info) => {
    const config = await sideConfig(info, "target", "mtls");
    const conn = await connectCluster(config, { label: "target" });
    try {
      // What kafkajs throws when a broker goes away (a restart) or refuses a certificate (TLS 1.3).
      for (const message of ["Connection error: read ECONNRESET", "Not connected"]) {
        const drop = Object.assign(new Error(message), { name: "KafkaJSConnectionError" });
        const after = conn.classify(drop, "producing", "seed");
        assert.equal(after.code, "KAFKA_UNREACHABLE", after.message);
        assert.equal(after.retriable, true);
        assert.equal(after.phase, "seed");
        const before = classifyKafkaError(drop, {
          cluster: "target",
          brokers: conn.brokers,
          tls: true,
        });
        assert.equal(before.code, "KAFKA_TLS_FAILED", before.message);
        assert.equal(before.retriable, false);
      }
    } finally {
      await conn.close();
    }
  },
);

sandboxTest(
  "a principal without ACLs, or with a DENY, gets KAFKA_AUTHZ_DENIED",
  async (t, info) => {
    await t.step("source: SCRAM alice has no ACLs: producing is KAFKA_AUTHZ_DENIED", async () => {
      const admin = await connectCluster(await sideConfig(info, "source", "plaintext"), {
        label: "source",
      });
      try {
        await withTopic(admin, "authz-alice", async (topic) => {
          const base = await sideConfig(info, "source", "scram");
          const alice = await connectCluster({
            ...base,
            auth: {
              ...base.auth,
              username: info.scram.users.alice.username,
              password: new Secret(info.scram.users.alice.password),
            },
          }, { label: "source" });
          try {
            const producer = await alice.producer({ idempotent: false });
            const error = await producer.send({ topic, messages: [{ value: "x" }] }).then(
              () => undefined,
              (e: unknown) => alice.classify(e, "producing"),
            );
            assert.ok(error !== undefined, "alice could produce without an ACL");
            assert.equal(error.code, "KAFKA_AUTHZ_DENIED", error.message);
            assert.equal(error.retriable, false);
            const metadata = await (await alice.admin()).fetchTopicMetadata({ topics: [topic] })
              .then(
                () => undefined,
                (e: unknown) => alice.classify(e, "describing topics"),
              );
            assert.equal(metadata?.code, "KAFKA_AUTHZ_DENIED");
            assert.ok(!error.message.includes(info.scram.users.alice.password));
          } finally {
            await alice.close();
          }
        }, 1);
      } finally {
        await admin.close();
      }
    });

    await t.step("target: an explicit DENY wins over an ALLOW for IAM app", async () => {
      const admin = await connectCluster(await sideConfig(info, "target", "iam"), {
        label: "target",
      });
      const prefix = unique("authz-deny");
      const allowed = `${prefix}-allowed`;
      const denied = `${prefix}-denied`;
      const principal = `User:${info.iam.profiles.app.principal}`;
      const acl = {
        principal,
        host: "*",
        resourceType: AclResourceTypes.TOPIC,
        operation: AclOperationTypes.ALL,
      };
      const deny = {
        ...acl,
        resourceName: denied,
        resourcePatternType: ResourcePatternTypes.LITERAL,
        permissionType: AclPermissionTypes.DENY,
      };
      const allow = {
        ...acl,
        resourceName: prefix,
        resourcePatternType: ResourcePatternTypes.PREFIXED,
        permissionType: AclPermissionTypes.ALLOW,
      };
      const adminClient = await admin.admin();
      await adminClient.createTopics({
        topics: [{ topic: allowed }, { topic: denied }],
        waitForLeaders: true,
      });
      try {
        // DENY first: KRaft applies ACLs in order, so once the ALLOW shows, the DENY has too.
        await adminClient.createAcls({ acl: [deny] });
        await adminClient.createAcls({ acl: [allow] });
        const base = await sideConfig(info, "target", "iam");
        const app = await connectCluster(
          { ...base, auth: { mode: "iam", profile: info.iam.profiles.app.profile } },
          { label: "target" },
        );
        try {
          const producer = await app.producer({ idempotent: false });
          await poll("the ALLOW ACL to reach the broker", async () => {
            await producer.send({ topic: allowed, messages: [{ value: "ok" }] });
            return true;
          });
          const error = await producer.send({ topic: denied, messages: [{ value: "no" }] }).then(
            () => undefined,
            (e: unknown) => app.classify(e, "producing"),
          );
          assert.ok(error !== undefined, "the DENY did not apply");
          assert.equal(error.code, "KAFKA_AUTHZ_DENIED", error.message);
          assert.equal(error.retriable, false);
          assert.match(error.message, /^Kafka target .* while producing: .*: grant the principal/);
        } finally {
          await app.close();
        }
      } finally {
        await adminClient.deleteAcls({ filters: [deny, allow] }).catch(() => {});
        await adminClient.deleteTopics({ topics: [allowed, denied] }).catch(() => {});
        await admin.close();
      }
    });
  },
);

// ---------------------------------------------------------------------------
// Retries

sandboxTest("connectCluster retries what a retry can help, and nothing else", async (t, info) => {
  await t.step("an unreachable port is tried the configured number of attempts", async () => {
    const base = await sideConfig(info, "source", "plaintext");
    const { retries } = await expectRefusal(
      info,
      { ...base, bootstrap_servers: [`127.0.0.1:${freePort()}`] },
      { code: "KAFKA_UNREACHABLE", retriable: true },
      { attempts: 4 },
    );
    assert.deepEqual(retries.map((r) => [r.attempt, r.of]), [[1, 4], [2, 4], [3, 4]]);
  });

  await t.step("wrong SCRAM credentials are tried once", async () => {
    const base = await sideConfig(info, "target", "scram");
    const { retries } = await expectRefusal(
      info,
      { ...base, auth: { ...base.auth, password: new Secret(`wrong-${run}-password`) } },
      { code: "KAFKA_AUTH_FAILED", retriable: false },
      { attempts: 4 },
    );
    assert.deepEqual(retries, []);
  });

  await t.step("a refused IAM token is tried once", async () => {
    const base = await sideConfig(info, "source", "iam");
    const marks = await logMarks(info, "source");
    const { retries } = await expectRefusal(
      info,
      { ...base, auth: { mode: "iam", profile: info.iam.profiles.wrong.profile } },
      { code: "KAFKA_AUTH_FAILED", retriable: false },
      { attempts: 4 },
    );
    assert.deepEqual(retries, []);
    await brokerLogShows(info, "source", marks, "Refused MSK-IAM token");
    // kafkajs itself must not retry either: the broker saw exactly one token.
    const log = (await Deno.readTextFile(info.source.brokers[0]!.logFile)).slice(marks[0] ?? 0);
    if (info.source.brokers.length === 1) {
      assert.equal(log.split("Refused MSK-IAM token").length - 1, 1, log);
    }
  });

  await t.step("a rogue client certificate is tried once", async () => {
    const base = await sideConfig(info, "target", "mtls");
    const { retries } = await expectRefusal(
      info,
      {
        ...base,
        auth: { ...base.auth, cert_file: info.tls.rogueCertFile, key_file: info.tls.rogueKeyFile },
      },
      { code: "KAFKA_TLS_FAILED", retriable: false },
      { attempts: 4 },
    );
    assert.deepEqual(retries, []);
  });
});

// ---------------------------------------------------------------------------
// kcat cross-check

interface KcatRecord {
  partition: number;
  offset: number;
  key: string | null;
  payload: string | null;
  headers?: Array<string | null>;
}

/** kcat arguments for a sandbox listener; SCRAM credentials go in a 0600 file, not argv. */
async function kcatBase(
  info: SandboxInfo,
  role: "source" | "target",
  side: "plaintext" | "scram",
  dir: string,
): Promise<string[]> {
  const args = ["-b", info[role].bootstrap[side].join(",")];
  if (side === "scram") {
    const file = `${dir}/kcat-${role}.conf`;
    const admin = info.scram.users.admin;
    await Deno.writeTextFile(
      file,
      [
        "security.protocol=SASL_PLAINTEXT",
        "sasl.mechanisms=SCRAM-SHA-512",
        `sasl.username=${admin.username}`,
        `sasl.password=${admin.password}`,
        "",
      ].join("\n"),
      { mode: 0o600 },
    );
    args.push("-F", file);
  }
  return args;
}

async function kcat(args: string[], stdin?: string): Promise<string> {
  const child = new Deno.Command("kcat", {
    args,
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(stdin));
    await writer.close();
  }
  const out = await child.output();
  const stderr = new TextDecoder().decode(out.stderr);
  if (!out.success) throw new Error(`kcat ${args.join(" ")} failed: ${stderr}`);
  return new TextDecoder().decode(out.stdout);
}

sandboxTest("kcat and kraftover read exactly what the other wrote", async (t, info) => {
  const dir = await Deno.makeTempDir({ prefix: "kraftover-connect-kcat-" });
  try {
    for (const side of ["plaintext", "scram"] as const) {
      for (const role of ["source", "target"] as const) {
        const blocked = side === "scram" ? kcatScramBlocked(info[role].kafkaVersion) : undefined;
        if (blocked !== undefined) {
          // deno-lint-ignore no-console
          console.log(`Skipping the kcat cross-check on ${role} ${side}: ${blocked}`);
          await t.step({ name: `${role} ${side}: kcat cross-check`, ignore: true, fn: () => {} });
          continue;
        }
        const base = await kcatBase(info, role, side, dir);
        const conn = await connectCluster(await sideConfig(info, role, side), { label: role });
        try {
          await t.step(`${role} ${side}: kcat reads back what kraftover wrote`, async () => {
            await withTopic(conn, `kcat-read-${side}`, async (topic) => {
              const { messages, expected } = sampleMessages(`${role}-${side}`);
              const producer = await conn.producer();
              await producer.send({ topic, messages });
              const out = await kcat([
                ...base,
                "-C",
                "-t",
                topic,
                "-o",
                "beginning",
                "-e",
                "-J",
                "-q",
              ]);
              const read = out.split("\n").filter((l) => l.trim() !== "")
                .map((l) => JSON.parse(l) as KcatRecord)
                .map((r) => ({
                  partition: r.partition,
                  offset: String(r.offset),
                  key: r.key,
                  value: r.payload,
                  headers: pairs(r.headers ?? []),
                }));
              assert.deepEqual(sortRecords(read), expected);
            });
          });
          await t.step(`${role} ${side}: kraftover reads back what kcat wrote`, async () => {
            await withTopic(conn, `kcat-write-${side}`, async (topic) => {
              const lines = [
                ["k1", "plain value"],
                ["k2", "ünïcödé ✓ with: colons"],
                ["k3", '{"json":true}'],
              ];
              await kcat(
                [
                  ...base,
                  "-P",
                  "-t",
                  topic,
                  "-p",
                  "0",
                  "-K",
                  "\t",
                  "-H",
                  "origin=kcat",
                  "-H",
                  "n=1",
                ],
                lines.map(([k, v]) => `${k}\t${v}\n`).join(""),
              );
              const got = await consume(conn, topic, lines.length);
              assert.deepEqual(
                got,
                lines.map(([k, v], i) => ({
                  partition: 0,
                  offset: String(i),
                  key: k!,
                  value: v!,
                  headers: [["origin", "kcat"], ["n", "1"]],
                })),
              );
            }, 1);
          });
        } finally {
          await conn.close();
        }
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}, { kcat: true });

/** kcat's `-J` header list `[k1, v1, k2, v2, …]` as pairs. */
function pairs(flat: Array<string | null>): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push([flat[i] ?? "", flat[i + 1] ?? ""]);
  return out;
}

// ---------------------------------------------------------------------------
// cluster_arn through the MSK fake

sandboxTest(
  "cluster_arn resolves each auth mode's brokers through the MSK API",
  async (t, info) => {
    for (const role of ["source", "target"] as const) {
      for (const side of ["plaintext", "scram", "mtls", "iam"] as const) {
        await t.step(
          `${role} ${side}: the ARN gives the ${side} listener, and it connects`,
          async () => {
            const config = await sideConfig(info, role, side, { addressing: "arn" });
            assert.equal(config.bootstrap_servers, undefined);
            assert.equal(config.cluster_arn, info[role].clusterArn);
            assert.deepEqual(await resolveBootstrapServers(config), info[role].bootstrap[side]);
            const conn = await connectCluster(config, { label: role });
            try {
              assert.deepEqual(conn.brokers, info[role].bootstrap[side]);
              const topics = await (await conn.admin()).listTopics();
              assert.ok(Array.isArray(topics));
            } finally {
              await conn.close();
            }
          },
        );
      }
    }

    await t.step("bootstrap_servers, when given too, wins over the ARN", async () => {
      const config = await sideConfig(info, "source", "scram", { addressing: "arn" });
      const brokers = [`127.0.0.1:${freePort()}`];
      assert.deepEqual(
        await resolveBootstrapServers({ ...config, bootstrap_servers: brokers }),
        brokers,
      );
    });

    await t.step("an ARN MSK does not know is MSK_CLUSTER_NOT_FOUND", async () => {
      const config = await sideConfig(info, "target", "iam", { addressing: "arn" });
      const arn = `arn:aws:kafka:${info.region}:000000000000:cluster/${
        unique("nope")
      }/${crypto.randomUUID()}-1`;
      await assert.rejects(
        () => connectCluster({ ...config, cluster_arn: arn }, { label: "target" }),
        (e: unknown) => {
          assert.ok(isKraftoverError(e, "MSK_CLUSTER_NOT_FOUND"), String(e));
          assert.equal(e.retriable, false);
          assert.ok(e.message.includes(arn), e.message);
          assert.match(e.message, /check the ARN, its region and the account/);
          return true;
        },
      );
    });

    await t.step("an auth mode the cluster does not enable is a clear MSK_API_ERROR", async () => {
      const fake = buildFakeCluster({
        name: unique("iam-only"),
        region: info.region,
        kafkaVersion: "3.9.x.kraft",
        brokers: info.target.brokers.length,
        auth: { iam: true, scram: false, tls: false, unauthenticated: false },
        bootstrapBrokers: { saslIam: info.target.bootstrap.iam },
      });
      const arn = fake.cluster.clusterArn;
      await registerFakeCluster(info.msk.endpoint, fake);
      try {
        for (
          const [side, wanted] of [
            ["scram", "SASL/SCRAM"],
            ["mtls", "TLS"],
            ["plaintext", "plaintext"],
          ] as const
        ) {
          const config = await sideConfig(info, "target", side, { addressing: "arn" });
          await assert.rejects(
            () => connectCluster({ ...config, cluster_arn: arn }, { label: "target" }),
            (e: unknown) => {
              assert.ok(isKraftoverError(e, "MSK_API_ERROR"), String(e));
              assert.equal(e.retriable, false);
              assert.ok(
                e.message.startsWith(
                  `Cannot resolve bootstrap brokers for auth mode ${config.auth.mode}: ` +
                    `MSK cluster ${arn} does not enable ${wanted}; it enables IAM: `,
                ),
                e.message,
              );
              return true;
            },
          );
        }
        // The mode it does enable resolves to the registered brokers and connects.
        const config = await sideConfig(info, "target", "iam", { addressing: "arn" });
        const conn = await connectCluster({ ...config, cluster_arn: arn }, { label: "target" });
        assert.deepEqual(conn.brokers, info.target.bootstrap.iam);
        await conn.close();
      } finally {
        await unregisterFakeCluster(info.msk.endpoint, arn);
      }
    });
  },
);
