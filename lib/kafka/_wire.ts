/**
 * Kafka protocol requests that kafkajs 2.2.4 does not make, sent over
 * kafkajs's own authenticated broker connections: DescribeGroups v4 (static
 * members' `group.instance.id`), DescribeLogDirs (partition sizes), OffsetFetch
 * for all of a group's topics, DescribeUserScramCredentials, ListTransactions,
 * and IncrementalAlterConfigs (tests use it to make real conditions).
 *
 * kafkajs keeps its cluster factory and a broker's send method behind
 * symbols; {@linkcode openWireSession} gets the cluster factory from
 * `_low_level_cluster.ts` and finds a broker's send method the same way. A request here is an object with
 * `encode`/`decode` that kafkajs's connection frames, authenticates and
 * correlates like its own. Flexible versions (KIP-482) carry the request
 * header's empty tagged-field section at the start of the body, and skip the
 * response header's at the start of the response.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import type { KafkaConnection } from "./connect.ts";
import { kafkajsClusterFactory } from "./_low_level_cluster.ts";

/** Writes Kafka protocol primitives. */
export class WireWriter {
  #chunks: Buffer[] = [];

  /** INT8. */
  int8(value: number): this {
    const b = Buffer.alloc(1);
    b.writeInt8(value);
    this.#chunks.push(b);
    return this;
  }

  /** INT16. */
  int16(value: number): this {
    const b = Buffer.alloc(2);
    b.writeInt16BE(value);
    this.#chunks.push(b);
    return this;
  }

  /** INT32. */
  int32(value: number): this {
    const b = Buffer.alloc(4);
    b.writeInt32BE(value);
    this.#chunks.push(b);
    return this;
  }

  /** INT64. */
  int64(value: bigint): this {
    const b = Buffer.alloc(8);
    b.writeBigInt64BE(value);
    this.#chunks.push(b);
    return this;
  }

  /** BOOLEAN. */
  bool(value: boolean): this {
    return this.int8(value ? 1 : 0);
  }

  /** UNSIGNED_VARINT. */
  uvarint(value: number): this {
    const bytes: number[] = [];
    let v = value >>> 0;
    while (v >= 0x80) {
      bytes.push((v & 0x7f) | 0x80);
      v >>>= 7;
    }
    bytes.push(v);
    this.#chunks.push(Buffer.from(bytes));
    return this;
  }

  /** STRING / NULLABLE_STRING (null as length -1). */
  string(value: string | null): this {
    if (value === null) return this.int16(-1);
    const b = Buffer.from(value, "utf8");
    this.int16(b.length);
    this.#chunks.push(b);
    return this;
  }

  /** COMPACT_STRING / COMPACT_NULLABLE_STRING. */
  compactString(value: string | null): this {
    if (value === null) return this.uvarint(0);
    const b = Buffer.from(value, "utf8");
    this.uvarint(b.length + 1);
    this.#chunks.push(b);
    return this;
  }

  /** ARRAY / NULLABLE ARRAY (null as length -1). */
  array<T>(items: readonly T[] | null, each: (w: this, item: T) => void): this {
    if (items === null) return this.int32(-1);
    this.int32(items.length);
    for (const item of items) each(this, item);
    return this;
  }

  /** COMPACT_ARRAY / COMPACT_NULLABLE_ARRAY. */
  compactArray<T>(items: readonly T[] | null, each: (w: this, item: T) => void): this {
    if (items === null) return this.uvarint(0);
    this.uvarint(items.length + 1);
    for (const item of items) each(this, item);
    return this;
  }

  /** An empty tagged-field section. */
  noTags(): this {
    return this.uvarint(0);
  }

  /** The bytes written. */
  toBuffer(): Buffer {
    return Buffer.concat(this.#chunks);
  }
}

/** Reads Kafka protocol primitives. */
export class WireReader {
  #buf: Buffer;
  #at = 0;

  /** Reads from `buf`. */
  constructor(buf: Buffer) {
    this.#buf = buf;
  }

  /** INT8. */
  int8(): number {
    const v = this.#buf.readInt8(this.#at);
    this.#at += 1;
    return v;
  }

  /** INT16. */
  int16(): number {
    const v = this.#buf.readInt16BE(this.#at);
    this.#at += 2;
    return v;
  }

  /** INT32. */
  int32(): number {
    const v = this.#buf.readInt32BE(this.#at);
    this.#at += 4;
    return v;
  }

  /** INT64. */
  int64(): bigint {
    const v = this.#buf.readBigInt64BE(this.#at);
    this.#at += 8;
    return v;
  }

  /** BOOLEAN. */
  bool(): boolean {
    return this.int8() !== 0;
  }

  /** UNSIGNED_VARINT. */
  uvarint(): number {
    let value = 0;
    let shift = 0;
    for (;;) {
      const byte = this.#buf.readUInt8(this.#at++);
      value |= (byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return value >>> 0;
      shift += 7;
      if (shift > 28) throw new Error("Malformed varint in Kafka response");
    }
  }

  /** STRING. */
  string(): string {
    return this.nullableString() ?? "";
  }

  /** NULLABLE_STRING. */
  nullableString(): string | null {
    const len = this.int16();
    if (len < 0) return null;
    const v = this.#buf.toString("utf8", this.#at, this.#at + len);
    this.#at += len;
    return v;
  }

  /** BYTES (skipped: only the length is kept). */
  skipBytes(): number {
    const len = this.int32();
    if (len > 0) this.#at += len;
    return Math.max(0, len);
  }

  /** BYTES. */
  bytes(): Buffer | null {
    const len = this.int32();
    if (len < 0) return null;
    const v = this.#buf.subarray(this.#at, this.#at + len);
    this.#at += len;
    return v;
  }

  /** COMPACT_STRING. */
  compactString(): string {
    return this.compactNullableString() ?? "";
  }

  /** COMPACT_NULLABLE_STRING. */
  compactNullableString(): string | null {
    const len = this.uvarint() - 1;
    if (len < 0) return null;
    const v = this.#buf.toString("utf8", this.#at, this.#at + len);
    this.#at += len;
    return v;
  }

  /** ARRAY (a null array reads as empty). */
  array<T>(each: (r: this) => T): T[] {
    const n = this.int32();
    const out: T[] = [];
    for (let i = 0; i < n; i++) out.push(each(this));
    return out;
  }

  /** COMPACT_ARRAY (a null array reads as empty). */
  compactArray<T>(each: (r: this) => T): T[] {
    const n = this.uvarint() - 1;
    const out: T[] = [];
    for (let i = 0; i < n; i++) out.push(each(this));
    return out;
  }

  /** Skips a tagged-field section. */
  skipTags(): void {
    const n = this.uvarint();
    for (let i = 0; i < n; i++) {
      this.uvarint();
      const size = this.uvarint();
      this.#at += size;
    }
  }
}

/** Kafka error codes kraftover tells apart (the rest keep their number). */
const ERROR_NAMES: Readonly<Record<number, string>> = {
  [-1]: "UNKNOWN_SERVER_ERROR",
  3: "UNKNOWN_TOPIC_OR_PARTITION",
  7: "REQUEST_TIMED_OUT",
  14: "COORDINATOR_LOAD_IN_PROGRESS",
  15: "COORDINATOR_NOT_AVAILABLE",
  16: "NOT_COORDINATOR",
  29: "TOPIC_AUTHORIZATION_FAILED",
  30: "GROUP_AUTHORIZATION_FAILED",
  31: "CLUSTER_AUTHORIZATION_FAILED",
  35: "UNSUPPORTED_VERSION",
  40: "INVALID_CONFIG",
  42: "INVALID_REQUEST",
  44: "POLICY_VIOLATION",
  53: "TRANSACTIONAL_ID_AUTHORIZATION_FAILED",
  54: "SECURITY_DISABLED",
  57: "LOG_DIR_NOT_FOUND",
  69: "GROUP_ID_NOT_FOUND",
  91: "RESOURCE_NOT_FOUND",
};

const RETRIABLE_CODES = new Set([7, 14, 15, 16]);

/** A Kafka error code in a response, with kafkajs's `type` naming so `classifyKafkaError` reads it. */
export class WireError extends Error {
  /** Kafka's name for the code, e.g. `CLUSTER_AUTHORIZATION_FAILED`. */
  readonly type: string;
  /** The numeric code. */
  readonly errorCode: number;
  /** Whether the broker says a retry may help. */
  readonly retriable: boolean;

  /** Creates an error for a response error code. */
  constructor(errorCode: number, what: string, serverMessage?: string | null) {
    const type = ERROR_NAMES[errorCode] ?? `KAFKA_ERROR_${errorCode}`;
    super(`${what}: ${type}${serverMessage ? `: ${serverMessage}` : ""}`);
    this.name = "KafkaWireError";
    this.type = type;
    this.errorCode = errorCode;
    this.retriable = RETRIABLE_CODES.has(errorCode);
  }
}

/**
 * The Kafka error name of a code.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { kafkaErrorName } from "./_wire.ts";
 * assert.ok(kafkaErrorName(31) === "CLUSTER_AUTHORIZATION_FAILED");
 * ```
 */
export function kafkaErrorName(code: number): string {
  return ERROR_NAMES[code] ?? `KAFKA_ERROR_${code}`;
}

/** One request type this module can send. */
export interface WireRequest<T> {
  /** API key. */
  apiKey: number;
  /** API name, for kafkajs's logs. */
  apiName: string;
  /** Versions implemented here, lowest and highest. */
  versions: readonly [number, number];
  /** The first flexible version (KIP-482), or Infinity. */
  firstFlexible: number;
  /** Writes the request body. */
  encode(version: number, w: WireWriter): void;
  /** Reads the response body (after the response header). */
  decode(version: number, r: WireReader): T;
}

/** A broker as metadata lists it. */
export interface WireBroker {
  /** Node id. */
  nodeId: number;
  /** Host. */
  host: string;
  /** Port. */
  port: number;
  /** Rack, when set. */
  rack: string | null;
}

/** API versions a broker supports, by API key. */
export type ApiVersionMap = ReadonlyMap<number, { min: number; max: number }>;

/** A low-level session over a connected cluster. */
export interface WireSession {
  /** Cluster id from metadata. */
  readonly clusterId: string | null;
  /** Controller id from metadata (-1 or null when unknown). */
  readonly controllerId: number | null;
  /** Brokers from metadata, by node id. */
  readonly brokers: readonly WireBroker[];
  /** A broker's supported API versions (ApiVersions at connect). */
  apiVersions(nodeId: number): Promise<ApiVersionMap>;
  /** The version this module would use with a broker, or undefined when none fits. */
  versionFor(nodeId: number, request: WireRequest<unknown>): Promise<number | undefined>;
  /** Sends a request to a broker, at the highest version both support. */
  send<T>(nodeId: number, request: WireRequest<T>): Promise<T>;
  /** The node id of a group's coordinator. */
  groupCoordinator(groupId: string): Promise<number>;
  /** Closes the session's connections. */
  close(): Promise<void>;
}

type RawBroker = {
  versions: Record<number, { minVersion: number; maxVersion: number }> | null;
  [key: symbol]: unknown;
};
type RawCluster = {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  refreshMetadata(): Promise<void>;
  findBroker(args: { nodeId: string }): Promise<RawBroker>;
  findGroupCoordinator(args: { groupId: string }): Promise<{ nodeId: number }>;
  brokerPool: {
    metadata: {
      clusterId?: string | null;
      controllerId?: number | null;
      brokers: { nodeId: number; host: string; port: number; rack?: string | null }[];
    } | null;
  };
};

function clusterFactory(connection: KafkaConnection): (options: unknown) => RawCluster {
  return kafkajsClusterFactory(connection) as (options: unknown) => RawCluster;
}

function sendMethod(broker: RawBroker): (request: unknown) => Promise<unknown> {
  let proto: object | null = Object.getPrototypeOf(broker);
  while (proto !== null) {
    const symbol = Object.getOwnPropertySymbols(proto).find((s) =>
      s.description === "private:Broker:sendRequest"
    );
    if (symbol !== undefined) {
      const fn = (broker as Record<symbol, unknown>)[symbol];
      if (typeof fn === "function") return (fn as (r: unknown) => Promise<unknown>).bind(broker);
    }
    proto = Object.getPrototypeOf(proto);
  }
  throw new Error("This kafkajs build does not expose its broker send method");
}

/**
 * Opens a low-level session over a connected cluster (no auto-creation of
 * topics; metadata read once).
 *
 * @example
 * ```ts ignore
 * const session = await openWireSession(connection);
 * const sizes = await session.send(session.brokers[0]!.nodeId, describeLogDirsRequest);
 * await session.close();
 * ```
 */
export async function openWireSession(connection: KafkaConnection): Promise<WireSession> {
  const cluster = clusterFactory(connection)({
    allowAutoTopicCreation: false,
    metadataMaxAge: 300_000,
  });
  try {
    await cluster.connect();
    await cluster.refreshMetadata();
  } catch (error) {
    await cluster.disconnect().catch(() => {});
    throw connection.classify(error, "reading cluster metadata");
  }
  const metadata = cluster.brokerPool.metadata;
  const brokers = (metadata?.brokers ?? [])
    .map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack ?? null }))
    .sort((a, b) => a.nodeId - b.nodeId);

  async function broker(nodeId: number): Promise<RawBroker> {
    return await cluster.findBroker({ nodeId: String(nodeId) });
  }

  async function apiVersions(nodeId: number): Promise<ApiVersionMap> {
    const b = await broker(nodeId);
    const map = new Map<number, { min: number; max: number }>();
    for (const [key, v] of Object.entries(b.versions ?? {})) {
      map.set(Number(key), { min: v.minVersion, max: v.maxVersion });
    }
    return map;
  }

  async function versionFor(nodeId: number, request: WireRequest<unknown>) {
    const supported = (await apiVersions(nodeId)).get(request.apiKey);
    if (supported === undefined) return undefined;
    const version = Math.min(request.versions[1], supported.max);
    return version < Math.max(request.versions[0], supported.min) ? undefined : version;
  }

  return {
    clusterId: metadata?.clusterId ?? null,
    controllerId: metadata?.controllerId ?? null,
    brokers,
    apiVersions,
    versionFor,
    async send<T>(nodeId: number, request: WireRequest<T>): Promise<T> {
      const version = await versionFor(nodeId, request);
      if (version === undefined) throw new WireError(35, `${request.apiName} on broker ${nodeId}`);
      const flexible = version >= request.firstFlexible;
      const b = await broker(nodeId);
      const send = sendMethod(b);
      const protocolRequest = {
        request: {
          apiKey: request.apiKey,
          apiVersion: version,
          apiName: request.apiName,
          encode: () => {
            const w = new WireWriter();
            if (flexible) w.noTags(); // request header v2: tagged fields after client_id
            request.encode(version, w);
            const buf = w.toBuffer();
            return Promise.resolve({ buf, buffer: buf });
          },
        },
        response: {
          decode: (raw: Buffer) => {
            const r = new WireReader(raw);
            if (flexible) r.skipTags(); // response header v1
            return Promise.resolve(request.decode(version, r));
          },
          parse: (data: T) => Promise.resolve(data),
        },
      };
      return await send(protocolRequest) as T;
    },
    async groupCoordinator(groupId: string): Promise<number> {
      const coordinator = await cluster.findGroupCoordinator({ groupId });
      return coordinator.nodeId;
    },
    async close() {
      await cluster.disconnect().catch(() => {});
    },
  };
}

/** One group member as DescribeGroups gives it. */
export interface DescribedMember {
  /** Member id. */
  memberId: string;
  /** `group.instance.id` of a static member; null for a dynamic one or when the version cannot tell. */
  groupInstanceId: string | null;
  /** Client id. */
  clientId: string;
  /** Client host. */
  clientHost: string;
  /** The member's assignment (consumer protocol), raw. */
  assignment: Buffer | null;
}

/** One group as DescribeGroups gives it. */
export interface DescribedGroup {
  /** Error code (0 when fine). */
  errorCode: number;
  /** Group id. */
  groupId: string;
  /** State, e.g. Stable, Empty, Dead. */
  state: string;
  /** Protocol type, e.g. consumer. */
  protocolType: string;
  /** Members. */
  members: DescribedMember[];
}

/** DescribeGroups response. */
export interface DescribeGroupsResult {
  /** The version used (static membership is only visible from v4). */
  version: number;
  /** Groups. */
  groups: DescribedGroup[];
}

/**
 * DescribeGroups (key 15) v0–v4; v4 adds each member's `group.instance.id`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { describeGroupsRequest, WireWriter } from "./_wire.ts";
 * const w = new WireWriter();
 * describeGroupsRequest(["g"]).encode(4, w);
 * assert.ok(w.toBuffer().length === 4 + 2 + 1 + 1);
 * ```
 */
export function describeGroupsRequest(
  groupIds: readonly string[],
): WireRequest<DescribeGroupsResult> {
  return {
    apiKey: 15,
    apiName: "DescribeGroups",
    versions: [0, 4],
    firstFlexible: 5,
    encode(version, w) {
      w.array(groupIds, (x, id) => x.string(id));
      if (version >= 3) w.bool(false);
    },
    decode(version, r) {
      if (version >= 1) r.int32();
      const groups = r.array((g) => {
        const errorCode = g.int16();
        const groupId = g.string();
        const state = g.string();
        const protocolType = g.string();
        g.string(); // protocol data (assignor name)
        const members = g.array((m) => {
          const memberId = m.string();
          const groupInstanceId = version >= 4 ? m.nullableString() : null;
          const clientId = m.string();
          const clientHost = m.string();
          m.skipBytes(); // member metadata
          const assignment = m.bytes();
          return { memberId, groupInstanceId, clientId, clientHost, assignment };
        });
        if (version >= 3) g.int32();
        return { errorCode, groupId, state, protocolType, members };
      });
      return { version, groups };
    },
  };
}

/** One partition replica's size on a broker. */
export interface LogDirPartition {
  /** Topic. */
  topic: string;
  /** Partition. */
  partition: number;
  /** Bytes on disk. */
  size: number;
  /** A future replica (being moved between log dirs). */
  future: boolean;
}

/** DescribeLogDirs response of one broker. */
export interface DescribeLogDirsResult {
  /** Per log dir: error code and partitions. */
  dirs: { errorCode: number; logDir: string; partitions: LogDirPartition[] }[];
}

/**
 * DescribeLogDirs (key 35) v0–v1 for every partition the broker holds.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { describeLogDirsRequest, WireWriter } from "./_wire.ts";
 * const w = new WireWriter();
 * describeLogDirsRequest().encode(1, w);
 * assert.ok(w.toBuffer().readInt32BE(0) === -1); // null: all topics
 * ```
 */
export function describeLogDirsRequest(): WireRequest<DescribeLogDirsResult> {
  return {
    apiKey: 35,
    apiName: "DescribeLogDirs",
    versions: [0, 1],
    firstFlexible: 2,
    encode(_version, w) {
      w.array(null, () => {});
    },
    decode(_version, r) {
      r.int32();
      const dirs = r.array((d) => {
        const errorCode = d.int16();
        const logDir = d.string();
        const partitions: LogDirPartition[] = [];
        d.array((t) => {
          const topic = t.string();
          t.array((p) => {
            const partition = p.int32();
            const size = Number(p.int64());
            p.int64(); // offset lag
            const future = p.bool();
            partitions.push({ topic, partition, size, future });
          });
        });
        return { errorCode, logDir, partitions };
      });
      return { dirs };
    },
  };
}

/** A group's committed offsets. */
export interface OffsetFetchResult {
  /** Top-level error code. */
  errorCode: number;
  /** Committed offsets (partitions without a commit are left out). */
  offsets: { topic: string; partition: number; offset: number; errorCode: number }[];
}

/**
 * OffsetFetch (key 9) v2–v5 with a null topic list: every topic the group committed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { offsetFetchRequest, WireWriter } from "./_wire.ts";
 * const w = new WireWriter();
 * offsetFetchRequest("g").encode(3, w);
 * assert.ok(w.toBuffer().readInt32BE(3) === -1);
 * ```
 */
export function offsetFetchRequest(groupId: string): WireRequest<OffsetFetchResult> {
  return {
    apiKey: 9,
    apiName: "OffsetFetch",
    versions: [2, 5],
    firstFlexible: 6,
    encode(_version, w) {
      w.string(groupId);
      w.array(null, () => {});
    },
    decode(version, r) {
      if (version >= 3) r.int32();
      const offsets: OffsetFetchResult["offsets"] = [];
      r.array((t) => {
        const topic = t.string();
        t.array((p) => {
          const partition = p.int32();
          const offset = Number(p.int64());
          if (version >= 5) p.int32();
          p.nullableString();
          const errorCode = p.int16();
          if (offset >= 0 || errorCode !== 0) offsets.push({ topic, partition, offset, errorCode });
        });
      });
      const errorCode = r.int16();
      return { errorCode, offsets };
    },
  };
}

/** SCRAM credentials of users (names, mechanisms, iterations: never secrets). */
export interface ScramCredentialsResult {
  /** Top-level error code. */
  errorCode: number;
  /** Top-level error message. */
  errorMessage: string | null;
  /** Users. */
  users: {
    user: string;
    errorCode: number;
    mechanisms: { mechanism: string; iterations: number }[];
  }[];
}

const SCRAM_MECHANISMS: Readonly<Record<number, string>> = {
  1: "SCRAM-SHA-256",
  2: "SCRAM-SHA-512",
};

/**
 * DescribeUserScramCredentials (key 50) v0 for every user.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { describeScramCredentialsRequest, WireWriter } from "./_wire.ts";
 * const w = new WireWriter();
 * describeScramCredentialsRequest().encode(0, w);
 * assert.ok(w.toBuffer().length === 2); // empty user list (all users), no tags
 * ```
 */
export function describeScramCredentialsRequest(): WireRequest<ScramCredentialsResult> {
  return {
    apiKey: 50,
    apiName: "DescribeUserScramCredentials",
    versions: [0, 0],
    firstFlexible: 0,
    encode(_version, w) {
      // An empty list means every user. (A null list does too, but brokers up to at least 4.4
      // then fail with a NullPointerException when refusing the request, and never answer.)
      w.compactArray([], () => {});
      w.noTags();
    },
    decode(_version, r) {
      r.int32();
      const errorCode = r.int16();
      const errorMessage = r.compactNullableString();
      const users = r.compactArray((u) => {
        const user = u.compactString();
        const userError = u.int16();
        u.compactNullableString();
        const mechanisms = u.compactArray((c) => {
          const mechanism = SCRAM_MECHANISMS[c.int8()] ?? "UNKNOWN";
          const iterations = c.int32();
          c.skipTags();
          return { mechanism, iterations };
        });
        u.skipTags();
        return { user, errorCode: userError, mechanisms };
      });
      r.skipTags();
      return { errorCode, errorMessage, users };
    },
  };
}

/** Transactional ids a broker coordinates. */
export interface ListTransactionsResult {
  /** Error code. */
  errorCode: number;
  /** Transactions. */
  transactions: { transactionalId: string; producerId: number; state: string }[];
}

/**
 * ListTransactions (key 66) v0: every transactional id the broker coordinates.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { listTransactionsRequest, WireWriter } from "./_wire.ts";
 * const w = new WireWriter();
 * listTransactionsRequest().encode(0, w);
 * assert.ok(w.toBuffer().length === 3);
 * ```
 */
export function listTransactionsRequest(): WireRequest<ListTransactionsResult> {
  return {
    apiKey: 66,
    apiName: "ListTransactions",
    versions: [0, 0],
    firstFlexible: 0,
    encode(_version, w) {
      w.compactArray([], () => {});
      w.compactArray([], () => {});
      w.noTags();
    },
    decode(_version, r) {
      r.int32();
      const errorCode = r.int16();
      r.compactArray((s) => s.compactString());
      const transactions = r.compactArray((t) => {
        const transactionalId = t.compactString();
        const producerId = Number(t.int64());
        const state = t.compactString();
        t.skipTags();
        return { transactionalId, producerId, state };
      });
      r.skipTags();
      return { errorCode, transactions };
    },
  };
}

/** One config change for {@linkcode incrementalAlterConfigsRequest}. */
export interface ConfigChange {
  /** Config name. */
  name: string;
  /** SET with a value, or DELETE (back to the inherited value). */
  op: "set" | "delete";
  /** The value for SET. */
  value?: string;
}

/**
 * IncrementalAlterConfigs (key 44) v0 for one resource: type 2 topic, 4 broker
 * (name `""` for the cluster-wide default). Used by tests to make real
 * conditions; kraftover's plan and precheck never send it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { incrementalAlterConfigsRequest, WireWriter } from "./_wire.ts";
 * const w = new WireWriter();
 * incrementalAlterConfigsRequest(4, "", [{ name: "message.max.bytes", op: "delete" }]).encode(0, w);
 * assert.ok(w.toBuffer().length > 10);
 * ```
 */
export function incrementalAlterConfigsRequest(
  resourceType: 2 | 4,
  resourceName: string,
  changes: readonly ConfigChange[],
): WireRequest<{ errors: { code: number; message: string | null; name: string }[] }> {
  return {
    apiKey: 44,
    apiName: "IncrementalAlterConfigs",
    versions: [0, 0],
    firstFlexible: 1,
    encode(_version, w) {
      w.array([0], (x) => {
        x.int8(resourceType);
        x.string(resourceName);
        x.array(changes, (c, change) => {
          c.string(change.name);
          c.int8(change.op === "set" ? 0 : 1);
          c.string(change.op === "set" ? change.value ?? "" : null);
        });
      });
      w.bool(false);
    },
    decode(_version, r) {
      r.int32();
      const errors = r.array((x) => {
        const code = x.int16();
        const message = x.nullableString();
        x.int8();
        const name = x.string();
        return { code, message, name };
      });
      return { errors };
    },
  };
}

/** One described config entry. */
export interface DescribedConfig {
  /** Name. */
  name: string;
  /** Value (null when sensitive or unset). */
  value: string | null;
  /** Kafka's ConfigSource number (1 topic, 2 dynamic broker, 3 dynamic default, 4 static, 5 default). */
  source: number;
  /** Sensitive (the value is hidden). */
  sensitive: boolean;
}

/** One described resource. */
export interface DescribedResource {
  /** Error code (0 when fine). */
  errorCode: number;
  /** Error message. */
  errorMessage: string | null;
  /** 2 topic, 4 broker. */
  resourceType: number;
  /** Resource name. */
  resourceName: string;
  /** Config entries. */
  configs: DescribedConfig[];
}

/**
 * DescribeConfigs (key 32) v1–v2 for several resources, keeping each
 * resource's error instead of failing the whole request.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { describeConfigsRequest, WireWriter } from "./_wire.ts";
 * const w = new WireWriter();
 * describeConfigsRequest([{ type: 2, name: "t" }]).encode(1, w);
 * assert.ok(w.toBuffer().length === 4 + 1 + 2 + 1 + 4 + 1);
 * ```
 */
export function describeConfigsRequest(
  resources: readonly { type: 2 | 4; name: string }[],
): WireRequest<DescribedResource[]> {
  return {
    apiKey: 32,
    apiName: "DescribeConfigs",
    versions: [1, 2],
    firstFlexible: 4,
    encode(_version, w) {
      w.array(resources, (x, r) => {
        x.int8(r.type);
        x.string(r.name);
        x.array(null, () => {});
      });
      w.bool(false);
    },
    decode(_version, r) {
      r.int32();
      return r.array((x) => {
        const errorCode = x.int16();
        const errorMessage = x.nullableString();
        const resourceType = x.int8();
        const resourceName = x.string();
        const configs = x.array((c) => {
          const name = c.string();
          const value = c.nullableString();
          c.bool(); // read only
          const source = c.int8();
          const sensitive = c.bool();
          c.array((s) => {
            s.string();
            s.nullableString();
            s.int8();
          });
          return { name, value, source, sensitive };
        });
        return { errorCode, errorMessage, resourceType, resourceName, configs };
      });
    },
  };
}
