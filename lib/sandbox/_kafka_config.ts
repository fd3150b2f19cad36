/**
 * The sandbox brokers' `server.properties` and JVM command lines (pure
 * functions: no files, no processes).
 *
 * Every broker has these listeners on 127.0.0.1:
 *
 * | name       | protocol       | clients authenticate with                          |
 * |------------|----------------|----------------------------------------------------|
 * | INTERNAL   | PLAINTEXT      | nothing: inter-broker traffic (User:ANONYMOUS)     |
 * | CONTROLLER | PLAINTEXT      | nothing: KRaft controller quorum (KRaft only)      |
 * | PLAINTEXT  | PLAINTEXT      | nothing: User:ANONYMOUS, a super user (admin)      |
 * | SCRAM      | SASL_PLAINTEXT | SCRAM-SHA-512 or SCRAM-SHA-256                     |
 * | MTLS       | SSL            | a client certificate from the sandbox CA (required)|
 * | IAM        | SASL_SSL       | OAUTHBEARER with an MSK-IAM-style SigV4 token      |
 *
 * @module
 */

import { IAM_CALLBACK_HANDLER_CLASS } from "./_java_classes.ts";

/** Ports of one broker. */
export interface BrokerPorts {
  /** Inter-broker listener. */
  internal: number;
  /** KRaft controller listener (KRaft only). */
  controller?: number;
  /** PLAINTEXT client listener. */
  plaintext: number;
  /** SASL_PLAINTEXT SCRAM listener. */
  scram: number;
  /** SSL listener requiring client certificates. */
  mtls: number;
  /** SASL_SSL OAUTHBEARER (MSK IAM) listener. */
  iam: number;
}

/** What {@linkcode brokerProperties} needs. */
export interface BrokerPropertiesInput {
  /** ZooKeeper mode or combined broker+controller KRaft mode. */
  mode: "zookeeper" | "kraft";
  /** Apache Kafka version, e.g. `3.9.2`. */
  kafkaVersion: string;
  /** broker.id / node.id, from 1. */
  nodeId: number;
  /** Ports of every broker of the cluster, index = nodeId - 1. */
  cluster: BrokerPorts[];
  /** ZooKeeper connection string (ZooKeeper mode). */
  zookeeperConnect?: string;
  /** Data directory. */
  logDir: string;
  /** PKCS12 keystore with the broker certificate. */
  keystore: string;
  /** Its password. */
  keystorePassword: string;
  /** PEM file of the CA that signs client certificates. */
  caFile: string;
  /** Properties file of IAM identities for the token validator. */
  iamIdentitiesFile: string;
  /** Region that IAM tokens must be signed for. */
  region: string;
  /** Super users, e.g. `User:ANONYMOUS`. */
  superUsers: string[];
}

/** Kafka's authorizer class for a mode. */
export function authorizerClass(mode: "zookeeper" | "kraft"): string {
  return mode === "zookeeper"
    ? "kafka.security.authorizer.AclAuthorizer"
    : "org.apache.kafka.metadata.authorizer.StandardAuthorizer";
}

function majorOf(version: string): number {
  return Number(version.split(".")[0]);
}

/**
 * A broker's `server.properties`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { brokerProperties } from "./_kafka_config.ts";
 * const ports = { internal: 1, controller: 2, plaintext: 3, scram: 4, mtls: 5, iam: 6 };
 * const text = brokerProperties({
 *   mode: "kraft", kafkaVersion: "4.4.0", nodeId: 1, cluster: [ports], logDir: "/tmp/d",
 *   keystore: "/k.p12", keystorePassword: "pw", caFile: "/ca.pem", iamIdentitiesFile: "/i",
 *   region: "eu-west-1", superUsers: ["User:ANONYMOUS"],
 * });
 * assert.ok(text.includes("controller.quorum.voters=1@127.0.0.1:2"));
 * ```
 */
export function brokerProperties(input: BrokerPropertiesInput): string {
  const me = input.cluster[input.nodeId - 1];
  if (me === undefined) throw new Error(`No ports for node ${input.nodeId}`);
  const n = input.cluster.length;
  const kraft = input.mode === "kraft";
  const listeners = [
    `INTERNAL://127.0.0.1:${me.internal}`,
    `PLAINTEXT://127.0.0.1:${me.plaintext}`,
    `SCRAM://127.0.0.1:${me.scram}`,
    `MTLS://127.0.0.1:${me.mtls}`,
    `IAM://127.0.0.1:${me.iam}`,
  ];
  const p: Array<[string, string | number | boolean]> = [];
  const set = (k: string, v: string | number | boolean) => p.push([k, v]);

  if (kraft) {
    set("process.roles", "broker,controller");
    set("node.id", input.nodeId);
    set(
      "controller.quorum.voters",
      input.cluster.map((b, i) => `${i + 1}@127.0.0.1:${b.controller}`).join(","),
    );
    set("controller.listener.names", "CONTROLLER");
    set("listeners", [...listeners, `CONTROLLER://127.0.0.1:${me.controller}`].join(","));
  } else {
    set("broker.id", input.nodeId);
    set("zookeeper.connect", input.zookeeperConnect ?? "");
    set("zookeeper.connection.timeout.ms", 30000);
    set("listeners", listeners.join(","));
  }
  set("advertised.listeners", listeners.join(","));
  set(
    "listener.security.protocol.map",
    "INTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SCRAM:SASL_PLAINTEXT,MTLS:SSL,IAM:SASL_SSL",
  );
  set("inter.broker.listener.name", "INTERNAL");
  set("log.dirs", input.logDir);

  // SCRAM (SASL_PLAINTEXT)
  set("listener.name.scram.sasl.enabled.mechanisms", "SCRAM-SHA-512,SCRAM-SHA-256");
  set(
    "listener.name.scram.scram-sha-512.sasl.jaas.config",
    "org.apache.kafka.common.security.scram.ScramLoginModule required;",
  );
  set(
    "listener.name.scram.scram-sha-256.sasl.jaas.config",
    "org.apache.kafka.common.security.scram.ScramLoginModule required;",
  );

  // TLS for MTLS and IAM
  set("ssl.keystore.type", "PKCS12");
  set("ssl.keystore.location", input.keystore);
  set("ssl.keystore.password", input.keystorePassword);
  set("ssl.key.password", input.keystorePassword);
  set("ssl.truststore.type", "PEM");
  set("ssl.truststore.location", input.caFile);
  set("listener.name.mtls.ssl.client.auth", "required");
  set("listener.name.iam.ssl.client.auth", "none");
  // CN=kraftover-admin,OU=sandbox,O=kraftover -> User:kraftover-admin
  set("ssl.principal.mapping.rules", "RULE:^CN=([a-zA-Z0-9._-]+).*$/$1/,DEFAULT");

  // MSK-IAM-style OAUTHBEARER (SASL_SSL)
  set("listener.name.iam.sasl.enabled.mechanisms", "OAUTHBEARER");
  set(
    "listener.name.iam.oauthbearer.sasl.jaas.config",
    `org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required kraftoverCredentialsFile="${input.iamIdentitiesFile}" kraftoverRegion="${input.region}";`,
  );
  set(
    "listener.name.iam.oauthbearer.sasl.server.callback.handler.class",
    IAM_CALLBACK_HANDLER_CLASS,
  );
  set(
    "listener.name.iam.oauthbearer.sasl.login.callback.handler.class",
    IAM_CALLBACK_HANDLER_CLASS,
  );

  // Authorization
  set("authorizer.class.name", authorizerClass(input.mode));
  set("super.users", input.superUsers.join(";"));
  set("allow.everyone.if.no.acl.found", false);

  // A realistic small cluster
  set("auto.create.topics.enable", false);
  set("delete.topic.enable", true);
  set("num.partitions", 1);
  set("default.replication.factor", Math.min(3, n));
  set("min.insync.replicas", 1);
  set("offsets.topic.replication.factor", n);
  set("offsets.topic.num.partitions", 10);
  set("transaction.state.log.replication.factor", n);
  set("transaction.state.log.min.isr", Math.min(2, n));
  set("group.initial.rebalance.delay.ms", 0);
  set("log.cleaner.backoff.ms", 200);
  // The cleaner allocates this buffer again on every dynamic broker-config change; keep it small.
  set("log.cleaner.dedupe.buffer.size", 16 * 1024 * 1024);
  set("log.retention.check.interval.ms", 10000);
  if (majorOf(input.kafkaVersion) >= 4) {
    set("share.coordinator.state.topic.replication.factor", n);
    set("share.coordinator.state.topic.min.isr", Math.min(2, n));
  }
  return [
    `# Generated by kraftover's sandbox: ${input.mode} broker ${input.nodeId} of ${n}, Apache Kafka ${input.kafkaVersion}`,
    ...p.map(([k, v]) => `${k}=${String(v)}`),
    "",
  ].join("\n");
}

/** ZooKeeper's `zoo.cfg` for a standalone server. */
export function zooKeeperConfig(dataDir: string, port: number): string {
  return [
    "# Generated by kraftover's sandbox: standalone ZooKeeper",
    "tickTime=2000",
    `dataDir=${dataDir}`,
    `clientPort=${port}`,
    "clientPortAddress=127.0.0.1",
    "maxClientCnxns=0",
    "admin.enableServer=false",
    "4lw.commands.whitelist=srvr,ruok",
    "",
  ].join("\n");
}

/** Options for {@linkcode jvmArgs}. */
export interface JvmArgsInput {
  /** Classpath entries. */
  classpath: string[];
  /** Main class. */
  mainClass: string;
  /** Program arguments. */
  args: string[];
  /** Maximum heap in MiB. */
  heapMb: number;
  /** A short-lived tool: favour start-up time over peak speed. @default false */
  tool?: boolean;
}

/**
 * JVM arguments: a small heap, the serial collector, logs to stderr (slf4j-simple).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { jvmArgs } from "./_kafka_config.ts";
 * const a = jvmArgs({ classpath: ["/l/*"], mainClass: "kafka.Kafka", args: ["s.properties"], heapMb: 512 });
 * assert.ok(a.includes("-Xmx512m") && a.at(-1) === "s.properties");
 * ```
 */
export function jvmArgs(input: JvmArgsInput): string[] {
  return [
    `-Xmx${input.heapMb}m`,
    `-Xms${Math.min(64, input.heapMb)}m`,
    "-XX:+UseSerialGC",
    "-XX:+ExitOnOutOfMemoryError",
    "-Djava.awt.headless=true",
    ...(input.tool ? ["-XX:TieredStopAtLevel=1", "-Xshare:auto"] : []),
    "-Dorg.slf4j.simpleLogger.showDateTime=true",
    "-Dorg.slf4j.simpleLogger.dateTimeFormat=yyyy-MM-dd'T'HH:mm:ss.SSS",
    "-Dorg.slf4j.simpleLogger.log.kafka.request.logger=warn",
    "-Dorg.slf4j.simpleLogger.log.state.change.logger=warn",
    "-Dzookeeper.admin.enableServer=false",
    "-cp",
    input.classpath.join(":"),
    input.mainClass,
    ...input.args,
  ];
}
