/**
 * Options of the built-in hook plugins, as written under `hooks:` in the
 * configuration (`{ builtin: NAME, ...options }`), validated by one zod schema
 * that the configuration schema embeds.
 *
 * Secrets (`secret`, Slack's `webhook_url`) become {@linkcode Secret}s and
 * durations (`10s`, `2m`) become milliseconds while parsing.
 *
 * @module
 */

import { z } from "zod";
import { Secret } from "../lib/secret.ts";
import { DURATION_PATTERN, parseDuration } from "../lib/config/units.ts";
import type { BuiltinPluginOptions, WebhookFreezeOptions } from "./options.ts";

function duration(defaultValue: string) {
  return z.string()
    .regex(new RegExp(DURATION_PATTERN), 'expected a duration like "500ms", "10s", "2m" or "1h"')
    .transform((text) => parseDuration(text) ?? 0)
    .prefault(defaultValue);
}

const httpUrl = z.url({ protocol: /^https?$/, error: "expected an http:// or https:// URL" });

const secret = z.string()
  .min(1, "expected a non-empty secret")
  .transform((value) => new Secret(value))
  .describe(
    "Shared secret for the X-Kraftover-Signature HMAC (unsigned without); use ${ENV_VAR}",
  );

const NOTIFY_KINDS = ["state_changed", "warning", "failure", "info"] as const;

const name = z.string().min(1).optional()
  .describe("Plugin name in logs and errors (default: the builtin's name); must be unique");

const delivery = {
  timeout: duration("10s").describe("Per-attempt timeout"),
  retries: z.number().int().min(0).max(10).default(3)
    .describe("Retries after the first attempt, on network errors, timeouts, 5xx, 408 and 429"),
  retry_backoff: duration("1s")
    .describe("Backoff before the first retry; doubles per retry (jittered, at most 30s)"),
};

const kinds = z.array(z.enum(NOTIFY_KINDS)).min(1).optional()
  .describe("Only these notify kinds (default: all)");

const parsedOptions = new WeakSet<object>();

/** The fields of `webhook-freeze` (also the `cutover.producer_freeze_webhook` shorthand). */
const webhookFreezeFields = {
  name,
  url: httpUrl.describe("Receives producers:freeze (and producers:unfreeze)"),
  unfreeze_url: httpUrl.optional().describe("Receives producers:unfreeze (default: url)"),
  secret: secret.optional(),
  ...delivery,
};

/**
 * `cutover.producer_freeze_webhook`: a URL, or the `webhook-freeze` options
 * without `builtin`; the config turns it into a `webhook-freeze` plugin.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { freezeWebhookShorthandSchema } from "./_options.ts";
 * assert.equal(freezeWebhookShorthandSchema.parse("https://f.example.com"), "https://f.example.com");
 * ```
 */
export const freezeWebhookShorthandSchema: z.ZodType<string | WebhookFreezeOptions> = z
  .union([httpUrl, z.strictObject(webhookFreezeFields)])
  .describe("Shorthand for the webhook-freeze builtin plugin: a URL or its options");

/**
 * Schema of one built-in plugin entry, discriminated on `builtin`, for the
 * configuration schema to embed. Unknown keys are errors. Parsing turns
 * secrets into {@linkcode Secret}s and durations into milliseconds; its output
 * ({@linkcode BuiltinPluginOptions}) is accepted by the hook loader as is.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { builtinPluginOptionsSchema } from "./_options.ts";
 * const parsed = builtinPluginOptionsSchema.parse({
 *   builtin: "webhook-freeze",
 *   url: "https://freeze.example.com/hooks",
 *   secret: "whsec-example-0001",
 *   timeout: "5s",
 * });
 * assert.ok(parsed.builtin === "webhook-freeze" && parsed.timeout === 5_000);
 * assert.ok(JSON.stringify(parsed).includes('"secret":"[redacted]"'));
 * const bad = builtinPluginOptionsSchema.safeParse({ builtin: "webhook-freeze", url: "ftp://x" });
 * assert.ok(!bad.success);
 * ```
 */
export const builtinPluginOptionsSchema: z.ZodType<BuiltinPluginOptions> = z
  .discriminatedUnion("builtin", [
    z.strictObject({ builtin: z.literal("webhook-freeze"), ...webhookFreezeFields }),
    z.strictObject({
      builtin: z.literal("manual-freeze"),
      name,
      instructions: z.string().min(1).optional()
        .describe("Extra instructions shown to the operator"),
      confirmation: z.string().trim().min(1).default("frozen")
        .describe("What the operator types to confirm the freeze"),
    }),
    z.strictObject({
      builtin: z.literal("webhook-notify"),
      name,
      url: httpUrl.describe("Receives the notify events"),
      secret: secret.optional(),
      kinds,
      ...delivery,
    }),
    z.strictObject({
      builtin: z.literal("slack-notify"),
      name,
      webhook_url: z.url({ protocol: /^https?$/, error: "expected the Slack incoming-webhook URL" })
        .transform((value) => new Secret(value))
        .describe("Slack incoming-webhook URL (secret); use ${ENV_VAR} interpolation"),
      kinds,
      ...delivery,
    }),
    z.strictObject({ builtin: z.literal("log-notify"), name, kinds }),
    z.strictObject({
      builtin: z.literal("webhook-switch"),
      name,
      url: httpUrl.describe("Receives clients:switch"),
      secret: secret.optional(),
      ...delivery,
    }),
  ], {
    error: "expected builtin to be one of webhook-freeze, manual-freeze, webhook-notify, " +
      "slack-notify, log-notify, webhook-switch",
  })
  .transform((options) => {
    parsedOptions.add(options);
    return options;
  });

/**
 * Whether `value` is an output of {@linkcode builtinPluginOptionsSchema} (the
 * very object it returned, not a copy), so it needs no second parse.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { builtinPluginOptionsSchema, isParsedBuiltinPluginOptions } from "./_options.ts";
 * const raw = { builtin: "log-notify" };
 * assert.ok(!isParsedBuiltinPluginOptions(raw));
 * assert.ok(isParsedBuiltinPluginOptions(builtinPluginOptionsSchema.parse(raw)));
 * ```
 */
export function isParsedBuiltinPluginOptions(value: unknown): value is BuiltinPluginOptions {
  return typeof value === "object" && value !== null && parsedOptions.has(value);
}
