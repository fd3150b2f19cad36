import assert from "node:assert/strict";
import { renderConfigReference } from "../lib/config/config_docs.ts";
import { loadConfig } from "../lib/config/load_config.ts";
import { renderCliReference } from "../cli.ts";

const root = new URL("../", import.meta.url);

Deno.test("docs/configuration.md is generated from the current schema (run `deno task docs` when this fails)", async () => {
  const committed = await Deno.readTextFile(new URL("docs/configuration.md", root));
  assert.equal(committed, renderConfigReference() + "\n");
});

Deno.test("docs/cli-reference.md is generated from the CLI's own help (run `deno task docs` when this fails)", async () => {
  const committed = await Deno.readTextFile(new URL("docs/cli-reference.md", root));
  assert.equal(committed, renderCliReference() + "\n");
});

Deno.test("every example config validates", async () => {
  const env = {
    FREEZE_WEBHOOK_SECRET: "example-freeze-secret",
    SOURCE_SCRAM_PASSWORD: "example-scram-password",
    NOTIFY_WEBHOOK_SECRET: "example-notify-secret",
  };
  let count = 0;
  for await (const entry of Deno.readDir(new URL("examples/", root))) {
    if (!entry.name.endsWith(".yaml")) continue;
    const { config } = await loadConfig(new URL(`examples/${entry.name}`, root).pathname, { env });
    assert.ok(config.source.auth.mode);
    count++;
  }
  assert.ok(count >= 2, `only ${count} example configs`);
});
