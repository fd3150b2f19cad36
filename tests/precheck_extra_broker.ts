/**
 * A throwaway single-node KRaft broker for conditions that Kafka does not let
 * a running broker take dynamically (`auto.create.topics.enable` is a
 * read-only broker config): started on 127.0.0.1 from the sandbox's cached
 * Kafka jars with the properties asked for, stopped by the test that started it.
 *
 * @module
 */

import { freePorts } from "../lib/sandbox/_ports.ts";
import { storageToolClass } from "../lib/sandbox/_maven.ts";
import { jvmArgs } from "../lib/sandbox/_kafka_config.ts";
import type { SandboxInfo } from "../lib/sandbox/sandbox_info.ts";
import { randomClusterId } from "../lib/sandbox/_kraft_cluster.ts";
import { connectCluster } from "../lib/kafka/connect.ts";
import { silentLogger } from "../lib/logger.ts";
import { waitFor } from "./precheck_env.ts";

/** A running extra broker. */
export interface ExtraBroker {
  /** `127.0.0.1:PORT` of its PLAINTEXT listener. */
  bootstrap: string;
  /** Its log file. */
  logFile: string;
  /** Stops it (SIGTERM, then SIGKILL) and removes its directory. */
  stop(): Promise<void>;
}

/** Where the sandbox's Kafka jars for the target version are, or undefined. */
export async function extraBrokerLibs(info: SandboxInfo): Promise<string | undefined> {
  const libs = `${info.cacheDir}/kafka/${info.target.kafkaVersion}/libs`;
  try {
    return (await Deno.stat(libs)).isDirectory ? libs : undefined;
  } catch {
    return undefined;
  }
}

/** Starts a single KRaft node (broker and controller) with extra properties; waits until it answers. */
export async function startExtraKraftBroker(
  libs: string,
  properties: Record<string, string>,
): Promise<ExtraBroker> {
  const dir = await Deno.makeTempDir({ prefix: "kraftover-extra-broker-" });
  const [port, controller] = freePorts(2) as [number, number];
  const props: Record<string, string> = {
    "process.roles": "broker,controller",
    "node.id": "1",
    "controller.quorum.voters": `1@127.0.0.1:${controller}`,
    "controller.listener.names": "CONTROLLER",
    "listeners": `PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controller}`,
    "advertised.listeners": `PLAINTEXT://127.0.0.1:${port}`,
    "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
    "inter.broker.listener.name": "PLAINTEXT",
    "log.dirs": `${dir}/data`,
    "offsets.topic.replication.factor": "1",
    "offsets.topic.num.partitions": "1",
    "transaction.state.log.replication.factor": "1",
    "transaction.state.log.min.isr": "1",
    "share.coordinator.state.topic.replication.factor": "1",
    "share.coordinator.state.topic.min.isr": "1",
    "group.initial.rebalance.delay.ms": "0",
    // A reconfiguration (message.max.bytes) restarts the log cleaner, which allocates its dedupe
    // buffer anew: the default 128 MiB does not fit a small heap twice.
    "log.cleaner.dedupe.buffer.size": String(16 * 1024 * 1024),
    ...properties,
  };
  const file = `${dir}/server.properties`;
  await Deno.writeTextFile(
    file,
    Object.entries(props).map(([k, v]) => `${k}=${v}`).join("\n") + "\n",
  );
  const java = "java";
  const format = await new Deno.Command(java, {
    args: jvmArgs({
      classpath: [`${libs}/*`],
      mainClass: await storageToolClass(libs),
      args: ["format", "-t", randomClusterId(), "-c", file],
      heapMb: 256,
      tool: true,
    }),
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!format.success) {
    throw new Error(
      `Cannot format the extra broker: ${new TextDecoder().decode(format.stderr).slice(-2000)}`,
    );
  }
  const logFile = `${dir}/broker.log`;
  const child = new Deno.Command("sh", {
    args: [
      "-c",
      'exec "$@" >"$KRAFTOVER_EXTRA_LOG" 2>&1',
      "sh",
      java,
      ...jvmArgs({ classpath: [`${libs}/*`], mainClass: "kafka.Kafka", args: [file], heapMb: 384 }),
    ],
    env: { KRAFTOVER_EXTRA_LOG: logFile },
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    try {
      child.kill("SIGTERM");
    } catch { /* already gone */ }
    const timer = setTimeout(() => {
      try {
        child.kill("SIGKILL");
      } catch { /* already gone */ }
    }, 15_000);
    const status = await child.status;
    clearTimeout(timer);
    if (Deno.env.get("KRAFTOVER_KEEP_EXTRA_BROKER") === "1") {
      // deno-lint-ignore no-console
      console.log(`Extra broker exited ${status.code}; its files are kept in ${dir}`);
    } else {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  };
  const bootstrap = `127.0.0.1:${port}`;
  try {
    await waitFor(
      `the extra KRaft broker on ${bootstrap} to answer (log: ${logFile})`,
      async () => {
        const c = await connectCluster(
          {
            bootstrap_servers: [bootstrap],
            auth: { mode: "plaintext" },
            client_id: "kraftover-test",
          },
          { label: "extra", logger: silentLogger, attempts: 1, connectionTimeoutMs: 1_000 },
        );
        await c.close();
        return true;
      },
      90_000,
    );
  } catch (error) {
    const tail = (await Deno.readTextFile(logFile).catch(() => "")).split("\n").slice(-30).join(
      "\n",
    );
    await stop();
    throw new Error(`${(error as Error).message}\n--- broker log ---\n${tail}`);
  }
  return { bootstrap, logFile, stop };
}
