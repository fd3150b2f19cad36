import assert from "node:assert/strict";
import { anchoredRegExp, isInternalTopic, selectTopics } from "./select_topics.ts";

Deno.test("selectTopics() anchors include and exclude patterns", () => {
  const s = selectTopics(["orders", "orders.v1", "old.orders.v1", "orders.v1.tmp"], {
    include: ["orders\\..*"],
    exclude: [".*\\.tmp"],
  });
  assert.deepEqual(s.selected, ["orders.v1"]);
  assert.deepEqual(s.excluded, [
    { name: "old.orders.v1", reason: "not_included" },
    { name: "orders", reason: "not_included" },
    { name: "orders.v1.tmp", reason: "excluded" },
  ]);
});

Deno.test("selectTopics() always leaves out Kafka's and MSK's internal topics, even when included", () => {
  const s = selectTopics(
    [
      "__consumer_offsets",
      "__transaction_state",
      "__amazon_msk_canary",
      "__amazon_msk_connect_offsets_x",
      "a",
    ],
    { include: [".*", "__.*"] },
  );
  assert.deepEqual(s.selected, ["a"]);
  assert.ok(s.excluded.every((e) => e.reason === "internal"));
});

Deno.test("an alternation pattern is anchored as a whole", () => {
  assert.ok(anchoredRegExp("a|b").test("a"));
  assert.ok(!anchoredRegExp("a|b").test("xa"));
  assert.ok(!anchoredRegExp("a|b").test("bx"));
  assert.ok(!isInternalTopic("_schemas"));
});
