/**
 * Built-in plugin `webhook-freeze`: asks an HTTP endpoint to freeze and
 * unfreeze producers.
 *
 * @module
 */

import type { HookPlugin } from "../hooks/types.ts";
import { postJson } from "./_http.ts";
import type { WebhookFreezeOptions } from "./options.ts";

/**
 * `producers:freeze` POSTs `{event, migration_id, topics, partitions,
 * deadline}` to `url`; `producers:unfreeze` POSTs `{event, migration_id,
 * topics, reason, error?}` to `unfreeze_url` (default `url`). Bodies are
 * signed with `secret` (`X-Kraftover-Signature`). The receiver answers 2xx
 * once producers are stopped (or released); anything else fails the hook.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { webhookFreezePlugin } from "./webhook_freeze.ts";
 * import { Secret } from "../lib/secret.ts";
 * const plugin = webhookFreezePlugin({
 *   url: "https://freeze.example.com/kraftover",
 *   secret: new Secret("whsec-example-0004"),
 *   timeout: 10_000,
 *   retries: 3,
 *   retry_backoff: 1_000,
 * });
 * assert.ok(plugin.name === "webhook-freeze" && plugin.hooks["producers:freeze"] !== undefined);
 * ```
 */
export function webhookFreezePlugin(options: WebhookFreezeOptions): HookPlugin {
  return {
    name: options.name ?? "webhook-freeze",
    hooks: {
      async "producers:freeze"(event, ctx) {
        const result = await postJson({
          url: options.url,
          event: "producers:freeze",
          secret: options.secret,
          delivery: options,
          body: {
            event: "producers:freeze",
            migration_id: event.migrationId,
            topics: event.topics,
            partitions: event.partitions,
            deadline: event.deadline.toISOString(),
          },
        }, ctx);
        ctx.logger.info("Freeze webhook confirmed the producer freeze", { ...result });
      },
      async "producers:unfreeze"(event, ctx) {
        const result = await postJson({
          url: options.unfreeze_url ?? options.url,
          event: "producers:unfreeze",
          secret: options.secret,
          delivery: options,
          body: {
            event: "producers:unfreeze",
            migration_id: event.migrationId,
            topics: event.topics,
            reason: event.reason,
            ...(event.error === undefined ? {} : { error: event.error }),
          },
        }, ctx);
        ctx.logger.info("Freeze webhook confirmed the producer unfreeze", { ...result });
      },
    },
  };
}
