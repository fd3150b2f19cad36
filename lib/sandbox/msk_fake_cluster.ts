/**
 * Descriptions of fake MSK clusters for the MSK control-plane fake
 * (`msk_fake.ts`), in the API's wire form (camelCase JSON), and a client for
 * its admin endpoint so tests can register extra clusters.
 *
 * @module
 */

/** A cluster as the fake serves it. */
export interface MskFakeCluster {
  /** The `Cluster` object of DescribeClusterV2/ListClustersV2, as JSON on the wire (camelCase). */
  cluster: Record<string, unknown> & {
    clusterArn: string;
    clusterName: string;
    clusterType: string;
  };
  /** The GetBootstrapBrokers response on the wire, e.g. `{ bootstrapBrokerStringSaslIam: "h:9098" }`. */
  bootstrapBrokers: Record<string, string>;
}

/** Bootstrap broker lists per authentication, as `host:port` entries. */
export interface FakeBootstrapBrokers {
  /** PLAINTEXT (`bootstrapBrokerString`). */
  plaintext?: string[];
  /** TLS / mTLS (`bootstrapBrokerStringTls`). */
  tls?: string[];
  /** SASL/SCRAM (`bootstrapBrokerStringSaslScram`). */
  saslScram?: string[];
  /** SASL/IAM (`bootstrapBrokerStringSaslIam`). */
  saslIam?: string[];
}

/** Input of {@linkcode buildFakeCluster}. */
export interface BuildFakeClusterOptions {
  /** Cluster name. */
  name: string;
  /** Full ARN. @default `arn:aws:kafka:<region>:<account>:cluster/<name>/<random uuid>-2` */
  arn?: string;
  /** Region. @default "eu-west-1" */
  region?: string;
  /** Account id. @default "000000000000" */
  account?: string;
  /** MSK cluster type. @default "PROVISIONED" */
  type?: "PROVISIONED" | "SERVERLESS";
  /**
   * MSK Kafka version string, as MSK writes it: `3.9.x` (ZooKeeper mode) or
   * `3.9.x.kraft`, `4.0.x.kraft` (KRaft mode; MSK marks KRaft clusters by the
   * `.kraft` suffix). PROVISIONED only. @default "3.9.x"
   */
  kafkaVersion?: string;
  /** Number of broker nodes. @default 3 */
  brokers?: number;
  /** Availability zone ids. @default the first min(brokers, 3) of euw1-az1..3 */
  zoneIds?: string[];
  /** Broker instance type. @default "kafka.m5.large" */
  instanceType?: string;
  /** ZooKeeper connection string. @default a made-up one for ZooKeeper-mode versions, none for KRaft */
  zookeeperConnectString?: string;
  /** Public access turned on (SERVICE_PROVIDED_EIPS). @default false */
  publicAccess?: boolean;
  /** Open monitoring with Prometheus exporters turned on. @default false */
  openMonitoring?: boolean;
  /** Client authentication turned on. @default all four: iam, scram, tls, unauthenticated */
  auth?: { iam?: boolean; scram?: boolean; tls?: boolean; unauthenticated?: boolean };
  /** Bootstrap brokers returned by GetBootstrapBrokers. @default made-up b-N hosts per enabled auth */
  bootstrapBrokers?: FakeBootstrapBrokers;
  /** Cluster state. @default "ACTIVE" */
  state?: string;
  /** Creation time. @default 2024-01-01T00:00:00Z */
  creationTime?: Date;
  /** Tags. @default {} */
  tags?: Record<string, string>;
}

/**
 * Whether an MSK Kafka version string denotes a KRaft cluster (`.kraft` suffix, or 4.x and later).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isKraftMskVersion } from "./msk_fake_cluster.ts";
 * assert.ok(isKraftMskVersion("3.9.x.kraft") && !isKraftMskVersion("3.9.x"));
 * ```
 */
export function isKraftMskVersion(kafkaVersion: string): boolean {
  return kafkaVersion.endsWith(".kraft") || Number(kafkaVersion.split(".")[0]) >= 4;
}

function madeUpBrokers(name: string, region: string, count: number, port: number): string[] {
  return Array.from(
    { length: count },
    (_, i) => `b-${i + 1}.${name}.abc123.c2.kafka.${region}.amazonaws.com:${port}`,
  );
}

/**
 * A realistic fake MSK cluster description.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildFakeCluster } from "./msk_fake_cluster.ts";
 * const c = buildFakeCluster({ name: "old", kafkaVersion: "3.6.0" });
 * assert.ok(c.cluster.clusterType === "PROVISIONED");
 * assert.ok(c.cluster.clusterArn.startsWith("arn:aws:kafka:eu-west-1:000000000000:cluster/old/"));
 * ```
 */
export function buildFakeCluster(options: BuildFakeClusterOptions): MskFakeCluster {
  const region = options.region ?? "eu-west-1";
  const account = options.account ?? "000000000000";
  const arn = options.arn ??
    `arn:aws:kafka:${region}:${account}:cluster/${options.name}/${crypto.randomUUID()}-2`;
  const type = options.type ?? "PROVISIONED";
  const brokers = options.brokers ?? 3;
  const auth = {
    iam: options.auth?.iam ?? true,
    scram: options.auth?.scram ?? true,
    tls: options.auth?.tls ?? true,
    unauthenticated: options.auth?.unauthenticated ?? true,
  };
  const base = {
    clusterArn: arn,
    clusterName: options.name,
    clusterType: type,
    creationTime: (options.creationTime ?? new Date("2024-01-01T00:00:00Z")).toISOString(),
    currentVersion: "K3AEGXETSR30VB",
    state: options.state ?? "ACTIVE",
    tags: options.tags ?? {},
  };
  if (type === "SERVERLESS") {
    return {
      cluster: {
        ...base,
        serverless: {
          vpcConfigs: [{
            subnetIds: ["subnet-0a1", "subnet-0b2", "subnet-0c3"],
            securityGroupIds: ["sg-0123"],
          }],
          clientAuthentication: { sasl: { iam: { enabled: true } } },
        },
      },
      bootstrapBrokers: {
        bootstrapBrokerStringSaslIam: (options.bootstrapBrokers?.saslIam ??
          [`boot-abc123.c2.kafka-serverless.${region}.amazonaws.com:9098`]).join(","),
      },
    };
  }
  const kafkaVersion = options.kafkaVersion ?? "3.9.x";
  const kraft = isKraftMskVersion(kafkaVersion);
  const zoneIds = options.zoneIds ??
    ["euw1-az1", "euw1-az2", "euw1-az3"].slice(0, Math.max(1, Math.min(brokers, 3)));
  const zk = options.zookeeperConnectString ??
    (kraft
      ? undefined
      : [1, 2, 3].map((i) => `z-${i}.${options.name}.abc123.c2.kafka.${region}.amazonaws.com:2181`)
        .join(","));
  const bb = options.bootstrapBrokers ?? {
    ...(auth.unauthenticated
      ? { plaintext: madeUpBrokers(options.name, region, brokers, 9092) }
      : {}),
    ...(auth.tls ? { tls: madeUpBrokers(options.name, region, brokers, 9094) } : {}),
    ...(auth.scram ? { saslScram: madeUpBrokers(options.name, region, brokers, 9096) } : {}),
    ...(auth.iam ? { saslIam: madeUpBrokers(options.name, region, brokers, 9098) } : {}),
  };
  const bootstrapBrokers: Record<string, string> = {};
  if (bb.plaintext) bootstrapBrokers.bootstrapBrokerString = bb.plaintext.join(",");
  if (bb.tls) bootstrapBrokers.bootstrapBrokerStringTls = bb.tls.join(",");
  if (bb.saslScram) bootstrapBrokers.bootstrapBrokerStringSaslScram = bb.saslScram.join(",");
  if (bb.saslIam) bootstrapBrokers.bootstrapBrokerStringSaslIam = bb.saslIam.join(",");
  return {
    cluster: {
      ...base,
      provisioned: {
        brokerNodeGroupInfo: {
          brokerAZDistribution: "DEFAULT",
          clientSubnets: zoneIds.map((_, i) => `subnet-0${i}aa`),
          instanceType: options.instanceType ?? "kafka.m5.large",
          securityGroups: ["sg-0123"],
          storageInfo: { ebsStorageInfo: { volumeSize: 100 } },
          connectivityInfo: {
            publicAccess: { type: options.publicAccess ? "SERVICE_PROVIDED_EIPS" : "DISABLED" },
          },
          zoneIds,
        },
        currentBrokerSoftwareInfo: { kafkaVersion },
        clientAuthentication: {
          sasl: { scram: { enabled: auth.scram }, iam: { enabled: auth.iam } },
          tls: { certificateAuthorityArnList: [], enabled: auth.tls },
          unauthenticated: { enabled: auth.unauthenticated },
        },
        encryptionInfo: {
          encryptionAtRest: {
            dataVolumeKMSKeyId:
              `arn:aws:kms:${region}:${account}:key/00000000-0000-0000-0000-000000000000`,
          },
          encryptionInTransit: {
            clientBroker: auth.unauthenticated ? "TLS_PLAINTEXT" : "TLS",
            inCluster: true,
          },
        },
        enhancedMonitoring: "DEFAULT",
        openMonitoring: {
          prometheus: {
            jmxExporter: { enabledInBroker: options.openMonitoring ?? false },
            nodeExporter: { enabledInBroker: options.openMonitoring ?? false },
          },
        },
        numberOfBrokerNodes: brokers,
        ...(zk === undefined ? {} : { zookeeperConnectString: zk }),
        storageMode: "LOCAL",
      },
    },
    bootstrapBrokers,
  };
}

/**
 * Registers (or replaces) a cluster on a running MSK fake (`PUT /_fake/clusters/{arn}`).
 *
 * @example
 * ```ts ignore
 * import { buildFakeCluster, registerFakeCluster } from "./msk_fake_cluster.ts";
 * await registerFakeCluster("http://127.0.0.1:4566", buildFakeCluster({ name: "sls", type: "SERVERLESS" }));
 * ```
 */
export async function registerFakeCluster(
  endpoint: string,
  cluster: MskFakeCluster,
): Promise<void> {
  const res = await fetch(
    `${endpoint}/_fake/clusters/${encodeURIComponent(cluster.cluster.clusterArn)}`,
    {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(cluster),
    },
  );
  const text = await res.text();
  if (!res.ok) throw new Error(`Cannot register fake cluster: HTTP ${res.status}: ${text}`);
}

/** Removes a cluster from a running MSK fake (`DELETE /_fake/clusters/{arn}`); no error when absent. */
export async function unregisterFakeCluster(endpoint: string, arn: string): Promise<void> {
  const res = await fetch(`${endpoint}/_fake/clusters/${encodeURIComponent(arn)}`, {
    method: "DELETE",
  });
  await res.body?.cancel();
  if (!res.ok && res.status !== 404) {
    throw new Error(`Cannot remove fake cluster: HTTP ${res.status}`);
  }
}
