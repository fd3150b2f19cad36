/**
 * The KRaft-mode target cluster: combined broker+controller nodes with a
 * static voter set, each formatted with Kafka's storage tool (SCRAM users
 * added at format time with `--add-scram`), then started.
 *
 * @module
 */

import { storageToolClass } from "./_maven.ts";
import {
  brokerPaths,
  type ClusterLaunch,
  type LaunchedCluster,
  runKafkaTool,
  startBroker,
  writeBrokerConfig,
} from "./_kafka_broker.ts";

/**
 * A random Kafka cluster id (a base64url UUID, 22 characters, not starting
 * with "-" as Kafka's own generator ensures).
 */
export function randomClusterId(): string {
  for (;;) {
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    const id = btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_")
      .replace(/=+$/, "");
    if (!id.startsWith("-")) return id;
  }
}

/** `kafka-storage format --add-scram` arguments for each user and mechanism. */
export function addScramArgs(users: Array<{ username: string; password: string }>): string[] {
  return users.flatMap((u) => [
    "--add-scram",
    `SCRAM-SHA-512=[name=${u.username},password=${u.password}]`,
    "--add-scram",
    `SCRAM-SHA-256=[name=${u.username},password=${u.password}]`,
  ]);
}

/** Formats and starts the KRaft nodes; returns them with the cluster id. */
export async function launchKraftCluster(
  l: ClusterLaunch,
): Promise<LaunchedCluster & { clusterId: string }> {
  const clusterId = randomClusterId();
  const tool = await storageToolClass(l.libs);
  const ids = l.brokerPorts.map((_, i) => i + 1);
  await Promise.all(ids.map(async (id) => {
    await writeBrokerConfig(l, id, "kraft");
    await runKafkaTool(
      l,
      tool,
      [
        "format",
        "-t",
        clusterId,
        "-c",
        brokerPaths(l, id).configFile,
        ...addScramArgs(l.scramUsers),
      ],
      `format the KRaft storage of ${l.role} node ${id}`,
    );
  }));
  const started = [];
  for (const id of ids) started.push(await startBroker(l, id));
  return {
    brokers: started.map((s) => s.broker),
    children: started.map((s) => s.child),
    clusterId,
  };
}
