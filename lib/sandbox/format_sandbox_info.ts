/**
 * A human description of a running sandbox: addresses, credentials, ARNs,
 * environment to export and start-up time.
 *
 * @module
 */

import type { SandboxCluster, SandboxInfo } from "./sandbox_info.ts";

function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replaceAll("'", `'"'"'`)}'`;
}

function clusterLines(c: SandboxCluster): string[] {
  const title = c.role === "source"
    ? `Source: Apache Kafka ${c.kafkaVersion}, ZooKeeper mode, ${c.brokers.length} broker(s)`
    : `Target: Apache Kafka ${c.kafkaVersion}, KRaft mode (combined broker+controller), ${c.brokers.length} node(s)`;
  return [
    title,
    `  PLAINTEXT       ${c.bootstrap.plaintext.join(",")}   (no auth: User:ANONYMOUS, super user)`,
    `  SASL_PLAINTEXT  ${c.bootstrap.scram.join(",")}   (SCRAM-SHA-512 / SCRAM-SHA-256)`,
    `  SSL (mTLS)      ${c.bootstrap.mtls.join(",")}   (client certificate required)`,
    `  SASL_SSL (IAM)  ${c.bootstrap.iam.join(",")}   (OAUTHBEARER, MSK-IAM SigV4 tokens)`,
    ...(c.zookeeper ? [`  ZooKeeper       ${c.zookeeper.address}`] : []),
    ...(c.clusterId ? [`  cluster id      ${c.clusterId}`] : []),
    `  MSK ARN         ${c.clusterArn}   (kafkaVersion ${c.mskKafkaVersion})`,
  ];
}

/**
 * Formats a sandbox's info for people (secrets included: it is a local sandbox).
 *
 * @example
 * ```ts ignore
 * import { formatSandboxInfo } from "./format_sandbox_info.ts";
 * import { loadSandboxInfo } from "./sandbox_info.ts";
 * console.log(formatSandboxInfo(await loadSandboxInfo()));
 * ```
 */
export function formatSandboxInfo(info: SandboxInfo): string {
  const u = info.scram.users;
  const p = info.iam.profiles;
  return [
    `kraftover sandbox (${info.stateDir}), started ${info.startedAt} in ${
      (info.startupMs / 1000).toFixed(1)
    }s`,
    "",
    ...clusterLines(info.source),
    "",
    ...clusterLines(info.target),
    "",
    `Super users: ${info.superUsers.join(", ")}`,
    "SCRAM users (both clusters, SCRAM-SHA-512 and SCRAM-SHA-256):",
    `  ${u.admin.username} / ${u.admin.password}   (super user)`,
    `  ${u.alice.username} / ${u.alice.password}   (no ACLs)`,
    `  ${u.bob.username} / ${u.bob.password}   (no ACLs)`,
    "mTLS (PEM):",
    `  CA              ${info.tls.caFile}`,
    `  admin           ${info.tls.adminCertFile} + ${info.tls.adminKeyFile}   (User:kraftover-admin, super user)`,
    `  alice           ${info.tls.aliceCertFile} + ${info.tls.aliceKeyFile}   (User:alice, no ACLs)`,
    `  rogue           ${info.tls.rogueCertFile} + ${info.tls.rogueKeyFile}   (other CA: refused)`,
    "IAM (AWS profiles in the credentials file below):",
    `  ${p.admin.profile}   ${p.admin.accessKeyId}   (User:${p.admin.principal}, super user)`,
    `  ${p.app.profile}     ${p.app.accessKeyId}   (User:${p.app.principal}, no ACLs)`,
    `  ${p.wrong.profile}   ${p.wrong.accessKeyId}   (wrong secret: refused)`,
    `  ${p.unknown.profile} ${p.unknown.accessKeyId}   (unknown key: refused)`,
    "",
    `S3 (moto)        ${info.s3.endpoint}   region ${info.s3.region}, path-style`,
    `  buckets        ${info.s3.buckets.backup}, ${info.s3.buckets.evidence} (Object Lock), ${info.s3.buckets.nolock}`,
    `MSK API (fake)   ${info.msk.endpoint}   (KafkaClient endpoint override)`,
    `Evidence key     ${info.evidence.signingKeyPath}`,
    "",
    "Environment for clients:",
    ...Object.entries(info.env).map(([k, v]) => `  export ${k}=${shellQuote(v)}`),
    "",
    `Logs in ${info.stateDir}/logs; stop with: kraftover sandbox down`,
  ].join("\n");
}
