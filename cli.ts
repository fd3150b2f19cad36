// deno-lint-ignore-file no-console
/**
 * The `kraftover` command line: a thin shell over `mod.ts`. It parses
 * arguments, calls the library, prints what comes back and chooses the exit
 * code (0 ok, 2 usage/config, 3 blockers or failed checks, 1 otherwise).
 *
 * @module
 */

import { Command, CommanderError, Option } from "@commander-js/extra-typings";
import {
  ConfigError,
  configJsonSchema,
  createLogger,
  exitCodeFor,
  formatConfigIssue,
  formatStatus,
  KraftoverError,
  loadConfig,
  migrationStatus,
  redact,
  redactText,
  VERSION,
} from "./mod.ts";
import type { LoadedConfig, LogFormat, Logger } from "./mod.ts";
import {
  colorWanted,
  formatBytes,
  formatDuration,
  formatFindings,
  plan,
  PLAN_FORMATS,
  precheck,
  precheckBlockedError,
} from "./mod.ts";
import type { PlanFormat } from "./mod.ts";
import {
  finalize,
  formatValidation,
  generateSigningKeyPair,
  rollback,
  validate,
  validationFailedError,
  verifyEvidenceFile,
  writeKeyPair,
} from "./mod.ts";
import { createMigrationContext } from "./lib/context.ts";
import { createProgressReporter } from "./lib/progress.ts";
import { execute } from "./lib/phases/execute.ts";
import { cutover } from "./lib/phases/cutover.ts";
import { switchClients } from "./lib/phases/switch_clients.ts";
import type { SwitchReport } from "./lib/phases/switch_clients.ts";
import { explainGroupOffsets } from "./lib/cutover/explain_offsets.ts";
import { NEXT_ACTION } from "./lib/state_machine.ts";
import { runDemo } from "./lib/demo/run_demo.ts";
import { formatDemoSummary } from "./lib/demo/format_demo_summary.ts";
import { sandboxDown, sandboxStatus, sandboxUp } from "./lib/sandbox/sandbox.ts";
import { formatSandboxInfo } from "./lib/sandbox/format_sandbox_info.ts";
import { sandboxConfigs } from "./lib/sandbox/sandbox_configs.ts";
import type { SandboxInfo } from "./lib/sandbox/sandbox_info.ts";

type GlobalOptions = {
  logFormat: LogFormat;
  logLevel: "debug" | "info" | "warn" | "error";
};

const DEFAULT_JOURNAL_DIR = ".kraftover/journal";

function example(lines: string[]): string {
  return `\nExample:\n${lines.map((l) => `  $ ${l}`).join("\n")}\n`;
}

function makeLogger(program: Command<[], GlobalOptions>): Logger {
  const opts = program.opts();
  return createLogger({ format: opts.logFormat, level: opts.logLevel });
}

function printJson(value: unknown): void {
  console.log(JSON.stringify(redact(value), null, 2));
}

function journalDirOf(options: { journalDir?: string | undefined }, loaded?: LoadedConfig): string {
  if (options.journalDir !== undefined) return options.journalDir;
  if (loaded !== undefined) return `${loaded.baseDir}/${DEFAULT_JOURNAL_DIR}`;
  return DEFAULT_JOURNAL_DIR;
}

/** SIGINT/SIGTERM abort the running phase; it stops safely and resumes from the journal next time. */
function interruptSignal(logger: Logger): AbortSignal {
  const controller = new AbortController();
  const stop = () => {
    if (controller.signal.aborted) Deno.exit(130);
    logger.warn("Interrupted: stopping safely (press Ctrl-C again to exit at once)");
    controller.abort(
      new KraftoverError("ABORTED", "Interrupted by a signal; re-run the command to resume"),
    );
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  return controller.signal;
}

/** Loads the config and builds a context with a logger and a progress display. */
async function openContext(
  program: Command<[], GlobalOptions>,
  options: { config: string; journalDir?: string | undefined; migrationId?: string | undefined },
) {
  const loaded = await loadConfig(options.config);
  const logger = makeLogger(program);
  return createMigrationContext(loaded.config, {
    configFile: loaded.file,
    baseDir: loaded.baseDir,
    journalDir: journalDirOf(options, loaded),
    logger,
    progress: createProgressReporter({
      tty: Deno.stderr.isTerminal() && program.opts().logFormat === "human",
      logger,
    }),
    ...(options.migrationId === undefined ? {} : { migrationId: options.migrationId }),
  });
}

/** Writes one config per auth pair (by address and by ARN) next to the sandbox state. */
async function writeSandboxConfigs(info: SandboxInfo): Promise<{ pair: string; file: string }[]> {
  const dir = `${info.stateDir}/configs`;
  await Deno.mkdir(dir, { recursive: true });
  const out: { pair: string; file: string }[] = [];
  for (const addressing of ["bootstrap", "arn"] as const) {
    for (const config of Object.values(sandboxConfigs(info, { addressing }))) {
      const name = addressing === "arn" ? `${config.pair}.arn` : config.pair;
      const file = `${dir}/${name}.yaml`;
      await Deno.writeTextFile(file, config.yaml);
      out.push({ pair: name, file });
    }
  }
  return out;
}

function printSwitch(report: SwitchReport): void {
  console.log(
    `Clients switched (${report.via}); producers unfrozen; ${report.recommitted.length} groups re-committed.`,
  );
  if (report.activeOnSource.length > 0) {
    console.log(`Warning: groups still active on the source: ${report.activeOnSource.join(", ")}`);
  }
  if (report.activeOnTarget.length > 0) {
    console.log(
      `Note: groups already consuming on the target kept their cutover offsets: ${
        report.activeOnTarget.join(", ")
      }`,
    );
  }
  console.log(`Next: ${NEXT_ACTION.validating}`);
}

function buildProgram(): Command<[], GlobalOptions> {
  const program = new Command()
    .name("kraftover")
    .description(
      "Migrate a running Kafka cluster (MSK ZooKeeper mode → KRaft mode) with exact offset " +
        "continuity, validation and a signed evidence bundle.",
    )
    .version(VERSION)
    .addOption(
      new Option("--log-format <format>", "log line format").choices(["human", "json"] as const)
        .default("human" as const),
    )
    .addOption(
      new Option("--log-level <level>", "lowest level logged").choices(
        ["debug", "info", "warn", "error"] as const,
      ).default("info" as const),
    )
    .exitOverride()
    .configureOutput({
      writeOut: (s) => Deno.stdout.writeSync(new TextEncoder().encode(s)),
      writeErr: (s) => Deno.stderr.writeSync(new TextEncoder().encode(s)),
    })
    .showHelpAfterError("(run with --help for usage)")
    .addHelpText(
      "after",
      example([
        "kraftover plan --config migration.yaml --format all --out-dir plan/",
        "kraftover precheck --config migration.yaml",
        "kraftover execute --config migration.yaml",
      ]),
    );

  program.command("schema")
    .description("Print the JSON Schema of the migration config (for editor completion)")
    .addHelpText("after", example(["kraftover schema > migration.schema.json"]))
    .action(() => {
      console.log(JSON.stringify(configJsonSchema(), null, 2));
    });

  program.command("status")
    .description("Show the migration's state, time in state, progress, lag and next action")
    .option("--config <file>", "migration config (locates the default journal directory)")
    .option(
      "--journal-dir <dir>",
      `journal directory (default: ${DEFAULT_JOURNAL_DIR} beside the config)`,
    )
    .option(
      "--offsets <group>",
      "explain a group's translation: source offset → target offset per partition",
    )
    .option("--json", "print the report as JSON")
    .addHelpText(
      "after",
      example([
        "kraftover status --config migration.yaml",
        "kraftover status --journal-dir ./journal --json",
        "kraftover status --config migration.yaml --offsets billing-consumers",
      ]),
    )
    .action(async (options) => {
      if (options.offsets !== undefined) {
        if (options.config === undefined) {
          throw new KraftoverError(
            "USAGE",
            "--offsets needs --config (it reads the group's offsets on the source)",
          );
        }
        const ctx = await openContext(program, {
          config: options.config,
          journalDir: options.journalDir,
        });
        try {
          const rows = await explainGroupOffsets(ctx, options.offsets);
          if (options.json) printJson({ group: options.offsets, partitions: rows });
          else {
            if (rows.length === 0) {
              console.log(`Group ${options.offsets} has no committed offsets on migrated topics.`);
            }
            for (const r of rows) {
              const run = r.run === undefined ? "" : ` via run [${r.run.join(", ")}]`;
              console.log(
                `${r.topic}[${r.partition}]  source ${r.source} → target ${r.target}  (${r.via}${run})` +
                  (r.committed ? "  committed" : "  (not committed yet)"),
              );
            }
          }
        } finally {
          await ctx.close();
        }
        return;
      }
      const loaded = options.config === undefined ? undefined : await loadConfig(options.config);
      const report = await migrationStatus(journalDirOf(options, loaded));
      if (options.json) printJson(report);
      else console.log(formatStatus(report));
    });

  program.command("plan")
    .description(
      "Write the migration plan (read-only): plan.json, runbook.md, aws-cli.sh, IAM policies, cost estimate",
    )
    .requiredOption("--config <file>", "migration config")
    .option(
      "--journal-dir <dir>",
      `journal directory (default: ${DEFAULT_JOURNAL_DIR} beside the config)`,
    )
    .addOption(
      new Option("--format <format>", "what to write").choices(PLAN_FORMATS).default(
        "all" as PlanFormat,
      ),
    )
    .option("--out-dir <dir>", "directory for the files (created when missing)", ".")
    .option("--migration-id <id>", "pin the migration id written into the plan and the runbook")
    .option("--force", "overwrite files that already exist")
    .option("--offline", "plan from the config alone: do not connect to the clusters")
    .option("--json", "print the report as JSON")
    .addHelpText(
      "after",
      example([
        "kraftover plan --config migration.yaml --format all --out-dir plan/",
        "kraftover plan --config migration.yaml --format runbook --out-dir plan/ --migration-id prod-zk-1 --force",
        "kraftover plan --config migration.yaml --format iam-policy --offline",
      ]),
    )
    .action(async (options) => {
      const loaded = await loadConfig(options.config);
      const ctx = createMigrationContext(loaded.config, {
        configFile: loaded.file,
        baseDir: loaded.baseDir,
        journalDir: journalDirOf(options, loaded),
        logger: makeLogger(program),
      });
      try {
        const report = await plan(ctx, {
          format: options.format as PlanFormat,
          outDir: options.outDir,
          force: options.force === true,
          inventory: options.offline !== true,
          ...(options.migrationId === undefined ? {} : { migrationId: options.migrationId }),
        });
        if (options.json) {
          printJson(report);
          return;
        }
        console.log(
          `Plan written to ${report.outDir}` +
            (report.migrationId === null
              ? " (migration id not pinned)"
              : ` for ${report.migrationId}`),
        );
        for (const f of report.files) console.log(`  ${f.name}  ${formatBytes(f.bytes)}`);
        for (const side of ["source", "target"] as const) {
          const status = report.inventory[side];
          if (!status.read) console.log(`Not read: the ${side}: ${status.reason ?? ""}`);
        }
        for (const note of report.notes) console.log(`Note: ${note}`);
        console.log(
          `Estimate: seed about ${
            formatDuration(report.estimate.quantities.seed_seconds * 1000)
          }, ` +
            `about $${report.estimate.cost.total.toFixed(2)} (cost-estimate.json)`,
        );
      } finally {
        await ctx.close();
      }
    });

  program.command("execute")
    .description(
      "Run precheck → topology copy → seed → tail until drain-ready (resumes from the journal)",
    )
    .requiredOption("--config <file>", "migration config")
    .option(
      "--journal-dir <dir>",
      `journal directory (default: ${DEFAULT_JOURNAL_DIR} beside the config)`,
    )
    .option("--migration-id <id>", "fix the migration id (first run) or check it (later runs)")
    .option(
      "--follow",
      "keep tailing after drain-ready until interrupted or until cutover takes over",
    )
    .option("--json", "print the report as JSON")
    .addHelpText(
      "after",
      example([
        "kraftover execute --config migration.yaml",
        "kraftover execute --config migration.yaml --follow",
      ]) +
        "\nKill it at any moment and run it again: it resumes, losing and duplicating nothing.\n",
    )
    .action(async (options) => {
      const ctx = await openContext(program, options);
      try {
        const report = await execute(ctx, {
          follow: options.follow === true,
          signal: interruptSignal(ctx.logger),
        });
        if (options.json) printJson(report);
        else {
          console.log(`Migration ${report.migrationId} is ${report.state}.`);
          if (report.seed) {
            console.log(
              `Seed: ${report.seed.records} records, ${formatBytes(report.seed.bytes)} in ` +
                `${formatDuration(report.seed.durationMs)} (${report.seed.via}` +
                (report.seed.reconciled > 0
                  ? `, ${report.seed.reconciled} counted after a crash`
                  : "") +
                ")",
            );
          }
          if (report.tail) {
            const lag = report.tail.lags.reduce((n, l) => n + l.lag, 0);
            console.log(
              `Tail: ${report.tail.records} records; lag now ${lag} over ${report.tail.lags.length} partitions.`,
            );
          }
          console.log(`Next: ${NEXT_ACTION[report.state]}`);
        }
      } finally {
        await ctx.close();
      }
    });

  program.command("cutover")
    .description(
      "Freeze producers, write sentinels, drain, translate and commit every group's offsets",
    )
    .requiredOption("--config <file>", "migration config")
    .option(
      "--journal-dir <dir>",
      `journal directory (default: ${DEFAULT_JOURNAL_DIR} beside the config)`,
    )
    .option("--json", "print the report as JSON")
    .addHelpText(
      "after",
      example(["kraftover cutover --config migration.yaml"]) +
        "\nIf a freeze or switch hook fails or the freeze window passes, producers are unfrozen,\n" +
        "nothing is committed on the target, and cutover can be run again.\n",
    )
    .action(async (options) => {
      const ctx = await openContext(program, options);
      try {
        const report = await cutover(ctx, { signal: interruptSignal(ctx.logger) });
        if (options.json) printJson(report);
        else {
          console.log(
            `Cutover of ${report.migrationId} done: ${report.groups.length} groups committed on the target; ` +
              `freeze window ${formatDuration(report.freezeWindowMs)}.`,
          );
          console.log(`Next: ${NEXT_ACTION.awaiting_client_switch}`);
        }
        const runner = await ctx.hooks();
        if (runner.plugins.some((p) => p.hooks["clients:switch"] !== undefined)) {
          const sw = await switchClients(ctx, { via: "hook" });
          if (!options.json) printSwitch(sw);
        }
      } finally {
        await ctx.close();
      }
    });

  program.command("switch-ack")
    .description(
      "Record that clients were switched to the target (re-commits offsets, unfreezes producers)",
    )
    .requiredOption("--config <file>", "migration config")
    .option(
      "--journal-dir <dir>",
      `journal directory (default: ${DEFAULT_JOURNAL_DIR} beside the config)`,
    )
    .option("--json", "print the report as JSON")
    .addHelpText(
      "after",
      example(["kraftover switch-ack --config migration.yaml"]) +
        "\nStop the consumers on the source first: their latest offsets are translated again now.\n",
    )
    .action(async (options) => {
      const ctx = await openContext(program, options);
      try {
        const report = await switchClients(ctx, { via: "ack" });
        if (options.json) printJson(report);
        else printSwitch(report);
      } finally {
        await ctx.close();
      }
    });

  program.command("precheck")
    .description("Check both clusters, both stores and the config read-only; exit 3 on blockers")
    .requiredOption("--config <file>", "migration config")
    .option(
      "--journal-dir <dir>",
      `journal directory (default: ${DEFAULT_JOURNAL_DIR} beside the config)`,
    )
    .option("--skip-stores", "do not probe the backup and evidence stores")
    .option("--json", "print the report as JSON")
    .addHelpText(
      "after",
      example([
        "kraftover precheck --config migration.yaml",
        "kraftover precheck --config migration.yaml --json > precheck.json",
      ]) + "\nExit codes: 0 no blocker, 3 blockers found, 2 config error, 1 other failure.\n",
    )
    .action(async (options) => {
      const loaded = await loadConfig(options.config);
      const ctx = createMigrationContext(loaded.config, {
        configFile: loaded.file,
        baseDir: loaded.baseDir,
        journalDir: journalDirOf(options, loaded),
        logger: makeLogger(program),
      });
      try {
        const report = await precheck(ctx, { stores: options.skipStores !== true });
        if (options.json) printJson(report);
        else console.log(formatFindings(report, { color: colorWanted(Deno.stdout) }));
        if (!report.passed) throw precheckBlockedError(report);
      } finally {
        await ctx.close();
      }
    });

  const sandbox = program.command("sandbox")
    .description(
      "Start, stop or inspect local real Kafka clusters (ZooKeeper source, KRaft target), S3 and an MSK API fake",
    )
    .addHelpText(
      "after",
      example(["kraftover sandbox up", "kraftover sandbox status", "kraftover sandbox down"]),
    );
  const stateDirOption = () =>
    new Option(
      "--state-dir <dir>",
      "sandbox state directory (default: $KRAFTOVER_SANDBOX_DIR or .sandbox/)",
    );

  sandbox.command("up")
    .description(
      "Start the sandbox (idempotent) and print addresses, credentials, ARNs and configs",
    )
    .addOption(stateDirOption())
    .addOption(
      new Option("--brokers <n>", "brokers per cluster").choices(["1", "3"] as const).default(
        "1" as const,
      ),
    )
    .option("--source-version <version>", "source Kafka version (ZooKeeper mode)")
    .option(
      "--target-version <version>",
      "target Kafka version (KRaft mode); the newest 4.x by default",
    )
    .option("--json", "print the sandbox info and configs as JSON")
    .addHelpText(
      "after",
      example([
        "kraftover sandbox up",
        "kraftover sandbox up --brokers 3 --target-version 3.9.2 --json",
      ]),
    )
    .action(async (options) => {
      const logger = makeLogger(program);
      const report = await sandboxUp({
        brokers: options.brokers === "3" ? 3 : 1,
        logger,
        ...(options.stateDir === undefined ? {} : { stateDir: options.stateDir }),
        ...(options.sourceVersion === undefined ? {} : { sourceVersion: options.sourceVersion }),
        ...(options.targetVersion === undefined ? {} : { targetVersion: options.targetVersion }),
      });
      const configs = await writeSandboxConfigs(report.info);
      if (options.json) {
        printJson({
          reused: report.reused,
          elapsedMs: report.elapsedMs,
          info: report.info,
          configs,
        });
        return;
      }
      console.log(formatSandboxInfo(report.info));
      console.log(
        `\nReady-to-use configs (one per auth pair) in ${report.info.stateDir}/configs/:`,
      );
      for (const c of configs) console.log(`  ${c.pair.padEnd(24)} ${c.file}`);
      console.log(
        report.reused
          ? "\nThe sandbox was already running."
          : `\nStarted in ${(report.elapsedMs / 1000).toFixed(1)}s.`,
      );
    });

  sandbox.command("down")
    .description("Stop the processes the sandbox started and remove their data")
    .addOption(stateDirOption())
    .option("--json", "print the report as JSON")
    .addHelpText("after", example(["kraftover sandbox down"]))
    .action(async (options) => {
      const report = await sandboxDown({
        logger: makeLogger(program),
        ...(options.stateDir === undefined ? {} : { stateDir: options.stateDir }),
      });
      if (options.json) printJson(report);
      else {
        for (const p of report.stopped) {
          console.log(`${p.name.padEnd(24)} pid ${p.pid}  ${p.outcome}`);
        }
        console.log(report.stopped.length === 0 ? "Nothing was running." : "Sandbox stopped.");
      }
    });

  sandbox.command("status")
    .description("Tell which parts of the sandbox are alive")
    .addOption(stateDirOption())
    .option("--json", "print the report as JSON")
    .addHelpText("after", example(["kraftover sandbox status --json"]))
    .action(async (options) => {
      const report = await sandboxStatus(
        options.stateDir === undefined ? {} : { stateDir: options.stateDir },
      );
      if (options.json) printJson(report);
      else {
        console.log(
          `Sandbox in ${report.stateDir}: ${report.recorded}${report.healthy ? ", healthy" : ""}`,
        );
        for (const part of report.parts) {
          const ports = part.ports.map((p) => `${p.port}${p.listening ? "" : " (closed)"}`).join(
            ", ",
          );
          console.log(
            `  ${part.name.padEnd(24)} pid ${part.pid} ${part.alive ? "alive" : "DEAD"}  ${ports}`,
          );
        }
      }
      if (report.recorded !== "none" && !report.healthy) {
        throw new KraftoverError(
          "SANDBOX_NOT_RUNNING",
          "Some parts of the sandbox are not running: run kraftover sandbox up",
        );
      }
    });

  program.command("validate")
    .description(
      "Run the five validation checks (topic parity, counts and offsets, spot check, sentinels, " +
        "group offsets); exit 3 on failure",
    )
    .requiredOption("--config <file>", "migration config")
    .option(
      "--journal-dir <dir>",
      `journal directory (default: ${DEFAULT_JOURNAL_DIR} beside the config)`,
    )
    .option("--json", "print the report as JSON (per-partition detail)")
    .addHelpText(
      "after",
      example([
        "kraftover validate --config migration.yaml",
        "kraftover validate --config migration.yaml --json > validation.json",
      ]) +
        "\nRe-runnable. Exit codes: 0 PASSED or WARNING, 3 FAILED (finalize is refused until it\n" +
        "passes), 2 config error, 1 a check could not run.\n",
    )
    .action(async (options) => {
      const ctx = await openContext(program, options);
      try {
        const report = await validate(ctx, { signal: interruptSignal(ctx.logger) });
        if (options.json) printJson(report);
        else console.log(formatValidation(report, { color: colorWanted(Deno.stdout) }));
        if (report.outcome === "FAILED") throw validationFailedError(report);
      } finally {
        await ctx.close();
      }
    });

  program.command("finalize")
    .description(
      "Sign the evidence bundle (Ed25519) and store it (Object Lock when configured); needs a " +
        "PASSED or WARNING validation",
    )
    .requiredOption("--config <file>", "migration config")
    .option(
      "--journal-dir <dir>",
      `journal directory (default: ${DEFAULT_JOURNAL_DIR} beside the config)`,
    )
    .option("--json", "print the report as JSON")
    .addHelpText(
      "after",
      example([
        "kraftover finalize --config migration.yaml",
        "kraftover evidence verify bundle.json --public-key kraftover-evidence.pub.pem",
      ]) +
        "\nRe-running it is safe: the bundle is rebuilt byte for byte and never overwritten.\n",
    )
    .action(async (options) => {
      const ctx = await openContext(program, options);
      try {
        const report = await finalize(ctx, { signal: interruptSignal(ctx.logger) });
        if (options.json) printJson(report);
        else {
          console.log(
            `Migration ${report.migrationId} is finalized` +
              (report.alreadyStored ? " (the evidence was already stored)." : "."),
          );
          console.log(`  bundle          ${report.bundle}`);
          console.log(`  signature       ${report.signature}`);
          console.log(`  payload sha256  ${report.payloadSha256}`);
          console.log(`  signing key     ${report.keyFingerprint}`);
          console.log(`  validation      ${report.validationOutcome}`);
          if (report.retainUntil !== null) {
            console.log(`  retained until  ${report.retainUntil} (${report.lockMode})`);
          }
          console.log(
            "Verify it offline: kraftover evidence verify bundle.json --public-key PUBLIC_KEY.pem",
          );
        }
      } finally {
        await ctx.close();
      }
    });

  program.command("rollback")
    .description(
      "Stop a migration before cutover and mark it rolled back; --delete-target-topics removes " +
        "what it created on the target (the source is never touched)",
    )
    .requiredOption("--config <file>", "migration config")
    .option(
      "--journal-dir <dir>",
      `journal directory (default: ${DEFAULT_JOURNAL_DIR} beside the config)`,
    )
    .option(
      "--delete-target-topics",
      "delete the topics and ACL bindings the migration created on the target",
    )
    .option("--reason <text>", "why, recorded in the journal")
    .option("--json", "print the report as JSON")
    .addHelpText(
      "after",
      example([
        "kraftover rollback --config migration.yaml",
        "kraftover rollback --config migration.yaml --delete-target-topics --reason 'retry next week'",
      ]) +
        "\nOnly before cutover. A running execute --follow is asked to stop (handover file);\n" +
        "after cutover, rollback is refused with what to do instead.\n",
    )
    .action(async (options) => {
      const ctx = await openContext(program, options);
      try {
        const report = await rollback(ctx, {
          deleteTargetTopics: options.deleteTargetTopics === true,
          ...(options.reason === undefined ? {} : { reason: options.reason }),
        });
        if (options.json) printJson(report);
        else {
          console.log(
            report.alreadyRolledBack
              ? `Migration ${report.migrationId} was already rolled back.`
              : `Migration ${report.migrationId} rolled back (it was in ${report.from}); ` +
                "the source was never written to.",
          );
          for (const t of report.deletedTopics) console.log(`  deleted topic  ${t}`);
          for (const a of report.deletedAcls) {
            console.log(
              `  deleted ACL    ${a.principal} ${a.permission} ${a.operation} on ` +
                `${a.resourceType} ${a.patternType} ${a.resourceName}`,
            );
          }
          for (const k of report.keptTopics) {
            console.log(`  kept topic     ${k.topic}: ${k.reason}`);
          }
          if (report.aclsRemovedByMigration.length > 0) {
            console.log(
              `Note: acl.on_drift replace removed ${report.aclsRemovedByMigration.length} ACL ` +
                "binding(s) from the target during topology copy; they are listed in the journal " +
                "(topology.acl_applied) and were not restored.",
            );
          }
          if (options.deleteTargetTopics !== true) {
            console.log(
              "The target still holds what was copied: run again with --delete-target-topics " +
                "to remove it.",
            );
          }
        }
      } finally {
        await ctx.close();
      }
    });

  program.command("keygen")
    .description("Make an Ed25519 key pair for evidence signing (private key mode 0600)")
    .requiredOption("--out-dir <dir>", "directory for the two PEM files (created mode 0700)")
    .option("--force", "replace existing key files (bundles signed with the old key stay valid)")
    .option("--json", "print the paths and fingerprint as JSON")
    .addHelpText(
      "after",
      example([
        "kraftover keygen --out-dir ./keys",
        "kraftover keygen --out-dir /etc/kraftover --force --json",
      ]) +
        "\nSet evidence.signing_key_path to the .key.pem file; give auditors the .pub.pem file.\n",
    )
    .action(async (options) => {
      const written = await writeKeyPair(await generateSigningKeyPair(), options.outDir, {
        overwrite: options.force === true,
      });
      if (options.json) printJson(written);
      else {
        console.log(`Private key  ${written.privateKeyPath}  (mode 0600: keep it secret)`);
        console.log(`Public key   ${written.publicKeyPath}`);
        console.log(`Fingerprint  ${written.fingerprint}`);
        console.log(`Set evidence.signing_key_path: ${written.privateKeyPath}`);
      }
    });

  const evidence = program.command("evidence")
    .description("Work with signed evidence bundles")
    .addHelpText(
      "after",
      example(["kraftover evidence verify bundle.json --public-key kraftover-evidence.pub.pem"]),
    );

  evidence.command("verify")
    .description("Verify a bundle offline against its detached signature and a public key")
    .argument("<file>", "the bundle (bundle.json)")
    .requiredOption("--public-key <file>", "the signer's public key (SPKI PEM)")
    .option("--signature <file>", "the detached signature (default: FILE.sig)")
    .option("--json", "print the result as JSON")
    .addHelpText(
      "after",
      example([
        "kraftover evidence verify bundle.json --public-key kraftover-evidence.pub.pem",
        "kraftover evidence verify bundle.json --public-key auditor.pub.pem --signature sig.json --json",
      ]) +
        "\nNo network, no config. Exit codes: 0 valid, 3 a check failed (which one is printed),\n" +
        "2 a file cannot be read, 1 the public key is unusable.\n",
    )
    .action(async (file, options) => {
      const result = await verifyEvidenceFile(file, {
        publicKeyPath: options.publicKey,
        ...(options.signature === undefined ? {} : { signaturePath: options.signature }),
      });
      if (options.json) printJson(result);
      else if (result.ok) {
        console.log(`Valid: ${file}`);
        console.log(`  migration       ${result.migrationId}`);
        console.log(`  signed by       ${result.keyFingerprint}`);
        console.log(`  payload sha256  ${result.payloadSha256}`);
      } else {
        console.log(`INVALID: ${file}`);
        console.log(`  failed check    ${result.check}`);
        console.log(`  reason          ${result.reason}`);
      }
      if (!result.ok) {
        throw new KraftoverError(
          "EVIDENCE_INVALID",
          `Evidence ${file} is not valid: ${result.check}: ${result.reason}`,
          { phase: "evidence", detail: { check: result.check, reported: true } },
        );
      }
    });

  program.command("demo")
    .description(
      "Run a whole migration on the local sandbox: SCRAM source → IAM target, end to end",
    )
    .option("--records <n>", "records in the main topic before the migration", "20000")
    .option("--work-dir <dir>", "where the demo writes its config, journal and evidence copy")
    .option("--keep-sandbox", "leave a sandbox the demo started running")
    .option("--json", "print the summary as JSON")
    .addHelpText(
      "after",
      example(["kraftover demo", "deno task demo"]) +
        "\nNeeds Java 17+ and Python 3 (the sandbox fetches Kafka and the S3 server on first use).\n",
    )
    .action(async (options) => {
      const logger = makeLogger(program);
      const summary = await runDemo({
        logger,
        progress: createProgressReporter({
          tty: Deno.stderr.isTerminal() && program.opts().logFormat === "human",
          logger,
        }),
        records: Number(options.records),
        keepSandbox: options.keepSandbox === true,
        ...(options.workDir === undefined ? {} : { workDir: options.workDir }),
      });
      if (options.json) {
        printJson(summary);
        return;
      }
      console.log(formatDemoSummary(summary));
      const wrong = summary.consumersOnTarget.filter((c) => c.received !== c.expected);
      if (summary.validation === "FAILED" || !summary.evidence.verified || wrong.length > 0) {
        throw new KraftoverError(
          "VALIDATION_FAILED",
          "The demo migration did not check out: see the summary above",
          {
            detail: { reported: true },
          },
        );
      }
    });

  return program;
}

async function main(args: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(args, { from: "user" });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (
        error.code === "commander.helpDisplayed" || error.code === "commander.version" ||
        error.code === "commander.help"
      ) {
        return 0;
      }
      return 2;
    }
    const json = args.includes("--json");
    // A command that already printed its report (precheck, validate) must not print a second JSON value.
    const reported = error instanceof KraftoverError && error.detail?.reported === true;
    if (json && error instanceof KraftoverError && !reported) {
      console.log(JSON.stringify({ error: redact(error.toJSON()) }, null, 2));
    }
    const jsonLogs = args.some((a, i) =>
      a === "--log-format=json" || (a === "--log-format" && args[i + 1] === "json")
    );
    const logger = createLogger({ format: jsonLogs ? "json" : "human" });
    if (error instanceof ConfigError && !jsonLogs) {
      console.error(
        `Cannot read config (${error.issues.length} problem${
          error.issues.length === 1 ? "" : "s"
        }):`,
      );
      for (const issue of error.issues) console.error(`  ${redactText(formatConfigIssue(issue))}`);
    } else {
      const message = error instanceof Error ? error.message : String(error);
      logger.error(
        message,
        error instanceof KraftoverError ? { code: error.code, phase: error.phase } : {},
      );
    }
    if (!(error instanceof KraftoverError)) {
      logger.debug("Unexpected error", { stack: (error as Error)?.stack });
    }
    return exitCodeFor(error);
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}

/**
 * The CLI reference in Markdown: every command's `--help`, as the program
 * itself prints it (`deno task docs` writes it to `docs/cli-reference.md`).
 */
function renderCliReference(): string {
  const program = buildProgram();
  const out = [
    "# CLI reference (generated)",
    "",
    "<!-- Generated from the program's own --help by `deno task docs`. Do not edit by hand. -->",
    "",
    "The guide with explanations is [cli.md](cli.md).",
    "",
  ];
  type Cmd = {
    name(): string;
    commands: readonly Cmd[];
    configureOutput(o: { writeOut: (s: string) => void; getOutHelpWidth: () => number }): unknown;
    outputHelp(): void;
  };
  const visit = (command: Cmd, path: string) => {
    let text = "";
    // A fixed width, and the examples (added with addHelpText) included.
    command.configureOutput({ writeOut: (s) => (text += s), getOutHelpWidth: () => 100 });
    command.outputHelp();
    out.push(`## ${path}`, "", "```", text.trimEnd(), "```", "");
    for (const sub of command.commands) {
      if (sub.name() !== "help") visit(sub, `${path} ${sub.name()}`);
    }
  };
  visit(program as unknown as Cmd, "kraftover");
  // One final newline is added by the writer; `deno fmt` would strip a second.
  return out.join("\n").trimEnd();
}

export { main, renderCliReference };
