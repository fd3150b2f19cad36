/**
 * Shipping as one file. `deno compile` needs Deno's `denort` runtime from
 * dl.deno.land, which our build machines cannot reach: that test runs where
 * it can and says why it is skipped where it cannot. The single-file
 * `deno bundle` output is checked everywhere: it must start, answer `--help`
 * and print the config schema — and refuse to copy records, because a bundle
 * inlines kafkajs where kraftover cannot make record copies exact.
 */

// deno-lint-ignore-file no-console
import assert from "node:assert/strict";
import { join } from "node:path";

const root = new URL("../", import.meta.url).pathname;
const dir = await Deno.makeTempDir({ prefix: "kraftover-ship-" });

async function run(cmd: string[], cwd = root): Promise<{ code: number; out: string }> {
  const o = await new Deno.Command(cmd[0]!, {
    args: cmd.slice(1),
    cwd,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: o.code,
    out: new TextDecoder().decode(o.stdout) + new TextDecoder().decode(o.stderr),
  };
}

const compiled = await run([
  Deno.execPath(),
  "compile",
  "--allow-read",
  "--allow-write",
  "--allow-net",
  "--allow-env",
  "--allow-sys",
  "--allow-run",
  "--output",
  join(dir, "kraftover"),
  "cli.ts",
]);
const compileSkip = compiled.code === 0
  ? undefined
  : /dl\.deno\.land|denort|error sending request|dns error/i.test(compiled.out)
  ? "deno compile needs the denort runtime from dl.deno.land, which is unreachable here"
  : undefined;
if (compileSkip !== undefined) console.log(`skipping the compiled-binary test: ${compileSkip}`);

Deno.test({
  name: "deno task compile's binary runs --help and schema without -A",
  ignore: compileSkip !== undefined,
  async fn() {
    assert.equal(compiled.code, 0, compiled.out);
    const help = await run([join(dir, "kraftover"), "--help"]);
    assert.equal(help.code, 0, help.out);
    assert.match(help.out, /kraftover/);
    const schema = await run([join(dir, "kraftover"), "schema"]);
    assert.equal(JSON.parse(schema.out).$defs.Migration.type, "object");
  },
});

Deno.test("the single-file bundle starts, prints help and the schema", async () => {
  const bundle = join(dir, "kraftover.js");
  const built = await run([Deno.execPath(), "bundle", "cli.ts", "-o", bundle]);
  assert.equal(built.code, 0, built.out);
  const help = await run([
    Deno.execPath(),
    "run",
    "--allow-read",
    "--allow-env",
    "--allow-sys",
    bundle,
    "--help",
  ], dir);
  assert.equal(help.code, 0, help.out);
  assert.match(help.out, /Usage: kraftover/);
  const schema = await run([
    Deno.execPath(),
    "run",
    "--allow-read",
    "--allow-env",
    "--allow-sys",
    bundle,
    "schema",
  ], dir);
  assert.equal(schema.code, 0, schema.out);
  assert.equal(JSON.parse(schema.out).$defs.Migration.type, "object");
});

Deno.test("a bundle refuses to copy records rather than copy them inexactly", async () => {
  // The record codec kraftover installs into kafkajs needs kafkajs's module cache, which a bundle lacks.
  const bundle = join(dir, "kafkajs_bundle.js");
  const built = await run([Deno.execPath(), "bundle", "lib/kafka/kafkajs.ts", "-o", bundle]);
  assert.equal(built.code, 0, built.out);
  const probe = join(dir, "probe.js");
  await Deno.writeTextFile(
    probe,
    `import { ensureExactRecordCodec } from ${JSON.stringify(bundle)};\n` +
      `try { await ensureExactRecordCodec(); console.log("EXACT"); } catch (e) { console.log("REFUSED " + e.message); }\n`,
  );
  const out = await run([
    Deno.execPath(),
    "run",
    "--allow-read",
    "--allow-env",
    "--allow-sys",
    probe,
  ], dir);
  assert.match(out.out, /REFUSED .*cannot reach kafkajs's modules/, out.out);
  // From source the same check passes.
  const { ensureExactRecordCodec } = await import("../lib/kafka/kafkajs.ts");
  await ensureExactRecordCodec();
});
