/**
 * The `plan` and `precheck` commands as a user runs them: exit codes, the
 * report printed (human or --json) also when precheck blocks, no colour
 * without a TTY or with NO_COLOR, and --help with examples.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { stringify } from "yaml";
import { sandboxConfigs } from "../lib/sandbox/sandbox_configs.ts";
import { sandboxTest, uniquePrefix } from "./precheck_env.ts";

const CLI = new URL("../cli.ts", import.meta.url).pathname;

async function kraftover(args: string[], env: Record<string, string> = {}) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", CLI, ...args],
    env: { NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
  };
}

/** The first JSON document of a stream that may hold several (pretty-printed, one after another). */
function firstJson(text: string): unknown {
  const end = text.indexOf("\n}\n");
  return JSON.parse(end < 0 ? text : text.slice(0, end + 2));
}

Deno.test("kraftover plan --help and precheck --help show examples", async () => {
  for (const command of ["plan", "precheck"]) {
    const { code, stdout } = await kraftover([command, "--help"]);
    assert.equal(code, 0);
    assert.match(
      stdout,
      new RegExp(`Example:\\n  \\$ kraftover ${command} --config migration\\.yaml`),
    );
  }
});

sandboxTest(
  "kraftover precheck exits 3 on a blocker and still prints the report",
  async (t, info) => {
    const dir = await Deno.makeTempDir({ prefix: "kraftover-cli-" });
    const p = uniquePrefix();
    const migration = structuredClone(
      sandboxConfigs(info)["plaintext-plaintext"].object.migration,
    ) as Record<
      string,
      Record<string, unknown> | unknown
    >;
    migration.topics = { include: [`${p}\\..*`] };
    const clean = join(dir, "clean.yaml");
    await Deno.writeTextFile(clean, stringify({ migration }));
    (migration.evidence as Record<string, unknown>).s3_bucket = info.s3.buckets.nolock;
    const blocked = join(dir, "blocked.yaml");
    await Deno.writeTextFile(blocked, stringify({ migration }));
    try {
      await t.step("a clean pair: exit 0", async () => {
        const { code, stdout, stderr } = await kraftover(["precheck", "--config", clean]);
        assert.equal(code, 0, stdout + stderr);
        assert.match(stdout, /Precheck passed/);
      });
      await t.step("a blocker: exit 3, findings grouped by severity, no colour", async () => {
        const { code, stdout, stderr } = await kraftover(["precheck", "--config", blocked]);
        assert.equal(code, 3, stdout + stderr);
        assert.match(stdout, /BLOCKERS \(1\)\n {2}B08 /);
        assert.match(stdout, /INFO \(\d+\)/);
        assert.match(stdout, /Precheck blocked/);
        assert.ok(!stdout.includes("\x1b["), "no ANSI escapes with NO_COLOR");
        assert.match(stderr, /PRECHECK_BLOCKED|B08/);
      });
      await t.step("--json: exit 3 and the report as JSON", async () => {
        const { code, stdout } = await kraftover(["precheck", "--config", blocked, "--json"]);
        assert.equal(code, 3);
        const report = firstJson(stdout) as { passed: boolean; findings: { code: string }[] };
        assert.equal(report.passed, false);
        assert.ok(report.findings.some((f) => f.code === "B08"));
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test("kraftover plan writes files, exits 2 when they exist, overwrites with --force", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kraftover-cli-plan-" });
  const config = join(dir, "m.yaml");
  await Deno.writeTextFile(
    config,
    stringify({
      migration: {
        source: { bootstrap_servers: ["127.0.0.1:9"], auth: { mode: "plaintext" } },
        target: { bootstrap_servers: ["127.0.0.1:9"], auth: { mode: "plaintext" } },
        seed: { via: "direct" },
      },
    }),
  );
  const out = join(dir, "plan");
  try {
    const first = await kraftover([
      "plan",
      "--config",
      config,
      "--out-dir",
      out,
      "--offline",
      "--format",
      "json",
    ]);
    assert.equal(first.code, 0, first.stdout + first.stderr);
    assert.match(first.stdout, /plan\.json/);
    assert.ok((await Deno.stat(join(out, "plan.json"))).isFile);
    const second = await kraftover([
      "plan",
      "--config",
      config,
      "--out-dir",
      out,
      "--offline",
      "--format",
      "json",
    ]);
    assert.equal(second.code, 2);
    assert.match(second.stderr, /--force/);
    const forced = await kraftover([
      "plan",
      "--config",
      config,
      "--out-dir",
      out,
      "--offline",
      "--format",
      "json",
      "--force",
      "--json",
    ]);
    assert.equal(forced.code, 0);
    assert.deepEqual(
      (JSON.parse(forced.stdout) as { files: { name: string }[] }).files.map((f) => f.name),
      [
        "plan.json",
      ],
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
