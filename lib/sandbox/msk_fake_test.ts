import assert from "node:assert/strict";
import {
  DescribeClusterV2Command,
  GetBootstrapBrokersCommand,
  KafkaClient,
  ListClustersV2Command,
  NotFoundException,
} from "@aws-sdk/client-kafka";
import { serveMskFake } from "./msk_fake.ts";
import {
  buildFakeCluster,
  registerFakeCluster,
  unregisterFakeCluster,
} from "./msk_fake_cluster.ts";

function client(endpoint: string): KafkaClient {
  return new KafkaClient({
    endpoint,
    region: "eu-west-1",
    credentials: { accessKeyId: "AKIAFAKE", secretAccessKey: "fake" },
  });
}

Deno.test("msk fake answers DescribeClusterV2, GetBootstrapBrokers and pages ListClustersV2 through the real SDK", async () => {
  const zk = buildFakeCluster({
    name: "zk-source",
    kafkaVersion: "3.9.x",
    bootstrapBrokers: { plaintext: ["127.0.0.1:1"], saslIam: ["127.0.0.1:2", "127.0.0.1:3"] },
  });
  const kraft = buildFakeCluster({ name: "kraft-target", kafkaVersion: "3.9.x.kraft" });
  const fake = serveMskFake({ clusters: [zk, kraft] });
  const kafka = client(fake.endpoint);
  try {
    const d = await kafka.send(new DescribeClusterV2Command({ ClusterArn: zk.cluster.clusterArn }));
    assert.equal(d.ClusterInfo?.ClusterName, "zk-source");
    assert.equal(d.ClusterInfo?.Provisioned?.CurrentBrokerSoftwareInfo?.KafkaVersion, "3.9.x");
    assert.ok(d.ClusterInfo?.Provisioned?.ZookeeperConnectString?.includes(":2181"));
    assert.ok(d.ClusterInfo?.CreationTime instanceof Date);
    const dk = await kafka.send(
      new DescribeClusterV2Command({ ClusterArn: kraft.cluster.clusterArn }),
    );
    assert.equal(dk.ClusterInfo?.Provisioned?.ZookeeperConnectString, undefined);

    const b = await kafka.send(
      new GetBootstrapBrokersCommand({ ClusterArn: zk.cluster.clusterArn }),
    );
    assert.equal(b.BootstrapBrokerString, "127.0.0.1:1");
    assert.equal(b.BootstrapBrokerStringSaslIam, "127.0.0.1:2,127.0.0.1:3");
    assert.equal(b.BootstrapBrokerStringTls, undefined);

    for (let i = 0; i < 3; i++) {
      await registerFakeCluster(
        fake.endpoint,
        buildFakeCluster({ name: `extra-${i}`, type: i === 0 ? "SERVERLESS" : "PROVISIONED" }),
      );
    }
    const names: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await kafka.send(
        new ListClustersV2Command({ MaxResults: 2, ...(token ? { NextToken: token } : {}) }),
      );
      names.push(...(page.ClusterInfoList ?? []).map((c) => c.ClusterName ?? ""));
      token = page.NextToken;
      pages++;
    } while (token !== undefined);
    assert.deepEqual(names, ["zk-source", "kraft-target", "extra-0", "extra-1", "extra-2"]);
    assert.equal(pages, 3);
    const serverless = await kafka.send(
      new ListClustersV2Command({ ClusterTypeFilter: "SERVERLESS" }),
    );
    assert.deepEqual(serverless.ClusterInfoList?.map((c) => c.ClusterName), ["extra-0"]);
    const byName = await kafka.send(new ListClustersV2Command({ ClusterNameFilter: "extra-" }));
    assert.equal(byName.ClusterInfoList?.length, 3);
  } finally {
    kafka.destroy();
    await fake.shutdown();
  }
});

Deno.test("msk fake raises NotFoundException for an unknown ARN and forgets unregistered clusters", async () => {
  const fake = serveMskFake();
  const kafka = client(fake.endpoint);
  try {
    const arn =
      "arn:aws:kafka:eu-west-1:000000000000:cluster/nope/11111111-2222-3333-4444-555555555555-1";
    await assert.rejects(
      () => kafka.send(new DescribeClusterV2Command({ ClusterArn: arn })),
      (e: unknown) => e instanceof NotFoundException && e.$metadata.httpStatusCode === 404,
    );
    await assert.rejects(
      () => kafka.send(new GetBootstrapBrokersCommand({ ClusterArn: arn })),
      (e: unknown) => e instanceof NotFoundException,
    );
    const c = buildFakeCluster({ name: "temp", arn });
    await registerFakeCluster(fake.endpoint, c);
    const d = await kafka.send(new DescribeClusterV2Command({ ClusterArn: arn }));
    assert.equal(d.ClusterInfo?.ClusterArn, arn);
    await unregisterFakeCluster(fake.endpoint, arn);
    await assert.rejects(
      () => kafka.send(new DescribeClusterV2Command({ ClusterArn: arn })),
      (e: unknown) => e instanceof NotFoundException,
    );
    await assert.rejects(
      () => kafka.send(new DescribeClusterV2Command({ ClusterArn: "not-an-arn" })),
      (e: unknown) => (e as { name?: string }).name === "BadRequestException",
    );
  } finally {
    kafka.destroy();
    await fake.shutdown();
  }
});
