/**
 * Precheck findings that come from MSK cluster descriptions, with clusters
 * registered on the sandbox's MSK fake (their bootstrap brokers are the real
 * sandbox listeners): B02 Serverless, B03 a KRaft source, B04/B06 an old
 * ZooKeeper-mode target, I02 a source eligible for MSK's in-place upgrade.
 */

import assert from "node:assert/strict";
import {
  buildFakeCluster,
  registerFakeCluster,
  unregisterFakeCluster,
} from "../lib/sandbox/msk_fake_cluster.ts";
import type { BuildFakeClusterOptions } from "../lib/sandbox/msk_fake_cluster.ts";
import type { SandboxInfo } from "../lib/sandbox/sandbox_info.ts";
import { findings, runPrecheck, sandboxTest, testConfig, uniquePrefix } from "./precheck_env.ts";

sandboxTest(
  "precheck() reads MSK cluster descriptions: B02, B03, B04, B06 and I02",
  async (t, info) => {
    const p = uniquePrefix();
    const registered: string[] = [];
    const register = async (
      role: "source" | "target",
      options: Omit<BuildFakeClusterOptions, "name">,
    ) => {
      const cluster = buildFakeCluster({
        name: `${p}-${role}-${registered.length}`,
        region: info.region,
        bootstrapBrokers: {
          plaintext: info[role].bootstrap.plaintext,
          saslIam: info[role].bootstrap.iam,
        },
        ...options,
      });
      await registerFakeCluster(info.msk.endpoint, cluster);
      registered.push(cluster.cluster.clusterArn);
      return cluster.cluster.clusterArn;
    };
    const precheckWith = async (
      arns: { source?: string; target?: string },
      pair: "plaintext-plaintext" | "plaintext-iam" = "plaintext-plaintext",
    ) =>
      await runPrecheck(
        await testConfig(info as SandboxInfo, {
          prefix: p,
          pair,
          addressing: "arn",
          edit: (m) => {
            if (arns.source) m.source.cluster_arn = arns.source;
            if (arns.target) m.target.cluster_arn = arns.target;
          },
        }),
        { stores: false },
      );
    try {
      await t.step(
        "I02: a 3.9.x ZooKeeper-mode source in 3 AZs on m5 brokers is eligible",
        async () => {
          const source = await register("source", { kafkaVersion: "3.9.x", brokers: 3 });
          const report = await precheckWith({ source });
          const i02 = findings(report, "I02", "source");
          assert.equal(i02.length, 1, JSON.stringify(report.findings, null, 2));
          assert.match(i02[0]!.detail, /stays available, no data moves/);
          assert.match(
            i02[0]!.detail,
            /does not change the authentication, account, VPC, broker type/,
          );
          assert.match(i02[0]!.detail, /no evidence bundle/);
          assert.equal(findings(report, "B03").length, 0);
        },
      );

      await t.step(
        "no I02 on kafka.t3.small, nor with public access and open monitoring",
        async () => {
          const small = await register("source", {
            kafkaVersion: "3.9.x",
            brokers: 3,
            instanceType: "kafka.t3.small",
          });
          assert.equal(findings(await precheckWith({ source: small }), "I02").length, 0);
          const open = await register("source", {
            kafkaVersion: "3.9.x",
            brokers: 3,
            publicAccess: true,
            openMonitoring: true,
          });
          assert.equal(findings(await precheckWith({ source: open }), "I02").length, 0);
          const twoAzs = await register("source", { kafkaVersion: "3.9.x", brokers: 2 });
          assert.equal(findings(await precheckWith({ source: twoAzs }), "I02").length, 0);
        },
      );

      await t.step("B03: MSK says the source runs KRaft", async () => {
        const source = await register("source", { kafkaVersion: "3.7.x.kraft" });
        const report = await precheckWith({ source });
        const b03 = findings(report, "B03", "source");
        assert.equal(b03.length, 1, JSON.stringify(report.findings, null, 2));
        assert.match(b03[0]!.detail, /MSK API/);
      });

      await t.step(
        "B04 and B06: MSK says the target runs Kafka 3.6.0 in ZooKeeper mode",
        async () => {
          const target = await register("target", { kafkaVersion: "3.6.0" });
          const report = await precheckWith({ target });
          assert.equal(
            findings(report, "B04", "target").length,
            1,
            JSON.stringify(report.findings, null, 2),
          );
          const b06 = findings(report, "B06", "target");
          assert.equal(b06.length, 1);
          assert.match(b06[0]!.detail, /Kafka 3\.6\.0/);
        },
      );

      await t.step("B02: the target is MSK Serverless", async () => {
        const target = await register("target", { type: "SERVERLESS" });
        const report = await precheckWith({ target }, "plaintext-iam");
        const b02 = findings(report, "B02", "target");
        assert.equal(b02.length, 1, JSON.stringify(report.findings, null, 2));
        assert.match(b02[0]!.remediation, /provisioned MSK cluster in KRaft mode/);
      });
    } finally {
      for (const arn of registered) {
        await unregisterFakeCluster(info.msk.endpoint, arn).catch(
          () => {},
        );
      }
    }
  },
);
