/**
 * Sentinels: one record per source partition, written during the freeze,
 * marking the end of what producers wrote to the source. Draining until
 * every sentinel is on the target proves the copy is complete, and a
 * caught-up group is translated to just after its partition's sentinel.
 *
 * A sentinel has the key `__kraftover_sentinel__/<migration id>` (so
 * compacted topics accept it), the header `kraftover-sentinel: <migration id>`
 * and a small JSON value naming the migration, topic and partition.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { KraftoverError } from "../errors.ts";
import type { KafkaConnection } from "../kafka/connect.ts";
import { ensureExactRecordCodec, HEADER_LIST } from "../kafka/kafkajs.ts";
import type { SentinelPosition } from "./cutover_state.ts";
import { SENTINEL_HEADER, sentinelKey } from "./cutover_state.ts";

/**
 * The value of a sentinel record.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sentinelValue } from "./sentinels.ts";
 * const v = JSON.parse(sentinelValue("mig-1", "orders", 2, new Date(0)));
 * assert.ok(v.kraftover === "sentinel" && v.partition === 2);
 * ```
 */
export function sentinelValue(
  migrationId: string,
  topic: string,
  partition: number,
  at: Date,
): string {
  return JSON.stringify({
    kraftover: "sentinel",
    migration_id: migrationId,
    topic,
    partition,
    written_at: at.toISOString(),
  });
}

/**
 * Writes one sentinel to every given source partition (acks=all) and returns
 * where each landed. This is the only write kraftover ever makes to the source.
 */
export async function writeSentinels(
  source: KafkaConnection,
  migrationId: string,
  partitions: readonly { topic: string; partition: number }[],
  now: Date,
): Promise<SentinelPosition[]> {
  await ensureExactRecordCodec();
  const producer = await source.producer({ idempotent: true });
  const header = [[SENTINEL_HEADER, Buffer.from(migrationId)]] as const;
  const out: SentinelPosition[] = [];
  try {
    const byTopic = new Map<string, number[]>();
    for (const p of partitions) {
      byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p.partition]);
    }
    for (const [topic, list] of [...byTopic].sort(([a], [b]) => a.localeCompare(b))) {
      let meta;
      try {
        meta = await producer.send({
          topic,
          acks: -1,
          messages: list.map((partition) => ({
            partition,
            key: sentinelKey(migrationId),
            value: sentinelValue(migrationId, topic, partition, now),
            headers: { [HEADER_LIST]: header } as unknown as Record<string, Buffer>,
          })),
        });
      } catch (error) {
        throw source.classify(error, `writing sentinels to ${topic}`, "cutover");
      }
      for (const partition of list) {
        const m = meta.find((x) => x.partition === partition);
        if (m?.baseOffset === undefined) {
          throw new KraftoverError(
            "KAFKA_ERROR",
            `No acknowledgement for the sentinel on ${topic}[${partition}]`,
            {
              phase: "cutover",
              retriable: true,
            },
          );
        }
        out.push({ topic, partition, source_offset: Number(m.baseOffset) });
      }
    }
  } finally {
    await producer.disconnect().catch(() => {});
  }
  return out.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
}
