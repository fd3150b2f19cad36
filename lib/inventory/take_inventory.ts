/**
 * The read-only inventory of one cluster (see {@linkcode takeInventory}).
 *
 * @module
 */

import type { Buffer } from "node:buffer";
import type { KafkaConnection } from "../kafka/connect.ts";
import { createSourceReader } from "../kafka/source_reader.ts";
import { describeMskCluster } from "../msk/msk_api.ts";
import type { MskClusterInfo } from "../msk/msk_api.ts";
import { errorMessage, isKraftoverError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import { silentLogger } from "../logger.ts";
import {
  describeConfigsRequest,
  describeGroupsRequest,
  describeLogDirsRequest,
  describeScramCredentialsRequest,
  listTransactionsRequest,
  offsetFetchRequest,
  openWireSession,
  WireError,
  WireReader,
} from "../kafka/_wire.ts";
import type { DescribedGroup, DescribedResource, WireSession } from "../kafka/_wire.ts";
import {
  combineModes,
  compareKafkaVersions,
  kafkaVersionFloor,
  modeFromApiVersions,
} from "./detect_cluster_mode.ts";
import type { MetadataMode } from "./detect_cluster_mode.ts";
import { compareStrings, selectTopics } from "./select_topics.ts";
import type { TopicFilter } from "./select_topics.ts";
import type {
  AclBinding,
  BrokerSettings,
  ClusterDescription,
  ClusterInventory,
  ConfigEntry,
  ConfigSourceName,
  GroupInventory,
  InventoryProblem,
  PartitionInventory,
  TopicInventory,
} from "./types.ts";

/** Options for {@linkcode takeInventory}. */
export interface TakeInventoryOptions {
  /** Which topics to take (anchored regular expressions; internal topics are always left out). @default every non-internal topic */
  topics?: TopicFilter;
  /** Groups to describe even when they touch no selected topic (the target side of a precheck). @default [] */
  groupIds?: readonly string[];
  /**
   * What the MSK API says about the cluster: `false` to not ask.
   * @default described through the MSK API when the connection's config has a `cluster_arn`
   */
  msk?: MskClusterInfo | false;
  /** Read partition sizes (DescribeLogDirs; estimated from sampled records when refused). @default true */
  sizes?: boolean;
  /** Requests in flight at once (offsets, groups, samples). @default 8 */
  concurrency?: number;
  /** Logger. @default silentLogger */
  logger?: Logger;
  /** Cancels the inventory between requests. */
  signal?: AbortSignal;
}

const CONFIG_SOURCES: Readonly<Record<number, ConfigSourceName>> = {
  1: "DYNAMIC_TOPIC_CONFIG",
  2: "DYNAMIC_BROKER_CONFIG",
  3: "DYNAMIC_DEFAULT_BROKER_CONFIG",
  4: "STATIC_BROKER_CONFIG",
  5: "DEFAULT_CONFIG",
  6: "DYNAMIC_BROKER_LOGGER_CONFIG",
};
const RESOURCE_TYPES: Readonly<Record<number, string>> = {
  2: "TOPIC",
  3: "GROUP",
  4: "CLUSTER",
  5: "TRANSACTIONAL_ID",
  6: "DELEGATION_TOKEN",
};
const PATTERN_TYPES: Readonly<Record<number, string>> = { 3: "LITERAL", 4: "PREFIXED" };
const OPERATIONS: Readonly<Record<number, string>> = {
  2: "ALL",
  3: "READ",
  4: "WRITE",
  5: "CREATE",
  6: "DELETE",
  7: "ALTER",
  8: "DESCRIBE",
  9: "CLUSTER_ACTION",
  10: "DESCRIBE_CONFIGS",
  11: "ALTER_CONFIGS",
  12: "IDEMPOTENT_WRITE",
};
const PERMISSIONS: Readonly<Record<number, string>> = { 2: "DENY", 3: "ALLOW" };
/** kafkajs's enum value for "any" in ACL filters. */
const ANY = 1;
/** Per-record overhead added to sampled key/value/header bytes when estimating sizes. */
const RECORD_OVERHEAD_BYTES = 30;
const TOPIC_CONFIG_CHUNK = 100;
const METADATA_CHUNK = 200;

/**
 * Reads one cluster: brokers, metadata mode and version, selected topics
 * (partitions, replicas, ISR, log start/end offsets, sizes, the topic's own
 * configs with their source), consumer groups touching them (state,
 * members with static `group.instance.id`, committed offsets), ACLs, SCRAM
 * users and transactional ids. It only sends requests that read: Metadata,
 * ApiVersions, DescribeConfigs, ListOffsets, DescribeLogDirs, ListGroups,
 * FindCoordinator, DescribeGroups, OffsetFetch, DescribeAcls,
 * DescribeUserScramCredentials, ListTransactions and Fetch (without a group,
 * only to sample sizes). Group lookups are skipped on a cluster that has no
 * `__consumer_offsets` yet, because a FindCoordinator there would create it.
 *
 * What cannot be read (missing permission, an API the brokers lack) is
 * recorded in `problems` or as an `available: false` section with the
 * reason; failing to reach the cluster at all throws.
 *
 * @example
 * ```ts ignore
 * const source = await connectCluster(config.source, { label: "source" });
 * const inventory = await takeInventory(source, { topics: config.topics });
 * console.log(inventory.totals, inventory.cluster.mode);
 * await source.close();
 * ```
 */
export async function takeInventory(
  connection: KafkaConnection,
  options: TakeInventoryOptions = {},
): Promise<ClusterInventory> {
  const logger = (options.logger ?? silentLogger).child({ cluster: connection.label });
  const signal = options.signal;
  const concurrency = options.concurrency ?? 8;
  const problems: InventoryProblem[] = [];
  const problem = (area: InventoryProblem["area"], error: unknown, subject?: string) => {
    const classified = isKraftoverError(error)
      ? error
      : connection.classify(error, `reading ${area}`);
    problems.push({
      area,
      code: classified.code,
      message: errorMessage(error),
      ...(subject === undefined ? {} : { subject }),
    });
  };

  const msk = await mskInfo(connection, options, problem);
  signal?.throwIfAborted();
  const session = await openWireSession(connection);
  try {
    const admin = await connection.admin();
    const cluster = await describeClusterOf(session, msk, problem);
    signal?.throwIfAborted();

    let allTopics: string[];
    try {
      allTopics = await admin.listTopics();
    } catch (error) {
      throw connection.classify(error, "listing topics");
    }
    const selection = selectTopics(allTopics, options.topics);
    logger.debug("Topics selected", { selected: selection.selected.length, all: allTopics.length });

    const brokerSettings = await readBrokerSettings(session, problem);
    signal?.throwIfAborted();
    const topics = await readTopics(connection, session, selection.selected, {
      concurrency,
      sizes: options.sizes ?? true,
      problem,
      logger,
      ...(signal === undefined ? {} : { signal }),
    });
    signal?.throwIfAborted();

    const selectedNames = new Set(topics.map((t) => t.name));
    const groups = allTopics.includes("__consumer_offsets")
      ? await readGroups(
        connection,
        session,
        selectedNames,
        options.groupIds ?? [],
        concurrency,
        problem,
      )
      : {
        available: true,
        reason: "no __consumer_offsets topic: no group has committed yet",
        groups: [],
        other: 0,
      };
    signal?.throwIfAborted();
    const acls = await readAcls(connection, problem);
    const scramUsers = await readScramUsers(session, problem);
    const transactions = await readTransactions(session, problem);

    const totals = {
      topics: topics.length,
      partitions: topics.reduce((n, t) => n + t.partitionCount, 0),
      bytes: topics.reduce((n, t) => n + t.sizeBytes, 0),
      records: topics.reduce((n, t) => n + t.records, 0),
      groups: groups.groups.length,
      acls: acls.bindings.length,
      sizeEstimated: topics.some((t) => t.sizeEstimated),
    };
    problems.sort((a, b) =>
      compareStrings(a.area, b.area) || compareStrings(a.subject ?? "", b.subject ?? "") ||
      compareStrings(a.message, b.message)
    );
    return {
      label: connection.label,
      cluster,
      msk,
      brokerSettings,
      topics,
      excludedTopics: selection.excluded,
      groups: groups.groups,
      groupsInfo: { available: groups.available, reason: groups.reason, otherGroups: groups.other },
      acls,
      scramUsers,
      transactions,
      totals,
      problems,
    };
  } finally {
    await session.close();
  }
}

type ProblemFn = (area: InventoryProblem["area"], error: unknown, subject?: string) => void;

async function mskInfo(
  connection: KafkaConnection,
  options: TakeInventoryOptions,
  problem: ProblemFn,
): Promise<MskClusterInfo | null> {
  if (options.msk === false) return null;
  if (options.msk !== undefined) return options.msk;
  if (connection.config.cluster_arn === undefined) return null;
  try {
    return await describeMskCluster(
      connection.config,
      options.signal === undefined ? {} : { signal: options.signal },
    );
  } catch (error) {
    problem("msk_api", error);
    return null;
  }
}

async function describeClusterOf(
  session: WireSession,
  msk: MskClusterInfo | null,
  problem: ProblemFn,
): Promise<ClusterDescription> {
  const modes: MetadataMode[] = [];
  const floors: string[] = [];
  for (const broker of session.brokers) {
    try {
      const versions = await session.apiVersions(broker.nodeId);
      modes.push(modeFromApiVersions(versions));
      const floor = kafkaVersionFloor(versions);
      if (floor !== null) floors.push(floor);
    } catch (error) {
      problem("api_versions", error, `broker ${broker.nodeId}`);
    }
  }
  const apiMode = combineModes(modes);
  const floor = floors.length === session.brokers.length && floors.length > 0
    ? floors.sort(compareKafkaVersions)[0] ?? null
    : null;
  const mskMode = msk !== null && msk.metadataMode !== "unknown" ? msk.metadataMode : undefined;
  return {
    clusterId: session.clusterId,
    controllerId: session.controllerId,
    brokers: session.brokers.map((b) => ({ ...b })),
    brokerCount: session.brokers.length,
    mode: mskMode ?? apiMode,
    modeEvidence: mskMode !== undefined
      ? "msk_api"
      : apiMode !== "unknown"
      ? "api_versions"
      : "none",
    apiMode,
    kafkaVersion: msk?.kafkaVersion ?? null,
    kafkaVersionAtLeast: floor,
    versionEvidence: msk?.kafkaVersion !== undefined
      ? "msk_api"
      : floor !== null
      ? "api_versions"
      : "none",
  };
}

async function readBrokerSettings(
  session: WireSession,
  problem: ProblemFn,
): Promise<BrokerSettings> {
  const settings: BrokerSettings = {
    available: false,
    messageMaxBytes: null,
    autoCreateTopicsEnable: null,
    defaultReplicationFactor: null,
    minInsyncReplicas: null,
    dynamicAdvertisedListeners: null,
    zookeeperConnectSet: null,
    processRolesSet: null,
  };
  const described: DescribedResource[] = [];
  for (const broker of session.brokers) {
    try {
      const [resource] = await session.send(
        broker.nodeId,
        describeConfigsRequest([{ type: 4, name: String(broker.nodeId) }]),
      );
      if (resource === undefined) continue;
      if (resource.errorCode !== 0) {
        problem(
          "broker_configs",
          new WireError(
            resource.errorCode,
            `Describing broker ${broker.nodeId}'s configs`,
            resource.errorMessage,
          ),
          `broker ${broker.nodeId}`,
        );
        continue;
      }
      described.push(resource);
    } catch (error) {
      problem("broker_configs", error, `broker ${broker.nodeId}`);
    }
  }
  if (described.length === 0) return settings;
  const values = (name: string) =>
    described.map((r) => r.configs.find((c) => c.name === name)).filter((c) => c !== undefined);
  const numbers = (name: string) =>
    values(name).map((c) => Number(c.value)).filter((n) => Number.isFinite(n));
  const min = (ns: number[]) => (ns.length === 0 ? null : Math.min(...ns));
  const set = (name: string) => values(name).some((c) => c.value !== null && c.value.trim() !== "");
  settings.available = true;
  settings.messageMaxBytes = min(numbers("message.max.bytes"));
  const auto = values("auto.create.topics.enable");
  settings.autoCreateTopicsEnable = auto.length === 0 ? null : auto.some((c) => c.value === "true");
  settings.defaultReplicationFactor = min(numbers("default.replication.factor"));
  settings.minInsyncReplicas = min(numbers("min.insync.replicas"));
  settings.dynamicAdvertisedListeners = values("advertised.listeners").some((c) => c.source === 2);
  settings.zookeeperConnectSet = set("zookeeper.connect");
  settings.processRolesSet = set("process.roles");
  return settings;
}

interface ReadTopicsOptions {
  concurrency: number;
  sizes: boolean;
  problem: ProblemFn;
  logger: Logger;
  signal?: AbortSignal;
}

type TopicMeta = {
  name: string;
  partitions: { partitionId: number; leader: number; replicas: number[]; isr: number[] }[];
};

async function readTopics(
  connection: KafkaConnection,
  session: WireSession,
  names: readonly string[],
  options: ReadTopicsOptions,
): Promise<TopicInventory[]> {
  if (names.length === 0) return [];
  const admin = await connection.admin();
  const { problem } = options;

  const metadata = new Map<string, TopicMeta>();
  for (const chunk of chunks(names, METADATA_CHUNK)) {
    try {
      const result = await admin.fetchTopicMetadata({ topics: [...chunk] });
      for (const t of result.topics) metadata.set(t.name, t as TopicMeta);
    } catch {
      // One topic may have gone (or be unreadable): ask one by one.
      for (const name of chunk) {
        try {
          const result = await admin.fetchTopicMetadata({ topics: [name] });
          for (const t of result.topics) metadata.set(t.name, t as TopicMeta);
        } catch (error) {
          if ((error as { type?: string }).type !== "UNKNOWN_TOPIC_OR_PARTITION") {
            problem("topics", error, name);
          }
        }
      }
    }
  }
  options.signal?.throwIfAborted();

  const configs = await readTopicConfigs(session, [...metadata.keys()], problem);
  options.signal?.throwIfAborted();

  const offsets = new Map<string, Map<number, { low: number; high: number }>>();
  await mapLimit([...metadata.keys()], options.concurrency, async (name) => {
    try {
      const result = await admin.fetchTopicOffsets(name);
      offsets.set(
        name,
        new Map(result.map((p) => [p.partition, { low: Number(p.low), high: Number(p.high) }])),
      );
    } catch (error) {
      problem("offsets", error, name);
    }
  });
  options.signal?.throwIfAborted();

  const sizes = options.sizes ? await readLogDirSizes(session, problem) : undefined;

  const topics: TopicInventory[] = [];
  for (const name of [...metadata.keys()].sort(compareStrings)) {
    const meta = metadata.get(name)!;
    const own = configs.get(name);
    const partitionOffsets = offsets.get(name);
    const partitions: PartitionInventory[] = [...meta.partitions]
      .sort((a, b) => a.partitionId - b.partitionId)
      .map((p) => {
        const o = partitionOffsets?.get(p.partitionId);
        const replicaSizes = sizes?.get(`${name}\u0000${p.partitionId}`);
        return {
          partition: p.partitionId,
          leader: p.leader,
          replicas: [...p.replicas],
          isr: [...p.isr],
          logStartOffset: o?.low ?? 0,
          endOffset: o?.high ?? 0,
          sizeBytes: replicaSizes === undefined
            ? 0
            : replicaSizes.get(p.leader) ?? Math.max(0, ...replicaSizes.values()),
        };
      });
    const effective = own?.effective ?? {};
    const cleanup = effective["cleanup.policy"] ?? "delete";
    topics.push({
      name,
      partitionCount: partitions.length,
      replicationFactor: Math.max(0, ...partitions.map((p) => p.replicas.length)),
      configs: own?.configs ?? {},
      inheritedConfigs: own?.inherited ?? {},
      effectiveConfigs: effective,
      partitions,
      sizeBytes: partitions.reduce((n, p) => n + p.sizeBytes, 0),
      sizeEstimated: false,
      records: partitions.reduce((n, p) => n + Math.max(0, p.endOffset - p.logStartOffset), 0),
      compacted: cleanup.split(",").map((s) => s.trim()).includes("compact"),
      underReplicatedPartitions: partitions.filter((p) =>
        p.leader < 0 || p.isr.length < p.replicas.length
      )
        .length,
    });
  }

  if (options.sizes && sizes === undefined) {
    await estimateSizes(connection, topics, options);
  }
  return topics;
}

interface TopicConfigs {
  configs: Record<string, string>;
  inherited: Record<string, ConfigEntry>;
  effective: Record<string, string | null>;
}

async function readTopicConfigs(
  session: WireSession,
  names: readonly string[],
  problem: ProblemFn,
): Promise<Map<string, TopicConfigs>> {
  const out = new Map<string, TopicConfigs>();
  const brokers = session.brokers;
  let next = 0;
  for (const chunk of chunks(names, TOPIC_CONFIG_CHUNK)) {
    const broker = brokers[next++ % Math.max(1, brokers.length)];
    if (broker === undefined) break;
    let resources: DescribedResource[];
    try {
      resources = await session.send(
        broker.nodeId,
        describeConfigsRequest(chunk.map((name) => ({ type: 2, name }))),
      );
    } catch (error) {
      for (const name of chunk) problem("topic_configs", error, name);
      continue;
    }
    for (const r of resources) {
      if (r.errorCode !== 0) {
        if (r.errorCode !== 3) {
          problem(
            "topic_configs",
            new WireError(
              r.errorCode,
              `Describing the configs of topic ${r.resourceName}`,
              r.errorMessage,
            ),
            r.resourceName,
          );
        }
        continue;
      }
      const configs: Record<string, string> = {};
      const inherited: Record<string, ConfigEntry> = {};
      const effective: Record<string, string | null> = {};
      for (const c of [...r.configs].sort((a, b) => compareStrings(a.name, b.name))) {
        const source = CONFIG_SOURCES[c.source] ?? "UNKNOWN";
        const value = c.sensitive ? null : c.value;
        effective[c.name] = value;
        if (source === "DYNAMIC_TOPIC_CONFIG") {
          if (value !== null) configs[c.name] = value;
        } else if (source !== "DEFAULT_CONFIG" && source !== "UNKNOWN") {
          inherited[c.name] = { value, source };
        }
      }
      out.set(r.resourceName, { configs, inherited, effective });
    }
  }
  return out;
}

/** Sizes per `topic\0partition`, per broker; undefined when no broker would tell. */
async function readLogDirSizes(
  session: WireSession,
  problem: ProblemFn,
): Promise<Map<string, Map<number, number>> | undefined> {
  const out = new Map<string, Map<number, number>>();
  let answered = 0;
  for (const broker of session.brokers) {
    try {
      const result = await session.send(broker.nodeId, describeLogDirsRequest());
      let anyDir = false;
      for (const dir of result.dirs) {
        if (dir.errorCode !== 0) continue;
        anyDir = true;
        for (const p of dir.partitions) {
          if (p.future) continue;
          const key = `${p.topic}\u0000${p.partition}`;
          let perBroker = out.get(key);
          if (perBroker === undefined) out.set(key, perBroker = new Map());
          perBroker.set(broker.nodeId, (perBroker.get(broker.nodeId) ?? 0) + p.size);
        }
      }
      // A principal without Describe on the cluster gets an empty answer, not an error.
      if (anyDir || result.dirs.length > 0) answered++;
      else {
        problem(
          "log_dirs",
          new WireError(31, `DescribeLogDirs on broker ${broker.nodeId} returned no log directory`),
          `broker ${broker.nodeId}`,
        );
      }
    } catch (error) {
      problem("log_dirs", error, `broker ${broker.nodeId}`);
    }
  }
  return answered === session.brokers.length ? out : undefined;
}

async function estimateSizes(
  connection: KafkaConnection,
  topics: TopicInventory[],
  options: ReadTopicsOptions,
): Promise<void> {
  let reader;
  try {
    reader = await createSourceReader(connection);
  } catch (error) {
    options.problem("log_dirs", error);
    for (const t of topics) t.sizeEstimated = true;
    return;
  }
  try {
    await mapLimit(topics, options.concurrency, async (topic) => {
      topic.sizeEstimated = true;
      const sampled = topic.partitions.filter((p) => p.endOffset > p.logStartOffset).slice(0, 4);
      let bytes = 0;
      let records = 0;
      for (const p of sampled) {
        try {
          const chunk = await reader.read(topic.name, p.partition, p.logStartOffset, {
            maxBytes: 256 * 1024,
            maxWaitMs: 100,
          });
          bytes += chunk.bytes + chunk.records.length * RECORD_OVERHEAD_BYTES;
          records += chunk.records.length;
        } catch (error) {
          options.problem("log_dirs", error, topic.name);
        }
      }
      const average = records === 0 ? 0 : bytes / records;
      for (const p of topic.partitions) {
        p.sizeBytes = Math.round(average * Math.max(0, p.endOffset - p.logStartOffset));
      }
      topic.sizeBytes = topic.partitions.reduce((n, p) => n + p.sizeBytes, 0);
    });
  } finally {
    await reader.close();
  }
  options.logger.info("Partition sizes estimated from sampled records (DescribeLogDirs refused)", {
    topics: topics.length,
  });
}

interface GroupsResult {
  available: boolean;
  reason: string | null;
  groups: GroupInventory[];
  other: number;
}

async function readGroups(
  connection: KafkaConnection,
  session: WireSession,
  selected: ReadonlySet<string>,
  wanted: readonly string[],
  concurrency: number,
  problem: ProblemFn,
): Promise<GroupsResult> {
  const admin = await connection.admin();
  let listed: { groupId: string; protocolType: string }[];
  try {
    listed = (await admin.listGroups()).groups;
  } catch (error) {
    problem("groups", error);
    return {
      available: false,
      reason: `cannot list groups: ${errorMessage(error)}`,
      groups: [],
      other: 0,
    };
  }
  const protocolTypes = new Map(listed.map((g) => [g.groupId, g.protocolType]));
  const ids = [...new Set([...listed.map((g) => g.groupId), ...wanted])].sort(compareStrings);
  const wantedSet = new Set(wanted);

  const coordinators = new Map<number, string[]>();
  const offsets = new Map<string, { topic: string; partition: number; offset: number }[]>();
  await mapLimit(ids, concurrency, async (groupId) => {
    let coordinator: number;
    try {
      coordinator = await session.groupCoordinator(groupId);
    } catch (error) {
      problem("groups", error, groupId);
      return;
    }
    const list = coordinators.get(coordinator) ?? [];
    list.push(groupId);
    coordinators.set(coordinator, list);
    try {
      const result = await session.send(coordinator, offsetFetchRequest(groupId));
      if (result.errorCode !== 0) {
        problem(
          "offsets",
          new WireError(result.errorCode, `Fetching the offsets of group ${groupId}`),
          groupId,
        );
        return;
      }
      const denied = result.offsets.find((o) => o.errorCode !== 0);
      if (denied !== undefined) {
        problem(
          "offsets",
          new WireError(
            denied.errorCode,
            `Fetching the offsets of group ${groupId} on ${denied.topic}`,
          ),
          groupId,
        );
      }
      offsets.set(groupId, result.offsets.filter((o) => o.errorCode === 0 && o.offset >= 0));
    } catch (error) {
      problem("offsets", error, groupId);
    }
  });

  const described = new Map<string, DescribedGroup & { version: number }>();
  for (const [coordinator, groupIds] of coordinators) {
    try {
      const result = await session.send(
        coordinator,
        describeGroupsRequest(groupIds.sort(compareStrings)),
      );
      for (const g of result.groups) {
        if (g.errorCode !== 0 && g.errorCode !== 69) {
          problem(
            "groups",
            new WireError(g.errorCode, `Describing group ${g.groupId}`),
            g.groupId,
          );
          continue;
        }
        described.set(g.groupId, { ...g, version: result.version });
      }
    } catch (error) {
      for (const id of groupIds) problem("groups", error, id);
    }
  }

  const groups: GroupInventory[] = [];
  let other = 0;
  for (const groupId of ids) {
    const d = described.get(groupId);
    const members = (d?.members ?? []).map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      clientId: m.clientId,
      clientHost: m.clientHost,
      assignedTopics: assignedTopics(m.assignment),
    })).sort((a, b) => compareStrings(a.memberId, b.memberId));
    const committed = (offsets.get(groupId) ?? [])
      .filter((o) => selected.has(o.topic))
      .map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset }))
      .sort((a, b) => compareStrings(a.topic, b.topic) || a.partition - b.partition);
    const topics = [
      ...new Set([
        ...committed.map((o) => o.topic),
        ...members.flatMap((m) => m.assignedTopics).filter((t) => selected.has(t)),
      ]),
    ].sort(compareStrings);
    if (topics.length === 0 && !wantedSet.has(groupId)) {
      other++;
      continue;
    }
    groups.push({
      groupId,
      protocolType: d?.protocolType ?? protocolTypes.get(groupId) ?? "",
      state: d?.state ?? "Unknown",
      members,
      staticMembershipKnown: (d?.version ?? 0) >= 4,
      offsets: committed,
      topics,
    });
  }
  return { available: true, reason: null, groups, other };
}

/** Topics of a consumer-protocol assignment (version, [topic, [partition]], user data). */
function assignedTopics(assignment: Buffer | null): string[] {
  if (assignment === null || assignment.length < 6) return [];
  try {
    const r = new WireReader(assignment);
    r.int16();
    const topics = r.array((t) => {
      const name = t.string();
      t.array((p) => p.int32());
      return name;
    });
    return [...new Set(topics)].sort(compareStrings);
  } catch {
    return [];
  }
}

async function readAcls(
  connection: KafkaConnection,
  problem: ProblemFn,
): Promise<ClusterInventory["acls"]> {
  const admin = await connection.admin();
  try {
    const result = await admin.describeAcls(
      {
        resourceType: ANY,
        resourcePatternType: ANY,
        operation: ANY,
        permissionType: ANY,
      } as Parameters<typeof admin.describeAcls>[0],
    );
    const bindings: AclBinding[] = [];
    for (const r of result.resources) {
      for (const acl of r.acls) {
        bindings.push({
          resourceType: RESOURCE_TYPES[r.resourceType] ?? String(r.resourceType),
          resourceName: r.resourceName,
          patternType: PATTERN_TYPES[r.resourcePatternType] ?? String(r.resourcePatternType),
          principal: acl.principal,
          host: acl.host,
          operation: OPERATIONS[acl.operation] ?? String(acl.operation),
          permission: PERMISSIONS[acl.permissionType] ?? String(acl.permissionType),
        });
      }
    }
    bindings.sort(compareAcls);
    return { available: true, reason: null, bindings };
  } catch (error) {
    const type = (error as { type?: string }).type;
    if (type === "SECURITY_DISABLED") {
      return {
        available: false,
        reason: "no authorizer is configured on the cluster",
        bindings: [],
      };
    }
    problem("acls", error);
    return {
      available: false,
      reason: `cannot describe ACLs: ${errorMessage(error)}`,
      bindings: [],
    };
  }
}

/**
 * Orders ACL bindings by resource type, pattern, name, principal, host, operation, permission.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { compareAcls } from "./take_inventory.ts";
 * const a = { resourceType: "TOPIC", resourceName: "a", patternType: "LITERAL", principal: "User:x", host: "*", operation: "READ", permission: "ALLOW" };
 * assert.ok(compareAcls(a, { ...a, resourceName: "b" }) < 0);
 * ```
 */
export function compareAcls(a: AclBinding, b: AclBinding): number {
  return compareStrings(a.resourceType, b.resourceType) ||
    compareStrings(a.patternType, b.patternType) ||
    compareStrings(a.resourceName, b.resourceName) ||
    compareStrings(a.principal, b.principal) ||
    compareStrings(a.host, b.host) ||
    compareStrings(a.operation, b.operation) ||
    compareStrings(a.permission, b.permission);
}

async function readScramUsers(
  session: WireSession,
  problem: ProblemFn,
): Promise<ClusterInventory["scramUsers"]> {
  const broker = session.brokers[0];
  if (broker === undefined) return { available: false, reason: "no broker", users: [] };
  if ((await session.versionFor(broker.nodeId, describeScramCredentialsRequest())) === undefined) {
    return {
      available: false,
      reason:
        "not available via this client: the brokers do not support DescribeUserScramCredentials (Kafka < 2.7)",
      users: [],
    };
  }
  try {
    const result = await session.send(broker.nodeId, describeScramCredentialsRequest());
    if (result.errorCode !== 0) {
      const error = new WireError(result.errorCode, "Describing SCRAM users", result.errorMessage);
      problem("scram_users", error);
      return { available: false, reason: error.message, users: [] };
    }
    const users = result.users
      .filter((u) => u.errorCode === 0)
      .map((u) => ({
        user: u.user,
        mechanisms: [...u.mechanisms].sort((a, b) => compareStrings(a.mechanism, b.mechanism)),
      }))
      .sort((a, b) => compareStrings(a.user, b.user));
    return { available: true, reason: null, users };
  } catch (error) {
    problem("scram_users", error);
    return { available: false, reason: errorMessage(error), users: [] };
  }
}

async function readTransactions(
  session: WireSession,
  problem: ProblemFn,
): Promise<ClusterInventory["transactions"]> {
  const found = new Map<string, { transactionalId: string; producerId: number; state: string }>();
  let supported = 0;
  for (const broker of session.brokers) {
    if ((await session.versionFor(broker.nodeId, listTransactionsRequest())) === undefined) {
      continue;
    }
    supported++;
    try {
      const result = await session.send(broker.nodeId, listTransactionsRequest());
      if (result.errorCode !== 0) {
        problem(
          "transactions",
          new WireError(result.errorCode, `ListTransactions on broker ${broker.nodeId}`),
        );
        continue;
      }
      for (const t of result.transactions) found.set(t.transactionalId, t);
    } catch (error) {
      problem("transactions", error, `broker ${broker.nodeId}`);
    }
  }
  if (supported === 0) {
    return {
      available: false,
      reason: "the brokers do not support ListTransactions (Kafka < 3.0)",
      transactionalIds: [],
    };
  }
  return {
    available: true,
    reason: null,
    transactionalIds: [...found.values()].sort((a, b) =>
      compareStrings(a.transactionalId, b.transactionalId)
    ),
  };
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

async function mapLimit<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  });
  await Promise.all(workers);
}
