/**
 * kraftover: migrate a running Apache Kafka cluster (first of all AWS MSK in
 * ZooKeeper mode) to a new KRaft-mode cluster with a coordinated producer
 * freeze, exact consumer-offset continuity, five validation checks and an
 * Ed25519-signed evidence bundle.
 *
 * Every lifecycle phase is a function exported here, so a migration can be
 * scripted in TypeScript as well as run with the `kraftover` CLI.
 *
 * @example
 * ```ts
 * import { loadConfig, migrationStatus } from "./mod.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/m.yaml`, [
 *   "migration:",
 *   "  source: { bootstrap_servers: [127.0.0.1:9092], auth: { mode: plaintext } }",
 *   "  target: { bootstrap_servers: [127.0.0.1:9093], auth: { mode: plaintext } }",
 *   "  seed: { via: direct }",
 * ].join("\n"));
 * const { config } = await loadConfig(`${dir}/m.yaml`);
 * const status = await migrationStatus(`${dir}/journal`);
 * console.assert(config.seed.via === "direct" && status.state === "planned");
 * ```
 *
 * @module
 */

// Errors
export { errorMessage, exitCodeFor, isKraftoverError, KraftoverError } from "./lib/errors.ts";
export type { ErrorCode, ErrorPhase, KraftoverErrorOptions } from "./lib/errors.ts";

// Secrets and logging
export { redact, redactText, registerSecretValue, Secret } from "./lib/secret.ts";
export { colorWanted, createLogger, createMemoryLogger, silentLogger } from "./lib/logger.ts";
export type { CreateLoggerOptions, LogFields, LogFormat, Logger, LogLevel } from "./lib/logger.ts";

// Configuration
export {
  ConfigError,
  formatConfigIssue,
  loadConfig,
  parseConfigText,
} from "./lib/config/load_config.ts";
export type {
  ConfigIssue,
  ConfigLayout,
  LoadConfigOptions,
  LoadedConfig,
  ParseConfigTextOptions,
} from "./lib/config/load_config.ts";
export { AUTH_MODES, BUILTIN_PLUGINS } from "./lib/config/schema.ts";
export type {
  AuthConfig,
  AuthMode,
  BuiltinPluginConfig,
  ClusterConfig,
  EvidenceConfig,
  HookEntryConfig,
  MigrationConfig,
  NotifyKind,
  StoreConfig,
  TlsConfig,
  WebhookOptions,
} from "./lib/config/types.ts";
export { configJsonSchema } from "./lib/config/json_schema.ts";
export type { JsonSchema } from "./lib/config/json_schema.ts";
export { renderConfigReference } from "./lib/config/config_docs.ts";
export { formatBytes, formatDuration, parseDuration, parseSize } from "./lib/config/units.ts";

// Journal, lifecycle and status
export {
  generateMigrationId,
  JOURNAL_FILE,
  LOCK_FILE,
  openJournal,
  readJournal,
  replayState,
} from "./lib/journal.ts";
export type {
  CheckpointEntry,
  Journal,
  JournalEntry,
  JournalRecord,
  JournalState,
  MigrationStartedEntry,
  NoteEntry,
  OpenJournalOptions,
  ReadJournalResult,
  TransitionEntry,
} from "./lib/journal.ts";
export {
  assertTransition,
  canTransition,
  isMigrationState,
  MIGRATION_STATES,
  NEXT_ACTION,
  PRE_CUTOVER_STATES,
  TRANSITIONS,
} from "./lib/state_machine.ts";
export type { MigrationState } from "./lib/state_machine.ts";
export { migrationStatus, statusFromRecords } from "./lib/status.ts";
export type { MigrationStatusOptions, PartitionStatus, StatusReport } from "./lib/status.ts";
export { formatStatus } from "./lib/format/format_status.ts";
export { VERSION } from "./lib/version.ts";
