import assert from "node:assert/strict";

const cli = new URL("../cli.ts", import.meta.url).pathname;

async function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      "--allow-net",
      "--allow-run",
      "--allow-sys",
      cli,
      ...args,
    ],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const d = new TextDecoder();
  return { code: out.code, stdout: d.decode(out.stdout), stderr: d.decode(out.stderr) };
}

Deno.test("kraftover --help lists the commands and an example, exit 0", async () => {
  const r = await run("--help");
  assert.equal(r.code, 0);
  for (
    const c of [
      "schema",
      "status",
      "plan",
      "precheck",
      "execute",
      "cutover",
      "validate",
      "finalize",
    ]
  ) {
    assert.ok(r.stdout.includes(c), c);
  }
  assert.match(r.stdout, /Example:/);
});

Deno.test("every command's --help shows an example", async () => {
  const top = await run("--help");
  const commands = [...top.stdout.matchAll(/^ {2}([a-z][a-z-]+)\b/gm)].map((m) => m[1]!).filter((
    c,
  ) => c !== "help");
  assert.ok(commands.length >= 10, commands.join(","));
  for (const command of commands) {
    const r = await run(command, "--help");
    assert.equal(r.code, 0, command);
    assert.match(r.stdout, /Example:\n {2}\$ kraftover /, `${command} --help has no example`);
  }
});

Deno.test("kraftover schema prints a JSON Schema, exit 0", async () => {
  const r = await run("schema");
  assert.equal(r.code, 0);
  const schema = JSON.parse(r.stdout);
  assert.equal(schema.$defs.Migration.type, "object");
});

Deno.test("an unknown command or option exits 2", async () => {
  assert.equal((await run("frobnicate")).code, 2);
  assert.equal((await run("status", "--no-such-flag")).code, 2);
});

Deno.test("a bad config exits 2 with file, line, field path and hint on stderr", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(
    `${dir}/m.yaml`,
    "migration:\n  source:\n    bootstrap_servers: [a:1]\n    auth: { mode: kerberos }\n",
  );
  const r = await run("status", "--config", `${dir}/m.yaml`);
  assert.equal(r.code, 2);
  assert.match(
    r.stderr,
    new RegExp(`${dir}/m.yaml:4:\\d+: migration.source.auth.mode: must be one of`),
  );
  assert.match(r.stderr, /hint:/);
});

Deno.test("kraftover status on an empty journal says planned and what to run; --json is parseable", async () => {
  const dir = await Deno.makeTempDir();
  const human = await run("status", "--journal-dir", dir);
  assert.equal(human.code, 0);
  assert.match(human.stdout, /State:\s+planned/);
  assert.match(human.stdout, /Next:\s+kraftover execute/);
  const json = await run("status", "--journal-dir", dir, "--json");
  assert.equal(JSON.parse(json.stdout).state, "planned");
});
