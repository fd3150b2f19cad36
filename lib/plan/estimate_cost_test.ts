import assert from "node:assert/strict";
import { parseConfigText } from "../config/load_config.ts";
import type { ClusterInventory } from "../inventory/types.ts";
import { estimateCost } from "./estimate_cost.ts";

function inventory(bytesPerPartition: number[]): ClusterInventory {
  const partitions = bytesPerPartition.map((b, i) => ({
    partition: i,
    leader: 1,
    replicas: [1],
    isr: [1],
    logStartOffset: 0,
    endOffset: b > 0 ? 10 : 0,
    sizeBytes: b,
  }));
  const bytes = bytesPerPartition.reduce((a, b) => a + b, 0);
  return {
    msk: null,
    topics: [{ name: "t", partitions, sizeBytes: bytes, sizeEstimated: false }],
    totals: {
      topics: 1,
      partitions: partitions.length,
      bytes,
      records: 10,
      groups: 0,
      acls: 0,
      sizeEstimated: false,
    },
  } as unknown as ClusterInventory;
}

async function config(extra: string) {
  return (await parseConfigText(
    [
      "migration:",
      "  source: { bootstrap_servers: [a:1], region: eu-west-1, auth: { mode: plaintext } }",
      "  target: { bootstrap_servers: [b:1], region: eu-west-1, auth: { mode: plaintext } }",
      "  backup: { s3_bucket: my-backup }",
      "  seed: { segment_max_bytes: 1MiB }",
      extra,
    ].join("\n"),
    { env: {} },
  )).config;
}

Deno.test("estimateCost() counts one segment per started segment_max_bytes of each partition", async () => {
  const e = estimateCost({
    config: await config(""),
    source: inventory([3 * 1024 * 1024 + 1, 10, 0]),
  });
  assert.equal(e.quantities.segments, 4 + 1);
  assert.equal(e.quantities.s3_put_requests, 5 + 3 + 4);
  assert.equal(e.quantities.inter_region_gb, 0);
  assert.ok(e.cost.total > 0);
});

Deno.test("estimateCost() prices inter-region transfer when the regions differ", async () => {
  const c = await config("");
  c.target.region = "us-east-1";
  const e = estimateCost({ config: c, source: inventory([1e9]) });
  assert.equal(e.quantities.inter_region_gb, 1);
  assert.equal(e.cost.inter_region_transfer, 0.02);
});

Deno.test("estimateCost() uses the config's pricing: overrides and says so", async () => {
  const e = estimateCost({
    config: await config(
      "  pricing: { s3_put_per_1000: 1, date: '2026-02-01', source: internal price list }",
    ),
    source: inventory([10]),
  });
  assert.equal(e.price_table.prices.s3_put_per_1000, 1);
  assert.equal(e.price_table.date, "2026-02-01");
  assert.equal(e.price_table.source, "internal price list");
  assert.deepEqual(e.price_table.overridden, ["date", "s3_put_per_1000", "source"]);
});

Deno.test("estimateCost() has no S3 cost for a direct seed", async () => {
  const e = estimateCost({ config: await config("  pricing: {}\n"), source: inventory([1e9]) });
  const direct = estimateCost({
    config: { ...(await config("")), seed: { ...(await config("")).seed, via: "direct" } },
    source: inventory([1e9]),
  });
  assert.ok(e.cost.s3_requests > 0);
  assert.equal(direct.cost.s3_requests, 0);
  assert.equal(direct.cost.s3_storage, 0);
});
