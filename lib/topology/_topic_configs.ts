/**
 * Reading and changing topic configs on the target over kafkajs's
 * authenticated connections: DescribeConfigs (own and effective values) and
 * IncrementalAlterConfigs (kafkajs only has the legacy AlterConfigs, which
 * replaces a topic's whole config set).
 *
 * @module
 */

import { KraftoverError } from "../errors.ts";
import type { ErrorPhase } from "../errors.ts";
import type { KafkaConnection } from "../kafka/connect.ts";
import {
  describeConfigsRequest,
  incrementalAlterConfigsRequest,
  kafkaErrorName,
  openWireSession,
} from "../kafka/_wire.ts";
import type { ConfigChange, WireSession } from "../kafka/_wire.ts";
import { withRetry } from "../retry.ts";

export type { ConfigChange };

/** A topic's configs as the target describes them. */
export interface DescribedTopicConfigs {
  /** Own configs (`DYNAMIC_TOPIC_CONFIG`). */
  own: Record<string, string>;
  /** Effective values of every config (null when sensitive). */
  effective: Record<string, string | null>;
}

const UNKNOWN_TOPIC_OR_PARTITION = 3;
const DESCRIBE_CHUNK = 100;

/** A session for describing and altering topic configs; close it when done. */
export interface TopicConfigSession {
  /** Describes topics (retrying while a just-created topic is not yet known to the broker asked). */
  describe(topics: readonly string[]): Promise<Map<string, DescribedTopicConfigs>>;
  /** Applies SET/DELETE changes to one topic. */
  alter(topic: string, changes: readonly ConfigChange[]): Promise<void>;
  /** Closes the connections. */
  close(): Promise<void>;
}

/** Opens a {@linkcode TopicConfigSession} over a connection. */
export async function openTopicConfigSession(
  connection: KafkaConnection,
  phase: ErrorPhase,
  signal?: AbortSignal,
): Promise<TopicConfigSession> {
  const session: WireSession = await openWireSession(connection);
  const broker = () => {
    const b = session.brokers[0];
    if (b === undefined) {
      throw new KraftoverError("KAFKA_UNREACHABLE", `The ${connection.label} lists no broker`, {
        phase,
        retriable: true,
      });
    }
    return b.nodeId;
  };
  const retry = {
    attempts: 8,
    initialDelayMs: 100,
    maxDelayMs: 2_000,
    ...(signal ? { signal } : {}),
  };
  return {
    async describe(topics) {
      const out = new Map<string, DescribedTopicConfigs>();
      for (let i = 0; i < topics.length; i += DESCRIBE_CHUNK) {
        const chunk = topics.slice(i, i + DESCRIBE_CHUNK);
        await withRetry(async () => {
          const todo = chunk.filter((t) => !out.has(t));
          const resources = await session.send(
            broker(),
            describeConfigsRequest(todo.map((name) => ({ type: 2, name }))),
          );
          const unknown: string[] = [];
          for (const r of resources) {
            if (r.errorCode === UNKNOWN_TOPIC_OR_PARTITION) {
              unknown.push(r.resourceName);
              continue;
            }
            if (r.errorCode !== 0) {
              throw new KraftoverError(
                r.errorCode === 29 ? "KAFKA_AUTHZ_DENIED" : "KAFKA_ERROR",
                `Cannot describe the configs of ${r.resourceName} on the ${connection.label}: ` +
                  `${kafkaErrorName(r.errorCode)}${r.errorMessage ? ` (${r.errorMessage})` : ""}`,
                { phase },
              );
            }
            const own: Record<string, string> = {};
            const effective: Record<string, string | null> = {};
            for (const c of r.configs) {
              const value = c.sensitive ? null : c.value;
              effective[c.name] = value;
              if (c.source === 1 && value !== null) own[c.name] = value;
            }
            out.set(r.resourceName, { own, effective });
          }
          if (unknown.length > 0) {
            throw new KraftoverError(
              "KAFKA_ERROR",
              `The ${connection.label} does not know ${unknown.join(", ")} yet`,
              { phase, retriable: true },
            );
          }
        }, { ...retry, what: "describing topic configs" });
      }
      return out;
    },
    async alter(topic, changes) {
      if (changes.length === 0) return;
      const result = await session.send(
        broker(),
        incrementalAlterConfigsRequest(2, topic, changes),
      );
      const failed = result.errors.find((e) => e.code !== 0);
      if (failed !== undefined) {
        throw new KraftoverError(
          failed.code === 29 || failed.code === 31 ? "KAFKA_AUTHZ_DENIED" : "KAFKA_ERROR",
          `Cannot change the configs of ${topic} on the ${connection.label}: ` +
            `${kafkaErrorName(failed.code)}${failed.message ? ` (${failed.message})` : ""}`,
          { phase, detail: { topic, changes: changes.map((c) => ({ ...c })) } },
        );
      }
    },
    async close() {
      await session.close();
    },
  };
}
