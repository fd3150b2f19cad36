/**
 * Ready-to-use kraftover configs for a running sandbox, one per pair of
 * authentication modes (SPEC §5), as YAML text and as a plain object.
 *
 * @module
 */

import { stringify } from "yaml";
import type { SandboxCluster, SandboxInfo } from "./sandbox_info.ts";

/** Authentication pairs, `<source>-<target>`. */
export const SANDBOX_AUTH_PAIRS = [
  "iam-iam",
  "scram-scram",
  "scram-iam",
  "iam-scram",
  "mtls-iam",
  "mtls-mtls",
  "plaintext-plaintext",
  "plaintext-scram",
  "plaintext-mtls",
  "plaintext-iam",
] as const;

/** One authentication pair, `<source>-<target>`. */
export type SandboxAuthPair = typeof SANDBOX_AUTH_PAIRS[number];

/** A config for one pair. */
export interface SandboxConfig {
  /** The pair. */
  pair: SandboxAuthPair;
  /** The config file's text (root key `migration:`). */
  yaml: string;
  /** The same as a plain object. */
  object: { migration: Record<string, unknown> };
}

/** Options for {@linkcode sandboxConfigs}. */
export interface SandboxConfigsOptions {
  /** Address clusters by `bootstrap_servers`, or by `cluster_arn` resolved through the MSK fake. @default "bootstrap" */
  addressing?: "bootstrap" | "arn";
  /** SCRAM mechanism for scram sides. @default "scram-sha-512" */
  scramMechanism?: "scram-sha-512" | "scram-sha-256";
}

type Side = "plaintext" | "scram" | "mtls" | "iam";

function clusterConfig(
  info: SandboxInfo,
  cluster: SandboxCluster,
  side: Side,
  options: SandboxConfigsOptions,
): Record<string, unknown> {
  const where = options.addressing === "arn"
    ? { cluster_arn: cluster.clusterArn, region: info.region, msk_endpoint: info.msk.endpoint }
    : { bootstrap_servers: cluster.bootstrap[side], region: info.region };
  switch (side) {
    case "plaintext":
      return { ...where, auth: { mode: "plaintext" }, tls: false };
    case "scram":
      return {
        ...where,
        auth: {
          mode: options.scramMechanism ?? "scram-sha-512",
          username: info.scram.users.admin.username,
          password: info.scram.users.admin.password,
        },
        // The sandbox's SCRAM listener is SASL_PLAINTEXT (MSK's is SASL_SSL).
        tls: false,
      };
    case "mtls":
      return {
        ...where,
        auth: {
          mode: "mtls",
          ca_file: info.tls.caFile,
          cert_file: info.tls.adminCertFile,
          key_file: info.tls.adminKeyFile,
        },
      };
    case "iam":
      return {
        ...where,
        auth: { mode: "iam", profile: info.iam.profiles.admin.profile },
        tls: { ca_file: info.tls.caFile },
      };
  }
}

/**
 * A config per authentication pair, pointing at the sandbox's source and
 * target with admin identities, its backup bucket and its Object Lock
 * evidence bucket. IAM sides use the profile `kraftover-sandbox-admin`:
 * export the info's `env` (AWS_SHARED_CREDENTIALS_FILE, AWS_CONFIG_FILE) first.
 *
 * @example
 * ```ts ignore
 * import { loadSandboxInfo } from "./sandbox_info.ts";
 * import { sandboxConfigs } from "./sandbox_configs.ts";
 * const configs = sandboxConfigs(await loadSandboxInfo());
 * await Deno.writeTextFile("migration.yaml", configs["scram-iam"].yaml);
 * ```
 */
export function sandboxConfigs(
  info: SandboxInfo,
  options: SandboxConfigsOptions = {},
): Record<SandboxAuthPair, SandboxConfig> {
  const out = {} as Record<SandboxAuthPair, SandboxConfig>;
  for (const pair of SANDBOX_AUTH_PAIRS) {
    const [s, t] = pair.split("-") as [Side, Side];
    const migration = {
      source: clusterConfig(info, info.source, s, options),
      target: clusterConfig(info, info.target, t, options),
      backup: {
        s3_bucket: info.s3.buckets.backup,
        endpoint: info.s3.endpoint,
        region: info.s3.region,
      },
      evidence: {
        s3_bucket: info.s3.buckets.evidence,
        endpoint: info.s3.endpoint,
        region: info.s3.region,
        object_lock_mode: "COMPLIANCE",
        retention: "1d",
        signing_key_path: info.evidence.signingKeyPath,
      },
    };
    const object = { migration };
    const header =
      `# kraftover sandbox config: ${s} source (${info.source.mode}, Kafka ${info.source.kafkaVersion}) -> ` +
      `${t} target (${info.target.mode}, Kafka ${info.target.kafkaVersion}).\n` +
      (pair.includes("iam")
        ? `# Needs AWS_SHARED_CREDENTIALS_FILE=${info.iam.credentialsFile}\n`
        : "");
    out[pair] = { pair, object, yaml: header + stringify(object, { lineWidth: 0 }) };
  }
  return out;
}
