/**
 * Small admin helpers for the benchmark, over a PLAINTEXT bootstrap address
 * of the sandbox: create and delete topics, read end offsets, and produce
 * the benchmark's records with kcat.
 *
 * @module
 */

import { Kafka, logLevel } from "../../lib/kafka/kafkajs.ts";
import type { Admin } from "../../lib/kafka/kafkajs.ts";
import { recordLines } from "./records.ts";
import type { RecordLinesOptions, RecordTally } from "./records.ts";

/** An admin client on one cluster, opened on first use. */
export class BenchCluster {
  readonly #kafka: Kafka;
  #admin: Promise<Admin> | undefined;

  /** `bootstrap` is a PLAINTEXT `host:port`. */
  constructor(readonly bootstrap: string) {
    this.#kafka = new Kafka({
      clientId: "kraftover-bench",
      brokers: [bootstrap],
      logLevel: logLevel.NOTHING,
    });
  }

  /** The kafkajs client (for producers in the freeze scenario). */
  get kafka(): Kafka {
    return this.#kafka;
  }

  /** The shared admin client. */
  admin(): Promise<Admin> {
    this.#admin ??= (async () => {
      const admin = this.#kafka.admin();
      await admin.connect();
      return admin;
    })();
    return this.#admin;
  }

  /** Creates topics (waiting for their leaders). */
  async createTopics(
    topics: readonly { topic: string; partitions: number; configs?: Record<string, string> }[],
  ): Promise<void> {
    const admin = await this.admin();
    for (let i = 0; i < topics.length; i += 50) {
      await admin.createTopics({
        waitForLeaders: true,
        timeout: 120_000,
        topics: topics.slice(i, i + 50).map((t) => ({
          topic: t.topic,
          numPartitions: t.partitions,
          replicationFactor: 1,
          configEntries: Object.entries(t.configs ?? {}).map(([name, value]) => ({ name, value })),
        })),
      });
    }
  }

  /** Topics that exist, among `names` (all topics when omitted). */
  async existing(names?: readonly string[]): Promise<string[]> {
    const all = await (await this.admin()).listTopics();
    return names === undefined ? all : all.filter((t) => names.includes(t));
  }

  /** Deletes the topics that exist among `names` and waits until they are gone. */
  async deleteTopics(names: readonly string[]): Promise<void> {
    const present = await this.existing(names);
    if (present.length === 0) return;
    const admin = await this.admin();
    await admin.deleteTopics({ topics: present, timeout: 60_000 });
    const deadline = Date.now() + 60_000;
    while ((await this.existing(present)).length > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** Sum of the high watermarks of a topic's partitions (0 when it does not exist). */
  async endOffsetSum(topic: string): Promise<number> {
    const admin = await this.admin();
    // Asked for a topic that does not exist, kafkajs retries for seconds: look first.
    if (!(await admin.listTopics()).includes(topic)) return 0;
    try {
      const offsets = await admin.fetchTopicOffsets(topic);
      return offsets.reduce((n, p) => n + Number(p.high), 0);
    } catch {
      return 0;
    }
  }

  /** High watermark per partition. */
  async endOffsets(topic: string): Promise<number[]> {
    const offsets = await (await this.admin()).fetchTopicOffsets(topic);
    const out: number[] = [];
    for (const p of offsets) out[p.partition] = Number(p.high);
    return out;
  }

  /** Disconnects. */
  async close(): Promise<void> {
    const admin = this.#admin;
    this.#admin = undefined;
    await (await admin?.catch(() => undefined))?.disconnect().catch(() => {});
  }
}

/** What {@linkcode produceWithKcat} wrote. */
export interface ProduceResult extends RecordTally {
  /** Wall time, ms. */
  ms: number;
}

/**
 * Produces the benchmark's records into an existing topic with kcat
 * (librdkafka, acks=all, no compression): keys spread them over the
 * partitions. Throws when kcat fails.
 */
export async function produceWithKcat(
  bootstrap: string,
  topic: string,
  options: RecordLinesOptions,
): Promise<ProduceResult> {
  const tally: RecordTally = { records: 0, bytes: 0, minValue: Infinity, maxValue: 0 };
  const started = performance.now();
  const child = new Deno.Command("kcat", {
    args: ["-P", "-b", bootstrap, "-t", topic, "-K", "\t", "-z", "none", "-X", "linger.ms=20"],
    stdin: "piped",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const writer = child.stdin.getWriter();
  try {
    for (const chunk of recordLines(options, tally)) await writer.write(chunk);
  } finally {
    await writer.close().catch(() => {});
  }
  const status = await child.status;
  const errors = await stderr;
  if (!status.success || /ERROR|Delivery failed/.test(errors)) {
    throw new Error(
      `kcat could not produce to ${topic}: ${errors.split("\n").slice(0, 5).join(" ")}`,
    );
  }
  return { ...tally, ms: performance.now() - started };
}
