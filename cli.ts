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
    .option("--json", "print the report as JSON")
    .addHelpText(
      "after",
      example([
        "kraftover status --config migration.yaml",
        "kraftover status --journal-dir ./journal --json",
      ]),
    )
    .action(async (options) => {
      const loaded = options.config === undefined ? undefined : await loadConfig(options.config);
      const report = await migrationStatus(journalDirOf(options, loaded));
      if (options.json) printJson(report);
      else console.log(formatStatus(report));
    });

  for (
    const [name, description] of [
      ["plan", "Write the migration plan (read-only)"],
      ["precheck", "Check both clusters and stores read-only; exit 3 on blockers"],
      ["execute", "Run precheck → topology copy → seed → tail until drain-ready"],
      ["cutover", "Freeze producers, drain, translate and commit group offsets"],
      ["switch-ack", "Record that clients were switched to the target"],
      ["validate", "Run the five validation checks; exit 3 on failure"],
      ["finalize", "Sign and store the evidence bundle"],
      ["rollback", "Stop a migration before cutover"],
      ["keygen", "Make an Ed25519 key pair for evidence signing"],
      ["demo", "Run a whole migration on the local sandbox"],
    ] as const
  ) {
    program.command(name)
      .description(`${description} (not available yet)`)
      .allowUnknownOption()
      .addHelpText("after", example([`kraftover ${name} --config migration.yaml`]))
      .action(() => {
        throw new KraftoverError("NOT_IMPLEMENTED", `The ${name} command is not there yet`);
      });
  }
  void makeLogger;
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
    if (json && error instanceof KraftoverError) {
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

export { main };
