/**
 * Telling ZooKeeper mode from KRaft mode, and bounding the Kafka version,
 * from what a broker advertises in its ApiVersions response — which every
 * client gets at connect, needs no ACL and no MSK API.
 *
 * - **ZooKeeper mode**: the broker advertises the inter-broker APIs a
 *   ZooKeeper-mode controller sends to brokers — LeaderAndIsr (4),
 *   StopReplica (5), UpdateMetadata (6), ControlledShutdown (7). KRaft
 *   brokers never do (those APIs do not exist in KRaft).
 * - **KRaft mode**: none of those, and DescribeQuorum (55), which KRaft
 *   brokers forward to the controller quorum and ZooKeeper-mode brokers lack.
 *
 * The broker configs give a second opinion when they can be described:
 * `process.roles` set means KRaft, `zookeeper.connect` set means ZooKeeper.
 * When the config names an MSK `cluster_arn`, MSK's answer (the version's
 * `.kraft` suffix) wins.
 *
 * Version lower bounds (KRaft brokers; ZooKeeper-mode brokers lack the
 * KRaft-only APIs, so their bound is lower than their real version):
 * Fetch's minimum version ≥ 4 → 4.0 (KIP-896 removed older versions);
 * AddRaftVoter (80) → 3.9 (KIP-853); DescribeTopicPartitions (75) → 3.8;
 * ListClientMetricsResources (74, KIP-714) → 3.7; ListTransactions (66) →
 * 3.0; DescribeCluster (60) → 2.8; DescribeUserScramCredentials (50) → 2.7.
 * Each was checked against the `ApiMessageType` of the kafka-clients jars
 * 3.6.2, 3.7.0, 3.8.0, 3.9.2 and 4.4.0 (API, first version, KRaft broker
 * listener, not marked unstable).
 *
 * @module
 */

import type { ApiVersionMap } from "../kafka/_wire.ts";

/** A metadata mode. */
export type MetadataMode = "zookeeper" | "kraft" | "unknown";

const ZK_ONLY_APIS = [4, 5, 6, 7];
const DESCRIBE_QUORUM = 55;

/**
 * The metadata mode a broker's ApiVersions shows.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { modeFromApiVersions } from "./detect_cluster_mode.ts";
 * const zk = new Map([[0, { min: 0, max: 9 }], [4, { min: 0, max: 7 }]]);
 * const kraft = new Map([[0, { min: 0, max: 11 }], [55, { min: 0, max: 2 }]]);
 * assert.ok(modeFromApiVersions(zk) === "zookeeper");
 * assert.ok(modeFromApiVersions(kraft) === "kraft");
 * assert.ok(modeFromApiVersions(new Map()) === "unknown");
 * ```
 */
export function modeFromApiVersions(versions: ApiVersionMap): MetadataMode {
  if (ZK_ONLY_APIS.some((key) => versions.has(key))) return "zookeeper";
  if (versions.has(DESCRIBE_QUORUM)) return "kraft";
  return "unknown";
}

const FLOORS: readonly { version: string; test: (v: ApiVersionMap) => boolean }[] = [
  { version: "4.0", test: (v) => (v.get(1)?.min ?? 0) >= 4 },
  { version: "3.9", test: (v) => v.has(80) },
  { version: "3.8", test: (v) => v.has(75) },
  { version: "3.7", test: (v) => v.has(74) },
  { version: "3.0", test: (v) => v.has(66) },
  { version: "2.8", test: (v) => v.has(60) },
  { version: "2.7", test: (v) => v.has(50) },
];

/**
 * The lowest Kafka version (`major.minor`) consistent with a broker's ApiVersions, or null.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { kafkaVersionFloor } from "./detect_cluster_mode.ts";
 * assert.ok(kafkaVersionFloor(new Map([[74, { min: 0, max: 0 }]])) === "3.7");
 * assert.ok(kafkaVersionFloor(new Map([[1, { min: 4, max: 17 }]])) === "4.0");
 * assert.ok(kafkaVersionFloor(new Map()) === null);
 * ```
 */
export function kafkaVersionFloor(versions: ApiVersionMap): string | null {
  return FLOORS.find((f) => f.test(versions))?.version ?? null;
}

/**
 * Compares `major.minor[.patch…]` versions numerically (MSK's `3.9.x` and
 * `3.7.x.kraft` work: non-numeric parts count as 0).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { compareKafkaVersions } from "./detect_cluster_mode.ts";
 * assert.ok(compareKafkaVersions("3.6.0", "3.7") < 0);
 * assert.ok(compareKafkaVersions("3.7.x.kraft", "3.7") === 0);
 * assert.ok(compareKafkaVersions("4.0", "3.9.2") > 0);
 * ```
 */
export function compareKafkaVersions(a: string, b: string): number {
  const parse = (v: string) => v.split(".").slice(0, 3).map((p) => Number.parseInt(p, 10) || 0);
  const x = parse(a);
  const y = parse(b);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * Combines per-broker modes: all alike gives that mode, anything else unknown
 * (a cluster in the middle of Kafka's own ZooKeeper→KRaft migration mixes them).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { combineModes } from "./detect_cluster_mode.ts";
 * assert.ok(combineModes(["kraft", "kraft"]) === "kraft");
 * assert.ok(combineModes(["kraft", "zookeeper"]) === "unknown");
 * assert.ok(combineModes([]) === "unknown");
 * ```
 */
export function combineModes(modes: readonly MetadataMode[]): MetadataMode {
  const first = modes[0];
  if (first === undefined) return "unknown";
  return modes.every((m) => m === first) ? first : "unknown";
}
