/**
 * What {@linkcode takeInventory} reads from one cluster: brokers, mode and
 * version, topics with partitions, configs and sizes, consumer groups with
 * members and committed offsets, ACLs, SCRAM users and transactional ids.
 * Everything is sorted (topics by name, partitions by number, groups by id,
 * ACL bindings by their fields), so the same cluster gives the same JSON.
 *
 * @module
 */

import type { ErrorCode } from "../errors.ts";
import type { MskClusterInfo } from "../msk/msk_api.ts";

/** Where a config value comes from (Kafka's `ConfigSource`). */
export type ConfigSourceName =
  | "DYNAMIC_TOPIC_CONFIG"
  | "DYNAMIC_BROKER_CONFIG"
  | "DYNAMIC_DEFAULT_BROKER_CONFIG"
  | "STATIC_BROKER_CONFIG"
  | "DEFAULT_CONFIG"
  | "DYNAMIC_BROKER_LOGGER_CONFIG"
  | "UNKNOWN";

/** A config entry that is not Kafka's built-in default. */
export interface ConfigEntry {
  /** The value (null for a sensitive or unset value). */
  value: string | null;
  /** Where the value comes from. */
  source: ConfigSourceName;
}

/** One partition of a topic. */
export interface PartitionInventory {
  /** Partition number. */
  partition: number;
  /** Leader broker id (-1 when offline). */
  leader: number;
  /** Replica broker ids. */
  replicas: number[];
  /** In-sync replica broker ids. */
  isr: number[];
  /** Log start offset. */
  logStartOffset: number;
  /** Log end offset (high watermark). */
  endOffset: number;
  /** Bytes of the leader replica's log (DescribeLogDirs), or an estimate (see the topic's `sizeEstimated`). */
  sizeBytes: number;
}

/** One topic. */
export interface TopicInventory {
  /** Topic name. */
  name: string;
  /** Partition count. */
  partitionCount: number;
  /** Replication factor (replicas of partition 0; the largest when partitions differ). */
  replicationFactor: number;
  /**
   * The topic's own configs (source `DYNAMIC_TOPIC_CONFIG`): exactly what a
   * copy recreates on the target. Broker-level values are never here.
   */
  configs: Record<string, string>;
  /** Non-default values the topic inherits from broker configs (not copied). */
  inheritedConfigs: Record<string, ConfigEntry>;
  /** Effective values of every config the broker described (for drift and checks). */
  effectiveConfigs: Record<string, string | null>;
  /** Partitions in order. */
  partitions: PartitionInventory[];
  /** Sum of partition sizes in bytes. */
  sizeBytes: number;
  /** True when sizes are estimated from offsets × a sampled record size (DescribeLogDirs refused). */
  sizeEstimated: boolean;
  /** Records present (sum of end − log start; compaction and transaction markers make it an upper bound). */
  records: number;
  /** `cleanup.policy` includes `compact`. */
  compacted: boolean;
  /** Partitions whose ISR is smaller than the replica set (or that have no leader). */
  underReplicatedPartitions: number;
}

/** A member of a consumer group. */
export interface GroupMemberInventory {
  /** Member id. */
  memberId: string;
  /** `group.instance.id` of a static member (KIP-345), null for a dynamic member. */
  groupInstanceId: string | null;
  /** Client id. */
  clientId: string;
  /** Client host. */
  clientHost: string;
  /** Topics assigned to the member (consumer protocol), sorted. */
  assignedTopics: string[];
}

/** A committed offset. */
export interface CommittedOffset {
  /** Topic. */
  topic: string;
  /** Partition. */
  partition: number;
  /** Committed offset. */
  offset: number;
}

/** A consumer group. */
export interface GroupInventory {
  /** Group id. */
  groupId: string;
  /** Protocol type (`consumer` for Kafka consumers; empty for groups that only commit offsets). */
  protocolType: string;
  /** State: Stable, Empty, PreparingRebalance, CompletingRebalance, Dead. */
  state: string;
  /** Members, sorted by member id. */
  members: GroupMemberInventory[];
  /** Whether static membership could be read (DescribeGroups v4 or later). */
  staticMembershipKnown: boolean;
  /** Committed offsets on selected topics, sorted. */
  offsets: CommittedOffset[];
  /** Selected topics the group commits to or is assigned, sorted. */
  topics: string[];
}

/** One ACL binding, with names as in `kafka-acls`. */
export interface AclBinding {
  /** TOPIC, GROUP, CLUSTER, TRANSACTIONAL_ID, DELEGATION_TOKEN. */
  resourceType: string;
  /** Resource name (`kafka-cluster` for the cluster). */
  resourceName: string;
  /** LITERAL or PREFIXED. */
  patternType: string;
  /** Principal, e.g. `User:alice`. */
  principal: string;
  /** Host, `*` for any. */
  host: string;
  /** READ, WRITE, DESCRIBE, … */
  operation: string;
  /** ALLOW or DENY. */
  permission: string;
}

/** A SCRAM user (no secrets: mechanisms and iteration counts only). */
export interface ScramUserInventory {
  /** User name. */
  user: string;
  /** Mechanisms with their iteration counts. */
  mechanisms: { mechanism: string; iterations: number }[];
}

/** A transactional id known to the cluster's transaction coordinators. */
export interface TransactionInventory {
  /** The producer's `transactional.id`. */
  transactionalId: string;
  /** Its producer id. */
  producerId: number;
  /** State: Ongoing, CompleteCommit, CompleteAbort, Empty, … */
  state: string;
}

/** Something that could not be read, and why (permission problems become precheck B15/W04). */
export interface InventoryProblem {
  /** What was being read. */
  area:
    | "topics"
    | "topic_configs"
    | "offsets"
    | "log_dirs"
    | "groups"
    | "acls"
    | "broker_configs"
    | "scram_users"
    | "transactions"
    | "api_versions"
    | "msk_api";
  /** kraftover's error code. */
  code: ErrorCode;
  /** What failed, with Kafka's error name. */
  message: string;
  /** The topic or group concerned, when one. */
  subject?: string;
}

/** How the metadata mode was told. */
export type ModeEvidence =
  | "msk_api"
  | "api_versions"
  | "broker_config"
  | "none";

/** The cluster as a whole. */
export interface ClusterDescription {
  /** Cluster id from metadata. */
  clusterId: string | null;
  /** Controller id from metadata (a ZooKeeper-mode controller broker; a random broker in KRaft). */
  controllerId: number | null;
  /** Brokers from metadata. */
  brokers: { nodeId: number; host: string; port: number; rack: string | null }[];
  /** Broker count (metadata; MSK's count when the cluster could not be reached). */
  brokerCount: number;
  /** ZooKeeper or KRaft metadata mode, or unknown. */
  mode: "zookeeper" | "kraft" | "unknown";
  /** What the mode was told from. */
  modeEvidence: ModeEvidence;
  /** The Kafka API's own answer (ApiVersions), which the MSK API may override. */
  apiMode: "zookeeper" | "kraft" | "unknown";
  /** Kafka version when known exactly (MSK API), e.g. `3.9.x`. */
  kafkaVersion: string | null;
  /** Lowest Kafka version consistent with the brokers' ApiVersions, e.g. `3.7`. */
  kafkaVersionAtLeast: string | null;
  /** Where `kafkaVersion`/`kafkaVersionAtLeast` come from. */
  versionEvidence: "msk_api" | "api_versions" | "none";
}

/** Broker-level settings that checks need (cluster-wide effective values). */
export interface BrokerSettings {
  /** Whether they could be described. */
  available: boolean;
  /** `message.max.bytes`. */
  messageMaxBytes: number | null;
  /** `auto.create.topics.enable`. */
  autoCreateTopicsEnable: boolean | null;
  /** `default.replication.factor`. */
  defaultReplicationFactor: number | null;
  /** `min.insync.replicas`. */
  minInsyncReplicas: number | null;
  /** `advertised.listeners` is set as a dynamic broker config (MSK's in-place upgrade refuses that). */
  dynamicAdvertisedListeners: boolean | null;
  /** `zookeeper.connect` is set (ZooKeeper mode). */
  zookeeperConnectSet: boolean | null;
  /** `process.roles` is set (KRaft mode). */
  processRolesSet: boolean | null;
}

/** Something only available through some APIs: present with data, or absent with the reason. */
export interface Availability {
  /** Whether the data could be read. */
  available: boolean;
  /** Why not, when not (e.g. "no authorizer on the cluster", "not supported by Kafka < 2.7"). */
  reason: string | null;
}

/** The inventory of one cluster. */
export interface ClusterInventory {
  /** `source`, `target`, … */
  label: string;
  /** The cluster. */
  cluster: ClusterDescription;
  /** What the MSK API says about the cluster (configs with a `cluster_arn`), else null. */
  msk: MskClusterInfo | null;
  /** Broker settings. */
  brokerSettings: BrokerSettings;
  /** Selected topics, sorted by name. */
  topics: TopicInventory[];
  /** Topics left out, with why, sorted by name. */
  excludedTopics: { name: string; reason: "internal" | "not_included" | "excluded" }[];
  /** Consumer groups touching selected topics (or those asked for), sorted by id. */
  groups: GroupInventory[];
  /** Whether groups could be listed; groups not touching selected topics are counted, not listed. */
  groupsInfo: Availability & { otherGroups: number };
  /** ACL bindings, sorted. */
  acls: Availability & { bindings: AclBinding[] };
  /** SCRAM users. */
  scramUsers: Availability & { users: ScramUserInventory[] };
  /** Transactional ids known to the coordinators. */
  transactions: Availability & { transactionalIds: TransactionInventory[] };
  /** Totals over selected topics. */
  totals: {
    topics: number;
    partitions: number;
    bytes: number;
    records: number;
    groups: number;
    acls: number;
    /** Some topic sizes are estimates. */
    sizeEstimated: boolean;
  };
  /** What could not be read, sorted by area then subject. */
  problems: InventoryProblem[];
}
