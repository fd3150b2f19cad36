/**
 * The migration context: every side effect a phase has enters through it —
 * the config, the journal, Kafka connections, object stores, the clock, the
 * logger and progress display. Library users build one with
 * {@linkcode createMigrationContext}; tests pass fakes through the same
 * fields.
 *
 * @module
 */

import { join, resolve } from "node:path";
import { connectCluster } from "./kafka/connect.ts";
import type { KafkaConnection } from "./kafka/connect.ts";
import { openJournal } from "./journal.ts";
import type { Journal } from "./journal.ts";
import type { Logger } from "./logger.ts";
import { silentLogger } from "./logger.ts";
import { silentProgress } from "./progress.ts";
import type { ProgressReporter } from "./progress.ts";
import { createObjectStore } from "./store/create_object_store.ts";
import type { ObjectStore } from "./store/object_store.ts";
import { KraftoverError } from "./errors.ts";
import { VERSION } from "./version.ts";
import type { MigrationConfig } from "./config/types.ts";
import { clusterRegion } from "./kafka/connect.ts";
import { createBuiltinHookPlugin, loadHookPlugins } from "../hooks/loader.ts";
import type { HookPluginEntry } from "../hooks/loader.ts";
import { createHookRunner } from "../hooks/runner.ts";
import type { HookRunner } from "../hooks/runner.ts";
import { builtinPluginOptionsSchema } from "../plugins/_options.ts";

/** Everything a phase needs from the outside world. */
export interface MigrationContext {
  /** The validated config. */
  readonly config: MigrationConfig;
  /** The config file, for commands printed in runbooks and messages. */
  readonly configFile: string | undefined;
  /** The journal directory. */
  readonly journalDir: string;
  /** Logger. */
  readonly logger: Logger;
  /** Progress display. */
  readonly progress: ProgressReporter;
  /** The clock. */
  readonly now: () => Date;
  /** The journal, opened and locked on first use. */
  journal(): Promise<Journal>;
  /** The source cluster, connected on first use. */
  source(): Promise<KafkaConnection>;
  /** The target cluster, connected on first use. */
  target(): Promise<KafkaConnection>;
  /** The backup (staging) store. */
  backupStore(): ObjectStore;
  /** The evidence store. */
  evidenceStore(): ObjectStore;
  /** The hook runner with the configured plugins (loaded, and checked, on first use). */
  hooks(): Promise<HookRunner>;
  /** Closes connections, stores and the journal. */
  close(): Promise<void>;
}

/** Options for {@linkcode createMigrationContext}. */
export interface CreateMigrationContextOptions {
  /** Journal directory. @default `.kraftover/journal` beside the config file */
  journalDir?: string;
  /** Directory the config's relative paths were resolved against. @default Deno.cwd() */
  baseDir?: string;
  /** The config file path. */
  configFile?: string;
  /** Migration id to fix or check (`--migration-id`; else the config's `id`). */
  migrationId?: string;
  /** Logger. @default silentLogger */
  logger?: Logger;
  /** Progress display. @default silentProgress */
  progress?: ProgressReporter;
  /** The clock. @default () => new Date() */
  now?: () => Date;
  /** Aborts connection retries. */
  signal?: AbortSignal;
}

/**
 * Builds a context whose connections, stores and journal open lazily.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createMigrationContext } from "./context.ts";
 * import { parseConfigText } from "./config/load_config.ts";
 * const { config } = await parseConfigText(
 *   "migration:\n  source: { bootstrap_servers: [a:1], auth: { mode: plaintext } }\n" +
 *     "  target: { bootstrap_servers: [b:1], auth: { mode: plaintext } }\n  seed: { via: direct }\n",
 *   { env: {} },
 * );
 * const ctx = createMigrationContext(config, { journalDir: await Deno.makeTempDir() });
 * assert.ok(ctx.config.seed.via === "direct");
 * await ctx.close();
 * ```
 */
export function createMigrationContext(
  config: MigrationConfig,
  options: CreateMigrationContextOptions = {},
): MigrationContext {
  const logger = options.logger ?? silentLogger;
  const baseDir = options.baseDir ?? Deno.cwd();
  const journalDir = options.journalDir ?? join(baseDir, ".kraftover", "journal");
  const connections = new Map<string, Promise<KafkaConnection>>();
  const stores: ObjectStore[] = [];
  let journal: Promise<Journal> | undefined;
  let hooks: Promise<HookRunner> | undefined;

  const loadHooks = async (): Promise<HookRunner> => {
    const entries: HookPluginEntry[] = [...config.hooks];
    const shorthand = config.cutover.producer_freeze_webhook;
    const plugins = await loadHookPlugins(entries, { baseDir, logger });
    if (shorthand !== undefined) {
      plugins.unshift(
        typeof shorthand === "string"
          ? createBuiltinHookPlugin(
            builtinPluginOptionsSchema.parse({ builtin: "webhook-freeze", url: shorthand }),
          )
          : createBuiltinHookPlugin({ builtin: "webhook-freeze", ...shorthand }),
      );
    }
    const servers = config.target.bootstrap_servers;
    return createHookRunner(plugins, {
      logger,
      targetBootstrapServers: servers === undefined ? {} : { [config.target.auth.mode]: servers },
    });
  };

  const notify = async (from: string | null, to: string, reason: string | undefined) => {
    const runner = await (hooks ??= loadHooks()).catch(() => undefined);
    if (runner === undefined) return;
    const migrationId = (await journal?.catch(() => undefined))?.migrationId ?? "";
    await runner.run("notify", {
      migrationId,
      kind: to === "failed" ? "failure" : "state_changed",
      message: to === "failed"
        ? `Migration ${migrationId} failed in ${from}: ${reason ?? ""}`
        : `Migration ${migrationId}: ${from ?? "(new)"} → ${to}`,
      state: to,
      ...(from === null ? {} : { previousState: from }),
    }, { deadline: new Date(Date.now() + 10_000) }).catch(() => {});
  };

  const connect = (label: "source" | "target") => {
    let existing = connections.get(label);
    if (existing === undefined) {
      existing = connectCluster(config[label], {
        label,
        logger,
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      });
      existing.catch(() => connections.delete(label));
      connections.set(label, existing);
    }
    return existing;
  };

  const storeFor = (which: "backup" | "evidence"): ObjectStore => {
    const section = config[which];
    if (section === undefined) {
      throw new KraftoverError(
        "CONFIG_INVALID",
        `The config has no ${which} section: add ${which}: { s3_bucket: … } (or directory: …)`,
        { phase: "config" },
      );
    }
    const resolved = section.directory === undefined
      ? section
      : { ...section, directory: resolve(baseDir, section.directory) };
    const region = clusterRegion(config.source);
    const store = createObjectStore(resolved, {
      configPath: which,
      ...(region === undefined ? {} : { defaultRegion: region }),
    });
    stores.push(store);
    return store;
  };

  return {
    config,
    configFile: options.configFile,
    journalDir,
    logger,
    progress: options.progress ?? silentProgress,
    now: options.now ?? (() => new Date()),
    journal() {
      journal ??= openJournal(journalDir, {
        toolVersion: VERSION,
        logger,
        onTransition: (entry) => notify(entry.from, entry.to, entry.reason),
        ...(options.migrationId ?? config.id) === undefined
          ? {}
          : { migrationId: (options.migrationId ?? config.id) as string },
      });
      journal.catch(() => (journal = undefined));
      return journal;
    },
    source: () => connect("source"),
    target: () => connect("target"),
    backupStore: () => storeFor("backup"),
    evidenceStore: () => storeFor("evidence"),
    hooks: () => (hooks ??= loadHooks()),
    async close() {
      const open = [...connections.values()];
      connections.clear();
      await Promise.allSettled(open.map(async (c) => (await c).close()));
      for (const store of stores.splice(0)) store[Symbol.dispose]?.();
      if (journal !== undefined) {
        const j = journal;
        journal = undefined;
        await (await j.catch(() => undefined))?.close();
      }
    },
  };
}
