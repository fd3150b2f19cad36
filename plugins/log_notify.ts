/**
 * Built-in plugin `log-notify`: writes notify events to kraftover's log.
 *
 * @module
 */

import type { HookPlugin } from "../hooks/types.ts";
import type { LogNotifyOptions } from "./options.ts";

/**
 * `notify` logs the event's message through `ctx.logger`: `failure` at error
 * level, `warning` at warn, the others at info, with `kind`, `state`,
 * `previous_state` and `detail` as fields (redacted like every log line).
 * With `kinds`, only those kinds are logged.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { logNotifyPlugin } from "./log_notify.ts";
 * import { createMemoryLogger } from "../lib/logger.ts";
 * const { logger, lines } = createMemoryLogger();
 * const plugin = logNotifyPlugin({});
 * await plugin.hooks.notify?.(
 *   { migrationId: "m1", kind: "warning", message: "Lag rising" },
 *   { migrationId: "m1", logger, signal: new AbortController().signal, deadline: new Date(), targetBootstrapServers: {} },
 * );
 * assert.ok(JSON.parse(lines[0]!).level === "warn");
 * ```
 */
export function logNotifyPlugin(options: LogNotifyOptions): HookPlugin {
  return {
    name: options.name ?? "log-notify",
    hooks: {
      notify(event, ctx) {
        if (options.kinds !== undefined && !options.kinds.includes(event.kind)) return;
        const fields = {
          kind: event.kind,
          ...(event.state === undefined ? {} : { state: event.state }),
          ...(event.previousState === undefined ? {} : { previous_state: event.previousState }),
          ...(event.detail === undefined ? {} : { detail: event.detail }),
        };
        if (event.kind === "failure") ctx.logger.error(event.message, fields);
        else if (event.kind === "warning") ctx.logger.warn(event.message, fields);
        else ctx.logger.info(event.message, fields);
      },
    },
  };
}
