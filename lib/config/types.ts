/**
 * The validated configuration's types. They mirror the YAML (snake_case keys)
 * after defaults are applied: durations are milliseconds, sizes are bytes,
 * secrets are {@linkcode Secret}s and file paths are absolute.
 * `schema_test.ts` checks that these types and the zod schema agree.
 *
 * @module
 */

import type { Secret } from "../secret.ts";
import type { BuiltinPluginOptions, WebhookFreezeOptions } from "../../plugins/options.ts";

/** Authentication modes (SPEC §5). */
export type AuthMode = "iam" | "scram-sha-512" | "scram-sha-256" | "mtls" | "plaintext";

/** How kraftover authenticates to one cluster. */
export interface AuthConfig {
  /** The mode; the other fields must fit it. */
  mode: AuthMode;
  /** SCRAM user name. */
  username?: string | undefined;
  /** SCRAM password. */
  password?: Secret | undefined;
  /** mTLS: CA that signed the brokers' certificates (absolute path). */
  ca_file?: string | undefined;
  /** mTLS: client certificate (absolute path). */
  cert_file?: string | undefined;
  /** mTLS: client private key (absolute path). */
  key_file?: string | undefined;
  /** mTLS: passphrase of an encrypted key. */
  key_password?: Secret | undefined;
  /** IAM: AWS profile; the standard credential chain when unset. */
  profile?: string | undefined;
  /** IAM: role to assume. */
  role_arn?: string | undefined;
  /** IAM: session name when assuming `role_arn`. */
  session_name?: string | undefined;
}

/** TLS without client certificates. */
export interface TlsConfig {
  /** CA to trust (absolute path); the system CAs when unset. */
  ca_file?: string | undefined;
  /** Server name (SNI) override. */
  server_name?: string | undefined;
}

/** A source or target cluster. */
export interface ClusterConfig {
  /** MSK cluster ARN (bootstrap brokers resolved through the MSK API). */
  cluster_arn?: string | undefined;
  /** host:port list; overrides the ARN's brokers. */
  bootstrap_servers?: string[] | undefined;
  /** AWS region. */
  region?: string | undefined;
  /** MSK API endpoint override. */
  msk_endpoint?: string | undefined;
  /** Authentication. */
  auth: AuthConfig;
  /** TLS: a boolean or options; the mode's default when unset. */
  tls?: boolean | TlsConfig | undefined;
  /** Kafka client id prefix. */
  client_id: string;
}

/** A backup (staging) or evidence store: S3 or a local directory. */
export interface StoreConfig {
  /** S3 bucket. */
  s3_bucket?: string | undefined;
  /** Key prefix. */
  s3_prefix: string;
  /** Bucket region. */
  region?: string | undefined;
  /** S3-compatible endpoint. */
  endpoint?: string | undefined;
  /** SSE-KMS key. */
  kms_key_arn?: string | undefined;
  /** Local directory instead of S3. */
  directory?: string | undefined;
}

/** Where and how the evidence bundle is stored and signed. */
export interface EvidenceConfig extends StoreConfig {
  /** Ed25519 private key (absolute path). */
  signing_key_path?: string | undefined;
  /** Object Lock retention in milliseconds. */
  retention?: number | undefined;
  /** Object Lock mode. */
  object_lock_mode?: "COMPLIANCE" | "GOVERNANCE" | undefined;
}

/** A builtin hook plugin and its options (defined with the plugins). */
export type BuiltinPluginConfig = BuiltinPluginOptions;

/** One hook entry: a module path (absolute) or a builtin. */
export type HookEntryConfig = string | BuiltinPluginOptions;

/** A validated migration config. */
export interface MigrationConfig {
  /** Fixed migration id, when given. */
  id?: string | undefined;
  /** false makes every mutating command refuse. */
  enabled: boolean;
  /** The cluster migrated from. */
  source: ClusterConfig;
  /** The cluster migrated to. */
  target: ClusterConfig;
  /** Topic selection (anchored regular expressions). */
  topics: { include: string[]; exclude: string[] };
  /** Staging store for the seed. */
  backup?: StoreConfig | undefined;
  /** Seed settings. */
  seed: {
    via: "staged" | "direct";
    max_concurrent_partitions: number;
    /** Bytes. */
    segment_max_bytes: number;
    compression: "zstd" | "gzip" | "none";
  };
  /** Cutover settings (durations in milliseconds). */
  cutover: {
    drain_timeout: number;
    drain_max_partition_lag: number;
    drain_stable_window: number;
    max_producer_freeze: number;
    producer_freeze_webhook?: string | WebhookFreezeOptions | undefined;
    sentinels: boolean;
    reverse_replication_enabled?: false | undefined;
  };
  /** Topology copy policy. */
  topology: {
    on_config_drift: "overwrite_with_source" | "keep_target" | "refuse";
    replication_factor?: number | undefined;
  };
  /** ACL copy policy. */
  acl: { on_drift: "merge" | "replace" | "refuse"; skip_principals: string[] };
  /** Validation settings. */
  validation: { count_tolerance: number; spot_check_records_per_partition: number };
  /** Evidence store and signing. */
  evidence?: EvidenceConfig | undefined;
  /** Hook plugins in order. */
  hooks: HookEntryConfig[];
  /** Price table overrides for `plan --format cost`. */
  pricing?: {
    date?: string | undefined;
    source?: string | undefined;
    s3_put_per_1000?: number | undefined;
    s3_get_per_1000?: number | undefined;
    s3_storage_gb_month?: number | undefined;
    transfer_inter_az_per_gb?: number | undefined;
    transfer_inter_region_per_gb?: number | undefined;
  } | undefined;
}
