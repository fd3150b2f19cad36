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
