/**
 * Precheck findings about the target's broker configs, from real broker
 * configs on a KRaft broker of the test's own (so the shared sandbox target,
 * which other tests migrate to concurrently, is never changed): W08 with
 * `auto.create.topics.enable=true` (a read-only broker config: Kafka refuses
 * to change it on a running broker, so the broker starts with it), B11 with
 * `message.max.bytes` lowered as a dynamic cluster-wide broker config
 * (IncrementalAlterConfigs) below a source topic's limit.
 */

import assert from "node:assert/strict";
import { connectCluster } from "../lib/kafka/connect.ts";
import { silentLogger } from "../lib/logger.ts";
import {
  adminConnection,
  alterClusterConfig,
  deleteTopics,
  findings,
  runPrecheck,
  sandboxTest,
  testConfig,
  topicWithRecords,
  uniquePrefix,
} from "./precheck_env.ts";
import { extraBrokerLibs, startExtraKraftBroker } from "./precheck_extra_broker.ts";

sandboxTest(
  "precheck() reads the target's broker configs: W08 for auto-creation, B11 for a lowered message.max.bytes",
  async (t, info) => {
    const libs = await extraBrokerLibs(info);
    if (libs === undefined) {
      // deno-lint-ignore no-console
      console.log("Skipped: the sandbox's Kafka jars are not in its cache directory");
      return;
    }
    const p = uniquePrefix();
    const source = await adminConnection(info, "source");
    const inherits = `${p}.inherits`;
    const ownLimit = `${p}.own-limit`;
    const broker = await startExtraKraftBroker(libs, { "auto.create.topics.enable": "true" });
    const target = await connectCluster(
      {
        bootstrap_servers: [broker.bootstrap],
        auth: { mode: "plaintext" },
        client_id: "kraftover-test",
      },
      { label: "target", logger: silentLogger },
    );
    try {
      await topicWithRecords(source, inherits, { count: 1 });
      await topicWithRecords(source, ownLimit, {
        count: 1,
        configs: { "max.message.bytes": "2000000" },
      });
      const config = await testConfig(info, {
        prefix: p,
        edit: (m) => {
          m.target.bootstrap_servers = [broker.bootstrap];
        },
      });

      await t.step("auto.create.topics.enable=true on the target: W08", async () => {
        const report = await runPrecheck(config, { stores: false });
        const w08 = findings(report, "W08", "target");
        assert.equal(w08.length, 1, JSON.stringify(report.findings, null, 2));
        assert.match(w08[0]!.remediation, /auto\.create\.topics\.enable=false/);
        assert.equal(findings(report, "B11").length, 0, "the default limits match");
      });

      await alterClusterConfig(
        target,
        { name: "message.max.bytes", op: "set", value: "1000000" },
        "1000000",
      );

      await t.step(
        "message.max.bytes lowered on the target: B11 for the topic inheriting the limit",
        async () => {
          const report = await runPrecheck(config, { stores: false });
          const b11 = findings(report, "B11", `topic:${inherits}`);
          assert.equal(b11.length, 1, JSON.stringify(report.findings, null, 2));
          assert.match(
            b11[0]!.detail,
            /up to 1048588 bytes on the source, but the target would take only 1000000/,
          );
          assert.equal(
            findings(report, "B11", `topic:${ownLimit}`).length,
            0,
            "a topic whose own max.message.bytes is copied keeps its limit",
          );
        },
      );
    } finally {
      await target.close();
      await broker.stop();
      await deleteTopics(source, [inherits, ownLimit]);
      await source.close();
    }
  },
);
