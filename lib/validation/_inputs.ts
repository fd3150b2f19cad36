/**
 * What the five checks share: the journal's view of the migration (topics,
 * copy state, cutover state), both clusters, readers over both, and the
 * settings. Built once by `validate`.
 *
 * @module
 */

import type { MigrationConfig } from "../config/types.ts";
import type { CopyState } from "../copy/copy_state.ts";
import type { CutoverState } from "../cutover/cutover_state.ts";
import type { KafkaConnection } from "../kafka/connect.ts";
import type { SourceReader } from "../kafka/source_reader.ts";
import type { Logger } from "../logger.ts";

/** The inputs of every check. */
export interface ValidationInputs {
  /** The migration id (the sentinels' header value). */
  migrationId: string;
  /** The config (`validation`, `cutover.sentinels`). */
  config: MigrationConfig;
  /** The migrated topics and their partition counts, from the journal. */
  topics: readonly { topic: string; partitions: number }[];
  /** The copy state replayed from the journal. */
  copy: CopyState;
  /** The cutover state replayed from the journal. */
  cutover: CutoverState;
  /** The source cluster. */
  source: KafkaConnection;
  /** The target cluster. */
  target: KafkaConnection;
  /** Reads the source (READ_COMMITTED, group-less). */
  sourceReader: SourceReader;
  /** Reads the target the same way. */
  targetReader: SourceReader;
  /** Requests in flight at once. */
  concurrency: number;
  /** Random numbers in [0, 1) for the spot check's samples. */
  random: () => number;
  /** Logger. */
  logger: Logger;
  /** Cancels the run. */
  signal: AbortSignal | undefined;
}

/**
 * Every partition of the migrated topics, in topic then partition order.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { migratedPartitions } from "./_inputs.ts";
 * assert.ok(migratedPartitions([{ topic: "a", partitions: 2 }]).length === 2);
 * ```
 */
export function migratedPartitions(
  topics: readonly { topic: string; partitions: number }[],
): { topic: string; partition: number }[] {
  return topics.flatMap((t) =>
    Array.from({ length: t.partitions }, (_, partition) => ({ topic: t.topic, partition }))
  );
}

/**
 * Runs `fn` over `items` with at most `limit` at once, keeping the results in order.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mapLimit } from "./_inputs.ts";
 * const out = await mapLimit([1, 2, 3], 2, (n) => Promise.resolve(n * 2));
 * assert.ok(out.join() === "2,4,6");
 * ```
 */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
  signal?: AbortSignal,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      signal?.throwIfAborted();
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}
