// Type-level tests: every `@ts-expect-error` below must be an error, so
// `deno test` / `deno check` fail if the contracts get looser.
import assert from "node:assert/strict";
import { silentLogger } from "../lib/logger.ts";
import { createHookRunner } from "./runner.ts";
import {
  defineHookPlugin,
  type HookContext,
  type HookEventMap,
  type HookPlugin,
  type ProducersFreezeEvent,
} from "./types.ts";

Deno.test("a freeze handler cannot read a property its event does not have", () => {
  const plugin = {
    name: "typed",
    hooks: {
      "producers:freeze"(event) {
        // @ts-expect-error groups belongs to clients:switch, not producers:freeze
        void event.groups;
        void event.sourceBootstrapServers;
      },
      "clients:switch"(event) {
        void event.groups;
        // @ts-expect-error partitions belongs to producers:freeze
        void event.partitions;
      },
    },
  } satisfies HookPlugin;
  assert.equal(plugin.name, "typed");
});

Deno.test("event payloads and the context are read-only, deeply", () => {
  const check = (event: ProducersFreezeEvent, ctx: HookContext) => {
    // @ts-expect-error readonly field
    event.partitions = 1;
    // @ts-expect-error readonly array
    event.topics.push("x");
    // @ts-expect-error readonly array
    event.sourceBootstrapServers[0] = "evil:9092";
    // @ts-expect-error readonly field
    ctx.migrationId = "other";
    // @ts-expect-error readonly per-mode lists
    ctx.targetBootstrapServers.iam?.push("evil:9098");
    // @ts-expect-error readonly record
    ctx.targetBootstrapServers.plaintext = [];
  };
  assert.equal(typeof check, "function");
});

Deno.test("notify kinds, unfreeze reasons and auth modes are closed unions", () => {
  const plugin: HookPlugin = {
    name: "closed",
    hooks: {
      notify(event) {
        // @ts-expect-error "panic" is not a NotifyKind
        if (event.kind === "panic") return;
      },
      "producers:unfreeze"(event) {
        // @ts-expect-error "timeout" is not an unfreeze reason
        if (event.reason === "timeout") return;
      },
      "clients:switch"(event) {
        // @ts-expect-error "kerberos" is not an AuthMode
        void event.targetBootstrapServers.kerberos;
      },
    },
  };
  assert.equal(Object.keys(plugin.hooks).length, 3);
});

Deno.test("a plugin cannot name an unknown event or a non-function handler", () => {
  const unknownEvent = {
    name: "typo",
    hooks: {
      // @ts-expect-error unknown event key
      "producers:frezee"() {},
    },
  } satisfies HookPlugin;
  const notAFunction = {
    name: "bad",
    // @ts-expect-error a handler must be a function
    hooks: { notify: "log it" },
  } satisfies HookPlugin;
  // @ts-expect-error name is required
  const nameless: HookPlugin = { hooks: {} };
  assert.ok(unknownEvent && notAFunction && nameless);
});

Deno.test("runner.run() ties the payload type to the event name", async () => {
  const runner = createHookRunner([], { logger: silentLogger });
  const deadline = new Date(Date.now() + 1_000);
  const notify: HookEventMap["notify"] = { migrationId: "m", kind: "info", message: "Hi" };
  await runner.run("notify", notify, { deadline });
  // @ts-expect-error a notify payload is not a freeze payload
  await runner.run("producers:freeze", notify, { deadline });
  // @ts-expect-error unknown event
  await runner.run("producers:thaw", notify, { deadline });
  // @ts-expect-error the deadline is required
  await runner.run("notify", notify, {});
});

Deno.test("defineHookPlugin() returns its argument with its literal type", () => {
  const plugin = defineHookPlugin({ name: "same", hooks: { notify() {} } });
  const name: "same" = plugin.name;
  assert.equal(name, "same");
  // @ts-expect-error the plugin must have hooks
  assert.throws(() => defineHookPlugin({ name: "no-hooks" }), /PLUGIN_INVALID|hooks is missing/);
});
