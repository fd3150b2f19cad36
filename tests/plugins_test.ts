import assert from "node:assert/strict";
import { isKraftoverError } from "../lib/errors.ts";
import { createMemoryLogger } from "../lib/logger.ts";
import { Secret } from "../lib/secret.ts";
import { HookError } from "../hooks/hook_error.ts";
import { loadHookPlugins } from "../hooks/loader.ts";
import { createHookRunner } from "../hooks/runner.ts";
import type {
  HookEventMap,
  HookEventName,
  HookPlugin,
  ProducersFreezeEvent,
} from "../hooks/types.ts";
import { builtinPluginOptionsSchema } from "../plugins/_options.ts";
import { parseDuration } from "../lib/config/units.ts";
import type { BuiltinPluginEntry } from "../plugins/options.ts";
import { manualFreezePlugin, type ManualFreezeTerminal } from "../plugins/manual_freeze.ts";
import { signKraftoverBody, verifyKraftoverSignature } from "../plugins/signature.ts";

// ---------------------------------------------------------------------------
// A real HTTP receiver on 127.0.0.1 that records what it gets.

interface Seen {
  readonly path: string;
  readonly headers: Headers;
  readonly body: string;
}

type Reply = (seen: Seen, n: number, hang: () => Promise<Response>) => Response | Promise<Response>;

function receiver(reply: Reply) {
  const seen: Seen[] = [];
  let release = () => {};
  const released = new Promise<void>((resolve) => (release = resolve));
  const hang = () => released.then(() => new Response(null, { status: 204 }));
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (request) => {
      const entry = {
        path: new URL(request.url).pathname,
        headers: request.headers,
        body: await request.text(),
      };
      seen.push(entry);
      return await reply(entry, seen.length, hang);
    },
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    seen,
    async [Symbol.asyncDispose]() {
      release();
      await server.shutdown();
    },
  };
}

const status = (code: number, body?: string) => () => new Response(body ?? null, { status: code });

function refusedUrl(): string {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  listener.close();
  return `http://127.0.0.1:${port}/freeze`;
}

// ---------------------------------------------------------------------------
// Loading built-ins the way the config does, and running them through the runner.

async function load(entry: BuiltinPluginEntry) {
  const { logger, lines } = createMemoryLogger();
  const plugins = await loadHookPlugins([entry], { baseDir: "/", logger });
  return {
    lines,
    runner: createHookRunner(plugins, {
      logger,
      targetBootstrapServers: { iam: ["t1:9098", "t2:9098"], "scram-sha-512": ["t1:9096"] },
    }),
  };
}

function run<E extends HookEventName>(
  runner: ReturnType<typeof createHookRunner>,
  event: E,
  payload: HookEventMap[E],
  deadlineMs = 10_000,
): Promise<void> {
  return runner.run(event, payload, { deadline: new Date(Date.now() + deadlineMs) });
}

async function hookError(promise: Promise<unknown>): Promise<HookError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof HookError, `expected a HookError, got ${error}`);
    return error;
  }
  assert.fail("expected the hook to fail");
}

function freezeEvent(): ProducersFreezeEvent {
  return {
    migrationId: "mig-7",
    topics: ["orders", "payments"],
    partitions: 12,
    deadline: new Date("2030-01-01T00:00:00.000Z"),
    sourceBootstrapServers: ["127.0.0.1:9092"],
  };
}

function assertNoSecret(lines: readonly string[], ...secrets: string[]) {
  assert.ok(lines.length > 0, "something was logged");
  for (const line of lines) for (const s of secrets) assert.ok(!line.includes(s), line);
}

const SECRET = "whsec-plugins-test-5e1d0b7a";

// ---------------------------------------------------------------------------
// webhook-freeze

Deno.test("webhook-freeze posts a signed freeze that verifies only with the right secret, in time", async (t) => {
  await using server = receiver(status(204));
  const { runner, lines } = await load({
    builtin: "webhook-freeze",
    url: `${server.url}/freeze`,
    secret: SECRET,
  });
  await run(runner, "producers:freeze", freezeEvent());

  const [request] = server.seen;
  assert.ok(request);
  await t.step("body and headers", () => {
    assert.equal(request.path, "/freeze");
    assert.deepEqual(JSON.parse(request.body), {
      event: "producers:freeze",
      migration_id: "mig-7",
      topics: ["orders", "payments"],
      partitions: 12,
      deadline: "2030-01-01T00:00:00.000Z",
    });
    assert.equal(request.headers.get("content-type"), "application/json");
    assert.equal(request.headers.get("x-kraftover-event"), "producers:freeze");
    assert.match(request.headers.get("x-kraftover-delivery") ?? "", /^[0-9a-f-]{36}$/);
  });
  const header = request.headers.get("x-kraftover-signature");
  await t.step("the signature verifies with the right secret", async () => {
    assert.match(header ?? "", /^t=\d+,v1=[0-9a-f]{64}$/);
    const check = await verifyKraftoverSignature(request.body, header, SECRET);
    assert.equal(check.ok, true);
  });
  await t.step("and fails with a wrong secret, a changed body or a stale timestamp", async () => {
    assert.deepEqual(await verifyKraftoverSignature(request.body, header, "wrong-secret"), {
      ok: false,
      reason: "mismatch",
    });
    assert.deepEqual(
      await verifyKraftoverSignature(request.body.replace("12", "13"), header, SECRET),
      { ok: false, reason: "mismatch" },
    );
    const tenMinutesLater = () => new Date(Date.now() + 600_000);
    assert.deepEqual(
      await verifyKraftoverSignature(request.body, header, SECRET, { now: tenMinutesLater }),
      { ok: false, reason: "stale" },
    );
    assert.equal(
      (await verifyKraftoverSignature(request.body, header, SECRET, {
        now: tenMinutesLater,
        toleranceSeconds: 900,
      })).ok,
      true,
    );
  });
  await t.step("the secret is not logged", () => assertNoSecret(lines, SECRET, header ?? "-"));
});

Deno.test("webhook-freeze posts the unfreeze to unfreeze_url with the reason", async () => {
  await using server = receiver(status(200, "ok"));
  const { runner } = await load({
    builtin: "webhook-freeze",
    url: `${server.url}/freeze`,
    unfreeze_url: `${server.url}/unfreeze`,
    secret: SECRET,
  });
  await run(runner, "producers:unfreeze", {
    migrationId: "mig-7",
    topics: ["orders"],
    reason: "cutover_aborted",
    error: "Sentinel write failed",
  });
  const [request] = server.seen;
  assert.equal(request?.path, "/unfreeze");
  assert.equal(request.headers.get("x-kraftover-event"), "producers:unfreeze");
  assert.deepEqual(JSON.parse(request.body), {
    event: "producers:unfreeze",
    migration_id: "mig-7",
    topics: ["orders"],
    reason: "cutover_aborted",
    error: "Sentinel write failed",
  });
});

Deno.test("webhook-freeze retries a 500 and succeeds on the next 200, same delivery id", async () => {
  await using server = receiver((_, n) => new Response(null, { status: n === 1 ? 500 : 200 }));
  const { runner, lines } = await load({
    builtin: "webhook-freeze",
    url: `${server.url}/freeze`,
    secret: SECRET,
    retry_backoff: "10ms",
  });
  await run(runner, "producers:freeze", freezeEvent());
  assert.equal(server.seen.length, 2);
  const [first, second] = server.seen;
  assert.equal(
    first?.headers.get("x-kraftover-delivery"),
    second?.headers.get("x-kraftover-delivery"),
  );
  assert.ok(lines.some((l) => l.includes("attempt 1/4 failed") && l.includes("HTTP 500")));
  assertNoSecret(lines, SECRET);
});

Deno.test("webhook-freeze retries 429 (rate limited) like a 5xx", async () => {
  await using server = receiver((_, n) => new Response(null, { status: n === 1 ? 429 : 204 }));
  const { runner } = await load({
    builtin: "webhook-freeze",
    url: `${server.url}/freeze`,
    secret: SECRET,
    retry_backoff: "10ms",
  });
  await run(runner, "producers:freeze", freezeEvent());
  assert.equal(server.seen.length, 2);
});

Deno.test("webhook-freeze does not retry a 400 and fails the hook", async () => {
  await using server = receiver(status(400, '{"error":"unknown topic payments"}'));
  const { runner } = await load({
    builtin: "webhook-freeze",
    url: `${server.url}/freeze`,
    secret: SECRET,
    retry_backoff: "10ms",
  });
  const error = await hookError(run(runner, "producers:freeze", freezeEvent()));
  assert.equal(server.seen.length, 1);
  assert.equal(error.code, "HOOK_FAILED");
  assert.equal(error.pluginName, "webhook-freeze");
  assert.equal(error.retriable, false);
  assert.match(error.message, /after 1 attempt \(not retried\).*HTTP 400.*unknown topic payments/);
});

Deno.test("webhook-freeze against a server that never answers ends in HOOK_TIMEOUT at the deadline", async () => {
  await using server = receiver((_, __, hang) => hang());
  const { runner } = await load({
    builtin: "webhook-freeze",
    url: `${server.url}/freeze`,
    secret: SECRET,
  });
  const error = await hookError(run(runner, "producers:freeze", freezeEvent(), 200));
  assert.equal(error.code, "HOOK_TIMEOUT");
  assert.equal(error.pluginName, "webhook-freeze");
  assert.equal(server.seen.length, 1);
});

Deno.test("webhook-freeze times out each attempt, retries, then fails with HOOK_TIMEOUT", async () => {
  await using server = receiver((_, __, hang) => hang());
  const { runner, lines } = await load({
    builtin: "webhook-freeze",
    url: `${server.url}/freeze`,
    secret: SECRET,
    timeout: "50ms",
    retries: 1,
    retry_backoff: "10ms",
  });
  const error = await hookError(run(runner, "producers:freeze", freezeEvent()));
  assert.equal(error.code, "HOOK_TIMEOUT");
  assert.ok(isKraftoverError(error.cause, "HOOK_TIMEOUT"));
  assert.deepEqual(error.cause.detail?.attempts, 2);
  assert.match(
    error.message,
    /after 2 attempts \(retries exhausted\).*did not answer within 50 ms/,
  );
  assert.equal(server.seen.length, 2);
  assert.equal(lines.filter((l) => l.includes("attempt 1/2 failed")).length, 1);
});

Deno.test("webhook-freeze retries a refused connection, then fails", async () => {
  const { runner, lines } = await load({
    builtin: "webhook-freeze",
    url: refusedUrl(),
    secret: SECRET,
    retries: 2,
    retry_backoff: "10ms",
  });
  const error = await hookError(run(runner, "producers:freeze", freezeEvent()));
  assert.equal(error.code, "HOOK_FAILED");
  assert.equal(error.retriable, true);
  assert.ok(isKraftoverError(error.cause));
  assert.equal(error.cause.detail?.attempts, 3);
  assert.match(error.message, /Cannot reach http:\/\/127\.0\.0\.1:\d+\/freeze/);
  const retries = lines.map((l) => JSON.parse(l)).filter((l) => /attempt \d\/3 failed/.test(l.msg));
  assert.deepEqual(retries.map((l) => l.level), ["warn", "warn"]);
});

Deno.test("webhook-freeze gives up early when the backoff would pass the deadline", async () => {
  await using server = receiver(status(503));
  const { runner } = await load({
    builtin: "webhook-freeze",
    url: `${server.url}/freeze`,
    secret: SECRET,
    retry_backoff: "10s",
  });
  // The first backoff is 5–10 s (jittered); the deadline is 2 s away.
  const error = await hookError(run(runner, "producers:freeze", freezeEvent(), 2_000));
  assert.equal(error.code, "HOOK_FAILED");
  assert.match(error.message, /no time left before the hook deadline/);
  assert.equal(server.seen.length, 1);
});

// ---------------------------------------------------------------------------
// webhook-switch, webhook-notify, slack-notify, log-notify

Deno.test("webhook-switch posts the target bootstrap servers per auth mode, signed", async () => {
  await using server = receiver(status(204));
  const { runner } = await load({
    builtin: "webhook-switch",
    url: `${server.url}/switch`,
    secret: SECRET,
  });
  await run(runner, "clients:switch", {
    migrationId: "mig-7",
    topics: ["orders"],
    groups: ["billing", "shipping"],
    targetBootstrapServers: { iam: ["t1:9098"], mtls: ["t1:9094"] },
  });
  const [request] = server.seen;
  assert.ok(request);
  assert.equal(request.headers.get("x-kraftover-event"), "clients:switch");
  assert.deepEqual(JSON.parse(request.body), {
    event: "clients:switch",
    migration_id: "mig-7",
    topics: ["orders"],
    groups: ["billing", "shipping"],
    target_bootstrap_servers: { iam: ["t1:9098"], mtls: ["t1:9094"] },
  });
  const check = await verifyKraftoverSignature(
    request.body,
    request.headers.get("x-kraftover-signature"),
    new Secret(SECRET),
  );
  assert.equal(check.ok, true);
});

Deno.test("webhook-switch without a secret sends unsigned and warns", async () => {
  await using server = receiver(status(204));
  const { runner, lines } = await load({ builtin: "webhook-switch", url: `${server.url}/switch` });
  await run(runner, "clients:switch", {
    migrationId: "mig-7",
    topics: ["orders"],
    groups: [],
    targetBootstrapServers: { plaintext: ["t1:9092"] },
  });
  assert.equal(server.seen[0]?.headers.get("x-kraftover-signature"), null);
  const warning = lines.map((l) => JSON.parse(l)).find((l) => l.level === "warn");
  assert.match(warning?.msg ?? "", /clients:switch .* unsigned: set the plugin's secret/);
});

Deno.test("webhook-notify sends only the configured kinds, unsigned without a secret", async () => {
  await using server = receiver(status(202));
  const { runner } = await load({
    builtin: "webhook-notify",
    url: `${server.url}/notify`,
    kinds: ["failure"],
  });
  await run(runner, "notify", { migrationId: "mig-7", kind: "info", message: "Seed 50%" });
  await run(runner, "notify", {
    migrationId: "mig-7",
    kind: "failure",
    message: "Drain timed out",
    state: "failed",
    previousState: "cutover",
    detail: { partition: 3, password: "hunter2-in-detail" },
  });
  assert.equal(server.seen.length, 1, "the info event was filtered out");
  const [request] = server.seen;
  assert.equal(request?.headers.get("x-kraftover-signature"), null);
  assert.deepEqual(JSON.parse(request.body), {
    event: "notify",
    migration_id: "mig-7",
    kind: "failure",
    message: "Drain timed out",
    state: "failed",
    previous_state: "cutover",
    detail: { partition: 3, password: "[redacted]" },
  });
});

Deno.test("webhook-notify failures are logged and never fail the run", async () => {
  await using server = receiver(status(500));
  const { runner, lines } = await load({
    builtin: "webhook-notify",
    url: `${server.url}/notify`,
    secret: SECRET,
    retries: 0,
  });
  await run(runner, "notify", { migrationId: "mig-7", kind: "warning", message: "Lag rising" });
  const warning = lines.map((l) => JSON.parse(l)).find((l) => l.level === "warn");
  assert.equal(warning?.plugin, "webhook-notify");
  assert.match(warning.msg, /HTTP 500/);
});

Deno.test("slack-notify posts text and blocks and keeps the webhook URL out of logs", async () => {
  const token = "T0K3N-slack-path-4f2a";
  await using server = receiver((_, n) =>
    n === 1 ? new Response("ok") : new Response("no", { status: 500 })
  );
  const { runner, lines } = await load({
    builtin: "slack-notify",
    webhook_url: `${server.url}/services/${token}`,
    retries: 0,
  });
  await run(runner, "notify", {
    migrationId: "mig-7",
    kind: "state_changed",
    message: "Cutover <started>",
    state: "cutover",
    previousState: "drain_ready",
  });
  const body = JSON.parse(server.seen[0]?.body ?? "{}");
  assert.equal(server.seen[0]?.path, `/services/${token}`);
  assert.equal(body.text, "kraftover mig-7: Cutover &lt;started&gt;");
  assert.equal(body.blocks[0].type, "section");
  assert.match(body.blocks[0].text.text, /State changed.*mig-7/s);
  assert.equal(body.blocks[1].elements[0].text, "state `cutover` (was `drain_ready`)");

  await run(runner, "notify", { migrationId: "mig-7", kind: "failure", message: "Boom" });
  assert.ok(lines.some((l) => l.includes("the Slack incoming webhook answered HTTP 500")));
  assertNoSecret(lines, token);
});

Deno.test("log-notify logs each kind at its level, with redacted detail", async () => {
  const { runner, lines } = await load({ builtin: "log-notify" });
  const secret = new Secret("log-notify-secret-91aa");
  for (const kind of ["info", "warning", "failure", "state_changed"] as const) {
    await run(runner, "notify", {
      migrationId: "mig-7",
      kind,
      message: `A ${kind}`,
      detail: { token: secret.reveal(), lag: 5 },
    });
  }
  const logged = lines.map((l) => JSON.parse(l)).filter((l) => l.msg.startsWith("A "));
  assert.deepEqual(logged.map((l) => [l.msg, l.level]), [
    ["A info", "info"],
    ["A warning", "warn"],
    ["A failure", "error"],
    ["A state_changed", "info"],
  ]);
  assert.deepEqual(logged[0].detail, { token: "[redacted]", lag: 5 });
  assertNoSecret(lines, secret.reveal());
});

// ---------------------------------------------------------------------------
// manual-freeze

function fakeTerminal(isTerminal: boolean, typed: Array<string | null>) {
  let shown = "";
  const terminal: ManualFreezeTerminal = {
    isTerminal: () => isTerminal,
    readLine: (signal) =>
      typed.length > 0
        ? Promise.resolve(typed.shift() ?? null)
        : new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason))),
    write: (text) => void (shown += text),
  };
  return { terminal, shown: () => shown };
}

function manualRunner(plugin: HookPlugin) {
  const { logger, lines } = createMemoryLogger();
  return { runner: createHookRunner([plugin], { logger }), lines };
}

Deno.test("manual-freeze refuses without a TTY", async () => {
  const fake = fakeTerminal(false, []);
  const { runner } = manualRunner(manualFreezePlugin({ confirmation: "frozen" }, fake));
  const error = await hookError(run(runner, "producers:freeze", freezeEvent()));
  assert.equal(error.code, "HOOK_FAILED");
  assert.match(error.message, /needs an operator at a terminal: stdin is not a TTY/);
  assert.equal(fake.shown(), "");
});

Deno.test("manual-freeze shows the instructions and waits for the typed confirmation", async () => {
  const fake = fakeTerminal(true, ["yes", "  FROZEN-NOW  "]);
  const plugin = manualFreezePlugin(
    { confirmation: "FROZEN-NOW", instructions: "Scale the order-writer deployment to 0." },
    fake,
  );
  await run(manualRunner(plugin).runner, "producers:freeze", freezeEvent());
  const shown = fake.shown();
  assert.match(
    shown,
    /Stop every producer writing to these 2 topics \(12 partitions\) on 127\.0\.0\.1:9092/,
  );
  assert.match(shown, /- orders\n {2}- payments/);
  assert.match(shown, /Scale the order-writer deployment to 0\./);
  assert.match(shown, /Typed "yes", not "FROZEN-NOW"/);
  assert.match(shown, /Freeze confirmed/);
});

Deno.test("manual-freeze fails when input ends and times out at the deadline", async () => {
  const closed = manualRunner(
    manualFreezePlugin({ confirmation: "frozen" }, fakeTerminal(true, [null])),
  );
  const ended = await hookError(run(closed.runner, "producers:freeze", freezeEvent()));
  assert.match(ended.message, /input ended before "frozen" was typed/);

  const silent = manualRunner(
    manualFreezePlugin({ confirmation: "frozen" }, fakeTerminal(true, [])),
  );
  const late = await hookError(run(silent.runner, "producers:freeze", freezeEvent(), 50));
  assert.equal(late.code, "HOOK_TIMEOUT");
});

Deno.test("manual-freeze unfreeze never waits and tolerates a missing TTY", async () => {
  const fake = fakeTerminal(false, []);
  const { runner, lines } = manualRunner(manualFreezePlugin({ confirmation: "frozen" }, fake));
  await run(runner, "producers:unfreeze", {
    migrationId: "mig-7",
    topics: ["orders"],
    reason: "cutover_aborted",
    error: "Drain timed out",
  });
  assert.ok(lines.some((l) => l.includes("resume producers against the source cluster")));
});

// ---------------------------------------------------------------------------
// Options and signatures

Deno.test("builtinPluginOptionsSchema applies defaults and parses durations and secrets", () => {
  const parsed = builtinPluginOptionsSchema.parse({
    builtin: "webhook-freeze",
    url: "https://freeze.example.com",
    secret: SECRET,
    timeout: "2m",
  });
  assert.equal(parsed.builtin, "webhook-freeze");
  if (parsed.builtin !== "webhook-freeze") return;
  assert.equal(parsed.timeout, 120_000);
  assert.equal(parsed.retries, 3);
  assert.equal(parsed.retry_backoff, 1_000);
  assert.ok(parsed.secret instanceof Secret);
  assert.equal(parsed.secret.reveal(), SECRET);
  assert.ok(!JSON.stringify(parsed).includes(SECRET));
  assert.equal(parseDuration("500ms"), 500);
  assert.equal(parseDuration("1h"), 3_600_000);
  assert.equal(parseDuration("10"), undefined);
});

Deno.test("verifyKraftoverSignature() rejects missing and malformed headers", async () => {
  const body = '{"event":"notify"}';
  assert.deepEqual(await verifyKraftoverSignature(body, null, SECRET), {
    ok: false,
    reason: "missing",
  });
  for (const header of ["t=abc,v1=00", "v1=" + "0".repeat(64), "t=1", "garbage"]) {
    assert.deepEqual(await verifyKraftoverSignature(body, header, SECRET), {
      ok: false,
      reason: "malformed",
    }, header);
  }
  const old = await signKraftoverBody(body, SECRET, { timestamp: 1_000 });
  assert.deepEqual(await verifyKraftoverSignature(body, old, SECRET), {
    ok: false,
    reason: "stale",
  });
  const rotated = `${await signKraftoverBody(body, "old-secret")},v1=${"0".repeat(64)}`;
  assert.equal((await verifyKraftoverSignature(body, rotated, "old-secret")).ok, true);
});
