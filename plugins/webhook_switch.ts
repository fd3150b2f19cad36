/**
 * Built-in plugin `webhook-switch`: asks an HTTP endpoint to point clients at
 * the target cluster.
 *
 * @module
 */

import type { HookPlugin } from "../hooks/types.ts";
import { postJson } from "./_http.ts";
import type { WebhookSwitchOptions } from "./options.ts";

/**
 * `clients:switch` POSTs `{event, migration_id, topics, groups,
 * target_bootstrap_servers: {<auth mode>: [host:port, …]}}` to `url`, signed
 * with `secret`. The receiver answers 2xx once clients are switched.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { webhookSwitchPlugin } from "./webhook_switch.ts";
 * import { Secret } from "../lib/secret.ts";
 * const plugin = webhookSwitchPlugin({
 *   url: "https://deploy.example.com/kraftover/switch",
 *   secret: new Secret("whsec-example-0005"),
 *   timeout: 10_000,
 *   retries: 3,
 *   retry_backoff: 1_000,
 * });
 * assert.ok(plugin.hooks["clients:switch"] !== undefined);
 * ```
 */
export function webhookSwitchPlugin(options: WebhookSwitchOptions): HookPlugin {
  return {
    name: options.name ?? "webhook-switch",
    hooks: {
      async "clients:switch"(event, ctx) {
        const result = await postJson({
          url: options.url,
          event: "clients:switch",
          secret: options.secret,
          delivery: options,
          body: {
            event: "clients:switch",
            migration_id: event.migrationId,
            topics: event.topics,
            groups: event.groups,
            target_bootstrap_servers: event.targetBootstrapServers,
          },
        }, ctx);
        ctx.logger.info("Switch webhook confirmed the client switch", { ...result });
      },
    },
  };
}
