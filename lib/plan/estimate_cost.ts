/**
 * The seed's duration and cost estimate: S3 requests and storage for the
 * staged seed, inter-AZ and inter-region transfer, priced with a stated price
 * table that the config's `pricing:` block overrides. Used by
 * `plan --format cost` (`cost-estimate.json`) and by precheck (I03, W06).
 *
 * @module
 */

import type { MigrationConfig } from "../config/types.ts";
import type { ClusterInventory } from "../inventory/types.ts";
import { regionOfArn } from "../msk/msk_api.ts";

/** Prices in USD. */
export interface Prices {
  /** S3 Standard PUT/COPY/POST/LIST, per 1,000 requests. */
  s3_put_per_1000: number;
  /** S3 Standard GET/SELECT, per 1,000 requests. */
  s3_get_per_1000: number;
  /** S3 Standard storage, per GB-month (first 50 TB). */
  s3_storage_gb_month: number;
  /** Per GB crossing an Availability Zone boundary (the sender's $0.01 plus the receiver's $0.01). */
  transfer_inter_az_per_gb: number;
  /** Per GB sent to another region (typical rate between US and EU regions). */
  transfer_inter_region_per_gb: number;
}

/** A price table: prices, their date and source, and which were overridden by the config. */
export interface PriceTable {
  /** Date the prices were read (config `pricing.date` when overridden). */
  date: string;
  /** Where they come from. */
  source: string;
  /** What they are: region and tier. */
  note: string;
  /** The prices. */
  prices: Prices;
  /** Price fields set by the config's `pricing:` block, sorted. */
  overridden: string[];
}

/**
 * The built-in price table: AWS list prices for us-east-1 (S3 Standard, EC2
 * data transfer). Override any of them, and the date and source, with the
 * config's `pricing:` block.
 */
export const DEFAULT_PRICE_TABLE: Readonly<PriceTable> = {
  date: "2025-01-01",
  source:
    "https://aws.amazon.com/s3/pricing/ and https://aws.amazon.com/ec2/pricing/on-demand/#Data_Transfer",
  note: "AWS list prices for us-east-1: S3 Standard requests and storage (first 50 TB tier), " +
    "EC2 data transfer between AZs ($0.01/GB each way) and between regions; " +
    "other regions differ: set pricing: in the config",
  prices: {
    s3_put_per_1000: 0.005,
    s3_get_per_1000: 0.0004,
    s3_storage_gb_month: 0.023,
    transfer_inter_az_per_gb: 0.02,
    transfer_inter_region_per_gb: 0.02,
  },
  overridden: [],
};

const PRICE_KEYS: readonly (keyof Prices)[] = [
  "s3_put_per_1000",
  "s3_get_per_1000",
  "s3_storage_gb_month",
  "transfer_inter_az_per_gb",
  "transfer_inter_region_per_gb",
];

/**
 * The price table after the config's `pricing:` overrides.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { priceTable } from "./estimate_cost.ts";
 * const t = priceTable({ s3_put_per_1000: 0.0054, date: "2026-03-01" });
 * assert.ok(t.prices.s3_put_per_1000 === 0.0054 && t.date === "2026-03-01");
 * assert.ok(t.overridden.join() === "date,s3_put_per_1000");
 * ```
 */
export function priceTable(pricing: MigrationConfig["pricing"]): PriceTable {
  const prices = { ...DEFAULT_PRICE_TABLE.prices };
  const overridden: string[] = [];
  for (const key of PRICE_KEYS) {
    const value = pricing?.[key];
    if (value !== undefined) {
      prices[key] = value;
      overridden.push(key);
    }
  }
  if (pricing?.date !== undefined) overridden.push("date");
  if (pricing?.source !== undefined) overridden.push("source");
  overridden.sort();
  return {
    date: pricing?.date ?? DEFAULT_PRICE_TABLE.date,
    source: pricing?.source ?? DEFAULT_PRICE_TABLE.source,
    note: overridden.length === 0
      ? DEFAULT_PRICE_TABLE.note
      : `${DEFAULT_PRICE_TABLE.note}; overridden by the config: ${overridden.join(", ")}`,
    prices,
    overridden,
  };
}

/** Assumed compressed/uncompressed ratio of staged segments, by codec. */
export const ASSUMED_COMPRESSION_RATIO: Readonly<Record<"zstd" | "gzip" | "none", number>> = {
  zstd: 0.4,
  gzip: 0.5,
  none: 1,
};
/** Days the staged segments are assumed to stay in the backup bucket. */
export const ASSUMED_STAGING_DAYS = 7;
/** Availability Zones assumed for a cluster whose AZ count is not known. */
export const ASSUMED_AZS = 3;
const MIB = 1024 * 1024;
const GB = 1e9;

/**
 * The default seed throughput assumed for estimates: 10 MiB/s per concurrently
 * copied partition, at most 100 MiB/s for one runner.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { defaultSeedBytesPerSecond } from "./estimate_cost.ts";
 * assert.ok(defaultSeedBytesPerSecond(4) === 40 * 1024 * 1024);
 * assert.ok(defaultSeedBytesPerSecond(64) === 100 * 1024 * 1024);
 * ```
 */
export function defaultSeedBytesPerSecond(maxConcurrentPartitions: number): number {
  return Math.min(maxConcurrentPartitions * 10 * MIB, 100 * MIB);
}

/** Input of {@linkcode estimateCost}. */
export interface EstimateCostInput {
  /** The config. */
  config: MigrationConfig;
  /** The source inventory, when it could be read. */
  source?: ClusterInventory | undefined;
  /** The target inventory, when it could be read. */
  target?: ClusterInventory | undefined;
  /** Assumed seed throughput. @default {@linkcode defaultSeedBytesPerSecond} of the config's concurrency */
  seedBytesPerSecond?: number;
}

/** The estimate (snake_case: it is written to `cost-estimate.json` as is). */
export interface CostEstimate {
  /** Always USD. */
  currency: "USD";
  /** The prices used. */
  price_table: PriceTable;
  /** What the estimate is based on. */
  inputs: {
    /** Bytes of the selected source topics; null when the source could not be read. */
    bytes: number | null;
    /** `describe_log_dirs`, `estimated` (sampled record sizes) or `unknown`. */
    bytes_basis: "describe_log_dirs" | "estimated" | "unknown";
    /** Records (upper bound). */
    records: number | null;
    /** Partitions. */
    partitions: number | null;
    /** Seed path. */
    seed_via: "staged" | "direct";
    /** Largest staged segment, bytes. */
    segment_max_bytes: number;
    /** Staged segment compression. */
    compression: "zstd" | "gzip" | "none";
    /** Regions (null when unknown). */
    source_region: string | null;
    /** Target region. */
    target_region: string | null;
    /** Backup bucket region (staged seeds on S3). */
    backup_region: string | null;
    /** Availability Zones of the source (MSK client subnets, else assumed). */
    source_azs: number;
    /** Availability Zones of the target. */
    target_azs: number;
    /** Throughput assumed for the duration, bytes per second. */
    seed_bytes_per_second: number;
  };
  /** Quantities. */
  quantities: {
    /** Staged segments written (one or more per non-empty partition). */
    segments: number;
    /** S3 PUT requests (segments, a manifest per partition, probe and evidence objects). */
    s3_put_requests: number;
    /** S3 GET requests (segments and manifests read back to load the target). */
    s3_get_requests: number;
    /** Compressed staged GB (decimal). */
    s3_stored_gb: number;
    /** GB crossing an AZ boundary between the runner and the brokers. */
    inter_az_gb: number;
    /** GB crossing a region boundary. */
    inter_region_gb: number;
    /** Estimated seed duration, seconds. */
    seed_seconds: number;
  };
  /** Costs in USD, rounded to 1/10,000. */
  cost: {
    s3_requests: number;
    s3_storage: number;
    inter_az_transfer: number;
    inter_region_transfer: number;
    total: number;
  };
  /** Every assumption, in words. */
  assumptions: string[];
}

function round4(n: number): number {
  return Math.round(n * 10_000) / 10_000;
}

/**
 * The region of a cluster config: `region`, else its ARN's.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { configRegion } from "./estimate_cost.ts";
 * assert.ok(configRegion({ cluster_arn: "arn:aws:kafka:eu-west-1:123456789012:cluster/a/b", auth: { mode: "iam" }, client_id: "k" }) === "eu-west-1");
 * assert.ok(configRegion({ bootstrap_servers: ["a:1"], auth: { mode: "plaintext" }, client_id: "k" }) === null);
 * ```
 */
export function configRegion(cluster: MigrationConfig["source"]): string | null {
  return cluster.region ?? (cluster.cluster_arn ? regionOfArn(cluster.cluster_arn) : undefined) ??
    null;
}

/**
 * Estimates the seed's S3 requests and storage, transfer and duration, and prices them.
 *
 * Assumptions (stated in the result): the runner and, unless configured
 * otherwise, the backup bucket are in the source's region; the runner reads
 * partition leaders spread evenly over the source's AZs and writes to leaders
 * spread over the target's, so (AZs−1)/AZs of the bytes cross an AZ each way;
 * replication inside a cluster is not charged (MSK); staged segments are
 * compressed by {@linkcode ASSUMED_COMPRESSION_RATIO} and kept
 * {@linkcode ASSUMED_STAGING_DAYS} days; the tail after the seed is not counted.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { estimateCost } from "./estimate_cost.ts";
 * import { parseConfigText } from "../config/load_config.ts";
 * const { config } = await parseConfigText(
 *   "migration:\n  source: { bootstrap_servers: [a:1], auth: { mode: plaintext } }\n" +
 *     "  target: { bootstrap_servers: [b:1], auth: { mode: plaintext } }\n  seed: { via: direct }\n",
 *   { env: {} },
 * );
 * const e = estimateCost({ config });
 * assert.ok(e.inputs.bytes === null && e.cost.total === 0);
 * ```
 */
export function estimateCost(input: EstimateCostInput): CostEstimate {
  const { config, source, target } = input;
  const prices = priceTable(config.pricing);
  const p = prices.prices;
  const staged = config.seed.via === "staged" && config.backup?.s3_bucket !== undefined;
  const bytes = source?.totals.bytes ?? null;
  const sourceRegion = configRegion(config.source);
  const targetRegion = configRegion(config.target);
  const backupRegion = staged ? config.backup?.region ?? sourceRegion : null;
  const sourceAzs = source?.msk?.clientSubnets.length || ASSUMED_AZS;
  const targetAzs = target?.msk?.clientSubnets.length || ASSUMED_AZS;
  const throughput = input.seedBytesPerSecond ??
    defaultSeedBytesPerSecond(config.seed.max_concurrent_partitions);
  const ratio = ASSUMED_COMPRESSION_RATIO[config.seed.compression];
  const segmentMax = Math.max(1, config.seed.segment_max_bytes);

  let segments = 0;
  let partitions = 0;
  for (const topic of source?.topics ?? []) {
    for (const part of topic.partitions) {
      partitions++;
      if (part.endOffset > part.logStartOffset || part.sizeBytes > 0) {
        segments += Math.max(1, Math.ceil(part.sizeBytes / segmentMax));
      }
    }
  }
  const gb = (bytes ?? 0) / GB;
  const compressedGb = gb * ratio;
  const puts = staged ? segments + partitions + 4 : 0;
  const gets = staged ? segments + partitions : 0;
  const storedGb = staged ? compressedGb : 0;
  const interAzGb = gb * ((sourceAzs - 1) / sourceAzs + (targetAzs - 1) / targetAzs);
  const differs = (a: string | null, b: string | null) => a !== null && b !== null && a !== b;
  const interRegionGb = (differs(targetRegion, sourceRegion) ? gb : 0) +
    (staged && differs(backupRegion, sourceRegion) ? 2 * compressedGb : 0);

  const s3Requests = round4((puts / 1000) * p.s3_put_per_1000 + (gets / 1000) * p.s3_get_per_1000);
  const s3Storage = round4(storedGb * p.s3_storage_gb_month * (ASSUMED_STAGING_DAYS / 30));
  const interAz = round4(interAzGb * p.transfer_inter_az_per_gb);
  const interRegion = round4(interRegionGb * p.transfer_inter_region_per_gb);
  const bytesBasis = source === undefined
    ? "unknown"
    : source.totals.sizeEstimated
    ? "estimated"
    : "describe_log_dirs";

  const assumptions = [
    `the runner${staged ? " and the backup bucket (unless backup.region says otherwise)" : ""} ` +
    "run in the source's region",
    `${sourceAzs} source and ${targetAzs} target Availability Zones` +
    (source?.msk || target?.msk ? " (from the MSK API where known, else 3)" : " (assumed)") +
    "; (AZs-1)/AZs of the bytes cross an AZ between the runner and the partition leaders, each way",
    "replication inside a cluster is not charged (as on MSK)",
    ...(staged
      ? [
        `staged segments are compressed with ${config.seed.compression} to ${
          ratio * 100
        }% of their size`,
        `staged segments stay ${ASSUMED_STAGING_DAYS} days in the backup bucket`,
        "S3 requests: one PUT and one GET per segment and per partition manifest, plus 4 PUTs for probes and evidence",
      ]
      : [
        "seed.via is direct (or the backup is a directory): no S3 requests or storage for the seed",
      ]),
    `seed throughput ${Math.round(throughput / MIB)} MiB/s` +
    (input.seedBytesPerSecond === undefined
      ? " (10 MiB/s per concurrent partition, at most 100 MiB/s)"
      : ""),
    "records written during the tail and cutover are not counted",
    ...(bytes === null ? ["the source could not be read: sizes are unknown and counted as 0"] : []),
    ...(bytesBasis === "estimated"
      ? [
        "partition sizes are estimated from offsets and sampled record sizes (DescribeLogDirs was refused)",
      ]
      : []),
  ];

  return {
    currency: "USD",
    price_table: prices,
    inputs: {
      bytes,
      bytes_basis: bytesBasis,
      records: source?.totals.records ?? null,
      partitions: source === undefined ? null : partitions,
      seed_via: config.seed.via,
      segment_max_bytes: config.seed.segment_max_bytes,
      compression: config.seed.compression,
      source_region: sourceRegion,
      target_region: targetRegion,
      backup_region: backupRegion,
      source_azs: sourceAzs,
      target_azs: targetAzs,
      seed_bytes_per_second: throughput,
    },
    quantities: {
      segments: staged ? segments : 0,
      s3_put_requests: puts,
      s3_get_requests: gets,
      s3_stored_gb: round4(storedGb),
      inter_az_gb: round4(interAzGb),
      inter_region_gb: round4(interRegionGb),
      seed_seconds: Math.ceil((bytes ?? 0) / throughput),
    },
    cost: {
      s3_requests: s3Requests,
      s3_storage: s3Storage,
      inter_az_transfer: interAz,
      inter_region_transfer: interRegion,
      total: round4(s3Requests + s3Storage + interAz + interRegion),
    },
    assumptions,
  };
}
