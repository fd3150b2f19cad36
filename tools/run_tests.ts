// deno-lint-ignore-file no-console
/**
 * The test runner behind `deno task test`: starts the local sandbox once (or
 * reuses one that is up), runs the whole suite (unit, doc and integration
 * tests) in one `deno test` invocation, prints `N passed, M failed[, K skipped]`
 * from the real counts, and stops what it started.
 *
 * Usage: deno task test [--unit] [-- extra deno test args]
 *
 * @module
 */

const args = [...Deno.args];
const unit = args.includes("--unit");
const dashDash = args.indexOf("--");
const extra = dashDash === -1 ? args.filter((a) => a !== "--unit") : args.slice(dashDash + 1);

// Tests start and inspect processes through /proc, which Deno only opens with
// --allow-all; the shipped binary and the other tasks ask for less.
const PERMISSIONS = ["--allow-all"];

/** Unit tests need no running service; integration tests live in tests/. */
const UNIT_PATHS = ["lib/", "hooks/", "plugins/", "mod.ts", "cli.ts"];
const ALL_PATHS = [...UNIT_PATHS, "tests/"];

interface Counts {
  passed: number;
  failed: number;
  ignored: number;
}

const ANSI = new RegExp(String.fromCharCode(27) + "\\[[0-9;]*m", "g");

function parseSummary(text: string): Counts | undefined {
  // Deno prints e.g. "ok | 12 passed (3 steps) | 0 failed | 1 ignored (4ms)".
  const lines = text.split("\n").filter((l) => /^\s*(ok|FAILED)\s*\|/.test(l.replace(ANSI, "")));
  const last = lines.at(-1)?.replace(ANSI, "");
  if (last === undefined) return undefined;
  const num = (re: RegExp) => Number(re.exec(last)?.[1] ?? 0);
  return {
    passed: num(/(\d+) passed/),
    failed: num(/(\d+) failed/),
    ignored: num(/(\d+) ignored/),
  };
}

async function startSandbox(): Promise<(() => Promise<void>) | undefined> {
  if (unit) return undefined;
  const sandboxModule = new URL("../lib/sandbox/sandbox.ts", import.meta.url);
  try {
    await Deno.stat(sandboxModule);
  } catch {
    return undefined; // no sandbox in this tree yet
  }
  const { sandboxUp, sandboxDown } = await import(sandboxModule.href);
  const { createLogger } = await import("../lib/logger.ts");
  const logger = createLogger({ level: "info" });
  const stateDir = Deno.env.get("KRAFTOVER_SANDBOX_DIR") ?? `${Deno.cwd()}/.sandbox`;
  Deno.env.set("KRAFTOVER_SANDBOX_DIR", stateDir);
  const report = await sandboxUp({ stateDir, logger });
  console.log(
    report.reused
      ? `Sandbox reused in ${stateDir}`
      : `Sandbox started in ${stateDir} (${(report.elapsedMs / 1000).toFixed(1)}s)`,
  );
  if (report.reused || Deno.env.get("KRAFTOVER_KEEP_SANDBOX") === "1") return undefined;
  return async () => {
    await sandboxDown({ stateDir, logger });
    console.log("Sandbox stopped");
  };
}

const stop = await startSandbox();
let code = 1;
let counts: Counts | undefined;
try {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "test",
      ...PERMISSIONS,
      "--doc",
      "--parallel",
      ...(extra.length > 0 ? extra : unit ? UNIT_PATHS : ALL_PATHS),
    ],
    stdout: "piped",
    stderr: "inherit",
    env: { DENO_JOBS: Deno.env.get("DENO_JOBS") ?? "2" },
  }).spawn();
  let captured = "";
  const decoder = new TextDecoder();
  for await (const chunk of child.stdout) {
    await Deno.stdout.write(chunk);
    captured += decoder.decode(chunk, { stream: true });
    if (captured.length > 1_000_000) captured = captured.slice(-100_000);
  }
  code = (await child.status).code;
  counts = parseSummary(captured);
} finally {
  await stop?.();
}
if (counts === undefined) {
  console.log("0 passed, 1 failed (the test run printed no summary)");
  Deno.exit(code === 0 ? 1 : code);
}
console.log(
  `${counts.passed} passed, ${counts.failed} failed` +
    (counts.ignored > 0 ? `, ${counts.ignored} skipped` : ""),
);
Deno.exit(code !== 0 ? code : counts.failed > 0 ? 1 : 0);
