import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { decodeSegment, encodeSegment, SegmentBuilder } from "./segment.ts";
import type { CopyRecord } from "../kafka/source_reader.ts";
import { KraftoverError } from "../errors.ts";

const records: CopyRecord[] = [
  { offset: 10, timestamp: "1700000000000", key: null, value: Buffer.from("v"), headers: [] },
  { offset: 11, timestamp: "1700000000001", key: Buffer.alloc(0), value: null, headers: [] },
  {
    offset: 14,
    timestamp: "-1",
    key: Buffer.from("k"),
    value: Buffer.alloc(0),
    headers: [["a", Buffer.from("1")], ["b", null], ["a", Buffer.alloc(0)], [
      "ü",
      Buffer.from([0, 255]),
    ]],
  },
];
const description = {
  migration_id: "mig-test",
  topic: "orders",
  partition: 3,
  index: 7,
  from: 10,
  next: 16,
  aborted: [[12, 13] as const],
  control: [[13, 14] as const, [15, 16] as const],
};

for (const compression of ["zstd", "gzip", "none"] as const) {
  Deno.test(`a ${compression} segment round-trips keys, values (null vs empty), ordered headers and timestamps`, () => {
    const { header, records: back } = decodeSegment(
      encodeSegment({ ...description, compression }, records),
    );
    assert.equal(header.record_count, 3);
    assert.deepEqual(header.aborted, [[12, 13]]);
    assert.equal(header.next, 16);
    assert.equal(back.length, records.length);
    back.forEach((r, i) => {
      const want = records[i]!;
      assert.equal(r.offset, want.offset);
      assert.equal(r.timestamp, want.timestamp);
      assert.deepEqual(
        r.key === null ? null : [...r.key],
        want.key === null ? null : [...want.key],
      );
      assert.deepEqual(
        r.value === null ? null : [...r.value],
        want.value === null ? null : [...want.value],
      );
      assert.deepEqual(
        r.headers.map(([k, v]) => [k, v === null ? null : [...v]]),
        want.headers.map(([k, v]) => [k, v === null ? null : [...v]]),
      );
    });
  });
}

Deno.test("a damaged segment is refused with STORE_INTEGRITY, never decoded wrongly", () => {
  const bytes = encodeSegment({ ...description, compression: "none" }, records);
  for (const position of [0, 9, 20, bytes.length - 3, bytes.length - 1]) {
    const damaged = new Uint8Array(bytes);
    damaged[position] = damaged[position]! ^ 0xff;
    assert.throws(
      () => decodeSegment(damaged),
      (e) => e instanceof KraftoverError && e.code === "STORE_INTEGRITY",
    );
  }
  assert.throws(
    () => decodeSegment(bytes.subarray(0, bytes.length - 5)),
    (e) => e instanceof KraftoverError,
  );
});

Deno.test("SegmentBuilder tracks body size as records are added", () => {
  const builder = new SegmentBuilder();
  builder.add(records[0]!);
  const one = builder.bodyBytes;
  builder.add(records[1]!);
  assert.ok(builder.bodyBytes > one);
  assert.equal(builder.recordCount, 2);
});
