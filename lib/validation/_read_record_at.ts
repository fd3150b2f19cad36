/**
 * Reads the one record at an exact offset, telling apart why it may not be
 * there: never written or compacted away (`absent`), deleted by retention
 * (`expired`, below the log start), or not written yet (`beyond_end`).
 *
 * @module
 */

import { isKraftoverError } from "../errors.ts";
import type { CopyRecord, SourceReader } from "../kafka/source_reader.ts";

/** The record at an offset, or why there is none. */
export type RecordAt =
  | { found: CopyRecord }
  | { missing: "absent" | "expired" | "beyond_end"; logStart: number; highWatermark: number };

/** Largest fetch for one sampled record (a bigger first batch is still returned whole). */
const SAMPLE_MAX_BYTES = 1024 * 1024;

/**
 * Reads the record at `offset` of a partition (READ_COMMITTED: a record of an
 * aborted transaction or a control record counts as absent).
 *
 * @example
 * ```ts ignore
 * const at = await readRecordAt(reader, "orders", 0, 42);
 * if ("found" in at) console.log(at.found.value);
 * ```
 */
export async function readRecordAt(
  reader: SourceReader,
  topic: string,
  partition: number,
  offset: number,
  signal?: AbortSignal,
): Promise<RecordAt> {
  let from = offset;
  for (let round = 0; round < 8; round++) {
    let chunk;
    try {
      chunk = await reader.read(topic, partition, from, {
        maxBytes: SAMPLE_MAX_BYTES,
        maxWaitMs: 0,
        ...(signal === undefined ? {} : { signal }),
      });
    } catch (error) {
      const bounds = await reader.bounds(topic, partition);
      if (isKraftoverError(error, "DATA_EXPIRED") || offset < bounds.logStart) {
        return { missing: "expired", ...bounds };
      }
      if (offset >= bounds.highWatermark) return { missing: "beyond_end", ...bounds };
      throw error;
    }
    const record = chunk.records.find((r) => r.offset === offset);
    if (record !== undefined) return { found: record };
    const bounds = { logStart: chunk.logStartOffset, highWatermark: chunk.highWatermark };
    if (chunk.next > offset) return { missing: "absent", ...bounds };
    if (offset < chunk.logStartOffset) return { missing: "expired", ...bounds };
    if (chunk.next === chunk.from) {
      return { missing: offset >= chunk.highWatermark ? "beyond_end" : "absent", ...bounds };
    }
    from = chunk.next;
  }
  const bounds = await reader.bounds(topic, partition);
  return { missing: "absent", ...bounds };
}
