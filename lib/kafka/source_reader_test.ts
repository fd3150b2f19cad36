import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { decodeChunk, holesIn } from "./source_reader.ts";
import type { FetchedBatchInfo } from "./kafkajs.ts";

type Rec = {
  offset: string;
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  headerList: [];
};

/** Builds a fetch response's records and batch list. */
function fetched(
  batches: {
    first: number;
    last: number;
    offsets: number[];
    control?: "abort" | "commit";
    txn?: bigint;
  }[],
) {
  const messages: Rec[] & { batches?: FetchedBatchInfo[] } = [];
  const infos: FetchedBatchInfo[] = [];
  for (const b of batches) {
    infos.push({
      firstOffset: BigInt(b.first),
      lastOffset: BigInt(b.last),
      isControl: b.control !== undefined,
      inTransaction: b.txn !== undefined,
      producerId: b.txn ?? -1n,
      recordStart: messages.length,
      recordCount: b.offsets.length,
    });
    for (const o of b.offsets) {
      messages.push({
        offset: String(o),
        timestamp: "1",
        key: b.control === undefined
          ? Buffer.from(`k${o}`)
          : Buffer.from([0, 0, 0, b.control === "abort" ? 0 : 1]),
        value: Buffer.from("v"),
        headerList: [],
      });
    }
  }
  messages.batches = infos;
  return messages;
}

Deno.test("decodeChunk() drops aborted transactions and control records and counts every offset", () => {
  const messages = fetched([
    { first: 0, last: 1, offsets: [0, 1] }, // plain
    { first: 2, last: 3, offsets: [2, 3], txn: 7n }, // aborted txn of producer 7
    { first: 4, last: 4, offsets: [4], txn: 8n }, // committed txn of producer 8
    { first: 5, last: 5, offsets: [5], control: "abort", txn: 7n },
    { first: 6, last: 6, offsets: [6], control: "commit", txn: 8n },
    { first: 7, last: 9, offsets: [7, 9] }, // offset 8 compacted away
    { first: 12, last: 12, offsets: [12] }, // 10..11 whole batch gone
  ]);
  const chunk = decodeChunk({
    highWatermark: "13",
    lastStableOffset: "13",
    lastStartOffset: "0",
    abortedTransactions: [{ producerId: "7", firstOffset: "2" }],
    messages,
  }, 0);
  assert.deepEqual(chunk.records.map((r) => r.offset), [0, 1, 4, 7, 9, 12]);
  assert.equal(chunk.next, 13);
  assert.deepEqual(chunk.aborted, [[2, 4]]);
  assert.deepEqual(chunk.control, [[5, 6], [6, 7]]);
  assert.deepEqual(holesIn(chunk, 0, 13), { aborted: 2, control: 2, absent: 3 });
});

Deno.test("decodeChunk() skips records before the fetch offset inside a compressed batch", () => {
  const messages = fetched([{ first: 0, last: 4, offsets: [0, 1, 2, 3, 4] }]);
  const chunk = decodeChunk({
    highWatermark: "5",
    lastStableOffset: "5",
    lastStartOffset: "0",
    abortedTransactions: [],
    messages,
  }, 3);
  assert.deepEqual(chunk.records.map((r) => r.offset), [3, 4]);
  assert.deepEqual(holesIn(chunk, 3, chunk.next), { aborted: 0, control: 0, absent: 0 });
});

Deno.test("an aborted transaction that began before the fetch offset still filters its records", () => {
  const messages = fetched([
    { first: 10, last: 11, offsets: [10, 11], txn: 5n },
    { first: 12, last: 12, offsets: [12], control: "abort", txn: 5n },
    { first: 13, last: 13, offsets: [13], txn: 5n }, // a new, committed txn by the same producer
    { first: 14, last: 14, offsets: [14], control: "commit", txn: 5n },
  ]);
  const chunk = decodeChunk({
    highWatermark: "15",
    lastStableOffset: "15",
    lastStartOffset: "0",
    abortedTransactions: [{ producerId: "5", firstOffset: "8" }],
    messages,
  }, 10);
  assert.deepEqual(chunk.records.map((r) => r.offset), [13]);
  assert.deepEqual(holesIn(chunk, 10, 15), { aborted: 2, control: 2, absent: 0 });
});

Deno.test("a fetch that returns nothing leaves the position where it was", () => {
  const chunk = decodeChunk({
    highWatermark: "5",
    lastStableOffset: "3",
    lastStartOffset: "0",
    abortedTransactions: [],
    messages: fetched([]),
  }, 3);
  assert.equal(chunk.next, 3);
  assert.equal(chunk.lastStableOffset, 3);
});
