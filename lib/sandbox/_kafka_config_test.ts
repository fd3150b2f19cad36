import assert from "node:assert/strict";
import { type BrokerPorts, brokerProperties } from "./_kafka_config.ts";

function props(text: string): Map<string, string> {
  return new Map(
    text.split("\n").filter((l) => l !== "" && !l.startsWith("#")).map((l) => {
      const i = l.indexOf("=");
      return [l.slice(0, i), l.slice(i + 1)] as [string, string];
    }),
  );
}

const ports = (i: number): BrokerPorts => ({
  internal: 100 + i,
  controller: 200 + i,
  plaintext: 300 + i,
  scram: 400 + i,
  mtls: 500 + i,
  iam: 600 + i,
});
const common = {
  logDir: "/d",
  keystore: "/k.p12",
  keystorePassword: "pw",
  caFile: "/ca.pem",
  iamIdentitiesFile: "/ids",
  region: "eu-west-1",
  superUsers: ["User:ANONYMOUS", "User:admin"],
};

Deno.test("brokerProperties() gives a ZooKeeper-mode broker AclAuthorizer and no controller listener", () => {
  const p = props(
    brokerProperties({
      ...common,
      mode: "zookeeper",
      kafkaVersion: "3.9.2",
      nodeId: 1,
      cluster: [ports(1)],
      zookeeperConnect: "127.0.0.1:2181",
    }),
  );
  assert.equal(p.get("authorizer.class.name"), "kafka.security.authorizer.AclAuthorizer");
  assert.equal(p.get("broker.id"), "1");
  assert.equal(p.get("process.roles"), undefined);
  assert.ok(!p.get("listeners")!.includes("CONTROLLER"));
  assert.equal(p.get("super.users"), "User:ANONYMOUS;User:admin");
  assert.equal(p.get("allow.everyone.if.no.acl.found"), "false");
  assert.equal(p.get("listener.name.mtls.ssl.client.auth"), "required");
  assert.equal(
    p.get("share.coordinator.state.topic.replication.factor"),
    undefined,
    "no 4.x keys on 3.9",
  );
});

Deno.test("brokerProperties() gives a 3-node KRaft cluster its voters, StandardAuthorizer and matching replication", () => {
  const cluster = [ports(1), ports(2), ports(3)];
  const p = props(
    brokerProperties({ ...common, mode: "kraft", kafkaVersion: "4.4.0", nodeId: 2, cluster }),
  );
  assert.equal(p.get("process.roles"), "broker,controller");
  assert.equal(p.get("node.id"), "2");
  assert.equal(
    p.get("controller.quorum.voters"),
    "1@127.0.0.1:201,2@127.0.0.1:202,3@127.0.0.1:203",
  );
  assert.equal(
    p.get("authorizer.class.name"),
    "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
  );
  assert.ok(p.get("listeners")!.includes("CONTROLLER://127.0.0.1:202"));
  assert.ok(!p.get("advertised.listeners")!.includes("CONTROLLER"));
  assert.equal(p.get("offsets.topic.replication.factor"), "3");
  assert.equal(p.get("transaction.state.log.min.isr"), "2");
  assert.equal(p.get("share.coordinator.state.topic.replication.factor"), "3");
  assert.equal(p.get("auto.create.topics.enable"), "false");
});
