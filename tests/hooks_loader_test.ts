import assert from "node:assert/strict";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { isKraftoverError } from "../lib/errors.ts";
import { createMemoryLogger } from "../lib/logger.ts";
import { loadHookPlugins } from "../hooks/loader.ts";
import { createHookRunner } from "../hooks/runner.ts";
import { builtinPluginOptionsSchema } from "../plugins/_options.ts";

const TYPES_URL = new URL("../hooks/types.ts", import.meta.url).href;

/** A temp dir with the given files; removed on dispose. */
async function pluginDir(files: Record<string, string>) {
  const dir = await Deno.makeTempDir({ prefix: "kraftover-hooks-" });
  for (const [name, text] of Object.entries(files)) await Deno.writeTextFile(join(dir, name), text);
  return {
    dir,
    async [Symbol.asyncDispose]() {
      await Deno.remove(dir, { recursive: true });
    },
  };
}

async function loadError(
  entries: Parameters<typeof loadHookPlugins>[0],
  baseDir: string,
): Promise<Error> {
  try {
    await loadHookPlugins(entries, { baseDir, logger: createMemoryLogger().logger });
  } catch (error) {
    assert.ok(isKraftoverError(error, "PLUGIN_INVALID"), `expected PLUGIN_INVALID, got ${error}`);
    return error;
  }
  assert.fail("expected loadHookPlugins() to throw");
}

Deno.test("loadHookPlugins() accepts a plain-object plugin that only imports types", async () => {
  const source = `import type { HookPlugin } from ${JSON.stringify(TYPES_URL)};
const seen: string[] = [];
export default {
  name: "plain",
  hooks: {
    notify(event, ctx) {
      seen.push(event.message);
      ctx.logger.info("Plain plugin saw " + event.kind);
    },
  },
} satisfies HookPlugin;
export { seen };
`;
  assert.doesNotMatch(source, /^import (?!type)/m, "the fixture has no value import");
  await using files = await pluginDir({ "plain.ts": source });
  const { logger, lines } = createMemoryLogger();

  const plugins = await loadHookPlugins(["./plain.ts"], { baseDir: files.dir, logger });

  assert.equal(plugins.length, 1);
  assert.equal(plugins[0]!.name, "plain");
  await createHookRunner(plugins, { logger }).run(
    "notify",
    { migrationId: "m", kind: "info", message: "Hello" },
    { deadline: new Date(Date.now() + 5_000) },
  );
  const module = await import(pathToFileURL(join(files.dir, "plain.ts")).href);
  assert.deepEqual(module.seen, ["Hello"]);
  assert.ok(lines.some((l) => l.includes("Plain plugin saw info")));
});

Deno.test("loadHookPlugins() never loads kraftover for a plugin's type imports", async () => {
  await using files = await pluginDir({
    "elsewhere.ts": `import type { HookPlugin } from "file:///nonexistent/kraftover/mod.ts";
export default { name: "elsewhere", hooks: { notify() {} } } satisfies HookPlugin;
`,
  });
  const plugins = await loadHookPlugins(["elsewhere.ts"], {
    baseDir: files.dir,
    logger: createMemoryLogger().logger,
  });
  assert.equal(plugins[0]!.name, "elsewhere");
});

Deno.test("loadHookPlugins() accepts a defineHookPlugin() plugin by absolute path", async () => {
  await using files = await pluginDir({
    "defined.ts": `import { defineHookPlugin } from ${JSON.stringify(TYPES_URL)};
export default defineHookPlugin({
  name: "defined",
  hooks: { "producers:freeze"() {}, "producers:unfreeze"() {} },
});
`,
  });
  const plugins = await loadHookPlugins([join(files.dir, "defined.ts")], {
    baseDir: "/nonexistent",
    logger: createMemoryLogger().logger,
  });
  assert.deepEqual(Object.keys(plugins[0]!.hooks), ["producers:freeze", "producers:unfreeze"]);
});

Deno.test("examples/freeze_plugin.ts loads as a valid plugin", async () => {
  const plugins = await loadHookPlugins(["../examples/freeze_plugin.ts"], {
    baseDir: new URL(".", import.meta.url).pathname,
    logger: createMemoryLogger().logger,
  });
  assert.equal(plugins[0]?.name, "deploy-api-freeze");
  assert.deepEqual(Object.keys(plugins[0]!.hooks), ["producers:freeze", "producers:unfreeze"]);
});

Deno.test("loadHookPlugins() rejects a module without a default export", async () => {
  await using files = await pluginDir({
    "named.ts": `export const plugin = { name: "x", hooks: { notify() {} } };\n`,
  });
  const error = await loadError(["named.ts"], files.dir);
  assert.match(error.message, /hooks\[0\] "named\.ts".*named\.ts\).*no default export/);
});

Deno.test("loadHookPlugins() rejects a default export without a name", async () => {
  await using files = await pluginDir({
    "nameless.js": `export default { hooks: { notify() {} } };\n`,
  });
  const error = await loadError(["nameless.js"], files.dir);
  assert.match(error.message, /nameless\.js.*name is missing/);
});

Deno.test("loadHookPlugins() rejects an unknown event key", async () => {
  await using files = await pluginDir({
    "typo.js": `export default { name: "typo", hooks: { "producers:frezee"() {} } };\n`,
  });
  const error = await loadError(["typo.js"], files.dir);
  assert.match(error.message, /typo\.js.*unknown event "producers:frezee"/);
});

Deno.test("loadHookPlugins() rejects a handler that is not a function", async () => {
  await using files = await pluginDir({
    "string.js": `export default { name: "s", hooks: { notify: "log" } };\n`,
  });
  const error = await loadError(["string.js"], files.dir);
  assert.match(error.message, /string\.js.*hooks\["notify"\] is a string: expected a function/);
});

Deno.test("loadHookPlugins() names the file when defineHookPlugin() throws on import", async () => {
  await using files = await pluginDir({
    "bad_define.ts": `import { defineHookPlugin } from ${JSON.stringify(TYPES_URL)};
// deno-lint-ignore no-explicit-any
export default defineHookPlugin({ name: "", hooks: { notify() {} } } as any);
`,
  });
  const error = await loadError(["bad_define.ts"], files.dir);
  assert.match(error.message, /bad_define\.ts.*name is an empty string/);
});

Deno.test("loadHookPlugins() reports a missing module with the resolved path", async () => {
  await using files = await pluginDir({});
  const error = await loadError(["./plugins/missing.ts"], files.dir);
  assert.ok(error.message.includes(join(files.dir, "plugins/missing.ts")), error.message);
  assert.match(error.message, /check the path/);
});

Deno.test("loadHookPlugins() reports bad built-in options with their path", async () => {
  const secret = "whsec-loader-test-71b2";
  const error = await loadError([
    { builtin: "log-notify" },
    { builtin: "webhook-freeze", url: "ftp://freeze.example.com", secret, timeout: "soon" },
  ], "/");
  assert.match(error.message, /hooks\[1\] \(builtin webhook-freeze\)/);
  assert.match(error.message, /hooks\[1\]\.url: expected an http:\/\/ or https:\/\/ URL/);
  assert.match(error.message, /hooks\[1\]\.timeout: expected a duration/);
  assert.ok(!error.message.includes(secret));

  const unknown = await loadError([{ builtin: "carrier-pigeon" } as never], "/");
  assert.match(
    unknown.message,
    /hooks\[0\]\.builtin: expected builtin to be one of webhook-freeze/,
  );
  const extra = await loadError([{ builtin: "log-notify", kind: ["failure"] }], "/");
  assert.match(extra.message, /Unrecognized key: "kind"/);
});

Deno.test("loadHookPlugins() rejects two plugins with the same name", async () => {
  const error = await loadError([{ builtin: "log-notify" }, { builtin: "log-notify" }], "/");
  assert.match(error.message, /used by hooks\[0\] and hooks\[1\]/);
  const plugins = await loadHookPlugins(
    [{ builtin: "log-notify" }, { builtin: "log-notify", name: "audit-log" }],
    { baseDir: "/", logger: createMemoryLogger().logger },
  );
  assert.deepEqual(plugins.map((p) => p.name), ["log-notify", "audit-log"]);
});

Deno.test("loadHookPlugins() keeps order and accepts options the schema already parsed", async () => {
  const secret = "whsec-loader-test-9c4d";
  await using files = await pluginDir({
    "mine.js": `export default { name: "mine", hooks: { notify() {} } };\n`,
  });
  const parsed = builtinPluginOptionsSchema.parse({
    builtin: "webhook-freeze",
    url: "https://freeze.example.com/hook",
    secret,
  });
  const { logger, lines } = createMemoryLogger();
  const plugins = await loadHookPlugins([
    parsed,
    "mine.js",
    { builtin: "slack-notify", webhook_url: `https://hooks.slack.com/services/${secret}` },
  ], { baseDir: files.dir, logger });
  assert.deepEqual(plugins.map((p) => p.name), ["webhook-freeze", "mine", "slack-notify"]);
  assert.equal(lines.length, 3);
  for (const line of lines) assert.ok(!line.includes(secret), line);
});
