/**
 * The sandbox against real processes: real Kafka brokers (ZooKeeper-mode
 * source, KRaft target), moto and the MSK fake.
 *
 * Reuses the sandbox in `$KRAFTOVER_SANDBOX_DIR` when one is running there
 * (the suite runner starts one for all tests); otherwise starts one in a
 * temporary directory and stops it at the end. The lifecycle test always
 * uses its own sandbox, so `down` never touches a shared one.
 *
 * Run: `deno test -A tests/sandbox_test.ts`
 */

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createHash, createHmac } from "node:crypto";
import {
  DescribeClusterV2Command,
  GetBootstrapBrokersCommand,
  KafkaClient,
  ListClustersV2Command,
  NotFoundException,
} from "@aws-sdk/client-kafka";
import {
  DeleteObjectCommand,
  GetBucketVersioningCommand,
  GetObjectLockConfigurationCommand,
  HeadBucketCommand,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { SignatureV4 } from "@smithy/signature-v4";
import { generateAuthTokenFromProfile } from "aws-msk-iam-sasl-signer-js";
import {
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  type Admin,
  Kafka,
  type KafkaConfig,
  logLevel,
  ResourcePatternTypes,
} from "../lib/kafka/kafkajs.ts";
import { isKraftoverError } from "../lib/errors.ts";
import { parseConfigText } from "../lib/config/load_config.ts";
import { portAnswers } from "../lib/sandbox/_ports.ts";
import { isAlive } from "../lib/sandbox/_process.ts";
import { formatSandboxInfo } from "../lib/sandbox/format_sandbox_info.ts";
import {
  buildFakeCluster,
  registerFakeCluster,
  unregisterFakeCluster,
} from "../lib/sandbox/msk_fake_cluster.ts";
import { sandboxDown, sandboxStatus, sandboxUp } from "../lib/sandbox/sandbox.ts";
import { SANDBOX_AUTH_PAIRS, sandboxConfigs } from "../lib/sandbox/sandbox_configs.ts";
import { loadSandboxInfo, SANDBOX_DIR_ENV, type SandboxInfo } from "../lib/sandbox/sandbox_info.ts";
import {
  sandboxKafkaClientConfig,
  type SandboxKafkaClientOptions,
} from "../lib/sandbox/sandbox_kafka_client.ts";

const KAFKA_TEST = { sanitizeOps: false, sanitizeResources: false };
const suffix = crypto.randomUUID().slice(0, 8);

// ---------------------------------------------------------------------------
// The shared sandbox: reused from $KRAFTOVER_SANDBOX_DIR, or started here.

let shared: Promise<{ info: SandboxInfo; owned: boolean }> | undefined;

function sharedSandbox(): Promise<{ info: SandboxInfo; owned: boolean }> {
  shared ??= (async () => {
    const dir = Deno.env.get(SANDBOX_DIR_ENV);
    if (dir !== undefined && dir !== "") {
      const status = await sandboxStatus({ stateDir: dir });
      if (status.healthy) return { info: await loadSandboxInfo(dir), owned: false };
    }
    const stateDir = await Deno.makeTempDir({ prefix: "kraftover-sandbox-test-" });
    const { info } = await sandboxUp({ stateDir });
    return { info, owned: true };
  })();
  return shared;
}

function client(
  info: SandboxInfo,
  cluster: "source" | "target",
  options: SandboxKafkaClientOptions,
): Kafka {
  return new Kafka({
    ...sandboxKafkaClientConfig(info, cluster, options),
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
    connectionTimeout: 5_000,
  });
}

async function withAdmin<T>(kafka: Kafka, fn: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    return await fn(admin);
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/** Resolves true when a metadata request through the client succeeds, false when it is refused. */
async function metadataAnswered(kafka: Kafka): Promise<boolean> {
  try {
    await withAdmin(kafka, (a) => a.listTopics());
    return true;
  } catch {
    return false;
  }
}

/** Polls a broker's log until it holds `text` (the broker writes it before answering). */
async function brokerLogShows(logFile: string, text: string, since: number): Promise<boolean> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const log = await Deno.readTextFile(logFile);
    if (log.slice(since).includes(text)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

async function logSize(path: string): Promise<number> {
  return (await Deno.readTextFile(path)).length;
}

// ---------------------------------------------------------------------------
// Lifecycle, on a private sandbox

Deno.test({
  name:
    "sandboxUp is idempotent, also when called concurrently, and sandboxDown leaves nothing behind",
  ...KAFKA_TEST,
  fn: async (t) => {
    const stateDir = await Deno.makeTempDir({ prefix: "kraftover-sandbox-lifecycle-" });
    try {
      // Two concurrent ups on one directory: one starts, the other waits and reuses.
      const both = await Promise.all([sandboxUp({ stateDir }), sandboxUp({ stateDir })]);
      const first = both.find((r) => !r.reused)!;
      await t.step("up starts every part and records it", async () => {
        assert.deepEqual(both.map((r) => r.reused).sort(), [false, true]);
        assert.deepEqual(both[0].info.processes, both[1].info.processes);
        assert.ok(first.info.startupMs > 0);
        const names = first.info.processes.map((p) => p.name).sort();
        assert.deepEqual(names, [
          "msk-fake",
          "s3",
          "source-broker-1",
          "source-zookeeper",
          "target-broker-1",
        ]);
        const status = await sandboxStatus({ stateDir });
        assert.equal(status.healthy, true);
        assert.ok(
          status.parts.every((p) =>
            p.alive && p.ports.length > 0 && p.ports.every((x) => x.listening)
          ),
        );
      });
      await t.step("up again returns the same sandbox, same PIDs", async () => {
        const second = await sandboxUp({ stateDir });
        assert.equal(second.reused, true);
        assert.deepEqual(second.info.processes, first.info.processes);
        assert.deepEqual(second.info.ports, first.info.ports);
      });
      await t.step("up with a different shape is refused while one runs", async () => {
        await assert.rejects(
          () => sandboxUp({ stateDir, brokers: 3 }),
          (e: unknown) => isKraftoverError(e, "SANDBOX_START_FAILED"),
        );
      });
      await t.step("down stops every process and frees every port", async () => {
        const down = await sandboxDown({ stateDir });
        assert.equal(down.wasRecorded, true);
        assert.equal(down.stopped.length, first.info.processes.length);
        assert.ok(down.stopped.every((s) => s.outcome === "terminated" || s.outcome === "killed"));
        for (const p of first.info.processes) {
          assert.equal(isAlive(p.pid), false, `${p.name} still alive`);
        }
        for (const port of first.info.ports) {
          assert.equal(await portAnswers(port, 500), false, `port ${port} still open`);
        }
        assert.deepEqual(down.portsStillOpen, []);
        assert.equal((await sandboxStatus({ stateDir })).recorded, "none");
        await assert.rejects(
          () => loadSandboxInfo(stateDir),
          (e: unknown) => isKraftoverError(e, "SANDBOX_NOT_RUNNING"),
        );
        assert.ok(
          (await Deno.stat(`${stateDir}/logs/source-broker-1.log`)).isFile,
          "logs are kept",
        );
      });
      await t.step("down again is harmless", async () => {
        const again = await sandboxDown({ stateDir });
        assert.equal(again.wasRecorded, false);
      });
    } finally {
      await sandboxDown({ stateDir }).catch(() => {});
      await Deno.remove(stateDir, { recursive: true }).catch(() => {});
    }
  },
});

/** PIDs of live processes whose log goes under `stateDir` (every sandbox process has one). */
async function processesLoggingUnder(stateDir: string): Promise<number[]> {
  const found: number[] = [];
  for await (const e of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    const pid = Number(e.name);
    try {
      const environ = await Deno.readTextFile(`/proc/${pid}/environ`);
      if (environ.includes(`KRAFTOVER_LOG_FILE=${stateDir}/`) && isAlive(pid)) found.push(pid);
    } catch {
      // gone, or not ours to read
    }
  }
  return found;
}

Deno.test({
  name: "a start-up that fails stops everything it had started and says where the logs are",
  ...KAFKA_TEST,
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    const stateDir = await Deno.makeTempDir({ prefix: "kraftover-sandbox-fail-" });
    try {
      await assert.rejects(
        () => sandboxUp({ stateDir, readyTimeoutMs: 1 }),
        (e: unknown) =>
          isKraftoverError(e, "SANDBOX_START_FAILED") && e.message.includes("not ready"),
      );
      assert.deepEqual(await processesLoggingUnder(stateDir), []);
      assert.equal((await sandboxStatus({ stateDir })).recorded, "none");
      assert.ok((await Deno.stat(`${stateDir}/logs/source-zookeeper.log`)).isFile, "logs are kept");
    } finally {
      await sandboxDown({ stateDir }).catch(() => {});
      await Deno.remove(stateDir, { recursive: true }).catch(() => {});
    }
  },
});

// ---------------------------------------------------------------------------
// Listeners and authentication, on the shared sandbox

Deno.test({
  name: "every listener of both clusters answers its admin identity, with the authorizer on",
  ...KAFKA_TEST,
  fn: async (t) => {
    const { info } = await sharedSandbox();
    Deno.env.set("AWS_SHARED_CREDENTIALS_FILE", info.iam.credentialsFile);
    Deno.env.set("AWS_CONFIG_FILE", info.iam.configFile);
    for (const cluster of ["source", "target"] as const) {
      const topic = `sandbox-test-${cluster}-${suffix}`;
      await t.step(
        `${cluster}: PLAINTEXT (User:ANONYMOUS, super user) creates a topic`,
        async () => {
          await withAdmin(client(info, cluster, { listener: "plaintext" }), async (admin) => {
            assert.equal(
              await admin.createTopics({
                topics: [{ topic, numPartitions: 2 }],
                waitForLeaders: true,
              }),
              true,
            );
          });
        },
      );
      for (const mechanism of ["scram-sha-512", "scram-sha-256"] as const) {
        await t.step(`${cluster}: ${mechanism} as admin sees it`, async () => {
          const topics = await withAdmin(
            client(info, cluster, { listener: "scram", mechanism }),
            (a) => a.listTopics(),
          );
          assert.ok(topics.includes(topic));
        });
      }
      await t.step(`${cluster}: mTLS as CN=kraftover-admin sees it`, async () => {
        const topics = await withAdmin(
          client(info, cluster, { listener: "mtls" }),
          (a) => a.listTopics(),
        );
        assert.ok(topics.includes(topic));
      });
      await t.step(
        `${cluster}: IAM with a token from the signer's profile chain sees it`,
        async () => {
          const kafka = new Kafka({
            clientId: "sandbox-test",
            brokers: info[cluster].bootstrap.iam,
            ssl: { ca: [await Deno.readTextFile(info.tls.caFile)] },
            sasl: {
              mechanism: "oauthbearer",
              oauthBearerProvider: async () => {
                const t = await generateAuthTokenFromProfile({
                  region: info.region,
                  awsProfileName: info.iam.profiles.admin.profile,
                });
                return { value: t.token };
              },
            },
            logLevel: logLevel.NOTHING,
            retry: { retries: 0 },
          });
          const topics = await withAdmin(kafka, (a) => a.listTopics());
          assert.ok(topics.includes(topic));
        },
      );
      await t.step(`${cluster}: the topic is removed again`, async () => {
        await withAdmin(
          client(info, cluster, { listener: "plaintext" }),
          (a) => a.deleteTopics({ topics: [topic] }),
        );
      });
    }
  },
});

Deno.test({
  name: "application principals get nothing without ACLs and exactly what an ACL grants",
  ...KAFKA_TEST,
  fn: async (t) => {
    const { info } = await sharedSandbox();
    const identities: Array<[string, string, SandboxKafkaClientOptions]> = [
      ["User:alice", "SCRAM alice", { listener: "scram", scramUser: "alice" }],
      ["User:alice", "mTLS CN=alice", { listener: "mtls", certificate: "alice" }],
      ["User:iam-app", "IAM kraftover-sandbox-app", { listener: "iam", iamProfile: "app" }],
    ];
    for (const cluster of ["source", "target"] as const) {
      const granted = `sandbox-acl-granted-${cluster}-${suffix}`;
      const denied = `sandbox-acl-denied-${cluster}-${suffix}`;
      const root = client(info, cluster, { listener: "plaintext" });
      const describeAcl = {
        resourceType: AclResourceTypes.TOPIC,
        resourceName: granted,
        resourcePatternType: ResourcePatternTypes.LITERAL,
        host: "*",
        operation: AclOperationTypes.DESCRIBE,
        permissionType: AclPermissionTypes.ALLOW,
      };
      await withAdmin(
        root,
        (a) =>
          a.createTopics({ topics: [{ topic: granted }, { topic: denied }], waitForLeaders: true }),
      );
      try {
        for (const [principal, label, options] of identities) {
          await t.step(`${cluster}: ${label} cannot create topics`, async () => {
            await assert.rejects(() =>
              withAdmin(
                client(info, cluster, options),
                (a) => a.createTopics({ topics: [{ topic: `sandbox-acl-nope-${suffix}` }] }),
              )
            );
          });
          await t.step(
            `${cluster}: ${label} is ${principal} and sees only the granted topic`,
            async () => {
              await withAdmin(root, (a) =>
                a.createAcls({
                  acl: [{ ...describeAcl, principal }],
                }));
              try {
                await withAdmin(client(info, cluster, options), async (a) => {
                  // ACLs reach the brokers asynchronously (ZooKeeper watch / KRaft metadata): poll.
                  const deadline = Date.now() + 20_000;
                  for (;;) {
                    try {
                      const m = await a.fetchTopicMetadata({ topics: [granted] });
                      assert.equal(m.topics[0]?.name, granted);
                      break;
                    } catch (e) {
                      if (Date.now() > deadline) throw e;
                      await new Promise((r) => setTimeout(r, 200));
                    }
                  }
                  await assert.rejects(
                    () => a.fetchTopicMetadata({ topics: [denied] }),
                    (e: unknown) => (e as { type?: string }).type === "TOPIC_AUTHORIZATION_FAILED",
                  );
                });
              } finally {
                await withAdmin(root, (a) =>
                  a.deleteAcls({
                    filters: [{ ...describeAcl, principal }],
                  }));
              }
            },
          );
        }
      } finally {
        await withAdmin(root, (a) => a.deleteTopics({ topics: [granted, denied] }));
      }
    }
  },
});

function bytes(data: string | ArrayBuffer | ArrayBufferView): Buffer {
  if (typeof data === "string") return Buffer.from(data, "utf-8");
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/** SHA-256 for @smithy/signature-v4 (hash, or HMAC when given a key), over node:crypto. */
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

/** An MSK-IAM-style token made like the signer's, with a chosen date and action. */
async function craftToken(
  info: SandboxInfo,
  creds: { accessKeyId: string; secretAccessKey: string },
  opts: { signingDate: Date; action?: string },
): Promise<string> {
  const hostname = `kafka.${info.region}.amazonaws.com`;
  const signer = new SignatureV4({
    service: "kafka-cluster",
    region: info.region,
    credentials: creds,
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
      query: { Action: opts.action ?? "kafka-cluster:Connect" },
    },
    { expiresIn: 900, signingDate: opts.signingDate },
  );
  const query = Object.entries(signed.query ?? {})
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
    .join("&");
  return Buffer.from(`https://${hostname}/?${query}`, "utf-8").toString("base64url");
}

function tokenClient(info: SandboxInfo, cluster: "source" | "target", token: string): Kafka {
  const base: KafkaConfig = sandboxKafkaClientConfig(info, cluster, { listener: "iam" });
  return new Kafka({
    ...base,
    sasl: {
      mechanism: "oauthbearer",
      oauthBearerProvider: () => Promise.resolve({ value: token }),
    },
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
  });
}

Deno.test({
  name: "the IAM listener refuses wrong secrets, unknown keys, expired tokens and other actions",
  ...KAFKA_TEST,
  fn: async (t) => {
    const { info } = await sharedSandbox();
    const admin = info.iam.profiles.admin;
    for (const cluster of ["source", "target"] as const) {
      const log = info[cluster].brokers[0]!.logFile;
      await t.step(
        `${cluster}: a crafted token signed now is accepted (the crafting is sound)`,
        async () => {
          const token = await craftToken(info, admin, { signingDate: new Date() });
          assert.equal(await metadataAnswered(tokenClient(info, cluster, token)), true);
        },
      );
      const refusals: Array<[string, () => Promise<Kafka>, string]> = [
        [
          "a wrong secret (profile kraftover-sandbox-wrong)",
          () => Promise.resolve(client(info, cluster, { listener: "iam", iamProfile: "wrong" })),
          "signature mismatch",
        ],
        [
          "an unknown access key",
          () => Promise.resolve(client(info, cluster, { listener: "iam", iamProfile: "unknown" })),
          "unknown access key",
        ],
        [
          "an expired token (signed 20 minutes ago, valid 15)",
          async () =>
            tokenClient(
              info,
              cluster,
              await craftToken(info, admin, { signingDate: new Date(Date.now() - 20 * 60_000) }),
            ),
          "expired",
        ],
        [
          "a token for another action",
          async () =>
            tokenClient(
              info,
              cluster,
              await craftToken(info, admin, {
                signingDate: new Date(),
                action: "kafka-cluster:DescribeCluster",
              }),
            ),
          "action is kafka-cluster:DescribeCluster",
        ],
      ];
      for (const [what, make, reason] of refusals) {
        await t.step(`${cluster}: ${what} is refused`, async () => {
          const since = await logSize(log);
          assert.equal(await metadataAnswered(await make()), false);
          assert.ok(
            await brokerLogShows(log, `Refused MSK-IAM token: ${reason}`, since),
            `broker log names the reason: ${reason}`,
          );
        });
      }
    }
  },
});

Deno.test({
  name:
    "mTLS refuses a certificate from another CA and a missing certificate; SCRAM refuses a wrong password",
  ...KAFKA_TEST,
  fn: async (t) => {
    const { info } = await sharedSandbox();
    for (const cluster of ["source", "target"] as const) {
      await t.step(`${cluster}: rogue CA certificate (CN=kraftover-admin) refused`, async () => {
        assert.equal(
          await metadataAnswered(client(info, cluster, { listener: "mtls", certificate: "rogue" })),
          false,
        );
      });
      await t.step(`${cluster}: no client certificate refused`, async () => {
        const kafka = new Kafka({
          brokers: info[cluster].bootstrap.mtls,
          ssl: { ca: [await Deno.readTextFile(info.tls.caFile)] },
          logLevel: logLevel.NOTHING,
          retry: { retries: 0 },
        });
        assert.equal(await metadataAnswered(kafka), false);
      });
      await t.step(`${cluster}: SCRAM with a wrong password refused`, async () => {
        const kafka = new Kafka({
          brokers: info[cluster].bootstrap.scram,
          sasl: { mechanism: "scram-sha-512", username: "admin", password: "not-the-password" },
          logLevel: logLevel.NOTHING,
          retry: { retries: 0 },
        });
        await assert.rejects(
          () => withAdmin(kafka, (a) => a.listTopics()),
          (e: unknown) => (e as Error).name === "KafkaJSSASLAuthenticationError",
        );
      });
    }
  },
});

// ---------------------------------------------------------------------------
// S3 and the MSK fake

Deno.test({
  name: "the S3 store has the three buckets and Object Lock holds a COMPLIANCE object",
  ...KAFKA_TEST,
  fn: async () => {
    const { info } = await sharedSandbox();
    const s3 = new S3Client({
      endpoint: info.s3.endpoint,
      region: info.s3.region,
      forcePathStyle: true,
      credentials: info.s3.credentials,
    });
    try {
      for (const bucket of Object.values(info.s3.buckets)) {
        await s3.send(new HeadBucketCommand({ Bucket: bucket }));
      }
      const lock = await s3.send(
        new GetObjectLockConfigurationCommand({ Bucket: info.s3.buckets.evidence }),
      );
      assert.equal(lock.ObjectLockConfiguration?.ObjectLockEnabled, "Enabled");
      const versioning = await s3.send(
        new GetBucketVersioningCommand({ Bucket: info.s3.buckets.evidence }),
      );
      assert.equal(versioning.Status, "Enabled");
      await assert.rejects(
        () => s3.send(new GetObjectLockConfigurationCommand({ Bucket: info.s3.buckets.nolock })),
        (e: unknown) => (e as Error).name === "ObjectLockConfigurationNotFoundError",
      );
      const key = `sandbox-test/${suffix}.json`;
      const put = await s3.send(
        new PutObjectCommand({
          Bucket: info.s3.buckets.evidence,
          Key: key,
          Body: "{}",
          ObjectLockMode: "COMPLIANCE",
          ObjectLockRetainUntilDate: new Date(Date.now() + 3_600_000),
        }),
      );
      assert.ok(put.VersionId);
      await assert.rejects(
        () =>
          s3.send(
            new DeleteObjectCommand({
              Bucket: info.s3.buckets.evidence,
              Key: key,
              VersionId: put.VersionId,
            }),
          ),
        (e: unknown) => (e as Error).name === "AccessDenied",
      );
      await assert.rejects(
        () =>
          s3.send(
            new PutObjectCommand({
              Bucket: info.s3.buckets.nolock,
              Key: key,
              Body: "{}",
              ObjectLockMode: "COMPLIANCE",
              ObjectLockRetainUntilDate: new Date(Date.now() + 3_600_000),
            }),
          ),
        (e: unknown) => (e as Error).name === "InvalidRequest",
      );
    } finally {
      s3.destroy();
    }
  },
});

Deno.test({
  name:
    "the MSK fake answers the real KafkaClient for both sandbox clusters and refuses unknown ARNs",
  ...KAFKA_TEST,
  fn: async (t) => {
    const { info } = await sharedSandbox();
    const kafka = new KafkaClient({
      endpoint: info.msk.endpoint,
      region: info.region,
      credentials: info.s3.credentials,
    });
    try {
      await t.step(
        "DescribeClusterV2: source is ZooKeeper-mode 3.9.x, target is .kraft",
        async () => {
          const s = await kafka.send(
            new DescribeClusterV2Command({ ClusterArn: info.source.clusterArn }),
          );
          assert.equal(s.ClusterInfo?.ClusterType, "PROVISIONED");
          assert.equal(
            s.ClusterInfo?.Provisioned?.CurrentBrokerSoftwareInfo?.KafkaVersion,
            "3.9.x",
          );
          assert.equal(
            s.ClusterInfo?.Provisioned?.ZookeeperConnectString,
            info.source.zookeeper?.address,
          );
          assert.equal(s.ClusterInfo?.Provisioned?.NumberOfBrokerNodes, info.source.brokers.length);
          const tg = await kafka.send(
            new DescribeClusterV2Command({ ClusterArn: info.target.clusterArn }),
          );
          assert.match(
            tg.ClusterInfo?.Provisioned?.CurrentBrokerSoftwareInfo?.KafkaVersion ?? "",
            /^\d+\.\d+\.x\.kraft$/,
          );
          assert.equal(tg.ClusterInfo?.Provisioned?.ZookeeperConnectString, undefined);
        },
      );
      await t.step("GetBootstrapBrokers returns the sandbox listeners", async () => {
        for (const c of [info.source, info.target]) {
          const b = await kafka.send(new GetBootstrapBrokersCommand({ ClusterArn: c.clusterArn }));
          assert.equal(b.BootstrapBrokerString, c.bootstrap.plaintext.join(","));
          assert.equal(b.BootstrapBrokerStringTls, c.bootstrap.mtls.join(","));
          assert.equal(b.BootstrapBrokerStringSaslScram, c.bootstrap.scram.join(","));
          assert.equal(b.BootstrapBrokerStringSaslIam, c.bootstrap.iam.join(","));
        }
      });
      await t.step("ListClustersV2 pages through both, plus registered extras", async () => {
        const extra = [
          buildFakeCluster({ name: `sandbox-test-serverless-${suffix}`, type: "SERVERLESS" }),
          buildFakeCluster({ name: `sandbox-test-old-${suffix}`, kafkaVersion: "3.6.0" }),
        ];
        for (const c of extra) await registerFakeCluster(info.msk.endpoint, c);
        try {
          const arns: string[] = [];
          let token: string | undefined;
          do {
            const page = await kafka.send(
              new ListClustersV2Command({ MaxResults: 1, ...(token ? { NextToken: token } : {}) }),
            );
            arns.push(...(page.ClusterInfoList ?? []).map((c) => c.ClusterArn ?? ""));
            token = page.NextToken;
          } while (token !== undefined);
          for (
            const arn of [
              info.source.clusterArn,
              info.target.clusterArn,
              ...extra.map((c) => c.cluster.clusterArn),
            ]
          ) {
            assert.ok(arns.includes(arn), `${arn} listed`);
          }
          const sls = await kafka.send(
            new DescribeClusterV2Command({ ClusterArn: extra[0]!.cluster.clusterArn }),
          );
          assert.equal(sls.ClusterInfo?.ClusterType, "SERVERLESS");
        } finally {
          for (const c of extra) {
            await unregisterFakeCluster(info.msk.endpoint, c.cluster.clusterArn);
          }
        }
      });
      await t.step("an unknown ARN raises NotFoundException", async () => {
        const unknown =
          `arn:aws:kafka:${info.region}:000000000000:cluster/nope-${suffix}/${crypto.randomUUID()}-1`;
        await assert.rejects(
          () => kafka.send(new DescribeClusterV2Command({ ClusterArn: unknown })),
          (e: unknown) => e instanceof NotFoundException,
        );
        await assert.rejects(
          () => kafka.send(new GetBootstrapBrokersCommand({ ClusterArn: unknown })),
          (e: unknown) => e instanceof NotFoundException,
        );
      });
    } finally {
      kafka.destroy();
    }
  },
});

Deno.test({
  name: "sandboxConfigs gives a valid kraftover config for every auth pair, by address and by ARN",
  ...KAFKA_TEST,
  fn: async () => {
    const { info } = await sharedSandbox();
    for (const addressing of ["bootstrap", "arn"] as const) {
      const configs = sandboxConfigs(info, { addressing });
      assert.deepEqual(Object.keys(configs).sort(), [...SANDBOX_AUTH_PAIRS].sort());
      for (const c of Object.values(configs)) {
        const { config } = await parseConfigText(c.yaml, { file: `${c.pair}.yaml` });
        assert.ok(config.source !== undefined && config.target !== undefined, c.pair);
      }
      const scramIam = configs["scram-iam"].object.migration as Record<
        string,
        Record<string, unknown>
      >;
      assert.equal((scramIam.source!.auth as Record<string, unknown>).mode, "scram-sha-512");
      assert.equal(scramIam.source!.tls, false);
      assert.equal(
        (scramIam.target!.auth as Record<string, unknown>).profile,
        "kraftover-sandbox-admin",
      );
    }
    const text = formatSandboxInfo(info);
    assert.ok(
      text.includes(info.source.bootstrap.iam[0]!) && text.includes("AWS_SHARED_CREDENTIALS_FILE"),
    );
  },
});

// ---------------------------------------------------------------------------

Deno.test({
  name: "a sandbox this file started is stopped at the end",
  ...KAFKA_TEST,
  fn: async () => {
    if (shared === undefined) return;
    const { info, owned } = await shared;
    if (!owned) return;
    const down = await sandboxDown({ stateDir: info.stateDir });
    assert.deepEqual(down.portsStillOpen, []);
    await Deno.remove(info.stateDir, { recursive: true }).catch(() => {});
  },
});
