/**
 * The MSK control plane: describing a cluster (DescribeClusterV2) and getting
 * its bootstrap brokers for an auth mode (GetBootstrapBrokers).
 *
 * @module
 */

import {
  DescribeClusterV2Command,
  GetBootstrapBrokersCommand,
  KafkaClient as MskClient,
} from "@aws-sdk/client-kafka";
import { KraftoverError } from "../errors.ts";
import { credentialsFor } from "../aws/credentials.ts";
import type { AuthMode, ClusterConfig } from "../config/types.ts";
import type { Logger } from "../logger.ts";

/** What kraftover needs to know about an MSK cluster. */
export interface MskClusterInfo {
  /** Cluster ARN. */
  arn: string;
  /** Cluster name. */
  name: string;
  /** ACTIVE, CREATING, … */
  state: string;
  /** PROVISIONED or SERVERLESS. */
  clusterType: "PROVISIONED" | "SERVERLESS";
  /** Kafka version as MSK reports it, e.g. `3.9.x` or `3.7.x.kraft`. */
  kafkaVersion: string | undefined;
  /** ZooKeeper or KRaft metadata mode (KRaft: a `.kraft` version or Kafka 4+). */
  metadataMode: "zookeeper" | "kraft" | "unknown";
  /** Broker count (provisioned). */
  brokerCount: number | undefined;
  /** Broker instance type, e.g. kafka.m5.large. */
  instanceType: string | undefined;
  /** Client subnets (one per AZ). */
  clientSubnets: readonly string[];
  /** Client authentication methods enabled. */
  authentication: { iam: boolean; scram: boolean; tls: boolean; unauthenticated: boolean };
  /** Public access enabled (anything but DISABLED). */
  publicAccess: boolean;
  /** Open monitoring (Prometheus exporters) enabled. */
  openMonitoring: boolean;
  /** ZooKeeper connection string, when in ZooKeeper mode. */
  zookeeperConnect: string | undefined;
}

/** Options for the MSK API calls. */
export interface MskApiOptions {
  /**
   * An AWS SDK MSK client to use instead of one built from the cluster config (tests).
   * @ignore
   */
  client?: MskClient;
  /** Abort signal. */
  signal?: AbortSignal;
  /** Receives the AWS SDK's credential messages (at debug). @default silentLogger */
  logger?: Logger;
}

/** Options for {@linkcode mskClientFor}. */
export interface MskClientForOptions {
  /** Receives the AWS SDK's credential messages (at debug). @default silentLogger */
  logger?: Logger | undefined;
}

/**
 * The region of an ARN (`arn:aws:kafka:REGION:…`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { regionOfArn } from "./msk_api.ts";
 * assert.ok(regionOfArn("arn:aws:kafka:eu-west-1:123456789012:cluster/a/b") === "eu-west-1");
 * ```
 */
export function regionOfArn(arn: string): string | undefined {
  return arn.split(":")[3] || undefined;
}

/**
 * An MSK API client for a cluster config: its region, endpoint override and
 * credentials (the cluster's IAM profile/role when it uses IAM, the default
 * chain otherwise).
 *
 * @example
 * ```ts
 * import { mskClientFor } from "./msk_api.ts";
 * const client = mskClientFor({ cluster_arn: "arn:aws:kafka:eu-west-1:123456789012:cluster/a/b", auth: { mode: "iam" }, client_id: "k" });
 * client.destroy();
 * ```
 */
export function mskClientFor(cluster: ClusterConfig, options: MskClientForOptions = {}): MskClient {
  const region = cluster.region ??
    (cluster.cluster_arn ? regionOfArn(cluster.cluster_arn) : undefined) ??
    "us-east-1";
  return new MskClient({
    region,
    ...(cluster.msk_endpoint === undefined ? {} : { endpoint: cluster.msk_endpoint }),
    credentials: credentialsFor(cluster.auth.mode === "iam" ? cluster.auth : {}, {
      region,
      logger: options.logger,
    }),
    maxAttempts: 4,
  });
}

function mapMskError(error: unknown, arn: string): KraftoverError {
  const name = (error as { name?: string }).name ?? "";
  if (name === "NotFoundException") {
    return new KraftoverError(
      "MSK_CLUSTER_NOT_FOUND",
      `MSK does not know the cluster ${arn}: check the ARN, its region and the account`,
      { phase: "connect", cause: error },
    );
  }
  const retriable = name === "TooManyRequestsException" || name === "ServiceUnavailableException" ||
    name === "InternalServerErrorException" || name === "TimeoutError" || name === "";
  return new KraftoverError(
    "MSK_API_ERROR",
    `The MSK API refused a request for ${arn}: ${name || "error"}: ${(error as Error).message}`,
    { phase: "connect", cause: error, retriable },
  );
}

/**
 * Describes an MSK cluster (DescribeClusterV2).
 *
 * @example
 * ```ts ignore
 * const info = await describeMskCluster(config.source);
 * console.log(info.metadataMode);
 * ```
 */
export async function describeMskCluster(
  cluster: ClusterConfig,
  options: MskApiOptions = {},
): Promise<MskClusterInfo> {
  const arn = cluster.cluster_arn;
  if (arn === undefined) {
    throw new KraftoverError("USAGE", "The cluster has no cluster_arn to describe", {
      phase: "connect",
    });
  }
  const client = options.client ?? mskClientFor(cluster, { logger: options.logger });
  try {
    const out = await client.send(
      new DescribeClusterV2Command({ ClusterArn: arn }),
      options.signal === undefined ? {} : { abortSignal: options.signal },
    );
    const info = out.ClusterInfo;
    const provisioned = info?.Provisioned;
    const version = provisioned?.CurrentBrokerSoftwareInfo?.KafkaVersion;
    const auth = provisioned?.ClientAuthentication;
    const major = version === undefined ? undefined : Number(version.split(".")[0]);
    const metadataMode = info?.ClusterType === "SERVERLESS"
      ? "unknown"
      : version === undefined
      ? "unknown"
      : version.endsWith(".kraft") || (major !== undefined && major >= 4)
      ? "kraft"
      : "zookeeper";
    const monitoring = provisioned?.OpenMonitoring?.Prometheus;
    return {
      arn,
      name: info?.ClusterName ?? "",
      state: info?.State ?? "UNKNOWN",
      clusterType: info?.ClusterType === "SERVERLESS" ? "SERVERLESS" : "PROVISIONED",
      kafkaVersion: version,
      metadataMode,
      brokerCount: provisioned?.NumberOfBrokerNodes,
      instanceType: provisioned?.BrokerNodeGroupInfo?.InstanceType,
      clientSubnets: provisioned?.BrokerNodeGroupInfo?.ClientSubnets ?? [],
      authentication: {
        iam: auth?.Sasl?.Iam?.Enabled === true ||
          info?.Serverless?.ClientAuthentication?.Sasl?.Iam?.Enabled === true,
        scram: auth?.Sasl?.Scram?.Enabled === true,
        tls: auth?.Tls?.Enabled === true,
        unauthenticated: auth?.Unauthenticated?.Enabled === true,
      },
      publicAccess:
        (provisioned?.BrokerNodeGroupInfo?.ConnectivityInfo?.PublicAccess?.Type ?? "DISABLED") !==
          "DISABLED",
      openMonitoring: monitoring?.JmxExporter?.EnabledInBroker === true ||
        monitoring?.NodeExporter?.EnabledInBroker === true,
      zookeeperConnect: provisioned?.ZookeeperConnectString,
    };
  } catch (error) {
    if (error instanceof KraftoverError) throw error;
    throw mapMskError(error, arn);
  } finally {
    if (options.client === undefined) client.destroy();
  }
}

const BOOTSTRAP_FIELDS = [
  "BootstrapBrokerStringSaslIam",
  "BootstrapBrokerStringSaslScram",
  "BootstrapBrokerStringTls",
  "BootstrapBrokerString",
] as const;

/** A GetBootstrapBrokers field kraftover reads. */
export type BootstrapBrokersField = typeof BOOTSTRAP_FIELDS[number];

const BOOTSTRAP_FIELD_NAMES: Record<BootstrapBrokersField, string> = {
  BootstrapBrokerStringSaslIam: "IAM",
  BootstrapBrokerStringSaslScram: "SASL/SCRAM",
  BootstrapBrokerStringTls: "TLS",
  BootstrapBrokerString: "plaintext",
};

/**
 * Which GetBootstrapBrokers list fits a cluster config: IAM for `iam`, SASL/SCRAM
 * for `scram-*`, TLS for `mtls` and for `plaintext` with `tls` set, else the
 * plaintext list.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { bootstrapBrokersField } from "./msk_api.ts";
 * assert.ok(bootstrapBrokersField({ auth: { mode: "mtls" } }) === "BootstrapBrokerStringTls");
 * ```
 */
export function bootstrapBrokersField(
  cluster: Pick<ClusterConfig, "auth" | "tls">,
): BootstrapBrokersField {
  const mode = cluster.auth.mode;
  if (mode === "iam") return "BootstrapBrokerStringSaslIam";
  if (mode === "scram-sha-512" || mode === "scram-sha-256") return "BootstrapBrokerStringSaslScram";
  if (mode === "mtls" || (cluster.tls !== false && cluster.tls !== undefined)) {
    return "BootstrapBrokerStringTls";
  }
  return "BootstrapBrokerString";
}

/**
 * The bootstrap broker list MSK gives for an auth mode (GetBootstrapBrokers):
 * IAM, SCRAM, TLS (mTLS or TLS without client certificates) or plaintext.
 *
 * @example
 * ```ts ignore
 * const brokers = await mskBootstrapBrokers(config.source);
 * ```
 */
export async function mskBootstrapBrokers(
  cluster: ClusterConfig,
  options: MskApiOptions = {},
): Promise<string[]> {
  const arn = cluster.cluster_arn;
  if (arn === undefined) {
    throw new KraftoverError("USAGE", "The cluster has no cluster_arn to resolve", {
      phase: "connect",
    });
  }
  const client = options.client ?? mskClientFor(cluster, { logger: options.logger });
  try {
    const out = await client.send(
      new GetBootstrapBrokersCommand({ ClusterArn: arn }),
      options.signal === undefined ? {} : { abortSignal: options.signal },
    );
    const mode: AuthMode = cluster.auth.mode;
    const field = bootstrapBrokersField(cluster);
    const value = out[field];
    if (value === undefined || value === "") {
      const offered = BOOTSTRAP_FIELDS.filter((f) => (out[f] ?? "") !== "").map((f) =>
        BOOTSTRAP_FIELD_NAMES[f]
      );
      const wanted = BOOTSTRAP_FIELD_NAMES[field];
      throw new KraftoverError(
        "MSK_API_ERROR",
        `Cannot resolve bootstrap brokers for auth mode ${mode}: MSK cluster ${arn} does not ` +
          `enable ${wanted}; it enables ${offered.join(", ") || "none"}: enable ${wanted} on the ` +
          "cluster, set auth.mode to a mode it enables, or give bootstrap_servers",
        { phase: "connect", detail: { arn, mode, field, offered } },
      );
    }
    return value.split(",").map((s) => s.trim()).filter((s) => s !== "");
  } catch (error) {
    if (error instanceof KraftoverError) throw error;
    throw mapMskError(error, arn);
  } finally {
    if (options.client === undefined) client.destroy();
  }
}
