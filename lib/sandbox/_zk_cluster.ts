/**
 * The ZooKeeper-mode source cluster: a standalone ZooKeeper, SCRAM
 * credentials written into it before any broker starts, then the brokers.
 *
 * @module
 */

import { RUN_CONFIG_COMMANDS_CLASS } from "./_java_classes.ts";
import { jvmArgs, zooKeeperConfig } from "./_kafka_config.ts";
import {
  classpath,
  type ClusterLaunch,
  type LaunchedCluster,
  runKafkaTool,
  startBroker,
  writeBrokerConfig,
} from "./_kafka_broker.ts";
import { spawnDetached } from "./_process.ts";
import { waitUntil, zooKeeperServes } from "./_readiness.ts";

/** ZooKeeper JVM heap, MiB. */
const ZOOKEEPER_HEAP_MB = 128;

/** `kafka-configs --zookeeper` arguments creating SCRAM-SHA-512 and -256 credentials for each user. */
export function scramConfigArgs(
  zookeeper: string,
  users: Array<{ username: string; password: string }>,
): string[] {
  return users.flatMap((u, i) => [
    ...(i > 0 ? ["--next"] : []),
    "--zookeeper",
    zookeeper,
    "--alter",
    "--entity-type",
    "users",
    "--entity-name",
    u.username,
    "--add-config",
    `SCRAM-SHA-512=[password=${u.password}],SCRAM-SHA-256=[password=${u.password}]`,
  ]);
}

/** Starts ZooKeeper, creates the SCRAM users in it, and starts the brokers. */
export async function launchZooKeeperModeCluster(
  l: ClusterLaunch,
  zookeeperPort: number,
): Promise<LaunchedCluster> {
  const dataDir = `${l.stateDir}/${l.role}/zookeeper-data`;
  await Deno.mkdir(dataDir, { recursive: true });
  const cfg = `${l.stateDir}/${l.role}/zoo.cfg`;
  await Deno.writeTextFile(cfg, zooKeeperConfig(dataDir, zookeeperPort));
  const zk = spawnDetached({
    name: `${l.role}-zookeeper`,
    command: l.java.java,
    args: jvmArgs({
      classpath: classpath(l),
      mainClass: "org.apache.zookeeper.server.quorum.QuorumPeerMain",
      args: [cfg],
      heapMb: ZOOKEEPER_HEAP_MB,
    }),
    logFile: `${l.stateDir}/logs/${l.role}-zookeeper.log`,
    tag: l.tag,
  });
  await l.record(zk);
  await waitUntil(() => zooKeeperServes(zookeeperPort), {
    what: "ZooKeeper",
    timeoutMs: 60_000,
    children: [zk],
    ...(l.signal === undefined ? {} : { signal: l.signal }),
  });
  const address = `127.0.0.1:${zookeeperPort}`;
  l.logger.debug("ZooKeeper serves; creating SCRAM credentials in it", { address });
  await runKafkaTool(
    l,
    RUN_CONFIG_COMMANDS_CLASS,
    scramConfigArgs(address, l.scramUsers),
    "create SCRAM users in ZooKeeper",
  );

  const started = [];
  for (let id = 1; id <= l.brokerPorts.length; id++) {
    await writeBrokerConfig(l, id, "zookeeper", address);
    started.push(await startBroker(l, id));
  }
  return {
    brokers: started.map((s) => s.broker),
    children: [zk, ...started.map((s) => s.child)],
    zookeeper: { address, pid: zk.pid, logFile: zk.logFile, dataDir },
  };
}
