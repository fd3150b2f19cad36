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
 * import assert from "node:assert/strict";
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
 * assert.ok(config.seed.via === "direct" && status.state === "planned");
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
  StoreConfig,
  TlsConfig,
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

// Plan and precheck
export { takeInventory } from "./lib/inventory/take_inventory.ts";
export type { TakeInventoryOptions } from "./lib/inventory/take_inventory.ts";
export { anchoredRegExp, isInternalTopic, selectTopics } from "./lib/inventory/select_topics.ts";
export type {
  ExclusionReason,
  TopicFilter,
  TopicSelection,
} from "./lib/inventory/select_topics.ts";
export type {
  AclBinding,
  Availability,
  BrokerSettings,
  ClusterDescription,
  ClusterInventory,
  CommittedOffset,
  ConfigEntry,
  ConfigSourceName,
  GroupInventory,
  GroupMemberInventory,
  InventoryProblem,
  ModeEvidence,
  PartitionInventory,
  ScramUserInventory,
  TopicInventory,
  TransactionInventory,
} from "./lib/inventory/types.ts";
export { precheck, precheckBlockedError } from "./lib/precheck/precheck.ts";
export type {
  PrecheckFinding,
  PrecheckOptions,
  PrecheckReport,
  PrecheckSideSummary,
} from "./lib/precheck/precheck.ts";
export { ALL_FINDING_CODES, FINDING_CODES } from "./lib/precheck/finding_codes.ts";
export type { FindingCode, FindingCodeInfo, Severity } from "./lib/precheck/finding_codes.ts";
export { formatFindings } from "./lib/format/format_findings.ts";
export type { FormatFindingsOptions } from "./lib/format/format_findings.ts";
export { plan, PLAN_FILES, PLAN_FORMATS } from "./lib/plan/plan.ts";
export type { PlanFile, PlanFormat, PlanOptions, PlanReport } from "./lib/plan/plan.ts";
export { buildPlanDocument, PLAN_SCHEMA_VERSION } from "./lib/plan/plan_document.ts";
export type {
  BuildPlanDocumentInput,
  PlanAcl,
  PlanCluster,
  PlanDocument,
  PlanGroup,
  PlanInventoryStatus,
  PlanTopic,
} from "./lib/plan/plan_document.ts";
export { planFileJsonSchema, validatePlanFile } from "./lib/plan/validate_plan_file.ts";
export type { PlanJsonFile } from "./lib/plan/validate_plan_file.ts";
export {
  DEFAULT_PRICE_TABLE,
  defaultSeedBytesPerSecond,
  estimateCost,
  priceTable,
} from "./lib/plan/estimate_cost.ts";
export type {
  CostEstimate,
  EstimateCostInput,
  Prices,
  PriceTable,
} from "./lib/plan/estimate_cost.ts";
export { buildIamPolicy, regexToIamGlob } from "./lib/plan/iam_policy.ts";
export type {
  BuildIamPolicyInput,
  BuildIamPolicyOptions,
  IamPolicyDocument,
  IamPolicyResult,
  IamStatement,
} from "./lib/plan/iam_policy.ts";
export { formatRunbook } from "./lib/format/format_plan_runbook.ts";
export type { FormatRunbookInput } from "./lib/format/format_plan_runbook.ts";
export { formatAwsCliScript, shellQuote } from "./lib/format/format_plan_aws_cli.ts";
export type { FormatAwsCliScriptInput } from "./lib/format/format_plan_aws_cli.ts";

// Context, connections and the MSK control plane
export { createMigrationContext } from "./lib/context.ts";
export type { CreateMigrationContextOptions, MigrationContext } from "./lib/context.ts";
export {
  clusterRegion,
  connectCluster,
  resolveBootstrapServers,
  usesTls,
} from "./lib/kafka/connect.ts";
export type { ConnectClusterOptions, KafkaConnection } from "./lib/kafka/connect.ts";

export { classifyKafkaError } from "./lib/kafka/classify_error.ts";
export type { ClassifyContext } from "./lib/kafka/classify_error.ts";
export { describeMskCluster, mskBootstrapBrokers, regionOfArn } from "./lib/msk/msk_api.ts";
export type { MskApiOptions, MskClusterInfo } from "./lib/msk/msk_api.ts";
export { credentialsFor } from "./lib/aws/credentials.ts";
export type { AwsCredentialProvider, CredentialsForOptions } from "./lib/aws/credentials.ts";
export { delay, withRetry } from "./lib/retry.ts";
export type { WithRetryOptions } from "./lib/retry.ts";
export { createProgressReporter, silentProgress } from "./lib/progress.ts";
export type {
  CreateProgressReporterOptions,
  ProgressReporter,
  ProgressTask,
} from "./lib/progress.ts";

// Data plane: offset map, seed, tail
export {
  OffsetMap,
  parsePartitionKey,
  partitionKey,
  PartitionOffsetMap,
  runsOf,
} from "./lib/offset_map.ts";
export type { OffsetRun, OffsetRunTuple, PartitionKey, Translation } from "./lib/offset_map.ts";
export { seed } from "./lib/phases/seed.ts";
export type { SeedOptions, SeedReport } from "./lib/phases/seed.ts";
export { tail } from "./lib/phases/tail.ts";
export type { PartitionLag, TailOptions, TailReport, TailStop } from "./lib/phases/tail.ts";
export { execute, HANDOVER_FILE } from "./lib/phases/execute.ts";
export type { ExecuteOptions, ExecuteReport } from "./lib/phases/execute.ts";

// Cutover and client switch
export { cutover, takeJournal, unfreeze } from "./lib/phases/cutover.ts";
export type { CutoverOptions, CutoverReport } from "./lib/phases/cutover.ts";
export { switchClients } from "./lib/phases/switch_clients.ts";
export type { SwitchClientsOptions, SwitchReport } from "./lib/phases/switch_clients.ts";
export { explainGroupOffsets } from "./lib/cutover/explain_offsets.ts";
export type { OffsetExplanation } from "./lib/cutover/explain_offsets.ts";
export {
  CUTOVER_CHECKPOINT,
  replayCutoverState,
  SENTINEL_HEADER,
  sentinelKey,
} from "./lib/cutover/cutover_state.ts";
export type {
  CutoverState,
  FreezeEndedData,
  FreezeStartedData,
  GroupOffsetsData,
  SentinelPosition,
  SentinelsData,
  SwitchData,
  TranslatedOffset,
} from "./lib/cutover/cutover_state.ts";

// Hooks and plugins
export { defineHookPlugin } from "./hooks/types.ts";
export type {
  BootstrapServersByAuthMode,
  ClientsSwitchEvent,
  HookContext,
  HookEventMap,
  HookEventName,
  HookHandler,
  HookHandlers,
  HookPlugin,
  NotifyEvent,
  NotifyKind,
  ProducersFreezeEvent,
  ProducersUnfreezeEvent,
  UnfreezeReason,
} from "./hooks/types.ts";
export { createHookRunner } from "./hooks/runner.ts";
export type { CreateHookRunnerOptions, HookRunner, HookRunOptions } from "./hooks/runner.ts";
export { runFreeze } from "./hooks/run_freeze.ts";
export type { RunFreezeOptions } from "./hooks/run_freeze.ts";
export { HookError } from "./hooks/hook_error.ts";
export type { HookErrorCode, HookErrorOptions } from "./hooks/hook_error.ts";
export { createBuiltinHookPlugin, loadHookPlugins } from "./hooks/loader.ts";
export type { HookPluginEntry, LoadHookPluginsOptions } from "./hooks/loader.ts";
export {
  SIGNATURE_HEADER,
  signKraftoverBody,
  verifyKraftoverSignature,
} from "./plugins/signature.ts";
export type {
  KraftoverSignatureVerification,
  SignKraftoverBodyOptions,
  VerifyKraftoverSignatureOptions,
} from "./plugins/signature.ts";
export type {
  BuiltinName,
  BuiltinPluginEntry,
  BuiltinPluginOptions,
  CommonPluginOptions,
  DeliveryOptions,
  LogNotifyOptions,
  ManualFreezeOptions,
  SlackNotifyOptions,
  WebhookFreezeOptions,
  WebhookNotifyOptions,
  WebhookSwitchOptions,
} from "./plugins/options.ts";

// Object stores and evidence
export type {
  ListEntry,
  ObjectInfo,
  ObjectLockInfo,
  ObjectLockMode,
  ObjectStore,
  PutOptions,
  PutResult,
  ReadOptions as StoreReadOptions,
} from "./lib/store/object_store.ts";
export { createObjectStore } from "./lib/store/create_object_store.ts";
export type {
  CreateObjectStoreOptions,
  ObjectStoreConfig,
} from "./lib/store/create_object_store.ts";
export type { S3Credentials } from "./lib/store/s3_store.ts";
export { probeStore } from "./lib/store/probe_store.ts";
export type { ProbeStoreOptions, ProbeStoreResult } from "./lib/store/probe_store.ts";

// Topology copy
export { topologyCopy } from "./lib/phases/topology_copy.ts";
export type {
  ReplicationFactorCap,
  TopologyAclReport,
  TopologyCopyOptions,
  TopologyReport,
  TopologyTopicOutcome,
} from "./lib/phases/topology_copy.ts";
export {
  applyHeldBackConfigs,
  GUARDED_TOPIC_CONFIGS,
  heldBackConfigs,
  LONG_MAX,
  planTopicConfigs,
  recordAlteringReason,
  TOPIC_CONFIGS_REMOVED_IN_KAFKA_4,
} from "./lib/topology/held_back_configs.ts";
export type {
  ApplyHeldBackConfigsOptions,
  ApplyHeldBackConfigsReport,
  HeldBackTopicConfigs,
  PlanTopicConfigsInput,
  TopicConfigPlan,
} from "./lib/topology/held_back_configs.ts";
export {
  createdAclBindings,
  createdTopics,
  TOPOLOGY_CHECKPOINT,
  unconfirmedCreateIntents,
} from "./lib/topology/topology_checkpoints.ts";
export type {
  AccessMapData,
  AclAppliedData,
  AclPlanData,
  ConfigDriftData,
  ConfigsAlteredData,
  ConfigsDroppedData,
  CreateIntentData,
  HeldBackAppliedData,
  HeldBackConfig,
  HeldBackData,
  TopicCreatedData,
} from "./lib/topology/topology_checkpoints.ts";
export {
  configDrift,
  configValuesEqual,
  normalizeConfigValue,
} from "./lib/topology/config_drift.ts";
export type { ConfigDriftEntry, ConfigDriftInput } from "./lib/topology/config_drift.ts";
export {
  aclBindingKey,
  clientPrincipals,
  isMskInternalPrincipal,
  planAclCopy,
  skippedPrincipalReason,
} from "./lib/topology/acl_plan.ts";
export type {
  AclCopyPlan,
  AclKeptBinding,
  AclSkippedBinding,
  AclSkipReason,
  PlanAclCopyInput,
} from "./lib/topology/acl_plan.ts";
export {
  ACCESS_MAP_FILE,
  ACCESS_MAP_FORMAT,
  accessMapJson,
  buildAccessMap,
  iamActionsForAcl,
} from "./lib/topology/access_map.ts";
export type {
  AccessMap,
  AccessMapping,
  AccessMapPrincipal,
  AccessPolicyDocument,
  AccessPolicyStatement,
  BuildAccessMapInput,
} from "./lib/topology/access_map.ts";

// Validation, evidence and finalize
export { validate, VALIDATION_REPORT_DIR } from "./lib/phases/validate.ts";
export type { ValidateOptions } from "./lib/phases/validate.ts";
export {
  checkResult,
  lastValidation,
  subjectName,
  VALIDATION_CHECK_TITLES,
  VALIDATION_CHECKS,
  validationCheckpoint,
  validationDocument,
  validationFailedError,
  validationFindings,
  worstOutcome,
} from "./lib/validation/validation_report.ts";
export type {
  ValidationCheck,
  ValidationCheckName,
  ValidationCheckpointData,
  ValidationDetail,
  ValidationOutcome,
  ValidationReport,
  ValidationValue,
} from "./lib/validation/validation_report.ts";
export { formatValidation } from "./lib/format/format_validation.ts";
export type { FormatValidationOptions } from "./lib/format/format_validation.ts";
export { finalize, FINALIZE_DIR, FINALIZE_STARTED } from "./lib/phases/finalize.ts";
export type {
  EvidenceStoredData,
  FinalizeOptions,
  FinalizeReport,
  FinalizeStartedData,
} from "./lib/phases/finalize.ts";
export { rollback, ROLLBACK_CHECKPOINT, rollbackRefusal } from "./lib/phases/rollback.ts";
export type { RollbackOptions, RollbackReport } from "./lib/phases/rollback.ts";
export { assembleEvidence, clusterSnapshot } from "./lib/evidence/assemble_evidence.ts";
export type { AssembleEvidenceInput } from "./lib/evidence/assemble_evidence.ts";
export { buildEvidenceBundle, EVIDENCE_SCHEMA } from "./lib/evidence/bundle.ts";
export type {
  EvidenceBundle,
  EvidenceBundleParts,
  EvidenceCutoverReport,
  EvidenceFreezeWindow,
  EvidencePart,
  EvidenceTimestamps,
} from "./lib/evidence/bundle.ts";
export {
  canonicalJson,
  canonicalJsonBytes,
  parseCanonicalJson,
} from "./lib/evidence/canonical_json.ts";
export type { JsonValue } from "./lib/evidence/canonical_json.ts";
export {
  encodeDetachedSignature,
  parseDetachedSignature,
  sha256Hex,
  signEvidence,
  verifyEvidence,
} from "./lib/evidence/sign.ts";
export type {
  DetachedSignature,
  EvidenceCheck,
  SignedEvidence,
  SignEvidenceOptions,
  VerifyEvidenceResult,
} from "./lib/evidence/sign.ts";
export {
  generateSigningKeyPair,
  keyFingerprint,
  loadPublicKey,
  loadSigningKey,
  PRIVATE_KEY_FILE,
  PUBLIC_KEY_FILE,
  PublicKey,
  SigningKey,
  writeKeyPair,
} from "./lib/evidence/keys.ts";
export type {
  KeyPairTarget,
  SigningKeyPair,
  WriteKeyPairOptions,
  WrittenKeyPair,
} from "./lib/evidence/keys.ts";
export { evidenceKeys, readEvidence, storeEvidence } from "./lib/evidence/store_evidence.ts";
export type {
  EvidenceKeys,
  ReadEvidenceOptions,
  ReadEvidenceResult,
  StoredEvidence,
  StoreEvidenceOptions,
} from "./lib/evidence/store_evidence.ts";
export { verifyEvidenceFile } from "./lib/evidence/verify_evidence_file.ts";
export type {
  VerifyEvidenceFileOptions,
  VerifyEvidenceFileResult,
} from "./lib/evidence/verify_evidence_file.ts";
