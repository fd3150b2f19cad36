import assert from "node:assert/strict";
import { parseConfigText } from "./config/load_config.ts";
import { createMemoryLogger } from "./logger.ts";
import { openJournal, readJournal } from "./journal.ts";
import { redact } from "./secret.ts";
import { main } from "../cli.ts";

const PASSWORD = "Pa55-word-that-must-never-leak";

async function secretConfig() {
  return await parseConfigText(
    [
      "migration:",
      "  source:",
      "    bootstrap_servers: [127.0.0.1:9092]",
      '    auth: { mode: scram-sha-512, username: app, password: "${SRC_PW}" }',
      "  target:",
      "    bootstrap_servers: [127.0.0.1:9093]",
      "    auth: { mode: plaintext }",
      "  seed: { via: direct }",
    ].join("\n"),
    { env: { SRC_PW: PASSWORD } },
  );
}

Deno.test("a password from the config never appears in log output, even inside free text", async () => {
  const { config } = await secretConfig();
  const { logger, lines } = createMemoryLogger();
  logger.info("Connecting", { auth: config.source.auth, cluster: config.source });
  logger.error(`Library said: SASL failed for app with ${PASSWORD}`);
  logger.warn("Raw field", { password: PASSWORD, nested: { token: "tok-abcdef" } });
  const text = lines.join("\n");
  assert.ok(!text.includes(PASSWORD), text);
  assert.ok(!text.includes("tok-abcdef"), text);
  assert.ok(text.includes("[redacted]"));
  assert.ok(config.source.auth.password?.reveal() === PASSWORD);
});

Deno.test("a password from the config never reaches the journal", async () => {
  const { config } = await secretConfig();
  const dir = await Deno.makeTempDir();
  {
    await using journal = await openJournal(dir, { migrationId: "mig-secret" });
    await journal.append({ type: "checkpoint", name: "config", data: { source: config.source } });
    await journal.append({ type: "note", level: "warn", message: `auth failed: ${PASSWORD}` });
  }
  const raw = await Deno.readTextFile(`${dir}/journal.jsonl`);
  assert.ok(!raw.includes(PASSWORD), raw);
  assert.equal((await readJournal(dir)).records.length, 3);
});

Deno.test("a password from the config never reaches --json output", async () => {
  const { config } = await secretConfig();
  const json = JSON.stringify(redact({ config }));
  assert.ok(!json.includes(PASSWORD));
  assert.ok(json.includes('"password":"[redacted]"'));
});

Deno.test("the CLI's --json error output does not carry the password", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(
    `${dir}/m.yaml`,
    `migration:\n  source:\n    bootstrap_servers: [a:1]\n    auth: { mode: mtls, cert_file: c, key_file: k, password: "${PASSWORD}" }\n  target:\n    bootstrap_servers: [a:2]\n    auth: { mode: plaintext }\n  seed: { via: direct }\n`,
  );
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("../cli.ts", import.meta.url).pathname,
      "status",
      "--config",
      `${dir}/m.yaml`,
      "--json",
    ],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  });
  const out = await child.output();
  const all = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 2, all);
  assert.ok(all.includes("password does not apply to auth mode mtls"), all);
  assert.ok(!all.includes(PASSWORD), all);
  void main;
});
