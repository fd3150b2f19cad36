/**
 * Runtime shape check of a hook plugin, shared by `defineHookPlugin` and the
 * loader so that both report the same problems the same way.
 *
 * @module
 */

import { KraftoverError } from "../lib/errors.ts";
import type { HookEventName, HookPlugin } from "./types.ts";

const EVENTS: Readonly<Record<HookEventName, true>> = {
  "producers:freeze": true,
  "producers:unfreeze": true,
  "clients:switch": true,
  notify: true,
};

/** Every hook event name, in lifecycle order. */
const HOOK_EVENT_NAMES: readonly HookEventName[] = Object.freeze(
  Object.keys(EVENTS) as HookEventName[],
);

/** Whether a string names a hook event. */
function isHookEventName(value: string): value is HookEventName {
  return Object.hasOwn(EVENTS, value);
}

/**
 * Throws `PLUGIN_INVALID` naming `source` and the first problem found unless
 * `value` is a {@linkcode HookPlugin}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { assertHookPlugin } from "./_validate.ts";
 * assertHookPlugin({ name: "ok", hooks: { notify() {} } }, "inline");
 * assert.throws(
 *   () => assertHookPlugin({ name: "typo", hooks: { "producers:frezee"() {} } }, "typo.ts"),
 *   /Invalid hook plugin typo\.ts: unknown event "producers:frezee"/,
 * );
 * ```
 */
export function assertHookPlugin(value: unknown, source: string): asserts value is HookPlugin {
  const problem = findProblem(value);
  if (problem !== undefined) {
    throw new KraftoverError("PLUGIN_INVALID", `Invalid hook plugin ${source}: ${problem}`, {
      phase: "hooks",
      detail: { source },
    });
  }
}

function findProblem(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return `expected an object { name, hooks }, got ${describe(value)}`;
  }
  const plugin = value as { name?: unknown; hooks?: unknown };
  if (typeof plugin.name !== "string" || plugin.name.trim() === "") {
    return `name is ${describe(plugin.name)}: give the plugin a non-empty string name`;
  }
  const hooks = plugin.hooks;
  if (typeof hooks !== "object" || hooks === null || Array.isArray(hooks)) {
    return `hooks is ${describe(hooks)}: expected an object mapping event names to functions`;
  }
  const keys = Object.keys(hooks);
  if (keys.length === 0) {
    return `hooks is empty: define at least one of ${HOOK_EVENT_NAMES.join(", ")}`;
  }
  for (const key of keys) {
    if (!isHookEventName(key)) {
      return `unknown event ${JSON.stringify(key)} in hooks: expected one of ${
        HOOK_EVENT_NAMES.join(", ")
      }`;
    }
    const handler = (hooks as Record<string, unknown>)[key];
    if (typeof handler !== "function") {
      return `hooks[${JSON.stringify(key)}] is ${describe(handler)}: expected a function`;
    }
  }
  return undefined;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string") return value === "" ? "an empty string" : "a string";
  return typeof value === "undefined" ? "missing" : `a ${typeof value}`;
}
