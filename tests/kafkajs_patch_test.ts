import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createRequire } from "node:module";
import { assertKafkajsPatched, crc32c } from "../lib/kafka/_kafkajs_patch.ts";

const require = createRequire(import.meta.url);

Deno.test("kafkajs checksums record batches with the fast CRC-32C, and the values are CRC-32C's", async () => {
  await assertKafkajsPatched();
  // The standard check value of CRC-32C (Castagnoli) and one with the top bit set.
  assert.equal(crc32c(Buffer.from("123456789")), 0xe3069283);
  assert.equal(crc32c(Buffer.alloc(32, 0xff)), 0x62a8ab43);
  // kafkajs's own module is the replacement, and its own byte-at-a-time table agrees with it.
  const inKafkajs = require("kafkajs/src/protocol/recordBatch/crc32C/index.js");
  assert.equal(inKafkajs, crc32c);
  const original = require("kafkajs/src/protocol/recordBatch/crc32C/crc32C.js");
  const data = Buffer.from(Array.from({ length: 4099 }, (_, i) => (i * 7919) & 0xff));
  assert.equal(crc32c(data), original(data) >>> 0);
});
