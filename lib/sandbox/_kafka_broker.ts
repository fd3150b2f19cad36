/**
 * Starting one sandbox broker JVM (either mode), and running Kafka tools.
 *
 * @module
 */

import type { Logger } from "../logger.ts";
import type { SandboxCertificates } from "./_certs.ts";
import type { JavaTools } from "./_java.ts";
import { type BrokerPorts, brokerProperties, jvmArgs } from "./_kafka_config.ts";
import { type DetachedChild, runToCompletion, spawnDetached } from "./_process.ts";
import type { SandboxBroker, SandboxScramUser } from "./sandbox_info.ts";

/** Broker JVM heap, MiB. */
export const BROKER_HEAP_MB = 512;
/** Heap of short-lived Kafka tools (storage format, kafka-configs), MiB. */
export const TOOL_HEAP_MB = 256;

/** What starting a cluster needs, shared by both modes. */
export interface ClusterLaunch {
  /** source or target. */
  role: "source" | "target";
  /** The JDK. */
  java: JavaTools;
  /** Kafka version. */
  kafkaVersion: string;
  /** That version's jars. */
  libs: string;
  /** Sandbox classes compiled against them. */
  classes: string;
  /** The state directory. */
  stateDir: string;
  /** Tag for process ownership. */
  tag: string;
  /** Ports of each broker. */
  brokerPorts: BrokerPorts[];
  /** Certificates. */
  certs: SandboxCertificates;
  /** IAM identities file for the token validator. */
  iamIdentitiesFile: string;
  /** Region of IAM tokens. */
  region: string;
  /** super.users. */
  superUsers: string[];
  /** SCRAM users to create. */
  scramUsers: SandboxScramUser[];
  /** Progress. */
  logger: Logger;
  /** Records a started process in the state file before anything else happens. */
  record: (child: DetachedChild) => Promise<void>;
  /** Cancels start-up. */
  signal?: AbortSignal;
}

/** What a started cluster is made of. */
export interface LaunchedCluster {
  /** The brokers (processes started, not necessarily ready). */
  brokers: SandboxBroker[];
  /** Every process started for the cluster. */
  children: DetachedChild[];
  /** ZooKeeper (ZooKeeper mode). */
  zookeeper?: { address: string; pid: number; logFile: string; dataDir: string };
}

/** The classpath of a launch: Kafka's jars and the sandbox classes. */
export function classpath(l: ClusterLaunch): string[] {
  return [`${l.libs}/*`, l.classes];
}

/** Paths of one broker. */
export function brokerPaths(
  l: ClusterLaunch,
  nodeId: number,
): { configFile: string; dataDir: string; logFile: string } {
  return {
    configFile: `${l.stateDir}/${l.role}/broker-${nodeId}.properties`,
    dataDir: `${l.stateDir}/${l.role}/broker-${nodeId}-data`,
    logFile: `${l.stateDir}/logs/${l.role}-broker-${nodeId}.log`,
  };
}

/** Writes a broker's server.properties. */
export async function writeBrokerConfig(
  l: ClusterLaunch,
  nodeId: number,
  mode: "zookeeper" | "kraft",
  zookeeperConnect?: string,
): Promise<void> {
  const paths = brokerPaths(l, nodeId);
  await Deno.mkdir(paths.dataDir, { recursive: true });
  const text = brokerProperties({
    mode,
    kafkaVersion: l.kafkaVersion,
    nodeId,
    cluster: l.brokerPorts,
    ...(zookeeperConnect === undefined ? {} : { zookeeperConnect }),
    logDir: paths.dataDir,
    keystore: l.certs.serverKeystore,
    keystorePassword: l.certs.serverKeystorePassword,
    caFile: l.certs.caFile,
    iamIdentitiesFile: l.iamIdentitiesFile,
    region: l.region,
    superUsers: l.superUsers,
  });
  await Deno.writeTextFile(paths.configFile, text, { mode: 0o600 });
}

/** Starts a broker whose config is written; records the process. */
export async function startBroker(
  l: ClusterLaunch,
  nodeId: number,
): Promise<{ broker: SandboxBroker; child: DetachedChild }> {
  const paths = brokerPaths(l, nodeId);
  const child = spawnDetached({
    name: `${l.role}-broker-${nodeId}`,
    command: l.java.java,
    args: jvmArgs({
      classpath: classpath(l),
      mainClass: "kafka.Kafka",
      args: [paths.configFile],
      heapMb: BROKER_HEAP_MB,
    }),
    logFile: paths.logFile,
    tag: l.tag,
  });
  await l.record(child);
  const ports = l.brokerPorts[nodeId - 1];
  if (ports === undefined) throw new Error(`No ports for broker ${nodeId}`);
  return { broker: { id: nodeId, pid: child.pid, ports, ...paths }, child };
}

/** Runs a Kafka tool JVM (a main class with arguments) to completion. */
export async function runKafkaTool(
  l: ClusterLaunch,
  mainClass: string,
  args: string[],
  what: string,
): Promise<string> {
  return await runToCompletion(
    l.java.java,
    jvmArgs({ classpath: classpath(l), mainClass, args, heapMb: TOOL_HEAP_MB, tool: true }),
    { what, ...(l.signal === undefined ? {} : { signal: l.signal }) },
  );
}
