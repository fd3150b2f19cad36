/**
 * kafkajs's own cluster object (metadata, broker pool, authenticated
 * connections), for the requests kafkajs has no public API for: group-less
 * READ_COMMITTED fetches and simple offset commits.
 *
 * @module
 */

import type { Buffer } from "node:buffer";
import { KraftoverError } from "../errors.ts";
import type { KafkaConnection } from "./connect.ts";
import type { FetchedBatchInfo, RawHeader } from "./kafkajs.ts";

/** A fetched record as kraftover's patched decoder returns it. */
export type DecodedRecord = {
  offset: string;
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  headerList: RawHeader[];
};

/** The parts of a kafkajs broker used here. */
export type KafkajsBroker = {
  offsetCommit(request: {
    groupId: string;
    groupGenerationId: number;
    memberId: string;
    topics: { topic: string; partitions: { partition: number; offset: string }[] }[];
  }): Promise<
    { responses: { topic: string; partitions: { partition: number; errorCode: number }[] }[] }
  >;
  fetch(request: {
    isolationLevel: number;
    maxWaitTime: number;
    minBytes: number;
    maxBytes: number;
    topics: {
      topic: string;
      partitions: { partition: number; fetchOffset: string; maxBytes: number }[];
    }[];
  }): Promise<{
    responses: {
      topicName: string;
      partitions: {
        partition: number;
        errorCode: number;
        highWatermark: string;
        lastStableOffset: string;
        lastStartOffset: string;
        abortedTransactions: { producerId: string; firstOffset: string }[];
        messages: DecodedRecord[] & { batches?: FetchedBatchInfo[] };
      }[];
    }[];
  }>;
};

/** The parts of a kafkajs cluster used here. */
export type KafkajsCluster = {
  findGroupCoordinator(args: { groupId: string }): Promise<KafkajsBroker>;
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  addTargetTopic(topic: string): Promise<void>;
  refreshMetadata(): Promise<void>;
  findTopicPartitionMetadata(topic: string): { partitionId: number; leader: number }[];
  findBroker(args: { nodeId: string }): Promise<KafkajsBroker>;
  fetchTopicsOffset(
    topics: { topic: string; partitions: { partition: number }[]; fromBeginning: boolean }[],
  ): Promise<{ topic: string; partitions: { partition: number; offset: string }[] }[]>;
};

/**
 * kafkajs's cluster factory for a connection, which kafkajs keeps behind a
 * symbol on its `Kafka` object.
 */
export function kafkajsClusterFactory(connection: KafkaConnection): (options: unknown) => unknown {
  const kafka = connection.kafka as unknown as Record<symbol, unknown>;
  const symbol = Object.getOwnPropertySymbols(kafka).find((s) =>
    s.description === "private:Kafka:createCluster"
  );
  const factory = symbol === undefined ? undefined : kafka[symbol];
  if (typeof factory !== "function") {
    throw new KraftoverError("INTERNAL", "This kafkajs build does not expose its cluster factory");
  }
  return factory as (options: unknown) => unknown;
}

/** A kafkajs cluster for READ_COMMITTED fetches and offset commits (no topic auto-creation). */
export function createLowLevelCluster(connection: KafkaConnection): KafkajsCluster {
  return kafkajsClusterFactory(connection)({
    allowAutoTopicCreation: false,
    isolationLevel: 1,
    metadataMaxAge: 60_000,
  }) as KafkajsCluster;
}

/** Commits group offsets over one connection to the cluster. */
export interface OffsetCommitter {
  /** Commits offsets for a group (which must have no members). */
  commit(
    groupId: string,
    offsets: readonly { topic: string; partition: number; offset: number }[],
  ): Promise<void>;
  /** Closes the connection. */
  close(): Promise<void>;
}

/**
 * Opens a committer that commits offsets as the Java AdminClient's
 * `alterConsumerGroupOffsets` does: one OffsetCommit to the group
 * coordinator with generation -1 and no member id, which the broker accepts
 * only for a group without members. (kafkajs's `admin.setOffsets` instead
 * joins the group with a throwaway consumer: seconds per group, one topic at
 * a time.) One committer shares its connections across groups, so moving
 * hundreds of groups does not pay a connection and authentication each.
 */
export async function openOffsetCommitter(connection: KafkaConnection): Promise<OffsetCommitter> {
  const cluster = createLowLevelCluster(connection);
  try {
    await cluster.connect();
  } catch (error) {
    throw connection.classify(error, "connecting to commit group offsets", "cutover");
  }
  return {
    async commit(groupId, offsets) {
      if (offsets.length === 0) return;
      try {
        const coordinator = await cluster.findGroupCoordinator({ groupId });
        const topics = [...new Set(offsets.map((o) => o.topic))].map((topic) => ({
          topic,
          partitions: offsets.filter((o) => o.topic === topic).map((o) => ({
            partition: o.partition,
            offset: String(o.offset),
          })),
        }));
        const response = await coordinator.offsetCommit({
          groupId,
          groupGenerationId: -1,
          memberId: "",
          topics,
        });
        const failed = response.responses.flatMap((t) =>
          t.partitions.filter((p) => p.errorCode !== 0).map((p) =>
            `${t.topic}[${p.partition}]: error ${p.errorCode}`
          )
        );
        if (failed.length > 0) {
          throw new KraftoverError(
            "KAFKA_ERROR",
            `Committing offsets of group ${groupId} failed: ${failed.join(", ")}`,
            {
              phase: "cutover",
              retriable: true,
            },
          );
        }
      } catch (error) {
        if (error instanceof KraftoverError) throw error;
        throw connection.classify(error, `committing offsets of group ${groupId}`, "cutover");
      }
    },
    async close() {
      await cluster.disconnect().catch(() => {});
    },
  };
}
