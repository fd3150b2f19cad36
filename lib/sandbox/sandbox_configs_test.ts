import assert from "node:assert/strict";
import { parse } from "yaml";
import { parseConfigText } from "../config/load_config.ts";
import { formatSandboxInfo } from "./format_sandbox_info.ts";
import { makeIamProfiles } from "./_iam_identities.ts";
import { SANDBOX_AUTH_PAIRS, sandboxConfigs } from "./sandbox_configs.ts";
import type { SandboxCluster, SandboxInfo } from "./sandbox_info.ts";

function cluster(role: "source" | "target", base: number): SandboxCluster {
  const at = (off: number) => [`127.0.0.1:${base + off}`];
  return {
    role,
    mode: role === "source" ? "zookeeper" : "kraft",
    kafkaVersion: role === "source" ? "3.9.2" : "4.4.0",
    mskKafkaVersion: role === "source" ? "3.9.x" : "4.4.x.kraft",
    clusterArn:
      `arn:aws:kafka:eu-west-1:000000000000:cluster/kraftover-${role}/${crypto.randomUUID()}-1`,
    bootstrap: { plaintext: at(1), scram: at(2), mtls: at(3), iam: at(4) },
    brokers: [],
  };
}

/** A recorded sandbox without processes: enough for the pure functions. */
function fixture(): SandboxInfo {
  const dir = "/tmp/kraftover-sandbox-fixture";
  const user = (username: string, superUser: boolean) => ({
    username,
    password: `${username}-pw-123456`,
    superUser,
  });
  return {
    stateDir: dir,
    tag: "t",
    region: "eu-west-1",
    startedAt: "2025-01-01T00:00:00.000Z",
    startupMs: 12_345,
    cacheDir: "/tmp/cache",
    source: cluster("source", 9000),
    target: cluster("target", 9100),
    superUsers: ["User:ANONYMOUS"],
    scram: {
      mechanisms: ["SCRAM-SHA-512", "SCRAM-SHA-256"],
      users: { admin: user("admin", true), alice: user("alice", false), bob: user("bob", false) },
    },
    tls: {
      dir: `${dir}/certs`,
      caFile: `${dir}/certs/ca.pem`,
      serverKeystore: `${dir}/certs/server.p12`,
      serverKeystorePassword: "pw",
      adminCertFile: `${dir}/certs/admin.pem`,
      adminKeyFile: `${dir}/certs/admin.key`,
      aliceCertFile: `${dir}/certs/alice.pem`,
      aliceKeyFile: `${dir}/certs/alice.key`,
      rogueCaFile: `${dir}/certs/rogue-ca.pem`,
      rogueCertFile: `${dir}/certs/rogue.pem`,
      rogueKeyFile: `${dir}/certs/rogue.key`,
    },
    iam: {
      credentialsFile: `${dir}/aws/credentials`,
      configFile: `${dir}/aws/config`,
      identitiesFile: `${dir}/aws/i`,
      profiles: makeIamProfiles(),
    },
    s3: {
      endpoint: "http://127.0.0.1:9200",
      region: "eu-west-1",
      credentials: { accessKeyId: "a", secretAccessKey: "b" },
      pid: 1,
      logFile: "/dev/null",
      buckets: {
        backup: "kraftover-backup",
        evidence: "kraftover-evidence",
        nolock: "kraftover-nolock",
      },
    },
    msk: { endpoint: "http://127.0.0.1:9300", pid: 2, logFile: "/dev/null" },
    evidence: { signingKeyPath: `${dir}/keys/k.pem`, publicKeyPath: `${dir}/keys/p.pem` },
    env: { AWS_SHARED_CREDENTIALS_FILE: `${dir}/aws/credentials` },
    processes: [],
    ports: [],
  };
}

Deno.test("sandboxConfigs() validates against the config schema for every pair and both addressings", async () => {
  const info = fixture();
  for (const addressing of ["bootstrap", "arn"] as const) {
    const configs = sandboxConfigs(info, { addressing });
    assert.deepEqual(Object.keys(configs), [...SANDBOX_AUTH_PAIRS]);
    for (const c of Object.values(configs)) {
      assert.deepEqual(parse(c.yaml), c.object, `${c.pair}: YAML and object agree`);
      const { config } = await parseConfigText(c.yaml, {
        file: `${c.pair}.yaml`,
        checkFiles: false,
      });
      assert.ok(config.evidence !== undefined, c.pair);
    }
  }
});

Deno.test("sandboxConfigs() points each side at the listener of its auth mode", () => {
  const info = fixture();
  const m = sandboxConfigs(info)["mtls-iam"].object.migration as Record<
    string,
    Record<string, unknown>
  >;
  assert.deepEqual(m.source!.bootstrap_servers, info.source.bootstrap.mtls);
  assert.deepEqual(m.target!.bootstrap_servers, info.target.bootstrap.iam);
  assert.deepEqual(m.target!.tls, { ca_file: info.tls.caFile });
  const p = sandboxConfigs(info, {
    addressing: "arn",
    scramMechanism: "scram-sha-256",
  })["plaintext-scram"]
    .object.migration as Record<string, Record<string, unknown>>;
  assert.equal(p.target!.cluster_arn, info.target.clusterArn);
  assert.equal(p.target!.msk_endpoint, info.msk.endpoint);
  assert.equal((p.target!.auth as Record<string, unknown>).mode, "scram-sha-256");
  assert.equal(p.target!.tls, false);
});

Deno.test("formatSandboxInfo() names every listener, credential and the environment to export", () => {
  const info = fixture();
  const text = formatSandboxInfo(info);
  for (
    const needle of [
      info.source.bootstrap.scram[0]!,
      info.target.bootstrap.iam[0]!,
      info.scram.users.alice.password,
      info.iam.profiles.wrong.profile,
      info.target.clusterArn,
      `export AWS_SHARED_CREDENTIALS_FILE=${info.iam.credentialsFile}`,
      "12.3s",
    ]
  ) assert.ok(text.includes(needle), needle);
});
