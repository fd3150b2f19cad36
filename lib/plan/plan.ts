/**
 * The `plan` phase (SPEC §6): writes what the migration will do and what it
 * needs — `plan.json`, `runbook.md`, `aws-cli.sh`,
 * `iam-policy-templated.json`, `iam-policy-concrete.json` and
 * `cost-estimate.json` — without changing either cluster.
 *
 * @module
 */

import { dirname, join, resolve } from "node:path";
import { createHash } from "node:crypto";
import type { MigrationContext } from "../context.ts";
import { errorMessage, isKraftoverError, KraftoverError } from "../errors.ts";
import { takeInventory } from "../inventory/take_inventory.ts";
import type { ClusterInventory } from "../inventory/types.ts";
import { migrationStatus } from "../status.ts";
import { redactText } from "../secret.ts";
import { writeFileAtomic } from "../store/atomic_write.ts";
import { VERSION } from "../version.ts";
import { formatAwsCliScript } from "../format/format_plan_aws_cli.ts";
import { formatRunbook } from "../format/format_plan_runbook.ts";
import { estimateCost } from "./estimate_cost.ts";
import type { CostEstimate } from "./estimate_cost.ts";
import { buildIamPolicy } from "./iam_policy.ts";
import { buildPlanDocument } from "./plan_document.ts";
import type { PlanInventoryStatus } from "./plan_document.ts";

/** What `plan` writes: one format, or `all`. */
export type PlanFormat = "json" | "runbook" | "aws-cli" | "iam-policy" | "cost" | "all";

/** Every plan format. */
export const PLAN_FORMATS: readonly PlanFormat[] = [
  "json",
  "runbook",
  "aws-cli",
  "iam-policy",
  "cost",
  "all",
];

/** The files each format writes (`aws-cli` also writes the concrete policy its script uses). */
export const PLAN_FILES: Readonly<Record<Exclude<PlanFormat, "all">, readonly string[]>> = {
  "json": ["plan.json"],
  "runbook": ["runbook.md"],
  "aws-cli": ["aws-cli.sh", "iam-policy-concrete.json"],
  "iam-policy": ["iam-policy-templated.json", "iam-policy-concrete.json"],
  "cost": ["cost-estimate.json"],
};

/** Options for {@linkcode plan}. */
export interface PlanOptions {
  /** What to write. @default "all" */
  format?: PlanFormat | readonly PlanFormat[];
  /** Directory the files go to (created when missing). @default "." */
  outDir?: string;
  /** Pins the migration id. @default the config's `id`, else the journal's, else none (the plan says so) */
  migrationId?: string;
  /** Overwrite existing files. @default false */
  force?: boolean;
  /** Read both clusters for the plan (read-only); false plans from the config alone. @default true */
  inventory?: boolean;
  /** Seed throughput assumed for estimates, bytes per second. @default 10 MiB/s per concurrent partition, at most 100 MiB/s */
  seedBytesPerSecond?: number;
  /** Cancels the plan. */
  signal?: AbortSignal;
}

/** One file written. */
export interface PlanFile {
  /** File name, e.g. `plan.json`. */
  name: string;
  /** Absolute path. */
  path: string;
  /** Size in bytes. */
  bytes: number;
  /** SHA-256 of the content, hex. */
  sha256: string;
}

/** What {@linkcode plan} did. */
export interface PlanReport {
  /** Absolute output directory. */
  outDir: string;
  /** The migration id in the plan, or null when not pinned. */
  migrationId: string | null;
  /** Files written, by name. */
  files: PlanFile[];
  /** Whether each cluster could be read. */
  inventory: { source: PlanInventoryStatus; target: PlanInventoryStatus };
  /** What the plan could not know. */
  notes: string[];
  /** The cost estimate. */
  estimate: CostEstimate;
}

/**
 * Writes the plan. It reads both clusters (metadata, configs, offsets, log
 * sizes, groups, ACLs: nothing is written to them) when it can; when a
 * cluster cannot be reached it still writes everything the config alone
 * determines, says so in `plan.json`'s `inventory` and `notes` and in the
 * runbook, and scopes the IAM policy by the topic patterns instead of the
 * topic names. Output is deterministic: no timestamps, everything sorted,
 * so the same config and cluster state give byte-identical files.
 * Existing files are only replaced with `force`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createMigrationContext } from "../context.ts";
 * import { parseConfigText } from "../config/load_config.ts";
 * import { plan } from "./plan.ts";
 * const { config } = await parseConfigText([
 *   "migration:",
 *   "  id: mig-docs",
 *   "  source: { bootstrap_servers: [127.0.0.1:9], auth: { mode: plaintext } }",
 *   "  target: { bootstrap_servers: [127.0.0.1:9], auth: { mode: plaintext } }",
 *   "  seed: { via: direct }",
 * ].join("\n"), { env: {} });
 * const dir = await Deno.makeTempDir();
 * const ctx = createMigrationContext(config, { journalDir: `${dir}/journal` });
 * const report = await plan(ctx, { format: "cost", outDir: dir, inventory: false });
 * assert.ok(report.files[0]!.name === "cost-estimate.json");
 * await ctx.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function plan(ctx: MigrationContext, options: PlanOptions = {}): Promise<PlanReport> {
  const { config } = ctx;
  const logger = ctx.logger.child({ phase: "planned" });
  const signal = options.signal;
  const outDir = resolve(options.outDir ?? ".");
  const formats = new Set(
    (Array.isArray(options.format) ? options.format : [options.format ?? "all"]) as PlanFormat[],
  );
  for (const f of formats) {
    if (!PLAN_FORMATS.includes(f)) {
      throw new KraftoverError(
        "USAGE",
        `Cannot write plan format ${f}: use one of ${PLAN_FORMATS.join(", ")}`,
        { phase: "planned" },
      );
    }
  }
  if (options.migrationId !== undefined && !/^[a-z0-9][a-z0-9-]{2,62}$/.test(options.migrationId)) {
    throw new KraftoverError(
      "USAGE",
      `Cannot use migration id ${
        JSON.stringify(options.migrationId)
      }: use 3-63 lowercase letters, digits ` +
        "and hyphens, starting with a letter or digit",
      { phase: "planned" },
    );
  }
  const names = new Set<string>();
  for (const [format, files] of Object.entries(PLAN_FILES)) {
    if (formats.has("all") || formats.has(format as PlanFormat)) {
      for (const n of files) names.add(n);
    }
  }

  await Deno.mkdir(outDir, { recursive: true });
  if (!options.force) {
    const existing: string[] = [];
    for (const name of names) {
      try {
        await Deno.lstat(join(outDir, name));
        existing.push(name);
      } catch (error) {
        if (!(error instanceof Deno.errors.NotFound)) throw error;
      }
    }
    if (existing.length > 0) {
      throw new KraftoverError(
        "USAGE",
        `Cannot write the plan: ${existing.sort().join(", ")} already exist in ${outDir}: ` +
          "use --force to overwrite, or another --out-dir",
        { phase: "planned", detail: { existing } },
      );
    }
  }

  const migrationId = options.migrationId ?? config.id ??
    (await migrationStatus(ctx.journalDir).catch(() => undefined))?.migrationId ?? null;

  const readSide = async (
    label: "source" | "target",
    extra: Parameters<typeof takeInventory>[1],
  ): Promise<ClusterInventory | { error: string }> => {
    if (options.inventory === false) return { error: "not read (plan from the config alone)" };
    try {
      const connection = await (label === "source" ? ctx.source() : ctx.target());
      return await takeInventory(connection, {
        ...extra,
        logger,
        ...(signal === undefined ? {} : { signal }),
      });
    } catch (error) {
      if (
        isKraftoverError(error) && (error.code.startsWith("CONFIG_") || error.code === "ABORTED")
      ) throw error;
      signal?.throwIfAborted();
      const reason = redactText(errorMessage(error));
      logger.warn(`Cannot read the ${label}; planning from the config alone for it`, { reason });
      return { error: reason };
    }
  };
  const source = await readSide("source", { topics: config.topics });
  const sourceGroups = "error" in source ? [] : source.groups.map((g) => g.groupId);
  const target = await readSide("target", {
    topics: config.topics,
    sizes: false,
    groupIds: sourceGroups,
  });
  signal?.throwIfAborted();

  const sourceInv = "error" in source ? undefined : source;
  const targetInv = "error" in target ? undefined : target;
  const estimate = estimateCost({
    config,
    source: sourceInv,
    target: targetInv,
    ...(options.seedBytesPerSecond === undefined
      ? {}
      : { seedBytesPerSecond: options.seedBytesPerSecond }),
  });
  const configFile = ctx.configFile ?? null;
  const doc = buildPlanDocument({
    config,
    configFile,
    migrationId,
    toolVersion: VERSION,
    source,
    target,
    estimate,
  });
  const policyInput = {
    config,
    topics: sourceInv?.topics.map((t) => t.name),
    groups: sourceInv?.groups.map((g) => g.groupId),
  };
  const concrete = buildIamPolicy(policyInput);
  const templated = buildIamPolicy(policyInput, { templated: true });
  const notes = [...doc.notes, ...concrete.notes];

  const defaultJournal = configFile === null
    ? undefined
    : join(dirname(configFile), ".kraftover", "journal");
  const contents: Record<string, string> = {
    "plan.json": json(doc),
    "runbook.md": formatRunbook({
      plan: doc,
      config,
      estimate,
      configFile: configFile ?? "migration.yaml",
      journalDir:
        defaultJournal !== undefined && resolve(ctx.journalDir) === resolve(defaultJournal)
          ? undefined
          : ctx.journalDir,
    }),
    "aws-cli.sh": formatAwsCliScript({ config, migrationId, configFile }),
    "iam-policy-concrete.json": json(concrete.policy),
    "iam-policy-templated.json": json(templated.policy),
    "cost-estimate.json": json({
      schema_version: 1,
      kind: "kraftover-cost-estimate",
      migration_id: migrationId,
      ...estimate,
    }),
  };

  const files: PlanFile[] = [];
  for (const name of [...names].sort()) {
    const text = contents[name]!;
    const bytes = new TextEncoder().encode(text);
    const path = join(outDir, name);
    await writeFileAtomic(path, bytes, { mode: name.endsWith(".sh") ? 0o755 : 0o644 });
    files.push({
      name,
      path,
      bytes: bytes.length,
      sha256: createHash("sha256").update(bytes).digest("hex"),
    });
    logger.debug("Wrote plan file", { path, bytes: bytes.length });
  }
  logger.info("Plan written", { outDir, files: files.length, migrationId });
  return { outDir, migrationId, files, inventory: doc.inventory, notes, estimate };
}

function json(value: unknown): string {
  return JSON.stringify(value, null, 2) + "\n";
}
