import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { PartitionOffsetMap } from "../offset_map.ts";
import type { CopyRecord } from "../kafka/source_reader.ts";
import type { RawHeader } from "../kafka/kafkajs.ts";
import { nthCopiedOffset, recordDifferences, sampleOffsets } from "./check_spot.ts";

function mapOf(...runs: [number, number, number][]): PartitionOffsetMap {
  const map = new PartitionOffsetMap();
  for (const [s, t, c] of runs) map.add(s, t, c);
  return map;
}

Deno.test("sampleOffsets() takes the first and last copied records and distinct random ones, never the sentinel", () => {
  // Records 0..4 and 10..14 copied; the sentinel is 14, the last copied record.
  const map = mapOf([0, 0, 5], [10, 5, 5]);
  for (let seed = 0; seed < 50; seed++) {
    let x = seed;
    const random = () => ((x = (x * 9301 + 49297) % 233280) / 233280);
    const samples = sampleOffsets(map, 4, 14, random);
    assert.equal(samples.length, 4);
    assert.equal(samples[0], 0, "the first copied record");
    assert.equal(samples.at(-1), 13, "the last record before the sentinel");
    assert.equal(new Set(samples).size, 4, "distinct");
    for (const s of samples) assert.ok(map.targetOf(s) !== undefined && s !== 14, `${s} copied`);
  }
});

Deno.test("sampleOffsets() skips a sentinel in the middle of a run and samples everything when asked for more", () => {
  const map = mapOf([0, 0, 6]);
  assert.deepEqual(sampleOffsets(map, 10, 3, Math.random), [0, 1, 2, 4, 5]);
  assert.deepEqual(sampleOffsets(map, 0, 3, Math.random), []);
  assert.deepEqual(sampleOffsets(mapOf([7, 0, 1]), 3, 7, Math.random), [], "only the sentinel");
});

Deno.test("nthCopiedOffset() walks the runs in copy order", () => {
  const map = mapOf([5, 0, 2], [9, 2, 1], [20, 3, 3]);
  assert.deepEqual([0, 1, 2, 3, 5].map((i) => nthCopiedOffset(map, i)), [5, 6, 9, 20, 22]);
  assert.throws(() => nthCopiedOffset(map, 6), RangeError);
});

Deno.test("recordDifferences() tells null from empty and compares headers in order, null values included", () => {
  const headers: RawHeader[] = [["a", Buffer.from("1")], ["a", null], ["b", Buffer.from("")]];
  const base: CopyRecord = {
    offset: 0,
    timestamp: "1700000000000",
    key: Buffer.from("k"),
    value: Buffer.from(""),
    headers,
  };
  const same: CopyRecord = {
    ...base,
    offset: 42,
    headers: headers.map(([k, v]) => [k, v] as const),
  };
  assert.deepEqual(recordDifferences(base, same), []);
  assert.deepEqual(recordDifferences(base, { ...base, value: null }), ["value"]);
  assert.deepEqual(recordDifferences(base, { ...base, key: null }), ["key"]);
  assert.deepEqual(
    recordDifferences(base, {
      ...base,
      headers: [headers[1]!, headers[0]!, headers[2]!],
    }),
    ["headers"],
  );
  assert.deepEqual(
    recordDifferences(base, {
      ...base,
      headers: [headers[0]!, ["a", Buffer.from("")], headers[2]!],
    }),
    ["headers"],
    "a null header value is not an empty one",
  );
  assert.deepEqual(recordDifferences(base, { ...base, timestamp: "1700000000001" }), ["timestamp"]);
});
