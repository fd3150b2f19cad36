/**
 * Shared setup of the inventory, plan and precheck tests: the running
 * sandbox (`$KRAFTOVER_SANDBOX_DIR`, started by `deno task test`), configs
 * for it, unique names, admin connections, and polling with a deadline.
 * When no healthy sandbox is running, the tests that need one are skipped
 * and the reason is printed.
 *
 * @module
 */

import { stringify } from "yaml";
import { sandboxStatus } from "../lib/sandbox/sandbox.ts";
import { defaultSandboxDir } from "../lib/sandbox/sandbox_info.ts";
import type { SandboxInfo } from "../lib/sandbox/sandbox_info.ts";
import { sandboxConfigs } from "../lib/sandbox/sandbox_configs.ts";
import type { SandboxAuthPair } from "../lib/sandbox/sandbox_configs.ts";
import { parseConfigText } from "../lib/config/load_config.ts";
import type { MigrationConfig } from "../lib/config/types.ts";
import { createMigrationContext } from "../lib/context.ts";
import { connectCluster } from "../lib/kafka/connect.ts";
import type { KafkaConnection } from "../lib/kafka/connect.ts";
import { silentLogger } from "../lib/logger.ts";
import { delay } from "../lib/retry.ts";
import { precheck } from "../lib/precheck/precheck.ts";
import type { PrecheckFinding, PrecheckOptions, PrecheckReport } from "../lib/precheck/precheck.ts";
import type { FindingCode } from "../lib/precheck/finding_codes.ts";
import {
  describeConfigsRequest,
  incrementalAlterConfigsRequest,
  openWireSession,
} from "../lib/kafka/_wire.ts";
import type { ConfigChange } from "../lib/kafka/_wire.ts";

/** The running sandbox, or why there is none. */
export const sandbox: { info: SandboxInfo } | { skip: string } = await (async () => {
  const stateDir = defaultSandboxDir();
  try {
    const status = await sandboxStatus({ stateDir });
    if (!status.healthy || status.info === undefined) {
      return {
        skip: `no healthy sandbox in ${stateDir} (run deno task test, or kraftover sandbox up)`,
      };
    }
    for (const [k, v] of Object.entries(status.info.env)) Deno.env.set(k, v);
    return { info: status.info };
  } catch (error) {
    return { skip: `cannot read the sandbox in ${stateDir}: ${(error as Error).message}` };
  }
})();

let announced = false;

/**
 * A test against the sandbox: skipped (with the reason printed) when none is
 * running. kafkajs keeps timers past disconnect, so the op sanitizers are off.
 */
export function sandboxTest(
  name: string,
  fn: (t: Deno.TestContext, info: SandboxInfo) => Promise<void>,
): void {
  if ("skip" in sandbox && !announced) {
    announced = true;
    // deno-lint-ignore no-console
    console.log(`Skipping the sandbox tests of this file: ${sandbox.skip}`);
  }
  Deno.test({
    name,
    ignore: "skip" in sandbox,
    sanitizeOps: false,
    sanitizeResources: false,
    fn: (t) => fn(t, (sandbox as { info: SandboxInfo }).info),
  });
}

/** A prefix no other test uses, e.g. `kp-1a2b3c4d` (topic names `kp-1a2b3c4d.orders`). */
export function uniquePrefix(): string {
  return `kp-${crypto.randomUUID().slice(0, 8)}`;
}

/** A plaintext admin connection to one sandbox cluster (User:ANONYMOUS, a super user). */
export async function adminConnection(
  info: SandboxInfo,
  role: "source" | "target",
): Promise<KafkaConnection> {
  return await connectCluster(
    {
      bootstrap_servers: info[role].bootstrap.plaintext,
      auth: { mode: "plaintext" },
      client_id: "kraftover-test",
    },
    { label: role, logger: silentLogger },
  );
}

/** Options for {@linkcode testConfig}. */
export interface TestConfigOptions {
  /** Topics `<prefix>.*` are selected. */
  prefix: string;
  /** Auth pair. @default "plaintext-plaintext" */
  pair?: SandboxAuthPair;
  /** Clusters by bootstrap servers or by ARN through the MSK fake. @default "bootstrap" */
  addressing?: "bootstrap" | "arn";
  /** Edits the `migration:` object before it is validated. */
  edit?: (
    migration: Record<string, unknown> & {
      source: Record<string, unknown>;
      target: Record<string, unknown>;
    },
  ) => void;
}

/** A validated config for the sandbox selecting only `<prefix>.*` topics. */
export async function testConfig(
  info: SandboxInfo,
  options: TestConfigOptions,
): Promise<MigrationConfig> {
  const migration = structuredClone(
    sandboxConfigs(info, {
      addressing: options.addressing ?? "bootstrap",
    })[options.pair ?? "plaintext-plaintext"]
      .object.migration,
  ) as Record<string, unknown> & {
    source: Record<string, unknown>;
    target: Record<string, unknown>;
  };
  migration.topics = { include: [`${options.prefix}\\..*`] };
  options.edit?.(migration);
  const { config } = await parseConfigText(stringify({ migration }), {
    env: {},
    file: "test.yaml",
  });
  return config;
}

/** Runs precheck with a fresh context (silent logger) and closes it. */
export async function runPrecheck(
  config: MigrationConfig,
  options: PrecheckOptions = {},
): Promise<PrecheckReport> {
  const ctx = createMigrationContext(config, {
    journalDir: await Deno.makeTempDir(),
    logger: silentLogger,
  });
  try {
    return await precheck(ctx, options);
  } finally {
    await ctx.close();
  }
}

/** The findings with a code (and subject, when given). */
export function findings(
  report: PrecheckReport,
  code: FindingCode,
  subject?: string,
): PrecheckFinding[] {
  return report.findings.filter((f) =>
    f.code === code && (subject === undefined || f.subject === subject)
  );
}

/** Codes of the blockers, sorted. */
export function blockerCodes(report: PrecheckReport): string[] {
  return [...new Set(report.findings.filter((f) => f.severity === "blocker").map((f) => f.code))]
    .sort();
}

/** Polls `fn` until it returns something other than undefined/false, or throws after the deadline. */
export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined | false>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await fn();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `Timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ""}`,
      );
    }
    await delay(100);
  }
}

/**
 * Changes a cluster-wide dynamic broker config (IncrementalAlterConfigs on
 * resource `""`) and waits until every broker reports the new effective value.
 */
export async function alterClusterConfig(
  connection: KafkaConnection,
  change: ConfigChange,
  expectEffective: string,
): Promise<void> {
  const session = await openWireSession(connection);
  try {
    const broker = session.brokers[0]!.nodeId;
    const result = await session.send(broker, incrementalAlterConfigsRequest(4, "", [change]));
    const error = result.errors.find((e) => e.code !== 0);
    if (error !== undefined) {
      throw new Error(`IncrementalAlterConfigs failed: ${error.code} ${error.message}`);
    }
    await waitFor(
      `${change.name}=${expectEffective} on every ${connection.label} broker`,
      async () => {
        for (const b of session.brokers) {
          const [r] = await session.send(
            b.nodeId,
            describeConfigsRequest([{ type: 4, name: String(b.nodeId) }]),
          );
          if (
            r?.configs.find((c) => c.name === change.name)?.value !== expectEffective
          ) return false;
        }
        return true;
      },
    );
  } finally {
    await session.close();
  }
}

/** Deletes topics and waits until they are gone (ignores topics that do not exist). */
export async function deleteTopics(
  connection: KafkaConnection,
  topics: readonly string[],
): Promise<void> {
  const admin = await connection.admin();
  const present = (await admin.listTopics()).filter((t) => topics.includes(t));
  if (present.length === 0) return;
  await admin.deleteTopics({ topics: present });
  await waitFor(`topics ${present.join(", ")} deleted on ${connection.label}`, async () => {
    const now = await admin.listTopics();
    return present.every((t) => !now.includes(t));
  });
}

/** Creates a topic and produces `count` records of `size` bytes to it. */
export async function topicWithRecords(
  connection: KafkaConnection,
  topic: string,
  options: {
    partitions?: number;
    count?: number;
    size?: number;
    configs?: Record<string, string>;
  } = {},
): Promise<void> {
  const admin = await connection.admin();
  await admin.createTopics({
    waitForLeaders: true,
    topics: [{
      topic,
      numPartitions: options.partitions ?? 1,
      configEntries: Object.entries(options.configs ?? {}).map(([name, value]) => ({
        name,
        value,
      })),
    }],
  });
  const count = options.count ?? 0;
  if (count > 0) {
    const producer = await connection.producer();
    await producer.send({
      topic,
      messages: Array.from(
        { length: count },
        (_, i) => ({ key: `k${i}`, value: "v".repeat(options.size ?? 100) }),
      ),
    });
    await producer.disconnect();
  }
}

/** Whether a program is on PATH. */
export async function hasProgram(name: string): Promise<boolean> {
  try {
    const out = await new Deno.Command("sh", {
      args: ["-c", `command -v ${name}`],
      stdout: "null",
      stderr: "null",
    })
      .output();
    return out.success;
  } catch {
    return false;
  }
}

/** The YAML text of a config object (for writing config files in CLI tests). */
export function yamlOf(value: unknown): string {
  return stringify(value);
}
