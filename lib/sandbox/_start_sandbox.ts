/**
 * Starting a sandbox from nothing: prepare (JDK, jars, certificates, moto,
 * compiled classes), choose ports, start moto, the MSK fake and both Kafka
 * clusters, then wait until everything answers. Every process is written to
 * the state file as soon as it exists, so a crash mid-way leaves nothing
 * `down` cannot find.
 *
 * @module
 */

import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { KraftoverError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import { registerSecretValue } from "../secret.ts";
import { generateCertificates, generateEvidenceKey, randomToken } from "./_certs.ts";
import { makeIamProfiles, type SandboxIamProfiles, writeIamFiles } from "./_iam_identities.ts";
import { findJava } from "./_java.ts";
import { compileSandboxJava } from "./_java_classes.ts";
import type { ClusterLaunch, LaunchedCluster } from "./_kafka_broker.ts";
import type { BrokerPorts } from "./_kafka_config.ts";
import { launchKraftCluster } from "./_kraft_cluster.ts";
import { resolveKafkaJars, sandboxCacheDir } from "./_maven.ts";
import { freePorts } from "./_ports.ts";
import { type DetachedChild, spawnDetached } from "./_process.ts";
import { kafkaAnswers, waitUntil } from "./_readiness.ts";
import {
  createSandboxBuckets,
  ensureMoto,
  motoArgs,
  s3Answers,
  SANDBOX_BUCKETS,
  sandboxS3Client,
} from "./_s3_server.ts";
import { stopRecorded } from "./_stop_sandbox.ts";
import { launchZooKeeperModeCluster } from "./_zk_cluster.ts";
import { buildFakeCluster } from "./msk_fake_cluster.ts";
import {
  SANDBOX_ACCOUNT,
  SANDBOX_REGION,
  type SandboxCluster,
  type SandboxInfo,
  type SandboxScramUser,
  type SandboxState,
  writeSandboxState,
} from "./sandbox_info.ts";
import { sandboxKafkaClientConfig, type SandboxListener } from "./sandbox_kafka_client.ts";

/** Principals in `super.users` on both clusters. */
const SUPER_USERS = ["User:ANONYMOUS", "User:admin", "User:kraftover-admin", "User:iam-admin"];
const LISTENERS: SandboxListener[] = ["plaintext", "scram", "mtls", "iam"];

/** What to start. */
export interface StartPlan {
  /** Absolute state directory. */
  stateDir: string;
  /** Source Kafka version (ZooKeeper mode). */
  source: string;
  /** Target Kafka version (KRaft). */
  target: string;
  /** Brokers per cluster. */
  brokers: 1 | 3;
  /** Cache directory. @default sandboxCacheDir() */
  cacheDir?: string;
  /** Readiness deadline. */
  readyTimeoutMs: number;
  /** Progress. */
  log: Logger;
  /** Cancels start-up. */
  signal?: AbortSignal;
}

/**
 * Awaits every promise (so nothing is still starting processes when the
 * caller cleans up), then throws the first failure.
 */
async function allSettled<T extends readonly unknown[]>(
  promises: { [K in keyof T]: Promise<T[K]> },
): Promise<T> {
  const results = await Promise.allSettled(promises);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed !== undefined) throw failed.reason;
  return results.map((r) => (r as PromiseFulfilledResult<unknown>).value) as unknown as T;
}

function sig(signal: AbortSignal | undefined): { signal?: AbortSignal } {
  return signal === undefined ? {} : { signal };
}

/** Everything that does not run a server: JDK, jars, certificates, keys, moto, compiled classes. */
async function prepare(plan: StartPlan, cacheDir: string) {
  const java = await findJava();
  const [jars, certs, evidence, motoServer] = await allSettled([
    (async () => {
      // One mvn at a time: concurrent writes to one local repository are unsafe.
      const opts = { cacheDir, logger: plan.log, ...sig(plan.signal) };
      const source = await resolveKafkaJars(plan.source, opts);
      const target = await resolveKafkaJars(plan.target, opts);
      return { source, target };
    })(),
    generateCertificates(`${plan.stateDir}/certs`),
    generateEvidenceKey(`${plan.stateDir}/keys`),
    ensureMoto({ cacheDir, logger: plan.log, ...sig(plan.signal) }),
  ]);
  const compile = (kafkaVersion: string, kafkaLibs: string) =>
    compileSandboxJava({ java, kafkaVersion, kafkaLibs, cacheDir });
  const sourceClasses = await compile(plan.source, jars.source);
  const targetClasses = plan.target === plan.source
    ? sourceClasses
    : await compile(plan.target, jars.target);
  registerSecretValue(certs.serverKeystorePassword);
  return { java, jars, certs, evidence, motoServer, sourceClasses, targetClasses };
}

function scramUsers(): SandboxInfo["scram"]["users"] {
  const user = (username: string, superUser: boolean): SandboxScramUser => ({
    username,
    password: randomToken(24),
    superUser,
  });
  return { admin: user("admin", true), alice: user("alice", false), bob: user("bob", false) };
}

/** Ports of every part, all distinct. */
function allocatePorts(brokers: number) {
  const all = freePorts(brokers * 5 + brokers * 6 + 3);
  let i = 0;
  const take = () => all[i++]!;
  const source: BrokerPorts[] = Array.from({ length: brokers }, () => ({
    internal: take(),
    plaintext: take(),
    scram: take(),
    mtls: take(),
    iam: take(),
  }));
  const target: BrokerPorts[] = Array.from({ length: brokers }, () => ({
    internal: take(),
    controller: take(),
    plaintext: take(),
    scram: take(),
    mtls: take(),
    iam: take(),
  }));
  return { source, target, zookeeper: take(), s3: take(), msk: take(), all };
}

/** A cluster's description before its brokers exist. */
function planCluster(
  role: "source" | "target",
  version: string,
  ports: BrokerPorts[],
): SandboxCluster {
  const kraft = role === "target";
  const [major, minor] = version.split(".");
  const at = (f: (p: BrokerPorts) => number) => ports.map((p) => `127.0.0.1:${f(p)}`);
  return {
    role,
    mode: kraft ? "kraft" : "zookeeper",
    kafkaVersion: version,
    // MSK writes ZooKeeper-mode versions as 3.9.x and KRaft ones as 3.9.x.kraft.
    mskKafkaVersion: `${major}.${minor}.x${kraft ? ".kraft" : ""}`,
    clusterArn:
      `arn:aws:kafka:${SANDBOX_REGION}:${SANDBOX_ACCOUNT}:cluster/kraftover-${role}/${crypto.randomUUID()}-1`,
    bootstrap: {
      plaintext: at((p) => p.plaintext),
      scram: at((p) => p.scram),
      mtls: at((p) => p.mtls),
      iam: at((p) => p.iam),
    },
    brokers: [],
  };
}

function mskFakeArgs(port: number, clustersFile: string): string[] {
  const url = new URL("./msk_fake.ts", import.meta.url);
  const module = url.protocol === "file:" ? fileURLToPath(url) : url.href;
  return [
    "run",
    "--no-config",
    "--no-lock",
    "--no-prompt",
    "--allow-net=127.0.0.1",
    `--allow-read=${clustersFile}`,
    "--allow-env=NO_COLOR",
    module,
    "--port",
    String(port),
    "--clusters",
    clustersFile,
  ];
}

/** Writes the fake's cluster file (the two sandbox clusters) and starts it as a `deno run` process. */
async function startMskFake(
  stateDir: string,
  tag: string,
  ports: { msk: number; zookeeper: number },
  clusters: SandboxCluster[],
  brokers: number,
): Promise<DetachedChild> {
  const clustersFile = `${stateDir}/msk-fake-clusters.json`;
  const described = clusters.map((c) =>
    buildFakeCluster({
      name: `kraftover-${c.role}`,
      arn: c.clusterArn,
      region: SANDBOX_REGION,
      account: SANDBOX_ACCOUNT,
      kafkaVersion: c.mskKafkaVersion,
      brokers,
      zoneIds: ["euw1-az1", "euw1-az2", "euw1-az3"].slice(0, brokers),
      ...(c.mode === "zookeeper" ? { zookeeperConnectString: `127.0.0.1:${ports.zookeeper}` } : {}),
      bootstrapBrokers: {
        plaintext: c.bootstrap.plaintext,
        tls: c.bootstrap.mtls,
        saslScram: c.bootstrap.scram,
        saslIam: c.bootstrap.iam,
      },
    })
  );
  await Deno.writeTextFile(clustersFile, JSON.stringify(described, null, 2));
  return spawnDetached({
    name: "msk-fake",
    command: Deno.execPath(),
    args: mskFakeArgs(ports.msk, clustersFile),
    logFile: `${stateDir}/logs/msk-fake.log`,
    tag,
  });
}

/** Tracks the state file while starting: every process is recorded before anything else happens. */
function stateRecorder(stateDir: string, state: SandboxState) {
  let saving = Promise.resolve();
  const save = () => (saving = saving.then(() => writeSandboxState(stateDir, state)));
  const record = async (c: DetachedChild) => {
    state.processes.push({ name: c.name, pid: c.pid, logFile: c.logFile });
    await save();
  };
  return { save, record, settled: () => saving.catch(() => {}) };
}

/**
 * Starts every part of a sandbox and waits until each answers. On failure
 * stops whatever was started (logs are kept) and throws.
 */
export async function startSandbox(plan: StartPlan, t0: number): Promise<SandboxInfo> {
  const { stateDir, log } = plan;
  const cacheDir = resolve(plan.cacheDir ?? sandboxCacheDir());
  const tag = crypto.randomUUID();
  const state: SandboxState = {
    stateVersion: 1,
    status: "starting",
    tag,
    processes: [],
    ports: [],
  };
  const { save, record, settled } = stateRecorder(stateDir, state);
  await save();
  try {
    await Deno.mkdir(`${stateDir}/logs`, { recursive: true });
    log.info("Starting the sandbox", {
      stateDir,
      brokers: plan.brokers,
      source: plan.source,
      target: plan.target,
    });
    const profiles = makeIamProfiles();
    const users = scramUsers();
    // Before any tool runs: a failing tool's output may echo its arguments.
    for (const u of Object.values(users)) registerSecretValue(u.password);
    for (const p of Object.values(profiles)) registerSecretValue(p.secretAccessKey);
    const prep = await prepare(plan, cacheDir);
    const iamFiles = await writeIamFiles(`${stateDir}/aws`, profiles, SANDBOX_REGION);
    const ports = allocatePorts(plan.brokers);
    state.ports = ports.all;
    await save();

    const moto = spawnDetached({
      name: "s3",
      command: prep.motoServer,
      args: motoArgs(ports.s3),
      logFile: `${stateDir}/logs/s3-moto.log`,
      tag,
    });
    await record(moto);
    const source = planCluster("source", plan.source, ports.source);
    const target = planCluster("target", plan.target, ports.target);
    const fake = await startMskFake(stateDir, tag, ports, [source, target], plan.brokers);
    await record(fake);

    const launch = (
      cluster: SandboxCluster,
      libs: string,
      classes: string,
      brokerPorts: BrokerPorts[],
    ): ClusterLaunch => ({
      role: cluster.role,
      java: prep.java,
      kafkaVersion: cluster.kafkaVersion,
      libs,
      classes,
      stateDir,
      tag,
      brokerPorts,
      certs: prep.certs,
      iamIdentitiesFile: iamFiles.identitiesFile,
      region: SANDBOX_REGION,
      superUsers: SUPER_USERS,
      scramUsers: Object.values(users),
      logger: log.child({ cluster: cluster.role }),
      record,
      ...sig(plan.signal),
    });
    const [src, tgt] = await allSettled<[LaunchedCluster, LaunchedCluster & { clusterId: string }]>(
      [
        launchZooKeeperModeCluster(
          launch(source, prep.jars.source, prep.sourceClasses, ports.source),
          ports.zookeeper,
        ),
        launchKraftCluster(launch(target, prep.jars.target, prep.targetClasses, ports.target)),
      ],
    );
    source.brokers = src.brokers;
    if (src.zookeeper) source.zookeeper = src.zookeeper;
    target.brokers = tgt.brokers;
    target.clusterId = tgt.clusterId;

    const info = assembleInfo({
      stateDir,
      tag,
      cacheDir,
      source,
      target,
      users,
      profiles,
      iamFiles,
      prep,
      moto,
      fake,
      ports,
      state,
    });
    await waitForReadiness(info, { src, tgt, moto, fake }, plan);
    info.startupMs = Math.round(performance.now() - t0);
    info.startedAt = new Date().toISOString();
    state.status = "running";
    state.info = info;
    await save();
    log.info("Sandbox running", { stateDir, seconds: Math.round(info.startupMs / 100) / 10 });
    return info;
  } catch (error) {
    log.error("Sandbox start-up failed; stopping what was started", { stateDir, error });
    await settled();
    await stopRecorded(stateDir, state, { log, graceMs: 5_000, keepLogs: true }).catch(() => {});
    if (error instanceof KraftoverError) throw error;
    throw new KraftoverError(
      "SANDBOX_START_FAILED",
      `Cannot start the sandbox: ${String(error)}; logs in ${stateDir}/logs`,
      { phase: "sandbox", cause: error },
    );
  }
}

function assembleInfo(p: {
  stateDir: string;
  tag: string;
  cacheDir: string;
  source: SandboxCluster;
  target: SandboxCluster;
  users: SandboxInfo["scram"]["users"];
  profiles: SandboxIamProfiles;
  iamFiles: { credentialsFile: string; configFile: string; identitiesFile: string };
  prep: Awaited<ReturnType<typeof prepare>>;
  moto: DetachedChild;
  fake: DetachedChild;
  ports: { s3: number; msk: number };
  state: SandboxState;
}): SandboxInfo {
  const admin = p.profiles.admin;
  return {
    stateDir: p.stateDir,
    tag: p.tag,
    region: SANDBOX_REGION,
    startedAt: "",
    startupMs: 0,
    cacheDir: p.cacheDir,
    source: p.source,
    target: p.target,
    superUsers: SUPER_USERS,
    scram: { mechanisms: ["SCRAM-SHA-512", "SCRAM-SHA-256"], users: p.users },
    tls: p.prep.certs,
    iam: { ...p.iamFiles, profiles: p.profiles },
    s3: {
      endpoint: `http://127.0.0.1:${p.ports.s3}`,
      region: SANDBOX_REGION,
      credentials: { accessKeyId: admin.accessKeyId, secretAccessKey: admin.secretAccessKey },
      pid: p.moto.pid,
      logFile: p.moto.logFile,
      buckets: { ...SANDBOX_BUCKETS },
    },
    msk: { endpoint: `http://127.0.0.1:${p.ports.msk}`, pid: p.fake.pid, logFile: p.fake.logFile },
    evidence: {
      signingKeyPath: p.prep.evidence.privateKeyPath,
      publicKeyPath: p.prep.evidence.publicKeyPath,
    },
    env: {
      AWS_SHARED_CREDENTIALS_FILE: p.iamFiles.credentialsFile,
      AWS_CONFIG_FILE: p.iamFiles.configFile,
      AWS_REGION: SANDBOX_REGION,
    },
    processes: p.state.processes,
    ports: p.state.ports,
  };
}

async function waitForReadiness(
  info: SandboxInfo,
  procs: { src: LaunchedCluster; tgt: LaunchedCluster; moto: DetachedChild; fake: DetachedChild },
  plan: StartPlan,
): Promise<void> {
  const timeoutMs = plan.readyTimeoutMs;
  // The first failure stops every other wait.
  const stop = new AbortController();
  plan.signal?.addEventListener("abort", () => stop.abort(), { once: true });
  const signal = stop.signal;
  const s3 = (async () => {
    await waitUntil(() => s3Answers(info.s3.endpoint), {
      what: "the S3 server (moto)",
      timeoutMs,
      children: [procs.moto],
      signal,
    });
    const client = sandboxS3Client(info.s3.endpoint, info.s3.region, info.s3.credentials);
    try {
      await createSandboxBuckets(client, info.s3.region);
    } finally {
      client.destroy();
    }
    plan.log.debug("S3 ready; buckets created", { endpoint: info.s3.endpoint });
  })();
  const fake = waitUntil(
    () =>
      fetch(`${info.msk.endpoint}/_fake/health`).then(async (r) => {
        await r.body?.cancel();
        return r.ok;
      }, () => false),
    { what: "the MSK fake", timeoutMs: 60_000, children: [procs.fake], signal },
  );
  const kafka = (["source", "target"] as const).flatMap((role) => {
    const brokers = info[role].brokers.length;
    const children = role === "source" ? procs.src.children : procs.tgt.children;
    return info[role].brokers.flatMap((_, i) =>
      LISTENERS.map((listener) =>
        waitUntil(
          () =>
            kafkaAnswers(sandboxKafkaClientConfig(info, role, { listener, broker: i }), brokers),
          {
            what: `${role} broker ${i + 1} ${listener} listener`,
            timeoutMs,
            children,
            intervalMs: 500,
            signal,
          },
        )
      )
    );
  });
  try {
    await Promise.all([s3, fake, ...kafka]);
  } finally {
    stop.abort();
  }
}
