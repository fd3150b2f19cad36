/**
 * Check 2, counts and offsets: per partition, every source offset from the
 * copy's start to the sentinel is accounted for — copied (in the offset map)
 * or a hole recorded while reading (aborted transaction, control record,
 * absent) — and the target holds exactly the copied records: its span from
 * where kraftover began writing (`targetStart`) to its end offset equals the
 * records copied, sentinel included, within `validation.count_tolerance`
 * (after the client switch producers append to the target, so the span is
 * taken up to the end of the copy), nothing copied was deleted since and
 * nothing is missing at the end.
 *
 * @module
 */

import { partitionKey } from "../offset_map.ts";
import type { PartitionCopyState } from "../copy/copy_state.ts";
import type { SentinelPosition } from "../cutover/cutover_state.ts";
import type { KafkaConnection } from "../kafka/connect.ts";
import { errorMessage } from "../errors.ts";
import { mapLimit, migratedPartitions } from "./_inputs.ts";
import type { ValidationInputs } from "./_inputs.ts";
import { checkResult } from "./validation_report.ts";
import type { ValidationCheck, ValidationDetail, ValidationValue } from "./validation_report.ts";

/** Log start and end offset of a partition. */
export interface LogBounds {
  /** First offset still in the log. */
  logStart: number;
  /** End offset (high watermark). */
  end: number;
}

/**
 * Log bounds of every partition of some topics (`undefined` per topic when it cannot be read,
 * with the reason).
 *
 * @example
 * ```ts ignore
 * const bounds = await logBounds(target, ["orders"], 8);
 * console.log(bounds.get("orders"));
 * ```
 */
export async function logBounds(
  connection: KafkaConnection,
  topics: readonly string[],
  concurrency: number,
): Promise<Map<string, Map<number, LogBounds> | { error: string }>> {
  const admin = await connection.admin();
  const out = new Map<string, Map<number, LogBounds> | { error: string }>();
  await mapLimit(topics, concurrency, async (topic) => {
    try {
      const offsets = await admin.fetchTopicOffsets(topic);
      out.set(
        topic,
        new Map(
          offsets.map((o) => [o.partition, { logStart: Number(o.low), end: Number(o.high) }]),
        ),
      );
    } catch (error) {
      out.set(topic, { error: errorMessage(error) });
    }
  });
  return out;
}

/** Copied source offsets strictly after `offset` (records that followed the sentinel). */
function copiedAfter(p: PartitionCopyState, offset: number): number {
  let n = 0;
  for (const [s, , c] of p.map.runs()) n += Math.max(0, s + c - Math.max(s, offset + 1));
  return n;
}

/**
 * Runs the counts-and-offsets check: one detail per migrated partition.
 *
 * @example
 * ```ts ignore
 * const check = await checkCounts(inputs);
 * console.log(check.details.filter((d) => d.status !== "PASSED"));
 * ```
 */
export async function checkCounts(inputs: ValidationInputs): Promise<ValidationCheck> {
  const tolerance = inputs.config.validation.count_tolerance;
  const bounds = await logBounds(
    inputs.target,
    inputs.topics.map((t) => t.topic),
    inputs.concurrency,
  );
  const sentinels = new Map<string, SentinelPosition>(
    inputs.cutover.sentinels.map((s) => [partitionKey(s.topic, s.partition), s]),
  );
  const switched = inputs.cutover.switched !== undefined;
  const details: ValidationDetail[] = migratedPartitions(inputs.topics).map(
    ({ topic, partition }) => {
      const name = `${topic}[${partition}]`;
      const p = inputs.copy.partitions.get(partitionKey(topic, partition));
      if (p === undefined) {
        return {
          status: "FAILED",
          topic,
          partition,
          reason: "not_copied",
          message: `${name}: the journal has no copy of this partition: it was never seeded`,
          values: {},
        };
      }
      const sentinel = sentinels.get(partitionKey(topic, partition));
      const holes = p.holes.aborted + p.holes.control + p.holes.absent;
      const unaccounted = p.next - p.sourceStart - p.copied - holes;
      const firstRun = p.map.runCount > 0 ? p.map.run(0) : undefined;
      const span = p.targetEnd - p.targetStart;
      const topicBounds = bounds.get(topic);
      const b = topicBounds instanceof Map ? topicBounds.get(partition) : undefined;
      const values: Record<string, ValidationValue> = {
        source_start: p.sourceStart,
        sentinel_offset: sentinel?.source_offset ?? null,
        copied_until: p.next,
        copied: p.copied,
        holes: { ...p.holes },
        unaccounted,
        target_start: p.targetStart,
        target_copy_end: p.targetEnd,
        target_log_start: b?.logStart ?? null,
        target_end: b?.end ?? null,
        span_difference: span - p.copied,
        records_after_copy: b === undefined ? null : Math.max(0, b.end - p.targetEnd),
      };
      const fail = (reason: string, message: string): ValidationDetail => ({
        status: "FAILED",
        topic,
        partition,
        reason,
        message: `${name}: ${message}`,
        values,
      });
      if (unaccounted !== 0) {
        return fail(
          "offsets_unaccounted",
          `${Math.abs(unaccounted)} source offsets in [${p.sourceStart}, ${p.next}) are neither ` +
            `copied (${p.copied}) nor a recorded hole (${holes}); the journal's copy steps are ` +
            "inconsistent",
        );
      }
      if (sentinel !== undefined) {
        if (p.next <= sentinel.source_offset) {
          return fail(
            "sentinel_not_reached",
            `the copy stopped at source offset ${p.next}, before the sentinel at ` +
              `${sentinel.source_offset}: records up to the sentinel are missing on the target`,
          );
        }
        if (p.map.targetOf(sentinel.source_offset) === undefined) {
          return fail(
            "sentinel_not_copied",
            `the sentinel at source offset ${sentinel.source_offset} is not in the offset map ` +
              "(it was read as a hole): the copy did not end with it",
          );
        }
      } else if (inputs.config.cutover.sentinels && inputs.cutover.sentinels.length > 0) {
        return fail("no_sentinel", "the cutover wrote no sentinel to this partition");
      } else if (p.next < p.seedEnd) {
        return fail(
          "copy_incomplete",
          `the copy stopped at source offset ${p.next}, before the seed end ${p.seedEnd}`,
        );
      }
      if (!(topicBounds instanceof Map) || b === undefined) {
        const why = topicBounds instanceof Map
          ? "the partition does not exist"
          : topicBounds?.error ?? "unknown";
        return fail("target_unreadable", `cannot read the target's offsets: ${why}`);
      }
      if (b.end < p.targetEnd) {
        return fail(
          "target_truncated",
          `the target ends at offset ${b.end}, but kraftover wrote up to ${p.targetEnd - 1}: ` +
            `${p.targetEnd - b.end} copied records are gone (unclean leader election, or the ` +
            "topic was deleted and re-created)",
        );
      }
      if (firstRun !== undefined && b.logStart > firstRun.targetStart) {
        return fail(
          "target_records_deleted",
          `the target's log starts at ${b.logStart}, after the first copied record at ` +
            `${firstRun.targetStart}: ${Math.min(b.logStart, p.targetEnd) - firstRun.targetStart}` +
            " copied records were deleted on the target (DeleteRecords, or retention — copied " +
            "records keep their source timestamps)",
        );
      }
      // Before the client switch nothing but kraftover writes to the target: its whole span
      // from where the copy began is measured. After it, producers append: the span up to the
      // end of the copy (the sentinel) is what kraftover wrote.
      const measured = switched ? span : b.end - p.targetStart;
      const difference = measured - p.copied;
      values.span_difference = difference;
      if (Math.abs(difference) > tolerance) {
        return fail(
          "span_mismatch",
          `the target holds ${measured} records from offset ${p.targetStart} to ` +
            `${switched ? "the end of the copy" : "its end"} (${p.targetStart + measured}) but ` +
            `${p.copied} were copied: ${difference} records there were not written by kraftover ` +
            `(count_tolerance ${tolerance})` +
            (switched ? "" : "; nothing else should write to the target before clients switch"),
        );
      }
      const warnings: [string, string][] = [];
      if (difference !== 0) {
        warnings.push([
          "span_within_tolerance",
          `the target holds ${measured} records from offset ${p.targetStart} but ${p.copied} ` +
          `were copied (${difference}, within count_tolerance ${tolerance})`,
        ]);
      }
      if (sentinel !== undefined) {
        const after = copiedAfter(p, sentinel.source_offset);
        if (after > 0) {
          warnings.push([
            "copied_after_sentinel",
            `${after} source records written after the sentinel were copied: a producer kept ` +
            "writing to the source during the freeze",
          ]);
        }
      }
      if (warnings.length > 0) {
        return {
          status: "WARNING",
          topic,
          partition,
          reason: warnings.map(([r]) => r).join(","),
          message: `${name}: ${warnings.map(([, m]) => m).join("; ")}`,
          values,
        };
      }
      return { status: "PASSED", topic, partition, values };
    },
  );
  return checkResult("counts_and_offsets", {
    partitions: details.length,
    copied: details.reduce(
      (n, d) => n + (typeof d.values.copied === "number" ? d.values.copied : 0),
      0,
    ),
  }, details);
}
