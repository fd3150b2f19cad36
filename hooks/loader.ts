/**
 * Loads the plugins listed under `hooks:` in the configuration: TypeScript or
 * JavaScript modules (default export) and built-ins (`{ builtin: NAME, … }`).
 * Every problem is reported at load time, before anything runs.
 *
 * @module
 */

import { isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { errorMessage, isKraftoverError, KraftoverError } from "../lib/errors.ts";
import type { Logger } from "../lib/logger.ts";
import { redactText } from "../lib/secret.ts";
import { builtinPluginOptionsSchema, isParsedBuiltinPluginOptions } from "../plugins/_options.ts";
import type { BuiltinPluginEntry, BuiltinPluginOptions } from "../plugins/options.ts";
import { logNotifyPlugin } from "../plugins/log_notify.ts";
import { manualFreezePlugin } from "../plugins/manual_freeze.ts";
import { slackNotifyPlugin } from "../plugins/slack_notify.ts";
import { webhookFreezePlugin } from "../plugins/webhook_freeze.ts";
import { webhookNotifyPlugin } from "../plugins/webhook_notify.ts";
import { webhookSwitchPlugin } from "../plugins/webhook_switch.ts";
import { assertHookPlugin } from "./_validate.ts";
import type { HookPlugin } from "./types.ts";

/**
 * One entry of `hooks:`: a path to a plugin module (relative to the config
 * file's directory), or a built-in with its options — raw as written, or as
 * already parsed by `builtinPluginOptionsSchema`.
 */
export type HookPluginEntry = string | BuiltinPluginEntry | BuiltinPluginOptions;

/** Options for {@linkcode loadHookPlugins}. */
export interface LoadHookPluginsOptions {
  /** Directory that relative module paths are resolved against: the config file's directory. */
  baseDir: string;
  /** Where loading is logged. */
  logger: Logger;
}

/**
 * Loads every entry, in order. A string is imported as a module whose
 * default export must be a {@linkcode HookPlugin} (a plain object or one made
 * by `defineHookPlugin`); a `{ builtin }` entry is validated against
 * `builtinPluginOptionsSchema` and built by {@linkcode createBuiltinHookPlugin}.
 *
 * @throws {KraftoverError} `PLUGIN_INVALID` naming the entry (and file) and
 * what is wrong: module not found or failing to load, no default export, a
 * malformed plugin, bad built-in options, or two plugins with the same name.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadHookPlugins } from "./loader.ts";
 * import { silentLogger } from "../lib/logger.ts";
 * const plugins = await loadHookPlugins([{ builtin: "log-notify", kinds: ["failure"] }], {
 *   baseDir: Deno.cwd(),
 *   logger: silentLogger,
 * });
 * assert.ok(plugins[0]?.name === "log-notify");
 * ```
 */
export async function loadHookPlugins(
  entries: readonly HookPluginEntry[],
  options: LoadHookPluginsOptions,
): Promise<HookPlugin[]> {
  const plugins: HookPlugin[] = [];
  const seen = new Map<string, string>();
  for (const [index, entry] of entries.entries()) {
    const where = `hooks[${index}]`;
    const plugin = typeof entry === "string"
      ? await importPlugin(entry, where, options.baseDir)
      : typeof entry === "object" && entry !== null && !Array.isArray(entry)
      ? createBuiltinHookPlugin(parseBuiltin(entry, where))
      : invalid(
        `${where} is ${entry === null ? "null" : typeof entry}: expected a path to a plugin ` +
          "module or { builtin: NAME, ...options }",
        where,
      );
    const earlier = seen.get(plugin.name);
    if (earlier !== undefined) {
      invalid(
        `Hook plugin name ${JSON.stringify(plugin.name)} is used by ${earlier} and ${where}: ` +
          "give each plugin a unique name (built-ins take a name option)",
        where,
      );
    }
    seen.set(plugin.name, where);
    options.logger.info(`Loaded hook plugin ${plugin.name}`, {
      entry: where,
      events: Object.keys(plugin.hooks),
    });
    plugins.push(plugin);
  }
  return plugins;
}

/**
 * Builds a built-in plugin from its parsed options.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createBuiltinHookPlugin } from "./loader.ts";
 * import { builtinPluginOptionsSchema } from "../plugins/_options.ts";
 * const plugin = createBuiltinHookPlugin(builtinPluginOptionsSchema.parse({ builtin: "log-notify" }));
 * assert.ok(plugin.name === "log-notify");
 * ```
 */
export function createBuiltinHookPlugin(options: BuiltinPluginOptions): HookPlugin {
  switch (options.builtin) {
    case "webhook-freeze":
      return webhookFreezePlugin(options);
    case "manual-freeze":
      return manualFreezePlugin(options);
    case "webhook-notify":
      return webhookNotifyPlugin(options);
    case "slack-notify":
      return slackNotifyPlugin(options);
    case "log-notify":
      return logNotifyPlugin(options);
    case "webhook-switch":
      return webhookSwitchPlugin(options);
  }
}

async function importPlugin(entry: string, where: string, baseDir: string): Promise<HookPlugin> {
  const path = isAbsolute(entry) ? entry : resolve(baseDir, entry);
  const source = `${where} ${JSON.stringify(entry)} (${path})`;
  let module: Record<string, unknown>;
  try {
    module = await import(pathToFileURL(path).href);
  } catch (error) {
    if (isKraftoverError(error, "PLUGIN_INVALID")) {
      invalid(`Cannot load hook plugin ${source}: ${error.message}`, where, error);
    }
    invalid(
      `Cannot load hook plugin ${source}: ${redactText(errorMessage(error))}: check the path ` +
        `(relative to ${baseDir}) and that the module runs`,
      where,
      error,
    );
  }
  if (!("default" in module) || module.default === undefined) {
    invalid(
      `Invalid hook plugin ${source}: no default export: end the module with ` +
        "`export default { name, hooks } satisfies HookPlugin`",
      where,
    );
  }
  assertHookPlugin(module.default, source);
  return module.default;
}

function parseBuiltin(entry: object, where: string): BuiltinPluginOptions {
  if (isParsedBuiltinPluginOptions(entry)) return entry;
  const result = builtinPluginOptionsSchema.safeParse(entry);
  if (result.success) return result.data;
  const builtin = "builtin" in entry && typeof entry.builtin === "string"
    ? ` (builtin ${entry.builtin})`
    : "";
  const problems = result.error.issues
    .map((issue) => `${[where, ...issue.path.map(String)].join(".")}: ${issue.message}`)
    .join("; ");
  return invalid(`Invalid options for hook plugin ${where}${builtin}: ${problems}`, where);
}

function invalid(message: string, where: string, cause?: unknown): never {
  throw new KraftoverError("PLUGIN_INVALID", message, {
    phase: "hooks",
    detail: { entry: where },
    ...(cause === undefined ? {} : { cause }),
  });
}
