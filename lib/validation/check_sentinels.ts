/**
 * Check 4, sentinel presence: every sentinel the cutover wrote to the source
 * is on the target at the offset the offset map gives for it, and the record
 * there is the sentinel — header `kraftover-sentinel` equal to the migration
 * id. This proves each partition was drained to the end of what producers
 * wrote before the freeze.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { partitionKey } from "../offset_map.ts";
import { SENTINEL_HEADER } from "../cutover/cutover_state.ts";
import type { SentinelPosition } from "../cutover/cutover_state.ts";
import { mapLimit, migratedPartitions } from "./_inputs.ts";
import type { ValidationInputs } from "./_inputs.ts";
import { readRecordAt } from "./_read_record_at.ts";
import { checkResult } from "./validation_report.ts";
import type { ValidationCheck, ValidationDetail, ValidationValue } from "./validation_report.ts";

/**
 * Runs the sentinel check: one detail per migrated partition. When the config
 * turns sentinels off and none were written, every partition is a warning
 * (nothing proves the drain reached the end).
 *
 * @example
 * ```ts ignore
 * const check = await checkSentinels(inputs);
 * console.log(check.status);
 * ```
 */
export async function checkSentinels(inputs: ValidationInputs): Promise<ValidationCheck> {
  const byPartition = new Map<string, SentinelPosition>(
    inputs.cutover.sentinels.map((s) => [partitionKey(s.topic, s.partition), s]),
  );
  const disabled = !inputs.config.cutover.sentinels && inputs.cutover.sentinels.length === 0;
  const expectedHeader = Buffer.from(inputs.migrationId);
  const details = await mapLimit(
    migratedPartitions(inputs.topics),
    inputs.concurrency,
    async ({ topic, partition }): Promise<ValidationDetail> => {
      const name = `${topic}[${partition}]`;
      const sentinel = byPartition.get(partitionKey(topic, partition));
      if (sentinel === undefined) {
        return disabled
          ? {
            status: "WARNING",
            topic,
            partition,
            reason: "sentinels_disabled",
            message: `${name}: no sentinel (cutover.sentinels is false): nothing proves the ` +
              "copy reached the end of what producers wrote before the freeze",
            values: {},
          }
          : {
            status: "FAILED",
            topic,
            partition,
            reason: "no_sentinel",
            message: `${name}: the cutover journaled no sentinel for this partition`,
            values: {},
          };
      }
      const map = inputs.copy.partitions.get(partitionKey(topic, partition))?.map;
      const expected = map?.targetOf(sentinel.source_offset);
      const values: Record<string, ValidationValue> = {
        source_offset: sentinel.source_offset,
        journaled_target_offset: sentinel.target_offset ?? null,
        mapped_target_offset: expected ?? null,
      };
      const fail = (reason: string, message: string): ValidationDetail => ({
        status: "FAILED",
        topic,
        partition,
        reason,
        message: `${name}: ${message}`,
        values,
      });
      if (expected === undefined) {
        return fail(
          "sentinel_not_mapped",
          `the sentinel at source offset ${sentinel.source_offset} was never copied (the offset ` +
            "map has no target offset for it)",
        );
      }
      if (sentinel.target_offset !== undefined && sentinel.target_offset !== expected) {
        return fail(
          "sentinel_position_differs",
          `the cutover recorded the sentinel at target offset ${sentinel.target_offset}, the ` +
            `offset map says ${expected}`,
        );
      }
      const at = await readRecordAt(inputs.targetReader, topic, partition, expected, inputs.signal);
      if ("missing" in at) {
        return fail(
          "sentinel_missing",
          `no record at target offset ${expected} where the sentinel should be (${at.missing}; ` +
            `target log ${at.logStart}..${at.highWatermark})`,
        );
      }
      const headers = at.found.headers.filter(([k]) => k === SENTINEL_HEADER);
      values.header = headers.map(([, v]) => v?.toString("utf8") ?? null);
      if (!headers.some(([, v]) => v !== null && v.equals(expectedHeader))) {
        return fail(
          "not_a_sentinel",
          `the record at target offset ${expected} is not this migration's sentinel (header ` +
            `${SENTINEL_HEADER} ${
              headers.length === 0
                ? "absent"
                : `= ${JSON.stringify(headers.map(([, v]) => v?.toString("utf8") ?? null))}`
            }, expected ${JSON.stringify(inputs.migrationId)})`,
        );
      }
      return { status: "PASSED", topic, partition, values };
    },
    inputs.signal,
  );
  return checkResult("sentinels", {
    partitions: details.length,
    sentinels: inputs.cutover.sentinels.length,
  }, details);
}
