/**
 * The configuration schema (SPEC §4), the single source of truth for
 * validation, defaults, the published JSON Schema (`kraftover schema`) and
 * `docs/configuration.md`.
 *
 * @module
 */

import { z } from "zod";
import { DURATION_PATTERN, parseDuration, parseSize, SIZE_PATTERN } from "./units.ts";
import { Secret } from "../secret.ts";
import type { AuthMode, MigrationConfig } from "./types.ts";
import type { BuiltinName } from "../../plugins/options.ts";
import {
  builtinPluginOptionsSchema,
  freezeWebhookShorthandSchema,
} from "../../plugins/_options.ts";

/** Authentication modes (SPEC §5). */
export const AUTH_MODES: readonly ["iam", "scram-sha-512", "scram-sha-256", "mtls", "plaintext"] = [
  "iam",
  "scram-sha-512",
  "scram-sha-256",
  "mtls",
  "plaintext",
] as const;

/** Which auth fields belong to which mode; used to explain misplaced fields. */
export const AUTH_FIELDS_BY_MODE: Readonly<Record<AuthMode, readonly string[]>> = {
  "iam": ["profile", "role_arn", "session_name"],
  "scram-sha-512": ["username", "password"],
  "scram-sha-256": ["username", "password"],
  "mtls": ["ca_file", "cert_file", "key_file", "key_password"],
  "plaintext": [],
};

/** Fields required by each mode. */
const AUTH_REQUIRED: Readonly<Record<AuthMode, readonly string[]>> = {
  "iam": [],
  "scram-sha-512": ["username", "password"],
  "scram-sha-256": ["username", "password"],
  "mtls": ["cert_file", "key_file"],
  "plaintext": [],
};

/** Keys whose values are paths to files that must be readable when the config loads. */
export const FILE_FIELDS: readonly string[] = [
  "ca_file",
  "cert_file",
  "key_file",
  "signing_key_path",
];

/** Builtin hook plugin names (SPEC §10). */
export const BUILTIN_PLUGINS: readonly BuiltinName[] = [
  "webhook-freeze",
  "manual-freeze",
  "webhook-notify",
  "slack-notify",
  "log-notify",
  "webhook-switch",
] as const;

function duration(description: string) {
  return z.string()
    .regex(new RegExp(DURATION_PATTERN), {
      error: "expected a duration such as 500ms, 30s, 30m, 2h, 7d or 7y",
    })
    .transform((text) => parseDuration(text) as number)
    .describe(description);
}

function size(description: string) {
  return z.union([
    z.int().nonnegative(),
    z.string().regex(new RegExp(SIZE_PATTERN, "i"), {
      error: "expected a size such as 32MiB, 1GB or a byte count",
    }),
  ], { error: "expected a size such as 32MiB, 1GB or a byte count" })
    .transform((value) => parseSize(value) as number)
    .describe(description);
}

function secret(description: string) {
  return z.string().min(1).transform((value) => new Secret(value)).meta({
    description,
    writeOnly: true,
    "x-secret": true,
  });
}

function filePath(description: string) {
  return z.string().min(1).describe(description);
}

const regexString = z.string().superRefine((value, ctx) => {
  try {
    new RegExp(value);
  } catch (error) {
    ctx.addIssue({
      code: "custom",
      message: `expected a valid regular expression (${(error as Error).message})`,
    });
  }
});

const hostPort = z.string().regex(/^[^\s:,]+:\d{1,5}$/, {
  error: "expected host:port, for example b-1.example.com:9098",
});

const hostPortList = z.string().regex(/^[^\s:,]+:\d{1,5}(,[^\s:,]+:\d{1,5})*$/, {
  error: "expected host:port[,host:port…], for example b-1.example.com:9098",
});

const authSchema = z.strictObject({
  mode: z.enum(AUTH_MODES).describe("How kraftover authenticates to this cluster."),
  username: z.string().min(1).optional().describe("SCRAM user name."),
  password: secret("SCRAM password. Use ${ENV_VAR} interpolation rather than a literal.")
    .optional(),
  ca_file: filePath("mTLS: PEM file with the CA that signed the brokers' certificates.")
    .optional(),
  cert_file: filePath("mTLS: PEM client certificate.").optional(),
  key_file: filePath("mTLS: PEM private key of the client certificate.").optional(),
  key_password: secret("mTLS: passphrase of an encrypted private key.").optional(),
  profile: z.string().min(1).optional().describe(
    "IAM: AWS shared-config profile; the standard credential chain when unset.",
  ),
  role_arn: z.string().regex(/^arn:aws[\w-]*:iam::\d{12}:role\/.+$/, {
    error: "expected an IAM role ARN such as arn:aws:iam::123456789012:role/migrator",
  }).optional().describe("IAM: role to assume for Kafka and MSK API access."),
  session_name: z.string().min(1).optional().describe(
    "IAM: session name when assuming role_arn.",
  ),
}).superRefine((auth, ctx) => {
  const allowed = new Set(["mode", ...AUTH_FIELDS_BY_MODE[auth.mode]]);
  for (const key of Object.keys(auth)) {
    if (allowed.has(key) || (auth as Record<string, unknown>)[key] === undefined) continue;
    const owners = AUTH_MODES.filter((m) => AUTH_FIELDS_BY_MODE[m].includes(key));
    ctx.addIssue({
      code: "custom",
      path: [key],
      message: `${key} does not apply to auth mode ${auth.mode}` +
        (owners.length > 0 ? ` (it belongs to ${owners.join(", ")})` : ""),
      params: { hint: `remove ${key}, or set mode to ${owners[0] ?? "another mode"}` },
    });
  }
  for (const key of AUTH_REQUIRED[auth.mode]) {
    if ((auth as Record<string, unknown>)[key] === undefined) {
      ctx.addIssue({
        code: "custom",
        path: [],
        message: `${key} is required with auth mode ${auth.mode}`,
        params: { hint: `add ${key} under auth` },
      });
    }
  }
}).meta({
  id: "Auth",
  description: "Authentication (SPEC §5). Fields that do not fit the mode are refused.",
});

const tlsSchema = z.union([
  z.boolean(),
  z.strictObject({
    ca_file: filePath("PEM file with the CA to trust (the system CAs when unset).").optional(),
    server_name: z.string().optional().describe("TLS server name (SNI) override."),
  }),
]).describe(
  "TLS without client certificates: true/false, or an object. Defaults: on for iam, " +
    "scram-* and mtls (as MSK requires), off for plaintext.",
);

const clusterSchema = z.strictObject({
  cluster_arn: z.string().regex(/^arn:aws[\w-]*:kafka:[a-z0-9-]+:\d{12}:cluster\/.+\/.+$/, {
    error:
      "expected an MSK cluster ARN such as arn:aws:kafka:eu-west-1:123456789012:cluster/name/uuid",
  }).optional().describe(
    "MSK cluster ARN; bootstrap brokers are resolved through the MSK API for the auth mode.",
  ),
  bootstrap_servers: z.union([z.array(hostPort).min(1), hostPortList], {
    error: "expected a list of host:port, or one comma-separated string of them",
  })
    .transform((v) => (Array.isArray(v) ? v : v.split(",")))
    .optional()
    .describe("host:port list of any Kafka cluster; overrides the ARN's brokers."),
  region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, {
    error: "expected an AWS region such as eu-west-1",
  }).optional().describe("AWS region (defaults to the ARN's region)."),
  msk_endpoint: z.url().optional().describe(
    "Override of the MSK API endpoint (for example a local fake).",
  ),
  auth: authSchema,
  tls: tlsSchema.optional(),
  client_id: z.string().default("kraftover").describe("Kafka client id prefix."),
}).superRefine((cluster, ctx) => {
  if (cluster.cluster_arn === undefined && cluster.bootstrap_servers === undefined) {
    ctx.addIssue({
      code: "custom",
      path: [],
      message: "needs cluster_arn or bootstrap_servers",
      params: {
        hint: "add cluster_arn: arn:aws:kafka:… for MSK, or bootstrap_servers: [host:port] " +
          "for any Kafka",
      },
    });
  }
}).meta({ id: "Cluster", description: "A Kafka cluster: MSK by ARN or any Kafka by address." });

const storeFields = {
  s3_bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, {
    error: "expected an S3 bucket name (3-63 lowercase letters, digits, dots, hyphens)",
  }).optional().describe("S3 bucket."),
  s3_prefix: z.string().default("").describe("Key prefix inside the bucket."),
  region: z.string().optional().describe("Bucket region (defaults to the source's region)."),
  endpoint: z.url().optional().describe(
    "S3-compatible endpoint (path-style addressing is used when set).",
  ),
  kms_key_arn: z.string().regex(/^arn:aws[\w-]*:kms:/, {
    error: "expected a KMS key ARN",
  }).optional().describe("SSE-KMS key for objects written."),
  directory: z.string().optional().describe(
    "Local directory instead of S3 (rehearsals, air-gapped runs).",
  ),
} as const;

function requireOneStore(
  store: { s3_bucket?: string | undefined; directory?: string | undefined },
  ctx: z.RefinementCtx,
) {
  if (store.s3_bucket === undefined && store.directory === undefined) {
    ctx.addIssue({
      code: "custom",
      path: [],
      message: "needs s3_bucket or directory",
      params: { hint: "add s3_bucket: my-bucket (or directory: ./staging for local runs)" },
    });
  }
  if (store.s3_bucket !== undefined && store.directory !== undefined) {
    ctx.addIssue({
      code: "custom",
      path: ["directory"],
      message: "cannot be combined with s3_bucket",
      params: { hint: "keep either s3_bucket or directory" },
    });
  }
}

const backupSchema = z.strictObject(storeFields).superRefine(requireOneStore)
  .describe("Staging store for the seed's segments.");

const evidenceSchema = z.strictObject({
  ...storeFields,
  signing_key_path: filePath(
    "Ed25519 private key (PEM, from `kraftover keygen`) used to sign the bundle.",
  ).optional(),
  retention: duration("Object Lock retention of the evidence bundle, e.g. 7y.").optional(),
  object_lock_mode: z.enum(["COMPLIANCE", "GOVERNANCE"]).optional().describe(
    "S3 Object Lock mode for the bundle (needs retention).",
  ),
}).superRefine(requireOneStore).superRefine((ev, ctx) => {
  if (ev.object_lock_mode !== undefined && ev.retention === undefined) {
    ctx.addIssue({
      code: "custom",
      path: ["object_lock_mode"],
      message: "needs retention",
      params: { hint: "add retention: 7y (or remove object_lock_mode)" },
    });
  }
}).describe("Where the signed evidence bundle is stored.");

const hookEntrySchema = z.union([
  z.string().min(1).describe("Path to a TypeScript module (relative to this file)."),
  builtinPluginOptionsSchema.meta({
    id: "BuiltinPlugin",
    description: "A builtin hook plugin and its options (docs/hooks.md).",
  }),
]);

const DEFAULT_SKIP_PRINCIPALS = ["User:ANONYMOUS"];

/** The schema of the object under `migration:` (or `enterprise: msk_kraft_migration:`). */
const migrationSchemaDef = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{2,62}$/, {
    error: "expected a migration id of 3-63 lowercase letters, digits and hyphens",
  }).optional().describe(
    "Fixed migration id; generated at the first journal write when unset.",
  ),
  enabled: z.boolean().default(true).describe(
    "Accepted for kafka-backup compatibility; false makes every mutating command refuse.",
  ),
  source: clusterSchema.describe("The cluster migrated from (ZooKeeper mode, Kafka ≥ 2.8)."),
  target: clusterSchema.describe("The cluster migrated to (KRaft mode, Kafka ≥ 3.7)."),
  topics: z.strictObject({
    include: z.array(regexString).default([".*"]).describe(
      "Regular expressions of topics to migrate (anchored).",
    ),
    exclude: z.array(regexString).default([]).describe(
      "Regular expressions of topics to leave out (anchored). Internal topics are always left out.",
    ),
  }).prefault({}),
  backup: backupSchema.optional(),
  seed: z.strictObject({
    via: z.enum(["staged", "direct"]).default("staged").describe(
      "staged: source → backup store → target; direct: source → target.",
    ),
    max_concurrent_partitions: z.int().min(1).max(256).default(4).describe(
      "Partitions copied at once.",
    ),
    segment_max_bytes: size("Largest staged segment (uncompressed).").prefault("32MiB"),
    compression: z.enum(["zstd", "gzip", "none"]).default("zstd").describe(
      "Compression of staged segments.",
    ),
  }).prefault({}),
  cutover: z.strictObject({
    drain_timeout: duration("Longest wait for lag to converge.").prefault("30m"),
    drain_max_partition_lag: z.int().min(0).default(100).describe(
      "Records; every partition must be at or below this to be drain-ready.",
    ),
    drain_stable_window: duration("How long lag must stay below the threshold.").prefault("30s"),
    max_producer_freeze: duration("Longest producer freeze window.").prefault("60s"),
    producer_freeze_webhook: freezeWebhookShorthandSchema.optional(),
    sentinels: z.boolean().default(true).describe(
      "Write a sentinel record per partition on the source at cutover.",
    ),
    reverse_replication_enabled: z.literal(false, {
      error: "reverse replication is not supported; set false or remove it",
    }).optional().describe("Accepted for kafka-backup compatibility; must be false."),
  }).prefault({}),
  topology: z.strictObject({
    on_config_drift: z.enum(["overwrite_with_source", "keep_target", "refuse"]).default("refuse")
      .describe("What to do when a topic already on the target has other configs."),
    replication_factor: z.int().min(1).optional().describe(
      "Replication factor of created topics (default: the source's, capped by target brokers).",
    ),
  }).prefault({}),
  acl: z.strictObject({
    on_drift: z.enum(["merge", "replace", "refuse"]).default("merge").describe(
      "merge adds missing bindings; replace also removes extra target bindings; refuse stops.",
    ),
    skip_principals: z.array(z.string()).default(DEFAULT_SKIP_PRINCIPALS).describe(
      "Principals whose ACLs are not copied (MSK's internal principals are always skipped).",
    ),
  }).prefault({}),
  validation: z.strictObject({
    count_tolerance: z.int().min(0).default(1).describe(
      "Allowed difference between expected and actual per-partition counts.",
    ),
    spot_check_records_per_partition: z.int().min(0).default(3).describe(
      "Records compared byte for byte per partition (first, last, random).",
    ),
  }).prefault({}),
  evidence: evidenceSchema.optional(),
  hooks: z.array(hookEntrySchema).default([]).describe(
    "Hook plugins in order: a path to a TypeScript module, or { builtin: NAME, ...options }.",
  ),
  pricing: z.strictObject({
    date: z.string().optional().describe("Date of the price table."),
    source: z.string().optional().describe("Where the prices come from."),
    s3_put_per_1000: z.number().nonnegative().optional(),
    s3_get_per_1000: z.number().nonnegative().optional(),
    s3_storage_gb_month: z.number().nonnegative().optional(),
    transfer_inter_az_per_gb: z.number().nonnegative().optional(),
    transfer_inter_region_per_gb: z.number().nonnegative().optional(),
  }).optional().describe("Overrides of the price table used by `plan --format cost`."),
}).superRefine((m, ctx) => {
  if (m.seed.via === "staged" && m.backup === undefined) {
    ctx.addIssue({
      code: "custom",
      path: [],
      message: "needs backup (seed.via is staged)",
      params: { hint: "add backup: { s3_bucket: … } or set seed.via: direct" },
    });
  }
}).meta({ id: "Migration", description: "One migration from source to target." });

/** The schema of the object under `migration:` (or `enterprise: msk_kraft_migration:`). */
export const migrationSchema: z.ZodType<MigrationConfig, unknown> = migrationSchemaDef;

/** The validated config type as zod infers it (checked against {@linkcode MigrationConfig} in tests). */
export type InferredMigrationConfig = z.output<typeof migrationSchemaDef>;

/** The root document: `migration:` or kafka-backup's `enterprise: msk_kraft_migration:`. */
export const configFileSchema: z.ZodType<unknown, unknown> = z.union([
  z.strictObject({ migration: migrationSchemaDef }),
  z.strictObject({ enterprise: z.strictObject({ msk_kraft_migration: migrationSchemaDef }) }),
]);
