/**
 * Precheck findings about the target's broker configs, from real configs:
 * B11 with the target's `message.max.bytes` lowered (a dynamic cluster-wide
 * broker config, restored after), W08 with a KRaft broker started with
 * `auto.create.topics.enable=true` (a read-only broker config: Kafka refuses
 * to change it on a running broker, so the test starts its own).
 */

import assert from "node:assert/strict";
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
  "precheck() reports B11 when the target's message.max.bytes is below a source topic's limit",
  async (t, info) => {
    const p = uniquePrefix();
    const source = await adminConnection(info, "source");
    const target = await adminConnection(info, "target");
    const inherits = `${p}.inherits`;
    const ownLimit = `${p}.own-limit`;
    try {
      await topicWithRecords(source, inherits, { count: 1 });
      await topicWithRecords(source, ownLimit, {
        count: 1,
        configs: { "max.message.bytes": "2000000" },
      });
      const config = await testConfig(info, { prefix: p });

      await t.step("with the target's default limit: no B11", async () => {
        const report = await runPrecheck(config, { stores: false });
        assert.equal(findings(report, "B11").length, 0, JSON.stringify(report.findings, null, 2));
      });

      // Just below Kafka's default (1048588), so other tests' records are not affected.
      await alterClusterConfig(
        target,
        { name: "message.max.bytes", op: "set", value: "1048000" },
        "1048000",
      );
      let report;
      try {
        report = await runPrecheck(config, { stores: false });
      } finally {
        await alterClusterConfig(target, { name: "message.max.bytes", op: "delete" }, "1048588");
      }

      await t.step("lowered: B11 for the topic that inherits the broker limit", () => {
        const b11 = findings(report, "B11", `topic:${inherits}`);
        assert.equal(b11.length, 1, JSON.stringify(report.findings, null, 2));
        assert.match(
          b11[0]!.detail,
          /up to 1048588 bytes on the source, but the target would take only 1048000/,
        );
      });
      await t.step("not for the topic whose own max.message.bytes is copied with it", () => {
        assert.equal(findings(report, "B11", `topic:${ownLimit}`).length, 0);
      });
    } finally {
      await deleteTopics(source, [inherits, ownLimit]);
      await source.close();
      await target.close();
    }
  },
);

sandboxTest(
  "precheck() reports W08 for a target that creates topics automatically",
  async (_t, info) => {
    const libs = await extraBrokerLibs(info);
    if (libs === undefined) {
      // deno-lint-ignore no-console
      console.log("Skipped: the sandbox's Kafka jars are not in its cache directory");
      return;
    }
    const broker = await startExtraKraftBroker(info, libs, { "auto.create.topics.enable": "true" });
    try {
      const report = await runPrecheck(
        await testConfig(info, {
          prefix: uniquePrefix(),
          edit: (m) => {
            m.target.bootstrap_servers = [broker.bootstrap];
          },
        }),
        { stores: false },
      );
      const w08 = findings(report, "W08", "target");
      assert.equal(w08.length, 1, JSON.stringify(report.findings, null, 2));
      assert.match(w08[0]!.remediation, /auto\.create\.topics\.enable=false/);
      assert.equal(report.target.mode, "kraft");
    } finally {
      await broker.stop();
    }
  },
);
