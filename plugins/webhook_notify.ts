/**
 * Built-in plugin `webhook-notify`: POSTs notify events to an HTTP endpoint.
 *
 * @module
 */

import type { HookPlugin } from "../hooks/types.ts";
import { postJson } from "./_http.ts";
import type { WebhookNotifyOptions } from "./options.ts";

/**
 * `notify` POSTs `{event: "notify", migration_id, kind, message, state?,
 * previous_state?, detail?}` to `url`, signed when `secret` is set. With
 * `kinds`, only those kinds are sent.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { webhookNotifyPlugin } from "./webhook_notify.ts";
 * const plugin = webhookNotifyPlugin({
 *   url: "https://ops.example.com/kraftover",
 *   kinds: ["failure", "state_changed"],
 *   timeout: 5_000,
 *   retries: 2,
 *   retry_backoff: 500,
 * });
 * assert.ok(plugin.hooks.notify !== undefined);
 * ```
 */
export function webhookNotifyPlugin(options: WebhookNotifyOptions): HookPlugin {
  return {
    name: options.name ?? "webhook-notify",
    hooks: {
      async notify(event, ctx) {
        if (options.kinds !== undefined && !options.kinds.includes(event.kind)) return;
        await postJson({
          url: options.url,
          event: "notify",
          secret: options.secret,
          delivery: options,
          body: {
            event: "notify",
            migration_id: event.migrationId,
            kind: event.kind,
            message: event.message,
            ...(event.state === undefined ? {} : { state: event.state }),
            ...(event.previousState === undefined ? {} : { previous_state: event.previousState }),
            ...(event.detail === undefined ? {} : { detail: event.detail }),
          },
        }, ctx);
      },
    },
  };
}
