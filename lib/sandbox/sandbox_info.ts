/**
 * What a running sandbox is: addresses, credentials, certificates, ARNs and
 * processes, as recorded in ONE state file, `<stateDir>/sandbox.json`.
 *
 * @module
 */

import { KraftoverError } from "../errors.ts";
import { registerSecretValue } from "../secret.ts";
import type { BrokerPorts } from "./_kafka_config.ts";
import type { SandboxProcess, StopOutcome } from "./_process.ts";
import type { SandboxCertificates } from "./_certs.ts";

export type { BrokerPorts, SandboxCertificates, SandboxProcess, StopOutcome };

/** AWS region of the sandbox (IAM tokens, S3 buckets, MSK ARNs). */
export const SANDBOX_REGION = "eu-west-1";
/** AWS account id in the sandbox's ARNs. */
export const SANDBOX_ACCOUNT = "000000000000";

/** Environment variable naming the sandbox state directory. */
export const SANDBOX_DIR_ENV = "KRAFTOVER_SANDBOX_DIR";
/** Name of the state file inside the state directory. */
export const SANDBOX_STATE_FILE = "sandbox.json";

/**
 * The state directory: `KRAFTOVER_SANDBOX_DIR`, else `.sandbox/` under the
 * current directory.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { defaultSandboxDir } from "./sandbox_info.ts";
 * assert.ok(defaultSandboxDir().length > 0);
 * ```
 */
export function defaultSandboxDir(): string {
  const fromEnv = Deno.env.get(SANDBOX_DIR_ENV);
  if (fromEnv !== undefined && fromEnv !== "") return fromEnv;
  return `${Deno.cwd()}/.sandbox`;
}

/** One broker of a sandbox cluster. */
export interface SandboxBroker {
  /** broker.id (ZooKeeper mode) or node.id (KRaft). */
  id: number;
  /** Process id (and process group id). */
  pid: number;
  /** Its ports. */
  ports: BrokerPorts;
  /** Its server.properties. */
  configFile: string;
  /** Its log file. */
  logFile: string;
  /** Its data directory (log.dirs). */
  dataDir: string;
}

/** Bootstrap addresses (`127.0.0.1:PORT`, one per broker) per listener. */
export interface SandboxBootstrap {
  /** PLAINTEXT: no authentication; principal User:ANONYMOUS is a super user. */
  plaintext: string[];
  /** SASL_PLAINTEXT with SCRAM-SHA-512 and SCRAM-SHA-256. */
  scram: string[];
  /** SSL requiring a client certificate from the sandbox CA. */
  mtls: string[];
  /** SASL_SSL OAUTHBEARER with MSK-IAM-style SigV4 tokens. */
  iam: string[];
}

/** One of the two sandbox clusters. */
export interface SandboxCluster {
  /** Source (ZooKeeper mode) or target (KRaft). */
  role: "source" | "target";
  /** Metadata mode. */
  mode: "zookeeper" | "kraft";
  /** Apache Kafka version of the jars, e.g. `3.9.2`. */
  kafkaVersion: string;
  /** Kafka version as the MSK fake reports it: `3.9.x` or `4.4.x.kraft`. */
  mskKafkaVersion: string;
  /** Its ARN in the MSK fake. */
  clusterArn: string;
  /** Bootstrap addresses per listener. */
  bootstrap: SandboxBootstrap;
  /** The brokers. */
  brokers: SandboxBroker[];
  /** KRaft cluster id (target only). */
  clusterId?: string;
  /** ZooKeeper (source only). */
  zookeeper?: { address: string; pid: number; logFile: string; dataDir: string };
}

/** A SCRAM user (both SCRAM-SHA-512 and SCRAM-SHA-256 credentials exist). */
export interface SandboxScramUser {
  /** User name; the principal is `User:<username>`. */
  username: string;
  /** Generated password. */
  password: string;
  /** Whether the user is in `super.users`. */
  superUser: boolean;
}

/** An AWS profile in the sandbox's shared credentials file. */
export interface SandboxIamProfile {
  /** Profile name, e.g. `kraftover-sandbox-admin`. */
  profile: string;
  /** Access key id. */
  accessKeyId: string;
  /** Secret access key. */
  secretAccessKey: string;
  /** Kafka principal the brokers map the key to (`User:<principal>`), or null when the brokers must refuse it. */
  principal: string | null;
  /** What the profile is for. */
  purpose: string;
}

/** Everything about a running sandbox. */
export interface SandboxInfo {
  /** The state directory. */
  stateDir: string;
  /** Tag set in every sandbox process's environment (`KRAFTOVER_SANDBOX_TAG`). */
  tag: string;
  /** AWS region used for IAM tokens, S3 and the MSK fake's ARNs. */
  region: string;
  /** When `up` finished, ISO 8601. */
  startedAt: string;
  /** How long `up` took, in milliseconds. */
  startupMs: number;
  /** Cache of jars, compiled classes and moto. */
  cacheDir: string;
  /** The ZooKeeper-mode source cluster. */
  source: SandboxCluster;
  /** The KRaft-mode target cluster. */
  target: SandboxCluster;
  /** Principals in `super.users` on both clusters. */
  superUsers: string[];
  /** SCRAM users on both clusters. */
  scram: {
    mechanisms: string[];
    users: { admin: SandboxScramUser; alice: SandboxScramUser; bob: SandboxScramUser };
  };
  /** Certificates and keys (PEM for clients, PKCS12 keystore for brokers). */
  tls: SandboxCertificates;
  /** MSK-IAM-style identities. */
  iam: {
    /** AWS shared credentials file (use via `AWS_SHARED_CREDENTIALS_FILE`). */
    credentialsFile: string;
    /** AWS config file with each profile's region (use via `AWS_CONFIG_FILE`). */
    configFile: string;
    /** What the brokers' token validator knows: access key → secret, principal. */
    identitiesFile: string;
    /** The profiles: admin (super user), app (no ACLs), wrong (wrong secret), unknown (unknown key). */
    profiles: {
      admin: SandboxIamProfile;
      app: SandboxIamProfile;
      wrong: SandboxIamProfile;
      unknown: SandboxIamProfile;
    };
  };
  /** The S3-compatible store (moto). */
  s3: {
    /** Endpoint, e.g. `http://127.0.0.1:PORT`. */
    endpoint: string;
    /** Region the buckets were created in. */
    region: string;
    /** Keys to sign S3 requests with (moto accepts any; these are the `[default]` profile's). */
    credentials: { accessKeyId: string; secretAccessKey: string };
    /** Its process id. */
    pid: number;
    /** Its log file. */
    logFile: string;
    /** Bucket names. */
    buckets: { backup: string; evidence: string; nolock: string };
  };
  /** The MSK control-plane fake. */
  msk: { endpoint: string; pid: number; logFile: string };
  /** An Ed25519 evidence signing key pair (PKCS#8 / SPKI PEM) made at `up`. */
  evidence: { signingKeyPath: string; publicKeyPath: string };
  /** Environment for clients: AWS_SHARED_CREDENTIALS_FILE, AWS_CONFIG_FILE, AWS_REGION. */
  env: Record<string, string>;
  /** Every process the sandbox started. */
  processes: SandboxProcess[];
  /** Every port the sandbox bound. */
  ports: number[];
}

/** The state file's content. */
export interface SandboxState {
  /** Format version of this file. */
  stateVersion: 1;
  /** `starting` while `up` runs (processes may be partial), then `running`. */
  status: "starting" | "running";
  /** Tag of the sandbox's processes. */
  tag: string;
  /** Processes started so far. */
  processes: SandboxProcess[];
  /** Ports chosen so far. */
  ports: number[];
  /** Present once `status` is `running`. */
  info?: SandboxInfo;
}

/** Reads the state file of a state directory; undefined when there is none. */
export async function readSandboxState(stateDir: string): Promise<SandboxState | undefined> {
  let text: string;
  try {
    text = await Deno.readTextFile(`${stateDir}/${SANDBOX_STATE_FILE}`);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw new KraftoverError(
      "SANDBOX_NOT_RUNNING",
      `Cannot read ${stateDir}/${SANDBOX_STATE_FILE}: ${String(e)}`,
      {
        phase: "sandbox",
        cause: e,
      },
    );
  }
  try {
    const state = JSON.parse(text) as SandboxState;
    if (state.stateVersion !== 1) {
      throw new Error(`unknown stateVersion ${String(state.stateVersion)}`);
    }
    return state;
  } catch (e) {
    throw new KraftoverError(
      "SANDBOX_NOT_RUNNING",
      `Cannot read ${stateDir}/${SANDBOX_STATE_FILE}: ${
        String(e)
      }: run kraftover sandbox down, then up`,
      { phase: "sandbox", cause: e },
    );
  }
}

/** Writes the state file atomically (temp file + rename), readable only by its owner. */
export async function writeSandboxState(stateDir: string, state: SandboxState): Promise<void> {
  const tmp = `${stateDir}/${SANDBOX_STATE_FILE}.tmp-${crypto.randomUUID()}`;
  await Deno.writeTextFile(tmp, JSON.stringify(state, null, 2) + "\n", { mode: 0o600 });
  await Deno.rename(tmp, `${stateDir}/${SANDBOX_STATE_FILE}`);
}

/**
 * Registers the sandbox's passwords and secret keys with the redaction of
 * `lib/secret.ts`, so that no log line of this process shows them.
 */
export function registerSandboxSecrets(info: SandboxInfo): void {
  for (const u of Object.values(info.scram.users)) registerSecretValue(u.password);
  for (const p of Object.values(info.iam.profiles)) registerSecretValue(p.secretAccessKey);
  registerSecretValue(info.tls.serverKeystorePassword);
}

/**
 * The recorded info of a running sandbox (as written by `sandboxUp`); throws
 * `SANDBOX_NOT_RUNNING` when none is recorded. It does not check that the
 * processes are alive (use `sandboxStatus` for that). The sandbox's secrets
 * are registered for redaction in this process's logs.
 *
 * @example
 * ```ts ignore
 * import { loadSandboxInfo } from "./sandbox_info.ts";
 * const info = await loadSandboxInfo();
 * console.log(info.source.bootstrap.plaintext);
 * ```
 */
export async function loadSandboxInfo(
  stateDir: string = defaultSandboxDir(),
): Promise<SandboxInfo> {
  const state = await readSandboxState(stateDir);
  if (state?.status !== "running" || state.info === undefined) {
    throw new KraftoverError(
      "SANDBOX_NOT_RUNNING",
      `No running sandbox recorded in ${stateDir}: start one with kraftover sandbox up`,
      { phase: "sandbox", detail: { stateDir } },
    );
  }
  registerSandboxSecrets(state.info);
  return state.info;
}
