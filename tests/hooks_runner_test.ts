import assert from "node:assert/strict";
import { KraftoverError } from "../lib/errors.ts";
import { createMemoryLogger } from "../lib/logger.ts";
import { Secret } from "../lib/secret.ts";
import { HookError } from "../hooks/hook_error.ts";
import { runFreeze } from "../hooks/run_freeze.ts";
import { createHookRunner } from "../hooks/runner.ts";
import type {
  HookContext,
  HookEventName,
  HookPlugin,
  ProducersFreezeEvent,
  ProducersUnfreezeEvent,
} from "../hooks/types.ts";

const inMinute = () => new Date(Date.now() + 60_000);

function freezeEvent(): ProducersFreezeEvent {
  return {
    migrationId: "mig-1",
    topics: ["orders", "payments"],
    partitions: 12,
    deadline: inMinute(),
    sourceBootstrapServers: ["127.0.0.1:9092"],
  };
}

/** A handler whose promise never settles and which ignores ctx.signal. */
const never = () => new Promise<void>(() => {});

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  assert.fail("expected a rejection");
}

Deno.test("run() calls handlers in plugin order and skips plugins without one", async () => {
  const calls: string[] = [];
  const contexts: HookContext[] = [];
  const plugin = (name: string, events: HookEventName[]): HookPlugin => ({
    name,
    hooks: Object.fromEntries(events.map((e) => [e, (_: unknown, ctx: HookContext) => {
      calls.push(`${name}:${e}`);
      contexts.push(ctx);
    }])),
  });
  const { logger, lines } = createMemoryLogger();
  const runner = createHookRunner([
    plugin("a", ["producers:freeze", "notify"]),
    plugin("b", ["notify"]),
    plugin("c", ["producers:freeze"]),
  ], { logger, targetBootstrapServers: { iam: ["t1:9098"], "scram-sha-512": ["t1:9096"] } });
  const deadline = inMinute();

  await runner.run("producers:freeze", freezeEvent(), { deadline });
  await runner.run("notify", { migrationId: "mig-1", kind: "info", message: "Hi" }, { deadline });

  assert.deepEqual(calls, ["a:producers:freeze", "c:producers:freeze", "a:notify", "b:notify"]);
  const ctx = contexts[0]!;
  assert.equal(ctx.migrationId, "mig-1");
  assert.equal(ctx.deadline.getTime(), deadline.getTime());
  assert.deepEqual(ctx.targetBootstrapServers.iam, ["t1:9098"]);
  assert.equal(ctx.signal.aborted, false);
  ctx.logger.info("From a handler");
  const line = JSON.parse(lines.find((l) => l.includes("From a handler"))!);
  assert.equal(line.plugin, "a");
  assert.equal(line.event, "producers:freeze");
});

Deno.test("run() abandons a handler that ignores the signal at the deadline", async () => {
  const later: string[] = [];
  let seen: AbortSignal | undefined;
  const runner = createHookRunner([
    {
      name: "stuck",
      hooks: {
        "producers:freeze": (_, ctx) => {
          seen = ctx.signal;
          return never();
        },
      },
    },
    { name: "after", hooks: { "producers:freeze": () => void later.push("after") } },
  ], { logger: createMemoryLogger().logger });

  const error = await rejection(
    runner.run("producers:freeze", freezeEvent(), { deadline: new Date(Date.now() + 50) }),
  );

  assert.ok(error instanceof HookError);
  assert.equal(error.code, "HOOK_TIMEOUT");
  assert.equal(error.pluginName, "stuck");
  assert.equal(error.event, "producers:freeze");
  assert.equal(seen?.aborted, true, "ctx.signal aborts at the deadline");
  assert.deepEqual(later, [], "no plugin runs after a failed freeze");
});

Deno.test("run() reports a handler that gives up on the aborted signal as HOOK_TIMEOUT", async () => {
  const runner = createHookRunner([{
    name: "polite",
    hooks: {
      "clients:switch": (_, ctx) =>
        new Promise<void>((_, reject) =>
          ctx.signal.addEventListener("abort", () => reject(new Error("gave up")))
        ),
    },
  }], { logger: createMemoryLogger().logger });
  const error = await rejection(runner.run("clients:switch", {
    migrationId: "mig-1",
    topics: ["orders"],
    groups: ["billing"],
    targetBootstrapServers: {},
  }, { deadline: new Date(Date.now() + 30) }));
  assert.ok(error instanceof HookError && error.code === "HOOK_TIMEOUT");
});

Deno.test("run() turns a throwing freeze handler into HOOK_FAILED naming the plugin", async () => {
  const cause = new Error("Gateway said no");
  const runner = createHookRunner([
    { name: "ok", hooks: { "producers:freeze": () => {} } },
    {
      name: "broken",
      hooks: {
        "producers:freeze": () => {
          throw cause;
        },
      },
    },
  ], { logger: createMemoryLogger().logger });
  const error = await rejection(
    runner.run("producers:freeze", freezeEvent(), { deadline: inMinute() }),
  );
  assert.ok(error instanceof HookError);
  assert.ok(error instanceof KraftoverError);
  assert.equal(error.code, "HOOK_FAILED");
  assert.equal(error.pluginName, "broken");
  assert.equal(error.cause, cause);
  assert.match(error.message, /broken.*Gateway said no/);
  assert.deepEqual(error.toJSON().detail, { plugin: "broken", event: "producers:freeze" });
});

Deno.test("run() passes the outer signal and stops with ABORTED when it aborts", async () => {
  const controller = new AbortController();
  const runner = createHookRunner([{
    name: "slow",
    hooks: {
      "producers:freeze": () => {
        controller.abort(new Error("Operator pressed Ctrl-C"));
        return never();
      },
    },
  }], { logger: createMemoryLogger().logger });
  const error = await rejection(
    runner.run("producers:freeze", freezeEvent(), {
      deadline: inMinute(),
      signal: controller.signal,
    }),
  );
  assert.ok(error instanceof HookError);
  assert.equal(error.code, "ABORTED");
  assert.match(error.message, /Ctrl-C/);
});

Deno.test("run() logs and ignores failing and late notify handlers", async () => {
  const { logger, lines } = createMemoryLogger();
  const delivered: string[] = [];
  const runner = createHookRunner([
    {
      name: "thrower",
      hooks: {
        notify: () => {
          throw new Error("Chat is down");
        },
      },
    },
    { name: "fine", hooks: { notify: (e) => void delivered.push(e.message) } },
    { name: "sleeper", hooks: { notify: never } },
    { name: "late", hooks: { notify: (e) => void delivered.push(`late: ${e.message}`) } },
  ], { logger });

  await runner.run(
    "notify",
    { migrationId: "mig-1", kind: "failure", message: "Drain timed out" },
    {
      deadline: new Date(Date.now() + 50),
    },
  );

  const warnings = lines.map((l) => JSON.parse(l)).filter((l) => l.level === "warn");
  assert.deepEqual(warnings.map((w) => [w.plugin, w.code]), [
    ["thrower", "HOOK_FAILED"],
    ["sleeper", "HOOK_TIMEOUT"],
    ["late", "HOOK_TIMEOUT"],
  ]);
  assert.match(warnings[0].msg, /Chat is down/);
  // The deadline is shared by all plugins of one run: "late" came after it and was skipped.
  assert.deepEqual(delivered, ["Drain timed out"]);
});

Deno.test("run() runs every unfreeze handler even when some fail", async () => {
  const called: string[] = [];
  const failing = (name: string): HookPlugin => ({
    name,
    hooks: {
      "producers:unfreeze": () => {
        called.push(name);
        throw new Error(`${name} broke`);
      },
    },
  });
  const fine: HookPlugin = {
    name: "fine",
    hooks: { "producers:unfreeze": () => void called.push("fine") },
  };
  const payload: ProducersUnfreezeEvent = {
    migrationId: "mig-1",
    topics: ["orders"],
    reason: "cutover_complete",
  };
  const logger = createMemoryLogger().logger;

  const one = await rejection(
    createHookRunner([failing("x"), fine], { logger }).run("producers:unfreeze", payload, {
      deadline: inMinute(),
    }),
  );
  assert.ok(one instanceof HookError && one.pluginName === "x");
  assert.deepEqual(called, ["x", "fine"]);

  called.length = 0;
  const two = await rejection(
    createHookRunner([failing("x"), fine, failing("y")], { logger }).run(
      "producers:unfreeze",
      payload,
      { deadline: inMinute() },
    ),
  );
  assert.ok(two instanceof AggregateError);
  assert.deepEqual(two.errors.map((e: HookError) => e.pluginName), ["x", "y"]);
  assert.deepEqual(called, ["x", "fine", "y"]);
});

Deno.test("run() hands handlers a frozen copy of the payload", async () => {
  const payload = freezeEvent();
  const topics = payload.topics as string[];
  const runner = createHookRunner([{
    name: "vandal",
    hooks: {
      "producers:freeze": (event) => {
        (event.topics as string[]).push("injected");
      },
    },
  }], { logger: createMemoryLogger().logger });
  const error = await rejection(runner.run("producers:freeze", payload, { deadline: inMinute() }));
  assert.ok(error instanceof HookError && error.cause instanceof TypeError);
  assert.deepEqual(payload.topics, ["orders", "payments"]);
  topics.push("caller-may-still-write");
  assert.equal(payload.topics.length, 3, "the caller's own arrays are not frozen");
});

Deno.test("runFreeze() unfreezes every plugin and rethrows when one freeze fails", async (t) => {
  const secret = new Secret("hook-token-0a9f7c3e");
  const { logger, lines } = createMemoryLogger();
  const unfrozen: Array<[string, ProducersUnfreezeEvent]> = [];
  const frozen: string[] = [];
  const plugin = (name: string, fail?: "freeze" | "unfreeze"): HookPlugin => ({
    name,
    hooks: {
      "producers:freeze": () => {
        if (fail === "freeze") throw new Error(`Gateway refused token ${secret.reveal()}`);
        frozen.push(name);
      },
      "producers:unfreeze": (event) => {
        unfrozen.push([name, event]);
        if (fail === "unfreeze") throw new Error("Unfreeze endpoint down");
      },
    },
  });
  const runner = createHookRunner(
    [plugin("first"), plugin("second", "freeze"), plugin("third", "unfreeze")],
    { logger },
  );

  const error = await rejection(runFreeze(runner, freezeEvent(), { deadline: inMinute() }));

  await t.step("the original freeze failure is rethrown with the plugin name", () => {
    assert.ok(error instanceof HookError);
    assert.equal(error.code, "HOOK_FAILED");
    assert.equal(error.pluginName, "second");
    assert.equal(error.event, "producers:freeze");
  });
  await t.step("plugins after the failure never froze", () => {
    assert.deepEqual(frozen, ["first"]);
  });
  await t.step("every plugin, frozen or not, was told to unfreeze", () => {
    assert.deepEqual(unfrozen.map(([name]) => name), ["first", "second", "third"]);
    for (const [, event] of unfrozen) {
      assert.equal(event.reason, "cutover_aborted");
      assert.deepEqual(event.topics, ["orders", "payments"]);
      assert.match(event.error ?? "", /second.*Gateway refused token \[redacted\]/);
    }
  });
  await t.step("the unfreeze failure is logged, not thrown", () => {
    const errors = lines.map((l) => JSON.parse(l)).filter((l) => l.level === "error");
    assert.equal(errors.length, 1);
    assert.equal(errors[0].plugin, "third");
    assert.match(errors[0].msg, /Unfreeze endpoint down/);
  });
  await t.step("the secret in the handler's error reached neither logs nor events", () => {
    assert.ok(lines.length > 0);
    for (const line of lines) assert.ok(!line.includes(secret.reveal()), line);
    assert.ok(error instanceof Error && !error.message.includes(secret.reveal()));
  });
});

Deno.test("runFreeze() unfreezes after a freeze timeout with a fresh deadline", async () => {
  const unfrozen: string[] = [];
  const runner = createHookRunner([
    {
      name: "stuck",
      hooks: { "producers:freeze": never, "producers:unfreeze": () => void unfrozen.push("stuck") },
    },
    { name: "other", hooks: { "producers:unfreeze": () => void unfrozen.push("other") } },
  ], { logger: createMemoryLogger().logger });
  const error = await rejection(
    runFreeze(runner, freezeEvent(), { deadline: new Date(Date.now() + 30) }),
  );
  assert.ok(error instanceof HookError && error.code === "HOOK_TIMEOUT");
  assert.deepEqual(unfrozen, ["stuck", "other"]);
});

Deno.test("runFreeze() does not unfreeze when every freeze succeeds", async () => {
  const events: string[] = [];
  const runner = createHookRunner([{
    name: "good",
    hooks: {
      "producers:freeze": () => void events.push("freeze"),
      "producers:unfreeze": () => void events.push("unfreeze"),
    },
  }], { logger: createMemoryLogger().logger });
  await runFreeze(runner, freezeEvent(), { deadline: inMinute() });
  assert.deepEqual(events, ["freeze"]);
});
