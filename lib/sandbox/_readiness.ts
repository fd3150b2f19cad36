/**
 * Waiting for real readiness: polling a condition until a deadline, failing
 * fast when a process it depends on exits.
 *
 * @module
 */

import { Kafka, type KafkaConfig, logLevel } from "../kafka/kafkajs.ts";
import { KraftoverError } from "../errors.ts";
import { type DetachedChild, logTail } from "./_process.ts";

/** Options for {@linkcode waitUntil}. */
export interface WaitUntilOptions {
  /** What is awaited, for the error message. */
  what: string;
  /** Deadline from now. */
  timeoutMs: number;
  /** Processes whose exit means the wait cannot succeed. @default [] */
  children?: DetachedChild[];
  /** Delay between checks. @default 250 */
  intervalMs?: number;
  /** Cancels the wait. */
  signal?: AbortSignal;
}

/** Polls `check` until it returns true; throws SANDBOX_START_FAILED at the deadline or when a child exits. */
export async function waitUntil(
  check: () => Promise<boolean>,
  options: WaitUntilOptions,
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  let exited: { child: DetachedChild; code: number } | undefined;
  for (const child of options.children ?? []) {
    child.exited.then((code) => (exited ??= { child, code }), () => {});
  }
  for (;;) {
    if (options.signal?.aborted) {
      throw new KraftoverError(
        "ABORTED",
        `Sandbox start-up aborted while waiting for ${options.what}`,
        {
          phase: "sandbox",
        },
      );
    }
    if (await check()) return;
    if (exited !== undefined) {
      throw new KraftoverError(
        "SANDBOX_START_FAILED",
        `Cannot start the sandbox: ${exited.child.name} exited with code ${exited.code} while waiting for ${options.what}; log ${exited.child.logFile}: ${await logTail(
          exited.child.logFile,
          12,
        )}`,
        { phase: "sandbox", detail: { process: exited.child.name, logFile: exited.child.logFile } },
      );
    }
    if (Date.now() > deadline) {
      const logs = (options.children ?? []).map((c) => c.logFile);
      throw new KraftoverError(
        "SANDBOX_START_FAILED",
        `Cannot start the sandbox: ${options.what} not ready after ${
          Math.round(options.timeoutMs / 1000)
        }s; see ${logs.join(", ") || "the logs"}`,
        { phase: "sandbox", retriable: true, detail: { logs } },
      );
    }
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 250));
  }
}

/** Whether ZooKeeper on 127.0.0.1:`port` serves requests (four-letter word `srvr`). */
export async function zooKeeperServes(port: number): Promise<boolean> {
  let conn: Deno.TcpConn | undefined;
  try {
    conn = await Deno.connect({ hostname: "127.0.0.1", port });
    await conn.write(new TextEncoder().encode("srvr"));
    const chunks: Uint8Array[] = [];
    const buf = new Uint8Array(4096);
    const timer = setTimeout(() => conn?.close(), 2_000);
    try {
      for (;;) {
        const n = await conn.read(buf);
        if (n === null) break;
        chunks.push(buf.slice(0, n));
      }
    } finally {
      clearTimeout(timer);
    }
    const text = new TextDecoder().decode(new Uint8Array(chunks.flatMap((c) => [...c])));
    return /Mode: (standalone|leader|follower)/.test(text);
  } catch {
    return false;
  } finally {
    try {
      conn?.close();
    } catch {
      // already closed
    }
  }
}

/**
 * Whether a Kafka listener answers a metadata request that lists
 * `expectedBrokers` brokers (the cluster has formed).
 */
export async function kafkaAnswers(config: KafkaConfig, expectedBrokers: number): Promise<boolean> {
  const admin = new Kafka({
    ...config,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3_000,
    authenticationTimeout: 5_000,
    requestTimeout: 5_000,
    retry: { retries: 0 },
  }).admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length === expectedBrokers;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}
