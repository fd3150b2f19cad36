/**
 * Check 3, spot check: per partition, sampled copied records — the first,
 * the last and random ones — are read back from both clusters through the
 * offset map and compared byte for byte: key (null and empty differ), value
 * (null is a tombstone), every header in order, timestamp. On compacted
 * topics a record the source has compacted away since the copy is a
 * warning, not a failure.
 *
 * @module
 */

import type { Buffer } from "node:buffer";
import { ConfigResourceTypes } from "../kafka/kafkajs.ts";
import type { KafkaConnection } from "../kafka/connect.ts";
import type { CopyRecord } from "../kafka/source_reader.ts";
import { partitionKey } from "../offset_map.ts";
import type { PartitionOffsetMap } from "../offset_map.ts";
import { mapLimit, migratedPartitions } from "./_inputs.ts";
import type { ValidationInputs } from "./_inputs.ts";
import { readRecordAt } from "./_read_record_at.ts";
import type { RecordAt } from "./_read_record_at.ts";
import { checkResult, worstOutcome } from "./validation_report.ts";
import type {
  ValidationCheck,
  ValidationDetail,
  ValidationOutcome,
  ValidationValue,
} from "./validation_report.ts";

/** The topic configs the spot check needs. */
export interface TopicTraits {
  /** `cleanup.policy` contains `compact`. */
  compacted: boolean;
  /** `message.timestamp.type` is `LogAppendTime` (the broker sets timestamps). */
  logAppendTime: boolean;
}

/**
 * Reads `cleanup.policy` and `message.timestamp.type` of topics (topics that
 * cannot be described are left out).
 *
 * @example
 * ```ts ignore
 * const traits = await topicTraits(source, ["orders"]);
 * console.log(traits.get("orders")?.compacted);
 * ```
 */
export async function topicTraits(
  connection: KafkaConnection,
  topics: readonly string[],
): Promise<Map<string, TopicTraits>> {
  const admin = await connection.admin();
  const out = new Map<string, TopicTraits>();
  for (let i = 0; i < topics.length; i += 100) {
    const chunk = topics.slice(i, i + 100);
    let described;
    try {
      described = await admin.describeConfigs({
        resources: chunk.map((name) => ({
          type: ConfigResourceTypes.TOPIC,
          name,
          configNames: ["cleanup.policy", "message.timestamp.type"],
        })),
        includeSynonyms: false,
      });
    } catch {
      // One topic may be gone: describe them one by one.
      for (const name of chunk) {
        const one = await topicTraits(connection, [name]).catch(() => new Map());
        for (const [k, v] of one) out.set(k, v);
      }
      continue;
    }
    for (const r of described.resources) {
      if (r.errorCode !== 0) continue;
      const value = (n: string) => r.configEntries.find((e) => e.configName === n)?.configValue;
      out.set(r.resourceName, {
        compacted: (value("cleanup.policy") ?? "delete").split(",").map((s) => s.trim())
          .includes("compact"),
        logAppendTime: value("message.timestamp.type") === "LogAppendTime",
      });
    }
  }
  return out;
}

/**
 * The source offset of the `index`-th copied record (0-based, in copy order).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PartitionOffsetMap } from "../offset_map.ts";
 * import { nthCopiedOffset } from "./check_spot.ts";
 * const map = new PartitionOffsetMap();
 * map.add(5, 0, 2);
 * map.add(10, 2, 3);
 * assert.ok(nthCopiedOffset(map, 0) === 5 && nthCopiedOffset(map, 2) === 10);
 * ```
 */
export function nthCopiedOffset(map: PartitionOffsetMap, index: number): number {
  let left = index;
  for (let i = 0; i < map.runCount; i++) {
    const run = map.run(i);
    if (left < run.count) return run.sourceStart + left;
    left -= run.count;
  }
  throw new RangeError(`Only ${map.copied} records were copied, not ${index + 1}`);
}

/**
 * Which copied records to compare: the first, the last, then distinct random
 * ones up to `wanted` — as source offsets, ascending, leaving `exclude` (the
 * sentinel, which check 4 reads) out.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PartitionOffsetMap } from "../offset_map.ts";
 * import { sampleOffsets } from "./check_spot.ts";
 * const map = new PartitionOffsetMap();
 * map.add(0, 0, 100);
 * const samples = sampleOffsets(map, 3, 99, Math.random);
 * assert.ok(samples.length === 3 && samples[0] === 0 && samples[2] === 98);
 * ```
 */
export function sampleOffsets(
  map: PartitionOffsetMap,
  wanted: number,
  exclude: number | undefined,
  random: () => number,
): number[] {
  const skip = exclude !== undefined && map.targetOf(exclude) !== undefined;
  let excludedIndex = -1;
  if (skip) {
    let before = 0;
    for (const [s, , c] of map.runs()) {
      if (exclude! >= s + c) before += c;
      else {
        before += exclude! - s;
        break;
      }
    }
    excludedIndex = before;
  }
  const count = map.copied - (skip ? 1 : 0);
  const take = Math.min(wanted, count);
  if (take <= 0) return [];
  const chosen = new Set<number>([0]);
  if (take >= 2) chosen.add(count - 1);
  while (chosen.size < take) chosen.add(Math.floor(random() * count));
  return [...chosen]
    .map((i) => nthCopiedOffset(map, skip && i >= excludedIndex ? i + 1 : i))
    .sort((a, b) => a - b);
}

function sameBytes(a: Buffer | null, b: Buffer | null): boolean {
  if (a === null || b === null) return a === b;
  return a.equals(b);
}

/**
 * The fields in which two copies of a record differ: `key`, `value`,
 * `headers`, `timestamp` (empty when byte-equal).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Buffer } from "node:buffer";
 * import { recordDifferences } from "./check_spot.ts";
 * const r = { offset: 0, timestamp: "1", key: Buffer.from(""), value: null, headers: [] };
 * assert.ok(recordDifferences(r, { ...r, key: null }).join() === "key");
 * assert.ok(recordDifferences(r, { ...r, offset: 9 }).length === 0);
 * ```
 */
export function recordDifferences(source: CopyRecord, target: CopyRecord): string[] {
  const out: string[] = [];
  if (!sameBytes(source.key, target.key)) out.push("key");
  if (!sameBytes(source.value, target.value)) out.push("value");
  const sameHeaders = source.headers.length === target.headers.length &&
    source.headers.every(([k, v], i) => {
      const other = target.headers[i]!;
      return k === other[0] && sameBytes(v, other[1]);
    });
  if (!sameHeaders) out.push("headers");
  if (source.timestamp !== target.timestamp) out.push("timestamp");
  return out;
}

interface SampleResult {
  status: ValidationOutcome;
  result: string;
  source: number;
  target: number | null;
  message?: string;
  differs?: string[];
}

function judge(
  source: number,
  target: number | undefined,
  src: RecordAt | undefined,
  tgt: RecordAt | undefined,
  traits: { source?: TopicTraits | undefined; target?: TopicTraits | undefined },
): SampleResult {
  const base = { source, target: target ?? null };
  const at = `source offset ${source} → target offset ${target}`;
  if (target === undefined || tgt === undefined || src === undefined) {
    return { ...base, status: "FAILED", result: "not_mapped", message: `${at}: not in the map` };
  }
  if ("missing" in tgt) {
    if (tgt.missing === "absent" && traits.target?.compacted) {
      return {
        ...base,
        status: "WARNING",
        result: "target_compacted",
        message: `${at}: the target has compacted the record away (compacted topic)`,
      };
    }
    return {
      ...base,
      status: "FAILED",
      result: "target_missing",
      message: `${at}: the record is not on the target (${tgt.missing}; target log ` +
        `${tgt.logStart}..${tgt.highWatermark})`,
    };
  }
  if ("missing" in src) {
    if (src.missing === "expired") {
      return {
        ...base,
        status: "WARNING",
        result: "source_expired",
        message: `${at}: the source has deleted the record since the copy (retention; its log ` +
          `now starts at ${src.logStart}), so it cannot be compared`,
      };
    }
    if (src.missing === "absent" && traits.source?.compacted) {
      return {
        ...base,
        status: "WARNING",
        result: "source_compacted",
        message: `${at}: the source has compacted the record away since the copy (compacted ` +
          "topic), so it cannot be compared",
      };
    }
    return {
      ...base,
      status: "FAILED",
      result: "source_missing",
      message: `${at}: the offset map says this source record was copied but the source has ` +
        `no record there (${src.missing})`,
    };
  }
  const differs = recordDifferences(src.found, tgt.found);
  if (differs.length === 0) return { ...base, status: "PASSED", result: "equal" };
  if (differs.length === 1 && differs[0] === "timestamp" && traits.target?.logAppendTime) {
    return {
      ...base,
      status: "WARNING",
      result: "timestamp_log_append_time",
      differs,
      message: `${at}: the timestamps differ because the target topic uses LogAppendTime`,
    };
  }
  return {
    ...base,
    status: "FAILED",
    result: "different",
    differs,
    message: `${at}: ${differs.join(", ")} ${differs.length === 1 ? "differs" : "differ"}`,
  };
}

/**
 * Runs the spot check: one detail per migrated partition, with its samples.
 *
 * @example
 * ```ts ignore
 * const check = await checkSpot(inputs);
 * console.log(check.summary.samples);
 * ```
 */
export async function checkSpot(inputs: ValidationInputs): Promise<ValidationCheck> {
  const wanted = inputs.config.validation.spot_check_records_per_partition;
  const names = inputs.topics.map((t) => t.topic);
  const [sourceTraits, targetTraits] = await Promise.all([
    topicTraits(inputs.source, names),
    topicTraits(inputs.target, names),
  ]);
  const sentinels = new Map(
    inputs.cutover.sentinels.map((s) => [partitionKey(s.topic, s.partition), s.source_offset]),
  );
  const partitions = migratedPartitions(inputs.topics);
  const details = await mapLimit(
    partitions,
    Math.max(1, Math.ceil(inputs.concurrency / 2)),
    async ({ topic, partition }): Promise<ValidationDetail> => {
      const name = `${topic}[${partition}]`;
      const p = inputs.copy.partitions.get(partitionKey(topic, partition));
      if (wanted === 0) {
        return {
          status: "WARNING",
          topic,
          partition,
          reason: "disabled",
          message: `${name}: not sampled (validation.spot_check_records_per_partition is 0)`,
          values: { samples: [] },
        };
      }
      if (p === undefined) {
        return {
          status: "FAILED",
          topic,
          partition,
          reason: "not_copied",
          message: `${name}: the journal has no copy of this partition`,
          values: { samples: [] },
        };
      }
      const offsets = sampleOffsets(
        p.map,
        wanted,
        sentinels.get(partitionKey(topic, partition)),
        inputs.random,
      );
      const samples: SampleResult[] = [];
      for (const s of offsets) {
        const t = p.map.targetOf(s);
        const [src, tgt] = t === undefined ? [undefined, undefined] : await Promise.all([
          readRecordAt(inputs.sourceReader, topic, partition, s, inputs.signal),
          readRecordAt(inputs.targetReader, topic, partition, t, inputs.signal),
        ]);
        samples.push(judge(s, t, src, tgt, {
          source: sourceTraits.get(topic),
          target: targetTraits.get(topic),
        }));
      }
      const status = worstOutcome(samples.map((s) => s.status));
      const values: Record<string, ValidationValue> = {
        compacted: sourceTraits.get(topic)?.compacted ?? null,
        samples: samples.map((s) => ({
          source: s.source,
          target: s.target,
          result: s.result,
          ...(s.differs === undefined ? {} : { differs: s.differs }),
        })),
      };
      if (status === "PASSED") return { status, topic, partition, values };
      const bad = samples.filter((s) => s.status === status);
      return {
        status,
        topic,
        partition,
        reason: [...new Set(bad.map((s) => s.result))].join(","),
        message: `${name}: ${bad.map((s) => s.message).join("; ")}`,
        values,
      };
    },
    inputs.signal,
  );
  const samples = details.reduce(
    (n, d) => n + (Array.isArray(d.values.samples) ? d.values.samples.length : 0),
    0,
  );
  return checkResult("spot_check", { partitions: details.length, samples }, details);
}
