/**
 * One factory from a cluster config to Kafka clients, for every auth mode:
 * PLAINTEXT, SCRAM-SHA-512/256, mTLS, IAM (SASL/OAUTHBEARER with
 * `aws-msk-iam-sasl-signer-js` and the standard AWS credential chain) and TLS
 * without client certificates. Bootstrap brokers come from
 * `bootstrap_servers` or, for a `cluster_arn`, from MSK's GetBootstrapBrokers
 * for the auth mode.
 *
 * IAM uses kraftover's own SASL/OAUTHBEARER exchange (kafkajs's hook for
 * custom mechanisms), because kafkajs 2.2.4's built-in one does not notice a
 * broker refusing the token. See `docs/connections.md` for the modes and the
 * error codes.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { readFileSync } from "node:fs";
import { generateAuthTokenFromCredentialsProvider } from "aws-msk-iam-sasl-signer-js";
import { Kafka, logLevel as KafkaLogLevel } from "./kafkajs.ts";
import type { Admin, KafkaConfig, Producer, SASLOptions } from "./kafkajs.ts";
import { classifyKafkaError } from "./classify_error.ts";
import { credentialsFor } from "../aws/credentials.ts";
import { mskBootstrapBrokers, regionOfArn } from "../msk/msk_api.ts";
import { KraftoverError } from "../errors.ts";
import type { ErrorPhase } from "../errors.ts";
import type { Logger } from "../logger.ts";
import { silentLogger } from "../logger.ts";
import { withRetry } from "../retry.ts";
import type { ClusterConfig } from "../config/types.ts";

/** Options for {@linkcode connectCluster}. */
export interface ConnectClusterOptions {
  /** Label in messages and logs: `source` or `target`. @default "cluster" */
  label?: string;
  /** Logger (kafkajs's own chatter goes to debug). @default silentLogger */
  logger?: Logger;
  /** Aborts retries. */
  signal?: AbortSignal;
  /** Attempts for the initial connection when the failure is retriable. @default 3 */
  attempts?: number;
  /** kafkajs connection timeout in ms. @default 10000 */
  connectionTimeoutMs?: number;
  /** kafkajs request timeout in ms. @default 30000 */
  requestTimeoutMs?: number;
  /**
   * Makes the SASL/OAUTHBEARER token of an `iam` cluster instead of signing one
   * with `aws-msk-iam-sasl-signer-js` from the cluster's AWS credentials (for
   * a token obtained elsewhere, or a deliberately bad one in tests).
   * @default signs a fresh MSK IAM token per connection
   * @ignore
   */
  iamTokenProvider?: IamTokenProvider;
}

/**
 * Makes an MSK IAM (SASL/OAUTHBEARER) token: the base64url of a SigV4
 * presigned `kafka-cluster:Connect` URL.
 * @ignore
 */
export type IamTokenProvider = () => Promise<string>;

/** A resolved cluster: addresses, TLS, a kafkajs client, and error classification. */
export interface KafkaConnection {
  /** `source`, `target`, … */
  readonly label: string;
  /** The cluster config. */
  readonly config: ClusterConfig;
  /** Bootstrap brokers in use. */
  readonly brokers: readonly string[];
  /** Whether connections use TLS. */
  readonly tls: boolean;
  /**
   * The kafkajs client (kafkajs 2.2.4, patched for exact headers).
   * @ignore
   */
  readonly kafka: Kafka;
  /**
   * A connected kafkajs admin client, shared; closed by {@linkcode KafkaConnection.close}.
   * @ignore
   */
  admin(): Promise<Admin>;
  /**
   * A connected kafkajs producer (idempotent, acks=all by default), closed by
   * {@linkcode KafkaConnection.close}.
   * @ignore
   */
  producer(options?: { idempotent?: boolean }): Promise<Producer>;
  /** Classifies an error from this cluster. */
  classify(error: unknown, action?: string, phase?: ErrorPhase): KraftoverError;
  /** Disconnects every client made here. */
  close(): Promise<void>;
}

/**
 * Whether a cluster config uses TLS: explicit `tls`, else on for iam, scram-*
 * and mtls (as MSK requires), off for plaintext.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { usesTls } from "./connect.ts";
 * assert.ok(usesTls({ auth: { mode: "iam" } }));
 * assert.ok(!usesTls({ auth: { mode: "scram-sha-512" }, tls: false }));
 * ```
 */
export function usesTls(cluster: Pick<ClusterConfig, "auth" | "tls">): boolean {
  if (cluster.auth.mode === "mtls") return true;
  if (cluster.tls !== undefined) return cluster.tls !== false;
  return cluster.auth.mode !== "plaintext";
}

function readPem(path: string | undefined): string | undefined {
  return path === undefined ? undefined : readFileSync(path, "utf8");
}

/**
 * The kafkajs `ssl` option for a cluster config.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sslOptions } from "./connect.ts";
 * assert.ok(sslOptions({ auth: { mode: "plaintext" }, client_id: "k" }) === undefined);
 * ```
 */
export function sslOptions(cluster: ClusterConfig): KafkaConfig["ssl"] {
  if (!usesTls(cluster)) return undefined;
  const tls = typeof cluster.tls === "object" ? cluster.tls : {};
  const auth = cluster.auth;
  const ca = readPem(auth.mode === "mtls" ? auth.ca_file ?? tls.ca_file : tls.ca_file);
  return {
    rejectUnauthorized: true,
    ...(ca === undefined ? {} : { ca: [ca] }),
    ...(tls.server_name === undefined ? {} : { servername: tls.server_name }),
    ...(auth.mode === "mtls"
      ? {
        cert: readPem(auth.cert_file),
        key: readPem(auth.key_file),
        ...(auth.key_password === undefined ? {} : { passphrase: auth.key_password.reveal() }),
      }
      : {}),
  };
}

/**
 * The region used to sign IAM tokens for a cluster.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { clusterRegion } from "./connect.ts";
 * assert.ok(clusterRegion({ region: "eu-west-1", auth: { mode: "iam" }, client_id: "k" }) === "eu-west-1");
 * ```
 */
export function clusterRegion(cluster: ClusterConfig): string | undefined {
  let envRegion: string | undefined;
  try {
    envRegion = Deno.env.get("AWS_REGION") ?? Deno.env.get("AWS_DEFAULT_REGION");
  } catch {
    envRegion = undefined;
  }
  return cluster.region ?? (cluster.cluster_arn ? regionOfArn(cluster.cluster_arn) : undefined) ??
    envRegion;
}

/** The part of kafkajs's SASL exchange a custom mechanism sees (kafkajs's `AuthenticationProviderArgs`). */
interface _SaslExchange {
  host: string;
  port: number;
  saslAuthenticate: (args: {
    request: { encode: () => Buffer | Promise<Buffer> };
    response?: {
      decode: (raw: Buffer) => Buffer | Promise<Buffer>;
      parse: (data: Buffer) => Buffer;
    };
  }) => Promise<Buffer | void>;
}

const SOH = "\x01";

/** A SASL `bytes` field as kafkajs sends it: a 32-bit big-endian length, then the bytes. */
function _saslBytes(text: string): Buffer {
  const body = Buffer.from(text, "utf8");
  const out = Buffer.alloc(4 + body.length);
  out.writeInt32BE(body.length, 0);
  body.copy(out, 4);
  return out;
}

/** The server's SASL bytes, without the length kafkajs puts in front (or as they came). */
const _rawSaslResponse = {
  decode(raw: Buffer): Buffer {
    if (raw.length >= 4) {
      const length = raw.readInt32BE(0);
      if (length < 0) return Buffer.alloc(0);
      if (length === raw.length - 4) return raw.subarray(4);
    }
    return raw;
  },
  parse: (data: Buffer): Buffer => data,
};

/** A non-retriable error kafkajs and {@linkcode classifyKafkaError} read as an authentication failure. */
function _saslFailure(message: string, cause?: unknown): Error {
  const error = new Error(message, cause === undefined ? undefined : { cause });
  error.name = "KafkaJSSASLAuthenticationError";
  return Object.assign(error, { retriable: false });
}

/**
 * SASL/OAUTHBEARER (RFC 7628, KIP-255) as kafkajs's custom-mechanism hook.
 * kafkajs 2.2.4's built-in OAUTHBEARER ignores the server's answer: when a
 * broker refuses the token it sends an error challenge
 * (`{"status":"invalid_token"}`), kafkajs treats the exchange as successful,
 * `connect()` resolves and the first request fails with "No brokers in the
 * broker pool". This one reads the answer, completes the exchange as the RFC
 * asks (a single `%x01`, to which Kafka replies SASL_AUTHENTICATION_FAILED)
 * and fails the connection with an authentication error.
 */
function _oauthBearerAuthenticator(tokenProvider: IamTokenProvider) {
  return ({ host, port, saslAuthenticate }: _SaslExchange) => ({
    async authenticate(): Promise<void> {
      let token: string;
      try {
        token = await tokenProvider();
      } catch (error) {
        throw _saslFailure(
          `SASL OAUTHBEARER authentication failed: cannot make an IAM token: ${
            (error as Error)?.message ?? String(error)
          }`,
          error,
        );
      }
      const challenge = await saslAuthenticate({
        request: { encode: () => _saslBytes(`n,,${SOH}auth=Bearer ${token}${SOH}${SOH}`) },
        response: _rawSaslResponse,
      });
      if (challenge === undefined || challenge.length === 0) return;
      let status = "refused";
      try {
        const parsed = JSON.parse(challenge.toString("utf8")) as { status?: unknown };
        if (typeof parsed.status === "string") status = parsed.status;
      } catch {
        // not JSON: keep "refused"
      }
      let serverMessage = "";
      try {
        await saslAuthenticate({ request: { encode: () => _saslBytes(SOH) } });
      } catch (error) {
        const text = (error as Error)?.message ?? String(error);
        if (!text.includes(status)) serverMessage = `: ${text}`;
      }
      throw _saslFailure(
        `SASL OAUTHBEARER authentication failed: ${host}:${port} refused the token: ${status}` +
          serverMessage,
      );
    },
  });
}

/** Options for {@linkcode saslOptions}. */
export interface SaslOptionsOptions {
  /**
   * Makes IAM tokens instead of signing them from the cluster's credentials.
   * @ignore
   */
  iamTokenProvider?: IamTokenProvider;
  /** Receives the AWS SDK's credential messages (at debug). @default silentLogger */
  logger?: Logger;
}

/**
 * The kafkajs `sasl` option for a cluster config. For IAM it signs a fresh
 * token per connection and fails the connection when the broker refuses it
 * (kafkajs's built-in OAUTHBEARER would report success).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { saslOptions } from "./connect.ts";
 * assert.ok(saslOptions({ auth: { mode: "mtls" }, client_id: "k" }) === undefined);
 * ```
 */
export function saslOptions(
  cluster: ClusterConfig,
  options: SaslOptionsOptions = {},
): SASLOptions | undefined {
  const auth = cluster.auth;
  switch (auth.mode) {
    case "scram-sha-512":
    case "scram-sha-256":
      return {
        mechanism: auth.mode,
        username: auth.username ?? "",
        password: auth.password?.reveal() ?? "",
      };
    case "iam": {
      let tokenProvider = options.iamTokenProvider;
      if (tokenProvider === undefined) {
        const region = clusterRegion(cluster);
        if (region === undefined) {
          throw new KraftoverError(
            "CONFIG_INVALID",
            "Cannot sign IAM tokens: no region: set region on the cluster (or use a cluster_arn)",
            { phase: "config" },
          );
        }
        const provider = credentialsFor(auth, { region, logger: options.logger });
        tokenProvider = async () => {
          const { token } = await generateAuthTokenFromCredentialsProvider({
            region,
            awsCredentialsProvider: provider,
          });
          return token;
        };
      }
      const make = tokenProvider;
      // kafkajs uses `authenticationProvider` when present; `oauthBearerProvider`
      // stays for callers that read the option.
      return Object.assign(
        {
          mechanism: "oauthbearer" as const,
          oauthBearerProvider: async () => ({ value: await make() }),
        },
        { authenticationProvider: _oauthBearerAuthenticator(make) },
      );
    }
    default:
      return undefined;
  }
}

/**
 * The bootstrap brokers of a cluster: `bootstrap_servers`, or MSK's list for the auth mode.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveBootstrapServers } from "./connect.ts";
 * const b = await resolveBootstrapServers({ bootstrap_servers: ["a:1"], auth: { mode: "plaintext" }, client_id: "k" });
 * assert.ok(b[0] === "a:1");
 * ```
 */
export async function resolveBootstrapServers(
  cluster: ClusterConfig,
  options: { signal?: AbortSignal; logger?: Logger } = {},
): Promise<string[]> {
  if (cluster.bootstrap_servers !== undefined) return cluster.bootstrap_servers;
  if (cluster.cluster_arn === undefined) {
    throw new KraftoverError(
      "CONFIG_INVALID",
      "The cluster needs cluster_arn or bootstrap_servers",
      {
        phase: "config",
      },
    );
  }
  return await mskBootstrapBrokers(cluster, {
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  });
}

function kafkajsLogCreator(logger: Logger) {
  return () =>
  ({ level, log }: { level: number; log: { message: string; [k: string]: unknown } }) => {
    const { message, timestamp: _t, logger: _l, ...rest } = log;
    if (
      level === KafkaLogLevel.ERROR || level === KafkaLogLevel.WARN || level === KafkaLogLevel.INFO
    ) {
      logger.debug(`kafkajs: ${message}`, rest);
    }
  };
}

/**
 * Resolves a cluster and proves it reachable and authenticated (an admin
 * connects and reads metadata), retrying with backoff only failures a retry can
 * help (unreachable, timeout).
 *
 * @example
 * ```ts ignore
 * const source = await connectCluster(config.source, { label: "source", logger });
 * const admin = await source.admin();
 * console.log(await admin.listTopics());
 * await source.close();
 * ```
 */
export async function connectCluster(
  config: ClusterConfig,
  options: ConnectClusterOptions = {},
): Promise<KafkaConnection> {
  const label = options.label ?? "cluster";
  const logger = (options.logger ?? silentLogger).child({ cluster: label });
  const brokers = await resolveBootstrapServers(config, {
    logger,
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  const tls = usesTls(config);
  /** Set once connectCluster has proven the settings (see ClassifyContext.established). */
  let established = false;
  const classify = (error: unknown, action?: string, phase?: ErrorPhase) =>
    classifyKafkaError(error, {
      cluster: label,
      brokers,
      tls,
      authMode: config.auth.mode,
      established,
      ...(action === undefined ? {} : { action }),
      ...(phase === undefined ? {} : { phase }),
    });
  let kafka: Kafka;
  try {
    kafka = new Kafka({
      clientId: config.client_id,
      brokers,
      ssl: sslOptions(config),
      sasl: saslOptions(config, {
        logger,
        ...(options.iamTokenProvider === undefined
          ? {}
          : { iamTokenProvider: options.iamTokenProvider }),
      }),
      connectionTimeout: options.connectionTimeoutMs ?? 10_000,
      authenticationTimeout: options.connectionTimeoutMs ?? 10_000,
      requestTimeout: options.requestTimeoutMs ?? 30_000,
      retry: { retries: 2, initialRetryTime: 200, maxRetryTime: 2_000 },
      logLevel: KafkaLogLevel.WARN,
      logCreator: kafkajsLogCreator(logger),
    } as KafkaConfig);
  } catch (error) {
    throw error instanceof KraftoverError ? error : classify(error, "configuring the client");
  }

  const opened: { disconnect(): Promise<void> }[] = [];
  let admin: Admin | undefined;

  const connection: KafkaConnection = {
    label,
    config,
    brokers,
    tls,
    kafka,
    async admin() {
      if (admin !== undefined) return admin;
      const client = kafka.admin({ retry: { retries: 2 } });
      try {
        await client.connect();
      } catch (error) {
        await client.disconnect().catch(() => {});
        throw classify(error, "connecting");
      }
      admin = client;
      opened.push(client);
      return client;
    },
    async producer(producerOptions = {}) {
      const idempotent = producerOptions.idempotent ?? true;
      const producer = kafka.producer({
        idempotent,
        maxInFlightRequests: idempotent ? 1 : 5,
        allowAutoTopicCreation: false,
        retry: { retries: 5, initialRetryTime: 200, maxRetryTime: 5_000 },
      });
      try {
        await producer.connect();
      } catch (error) {
        await producer.disconnect().catch(() => {});
        throw classify(error, "connecting a producer");
      }
      opened.push(producer);
      return producer;
    },
    classify,
    async close() {
      const all = opened.splice(0);
      admin = undefined;
      await Promise.allSettled(all.map((c) => c.disconnect()));
    },
  };

  await withRetry(
    async () => {
      const client = await connection.admin();
      try {
        await client.describeCluster();
      } catch (error) {
        // kafkajs can leave a client half connected (a broker that accepted the
        // connection but never answered); the next attempt needs a fresh one.
        admin = undefined;
        const at = opened.indexOf(client);
        if (at !== -1) opened.splice(at, 1);
        await client.disconnect().catch(() => {});
        throw classify(error, "reading cluster metadata");
      }
    },
    {
      attempts: options.attempts ?? 3,
      logger,
      what: `connect to ${label}`,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    },
  ).catch(async (error) => {
    await connection.close();
    throw error;
  });
  established = true;
  logger.debug("Connected", { brokers, tls, auth: config.auth.mode });
  return connection;
}
