import assert from "node:assert/strict";
import { OffsetMap, PartitionOffsetMap, runsOf } from "./offset_map.ts";

/** A seeded PRNG so failures reproduce. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

Deno.test("translate() agrees with the definition for every offset of random logs with holes", () => {
  for (let seed = 1; seed <= 50; seed++) {
    const random = rng(seed);
    const logStart = Math.floor(random() * 50);
    const logEnd = logStart + Math.floor(random() * 400);
    // Each source offset is copied or a hole (compaction, aborted, control).
    const copied: number[] = [];
    for (let o = logStart; o < logEnd; o++) if (random() < 0.6) copied.push(o);
    // The target starts anywhere and writes copied records in order, in chunks
    // that may leave target gaps (e.g. a resumed run after a control record).
    const map = new PartitionOffsetMap();
    let target = Math.floor(random() * 1000);
    const targetOf = new Map<number, number>();
    for (let i = 0; i < copied.length;) {
      const n = 1 + Math.floor(random() * 20);
      const chunk = copied.slice(i, i + n);
      for (const [s, t, c] of runsOf(chunk, target)) map.add(s, t, c);
      chunk.forEach((s, j) => targetOf.set(s, target + j));
      target += chunk.length + (random() < 0.1 ? 1 : 0);
      i += n;
    }
    const sentinelEnd = target + 1;
    assert.equal(map.copied, copied.length);
    for (let c = 0; c <= logEnd + 2; c++) {
      const next = copied.find((o) => o >= c);
      const expected = next === undefined ? sentinelEnd : targetOf.get(next)!;
      const got = map.translate(c, sentinelEnd);
      assert.equal(got.target, expected, `seed ${seed}, committed ${c}`);
      assert.equal(
        got.via,
        next === undefined ? "after_sentinel" : next === c ? "copied" : "next_copied",
      );
      assert.equal(map.targetOf(c), targetOf.get(c));
    }
  }
});

Deno.test("a caught-up group lands after the sentinel, never on it", () => {
  const map = new PartitionOffsetMap();
  map.add(0, 0, 10); // source 0..9 → target 0..9; sentinel then lands at target 10
  assert.deepEqual(map.translate(10, 11), { source: 10, target: 11, via: "after_sentinel" });
  assert.equal(map.translate(9, 11).target, 9);
});

Deno.test("contiguous runs merge, overlapping runs are refused", () => {
  const map = new PartitionOffsetMap();
  map.add(0, 100, 5);
  map.add(5, 105, 5);
  assert.equal(map.runCount, 1);
  map.add(12, 110, 1);
  assert.equal(map.runCount, 2);
  assert.throws(() => map.add(12, 111, 1), /overlaps/);
  assert.throws(() => map.add(13, 110, 1), /overlaps/);
});

Deno.test("OffsetMap round-trips through JSON", () => {
  const map = new OffsetMap();
  map.add("a", 0, 0, 0, 3);
  map.add("a", 0, 5, 3, 2);
  map.add("b.c", 2, 10, 0, 1);
  const again = OffsetMap.fromJSON(JSON.parse(JSON.stringify(map)));
  assert.deepEqual(again.toJSON(), map.toJSON());
  assert.equal(again.copied, 6);
  assert.equal(again.partition("a", 0).translate(4, 99).target, 3);
});
