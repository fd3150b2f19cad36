import assert from "node:assert/strict";
import { join } from "node:path";
import { ConfigError, loadConfig, parseConfigText } from "./load_config.ts";
import type { ConfigIssue } from "./load_config.ts";

const SOURCE =
  "  source:\n    bootstrap_servers: [127.0.0.1:9092]\n    auth: { mode: plaintext }\n";
const TARGET =
  "  target:\n    bootstrap_servers: [127.0.0.1:9093]\n    auth: { mode: plaintext }\n";
const DIRECT = "  seed: { via: direct }\n";

async function issuesOf(text: string, env: Record<string, string> = {}): Promise<ConfigError> {
  try {
    await parseConfigText(text, { file: "m.yaml", env, baseDir: "/nonexistent-base" });
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${error}`);
    return error;
  }
  assert.fail("the config was accepted");
}

function only(error: ConfigError): ConfigIssue {
  assert.equal(error.issues.length, 1, JSON.stringify(error.issues));
  return error.issues[0]!;
}

Deno.test("parseConfigText() applies defaults and parses durations and sizes", async () => {
  const { config, layout } = await parseConfigText(
    `migration:\n${SOURCE}${TARGET}${DIRECT}  cutover:\n    drain_stable_window: 1m30s\n`,
    { env: {} },
  );
  assert.equal(layout, "migration");
  assert.equal(config.seed.max_concurrent_partitions, 4);
  assert.equal(config.seed.segment_max_bytes, 32 * 1024 * 1024);
  assert.equal(config.seed.compression, "zstd");
  assert.equal(config.cutover.drain_timeout, 30 * 60_000);
  assert.equal(config.cutover.drain_stable_window, 90_000);
  assert.equal(config.cutover.max_producer_freeze, 60_000);
  assert.equal(config.validation.count_tolerance, 1);
  assert.deepEqual(config.topics.include, [".*"]);
  assert.deepEqual(config.source.bootstrap_servers, ["127.0.0.1:9092"]);
});

Deno.test("parseConfigText() accepts kafka-backup's enterprise: msk_kraft_migration: layout unchanged", async () => {
  const text = [
    "enterprise:",
    "  msk_kraft_migration:",
    "    enabled: true",
    "    source:",
    "      cluster_arn: arn:aws:kafka:us-east-1:123456789012:cluster/prod-zk/abc-123",
    "      auth:",
    "        mode: iam",
    "    target:",
    "      cluster_arn: arn:aws:kafka:us-east-1:123456789012:cluster/prod-kraft/def-456",
    "      auth:",
    "        mode: iam",
    "    backup:",
    "      s3_bucket: prod-migration-segments",
    "      s3_prefix: zk-to-kraft/",
    "      kms_key_arn: arn:aws:kms:us-east-1:123456789012:key/mrk-abc123",
    "    evidence:",
    "      s3_bucket: prod-migration-evidence",
    "      s3_prefix: migrations/",
    "      retention: 7y",
    "    cutover:",
    "      drain_timeout: 30m",
    "      producer_freeze_webhook: https://api.example.com/kafka/freeze",
    "      reverse_replication_enabled: false",
    "    seed:",
    "      segment_max_bytes: 33554432",
    "    topology:",
    "      on_config_drift: overwrite_with_source",
    "    acl:",
    "      on_drift: merge",
  ].join("\n");
  const { config, layout } = await parseConfigText(text, { env: {} });
  assert.equal(layout, "kafka-backup");
  assert.equal(config.seed.segment_max_bytes, 33554432);
  assert.equal(config.evidence?.retention, 7 * 365 * 86_400_000);
  assert.equal(config.cutover.producer_freeze_webhook, "https://api.example.com/kafka/freeze");
});

Deno.test("parseConfigText() interpolates ${VAR}, types a lone unquoted ${VAR}, and keeps $${ literal", async () => {
  const { config } = await parseConfigText(
    `migration:\n  source:\n    bootstrap_servers: ["\${HOST}:9092"]\n    auth: { mode: scram-sha-512, username: app, password: "\${PW}" }\n${TARGET}` +
      `  seed:\n    via: direct\n    max_concurrent_partitions: \${N}\n  topics: { include: ["a\$\${b}"] }\n`,
    { env: { HOST: "10.0.0.1", PW: "pw-from-env", N: "7" } },
  );
  assert.deepEqual(config.source.bootstrap_servers, ["10.0.0.1:9092"]);
  assert.equal(config.source.auth.password?.reveal(), "pw-from-env");
  assert.equal(config.seed.max_concurrent_partitions, 7);
  assert.deepEqual(config.topics.include, ["a${b}"]);
});

Deno.test("a YAML syntax error names line and column", async () => {
  const error = await issuesOf("migration:\n  source: {\n    auth: [\n  target: x\n");
  assert.equal(error.code, "CONFIG_SYNTAX");
  const issue = error.issues[0]!;
  assert.equal(issue.file, "m.yaml");
  assert.ok(issue.line >= 2, `line ${issue.line}`);
  assert.match(issue.message, /YAML syntax error/);
  assert.ok(issue.hint);
});

Deno.test("an unknown key is reported at its line with a did-you-mean", async () => {
  const error = await issuesOf(
    `migration:\n${SOURCE}${TARGET}${DIRECT}  cutover:\n    drain_timout: 5m\n`,
  );
  const issue = only(error);
  assert.equal(error.code, "CONFIG_INVALID");
  assert.equal(issue.path, "migration.cutover.drain_timout");
  assert.equal(issue.line, 10);
  assert.equal(issue.column, 5);
  assert.match(issue.hint ?? "", /did you mean "drain_timeout"/);
});

Deno.test("a wrong type names the field, what was expected and what was found", async () => {
  const error = await issuesOf(
    `migration:\n${SOURCE}${TARGET}  seed:\n    via: direct\n    max_concurrent_partitions: many\n`,
  );
  const issue = only(error);
  assert.equal(issue.path, "migration.seed.max_concurrent_partitions");
  assert.equal(issue.line, 10);
  assert.equal(issue.column, 32);
  assert.match(issue.message, /expected number, got "many"/);
});

Deno.test("a value outside an enum lists the choices and suggests the nearest", async () => {
  const error = await issuesOf(
    `migration:\n  source:\n    bootstrap_servers: [a:1]\n    auth:\n      mode: scram-sha512\n${TARGET}${DIRECT}`,
  );
  const issue = only(error);
  assert.equal(issue.path, "migration.source.auth.mode");
  assert.equal(issue.line, 5);
  assert.match(issue.message, /must be one of iam, scram-sha-512, scram-sha-256, mtls, plaintext/);
  assert.match(issue.hint ?? "", /did you mean "scram-sha-512"/);
});

Deno.test("a missing required field is named with its parent's line", async () => {
  const error = await issuesOf(`migration:\n${SOURCE}${DIRECT}`);
  const issue = only(error);
  assert.equal(issue.path, "migration.target");
  assert.equal(issue.line, 2);
  assert.match(issue.message, /missing required field target/);
  assert.match(issue.hint ?? "", /add target under migration/);
});

Deno.test("an unset environment variable is named, with the field that uses it", async () => {
  const error = await issuesOf(
    `migration:\n  source:\n    bootstrap_servers: [a:1]\n    auth: { mode: scram-sha-512, username: u, password: "\${MISSING_PW}" }\n${TARGET}${DIRECT}`,
  );
  assert.equal(error.code, "CONFIG_ENV_UNSET");
  const issue = only(error);
  assert.equal(issue.path, "migration.source.auth.password");
  assert.equal(issue.line, 4);
  assert.match(issue.message, /MISSING_PW is not set/);
});

Deno.test("malformed durations and sizes are refused with examples of the right form", async () => {
  const error = await issuesOf(
    `migration:\n${SOURCE}${TARGET}  seed: { via: direct, segment_max_bytes: 32 megs }\n  cutover:\n    drain_timeout: 30 minutes\n`,
  );
  assert.equal(error.issues.length, 2);
  const [size, duration] = error.issues;
  assert.equal(size!.path, "migration.seed.segment_max_bytes");
  assert.equal(size!.line, 8);
  assert.match(size!.message, /expected a size such as 32MiB/);
  assert.equal(duration!.path, "migration.cutover.drain_timeout");
  assert.equal(duration!.line, 10);
  assert.match(duration!.message, /expected a duration such as .*30s/);
});

Deno.test("a cluster with neither cluster_arn nor bootstrap_servers is refused", async () => {
  const error = await issuesOf(
    `migration:\n  source:\n    region: eu-west-1\n    auth: { mode: iam }\n${TARGET}${DIRECT}`,
  );
  const issue = only(error);
  assert.equal(issue.path, "migration.source");
  assert.equal(issue.line, 3);
  assert.match(issue.message, /needs cluster_arn or bootstrap_servers/);
});

Deno.test("auth fields that do not fit the mode are refused, naming the mode they belong to", async () => {
  const error = await issuesOf([
    "migration:",
    "  source:",
    "    bootstrap_servers: [a:1]",
    "    auth:",
    "      mode: mtls",
    "      cert_file: c.pem",
    "      key_file: k.pem",
    "      password: secret-pw",
    "  target:",
    "    bootstrap_servers: [a:2]",
    "    auth:",
    "      mode: scram-sha-512",
    "      username: u",
    "      password: p-long",
    "      cert_file: c.pem",
    "  seed: { via: direct }",
  ].join("\n"));
  assert.equal(error.issues.length, 2);
  const [password, cert] = error.issues;
  assert.equal(password!.path, "migration.source.auth.password");
  assert.equal(password!.line, 8);
  assert.match(
    password!.message,
    /password does not apply to auth mode mtls \(it belongs to scram-sha-512/,
  );
  assert.equal(cert!.path, "migration.target.auth.cert_file");
  assert.equal(cert!.line, 15);
  assert.match(
    cert!.message,
    /cert_file does not apply to auth mode scram-sha-512 \(it belongs to mtls\)/,
  );
  assert.ok(!error.message.includes("secret-pw"), "the password leaked into the error");
});

Deno.test("unreadable files referenced by the config are named with their field and line", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(join(dir, "cert.pem"), "x");
  await Deno.writeTextFile(join(dir, "key.pem"), "x");
  await Deno.writeTextFile(
    join(dir, "m.yaml"),
    [
      "migration:",
      "  source:",
      "    bootstrap_servers: [a:1]",
      "    auth: { mode: mtls, ca_file: ./missing-ca.pem, cert_file: cert.pem, key_file: key.pem }",
      TARGET.trimEnd(),
      "  seed: { via: direct }",
      "  evidence:",
      "    directory: ./evidence",
      "    signing_key_path: keys/signing.key",
    ].join("\n"),
  );
  try {
    await loadConfig(join(dir, "m.yaml"));
    assert.fail("accepted");
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    assert.equal(error.code, "CONFIG_FILE_UNREADABLE");
    assert.equal(error.issues.length, 2);
    const [ca, key] = error.issues;
    assert.equal(ca!.path, "migration.source.auth.ca_file");
    assert.equal(ca!.line, 4);
    assert.ok(ca!.message.includes(join(dir, "missing-ca.pem")));
    assert.equal(key!.path, "migration.evidence.signing_key_path");
    assert.equal(key!.line, 11);
    assert.match(key!.hint ?? "", /kraftover keygen/);
  }
});

Deno.test("loadConfig() resolves relative file paths against the config's directory", async () => {
  const dir = await Deno.makeTempDir();
  for (const f of ["ca.pem", "cert.pem", "key.pem"]) await Deno.writeTextFile(join(dir, f), "x");
  await Deno.writeTextFile(
    join(dir, "m.yaml"),
    `migration:\n  source:\n    bootstrap_servers: [a:1]\n    auth: { mode: mtls, ca_file: ca.pem, cert_file: ./cert.pem, key_file: key.pem }\n${TARGET}${DIRECT}`,
  );
  const { config, baseDir } = await loadConfig(join(dir, "m.yaml"));
  assert.equal(baseDir, dir);
  assert.equal(config.source.auth.ca_file, join(dir, "ca.pem"));
  assert.equal(config.source.auth.cert_file, join(dir, "cert.pem"));
});

Deno.test("a staged seed without a backup store is refused with a hint", async () => {
  const error = await issuesOf(`migration:\n${SOURCE}${TARGET}`);
  const issue = only(error);
  assert.match(issue.message, /needs backup/);
  assert.match(issue.hint ?? "", /seed.via: direct/);
});

Deno.test("a missing config file exits as a config error naming the path", async () => {
  try {
    await loadConfig("/nonexistent/migration.yaml");
    assert.fail("accepted");
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    assert.equal(error.code, "CONFIG_FILE_UNREADABLE");
    assert.match(error.message, /\/nonexistent\/migration.yaml/);
  }
});
