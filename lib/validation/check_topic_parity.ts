/**
 * Check 1, topic parity: every migrated topic exists on the target with the
 * partition count it was migrated with, and the source has not grown
 * partitions that were never copied.
 *
 * @module
 */

import type { KafkaConnection } from "../kafka/connect.ts";
import type { ValidationInputs } from "./_inputs.ts";
import { checkResult } from "./validation_report.ts";
import type { ValidationCheck, ValidationDetail } from "./validation_report.ts";

/**
 * Partition counts of topics on a cluster (`undefined` for a topic that does not exist).
 *
 * @example
 * ```ts ignore
 * const counts = await partitionCounts(target, ["orders"]);
 * console.log(counts.get("orders"));
 * ```
 */
export async function partitionCounts(
  connection: KafkaConnection,
  topics: readonly string[],
): Promise<Map<string, number>> {
  const admin = await connection.admin();
  const out = new Map<string, number>();
  let existing: Set<string>;
  try {
    existing = new Set(await admin.listTopics());
  } catch (error) {
    throw connection.classify(error, "listing topics", "validating");
  }
  const present = topics.filter((t) => existing.has(t));
  for (let i = 0; i < present.length; i += 200) {
    const chunk = present.slice(i, i + 200);
    try {
      const meta = await admin.fetchTopicMetadata({ topics: chunk });
      for (const t of meta.topics) out.set(t.name, t.partitions.length);
    } catch (error) {
      throw connection.classify(
        error,
        `reading the metadata of ${chunk.length} topics`,
        "validating",
      );
    }
  }
  return out;
}

/**
 * Runs the topic parity check: one detail per migrated topic.
 *
 * @example
 * ```ts ignore
 * const check = await checkTopicParity(inputs);
 * console.log(check.status);
 * ```
 */
export async function checkTopicParity(inputs: ValidationInputs): Promise<ValidationCheck> {
  const names = inputs.topics.map((t) => t.topic);
  const [onTarget, onSource] = await Promise.all([
    partitionCounts(inputs.target, names),
    partitionCounts(inputs.source, names),
  ]);
  const details: ValidationDetail[] = inputs.topics.map(({ topic, partitions }) => {
    const target = onTarget.get(topic);
    const source = onSource.get(topic);
    const values = {
      migrated_partitions: partitions,
      target_partitions: target ?? null,
      source_partitions: source ?? null,
    };
    if (target === undefined) {
      return {
        status: "FAILED",
        topic,
        reason: "target_topic_missing",
        message: `${topic}: the topic does not exist on the target (it was migrated with ` +
          `${partitions} partitions); it was deleted after the copy`,
        values,
      };
    }
    if (target !== partitions) {
      return {
        status: "FAILED",
        topic,
        reason: "partition_count_differs",
        message: `${topic}: the target has ${target} partitions, the topic was migrated with ` +
          `${partitions}; keyed records would land in other partitions than on the source`,
        values,
      };
    }
    if (source !== undefined && source > partitions) {
      return {
        status: "FAILED",
        topic,
        reason: "source_partitions_not_migrated",
        message: `${topic}: the source now has ${source} partitions but only ${partitions} were ` +
          "migrated: partitions added after the cutover were never copied",
        values,
      };
    }
    if (source === undefined) {
      return {
        status: "WARNING",
        topic,
        reason: "source_topic_gone",
        message: `${topic}: the topic no longer exists on the source, so the target cannot be ` +
          "compared with it",
        values,
      };
    }
    return { status: "PASSED", topic, values };
  });
  return checkResult("topic_parity", { topics: details.length }, details);
}
