/**
 * Drives a migration phase by phase through `mod.ts` instead of the CLI — the
 * shape of a platform team's own flow: its own checks between phases, its own
 * go/no-go, its own notifications.
 *
 * Run against the sandbox (after `kraftover sandbox up`):
 *
 *   deno run -A examples/drive_with_mod.ts .sandbox/configs/scram-iam.yaml
 *
 * @module
 */

// deno-lint-ignore-file no-console
import {
  createLogger,
  createMigrationContext,
  cutover,
  execute,
  finalize,
  loadConfig,
  migrationStatus,
  precheck,
  switchClients,
  validate,
} from "../mod.ts";

const configFile = Deno.args[0] ?? "migration.yaml";
const { config, baseDir, file } = await loadConfig(configFile);
const logger = createLogger({ level: "info" });
const ctx = createMigrationContext(config, { configFile: file, baseDir, logger });

try {
  // Read-only first: stop on blockers, show warnings to the team.
  const found = await precheck(ctx);
  for (const f of found.findings.filter((f) => f.severity !== "info")) {
    console.log(`${f.code} ${f.severity}: ${f.title} [${f.subject}]`);
  }
  if (!found.passed) Deno.exit(3);

  // Copy until drain-ready. Safe to interrupt and re-run at any point.
  const ran = await execute(ctx, {});
  console.log(`drain-ready: ${ran.state === "drain_ready"}`);

  // Your go/no-go: here, a look at the status and a maintenance window check.
  const status = await migrationStatus(ctx.journalDir);
  console.log(status.nextAction);

  // Freeze, sentinels, drain, offsets committed on the target.
  const cut = await cutover(ctx, {});
  console.log(`freeze window ${cut.freezeWindowMs} ms, ${cut.groups.length} groups moved`);

  // Your deploy system switches clients to the target here; then:
  await switchClients(ctx, { via: "ack" });

  const report = await validate(ctx, {});
  console.log(`validation: ${report.outcome}`);
  if (report.outcome === "FAILED") Deno.exit(3);

  const evidence = await finalize(ctx, {});
  console.log(`evidence: ${evidence.bundle} (key ${evidence.keyFingerprint})`);
} finally {
  await ctx.close();
}
