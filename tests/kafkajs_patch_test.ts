import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createRequire } from "node:module";
import {
  assertKafkajsPatched,
  crc32c,
  HEADER_LIST,
  kafkajsProduceRequestV3,
} from "../lib/kafka/_kafkajs_patch.ts";

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

Deno.test("concurrent first requests to a broker open one socket per pooled connection, and closing closes it", async () => {
  const net = require("node:net");
  // The broker side: every accepted socket, and a promise that settles when the client closes it.
  const accepted: { socket: { destroy(): void }; ended: Promise<void> }[] = [];
  const server = net.createServer(
    (socket: { destroy(): void; on(e: string, f: () => void): void; resume(): void }) => {
      accepted.push({ socket, ended: new Promise((resolve) => socket.on("end", resolve)) });
      socket.resume();
    },
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  let opened = 0;
  const ConnectionPool = require("kafkajs/src/network/connectionPool.js");
  const { createLogger, LEVELS } = require("kafkajs/src/loggers/index.js");
  const pool = new ConnectionPool({
    host: "127.0.0.1",
    port,
    logger: createLogger({ level: LEVELS.NOTHING, logCreator: () => () => {} }),
    connectionTimeout: 5000,
    requestTimeout: 5000,
    socketFactory: (
      { host, port, onConnect }: { host: string; port: number; onConnect(): void },
    ) => {
      opened++;
      return net.connect({ host, port }, onConnect);
    },
  });
  try {
    // Eight workers fetching at once from a broker nobody has talked to yet (index 1 = fetch).
    const got = await Promise.all(Array.from({ length: 8 }, () => pool.getConnection(1)));
    assert.equal(new Set(got).size, 1);
    assert.equal(opened, 1, `${opened} sockets opened for one pooled connection`);
    await pool.getConnection(0);
    assert.equal(opened, 2);
    // Closing the pool closes every socket it opened: the broker side sees each one end.
    await pool.destroy();
    await Promise.all(accepted.map((a) => a.ended));
    assert.equal(accepted.length, 2);
  } finally {
    for (const a of accepted) a.socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  }
});

Deno.test("the one-buffer produce request is byte for byte kafkajs's own, and the framing is kafkajs's", async () => {
  const Long = require("kafkajs/src/utils/long");
  const produceV3 = require("kafkajs/src/protocol/requests/produce/v3/request.js");
  const frame = require("kafkajs/src/protocol/request.js");
  const Decoder = require("kafkajs/src/protocol/decoder.js");
  const messages = (n: number, seed: number) =>
    Array.from({ length: n }, (_, i) => ({
      key: i % 5 === 0 ? null : Buffer.from(`key-${seed}-${i}`),
      value: i % 7 === 0 ? null : Buffer.alloc((i * 37 + seed) % 3000, i),
      timestamp: String(1765000000000 + ((i * 7919 + seed) % 5000)),
      headers: {
        [HEADER_LIST]: i % 3 === 0
          ? []
          : [["a", Buffer.from("1")], ["b", null], ["a", Buffer.alloc(0)]],
      },
    }));
  for (const [transactionalId, producerId] of [[null, -1], ["tx-1", 4_294_967_301]] as const) {
    const args = {
      acks: -1,
      timeout: 30000,
      transactionalId,
      // A number without idempotence, a Long with it: kafkajs passes both.
      producerId: producerId === -1 ? -1 : Long.fromNumber(producerId),
      producerEpoch: 3,
      compression: 0,
      topicData: [
        {
          topic: "orders",
          partitions: [{ partition: 0, firstSequence: 5, messages: messages(300, 1) }],
        },
        {
          topic: "payments",
          partitions: [
            { partition: 2, firstSequence: 0, messages: messages(1, 2) },
            { partition: 7, firstSequence: 2_000_000, messages: messages(40, 3) },
          ],
        },
      ],
    };
    const ours = Buffer.from((await produceV3(args).encode()).buffer);
    const theirs = Buffer.from(
      (await (kafkajsProduceRequestV3(args) as { encode(): Promise<{ buffer: Buffer }> }).encode())
        .buffer,
    );
    assert.ok(ours.length > 100_000);
    assert.deepEqual(ours, theirs, `produce request differs (transactionalId ${transactionalId})`);

    const framed = await frame({
      correlationId: 41,
      clientId: "kraftover",
      request: produceV3(args),
    });
    const d = new Decoder(Buffer.from(framed.buffer));
    assert.equal(d.readInt32(), framed.buffer.length - 4);
    assert.equal(d.readInt16(), 0); // Produce
    assert.equal(d.readInt16(), 3);
    assert.equal(d.readInt32(), 41);
    assert.equal(d.readString(), "kraftover");
    assert.deepEqual(Buffer.from(d.readBytes(ours.length)), ours);
  }
});
