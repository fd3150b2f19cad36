/**
 * The options of the built-in hook plugins after validation: secrets as
 * {@linkcode Secret}, durations in milliseconds. Written in the configuration
 * as `hooks: [{ builtin: NAME, ...options }]`; see `docs/hooks.md`.
 *
 * @module
 */

import type { NotifyKind } from "../hooks/types.ts";
import type { Secret } from "../lib/secret.ts";

/** Delivery settings shared by the built-ins that POST over HTTP. */
export interface DeliveryOptions {
  /** Per-attempt timeout in ms (config: a duration, default `10s`). */
  readonly timeout: number;
  /** Retries after the first attempt (default 3, at most 10). */
  readonly retries: number;
  /** First backoff in ms, doubling per retry with jitter (config: a duration, default `1s`). */
  readonly retry_backoff: number;
}

/** What every built-in accepts. */
export interface CommonPluginOptions {
  /** Plugin name in logs and errors. @default the builtin's name */
  readonly name?: string | undefined;
}

/** Parsed options of `webhook-freeze`. */
export interface WebhookFreezeOptions extends CommonPluginOptions, DeliveryOptions {
  /** Receives `producers:freeze` (and `producers:unfreeze` unless `unfreeze_url` is set). */
  readonly url: string;
  /** Receives `producers:unfreeze`. @default url */
  readonly unfreeze_url?: string | undefined;
  /** Signs every body; without it requests are unsigned (and a warning is logged). */
  readonly secret?: Secret | undefined;
}

/** Parsed options of `manual-freeze`. */
export interface ManualFreezeOptions extends CommonPluginOptions {
  /** Extra instructions shown to the operator (how to stop your producers). */
  readonly instructions?: string | undefined;
  /** What the operator types to confirm the freeze. @default "frozen" */
  readonly confirmation: string;
}

/** Parsed options of `webhook-notify`. */
export interface WebhookNotifyOptions extends CommonPluginOptions, DeliveryOptions {
  /** Receives the notify events. */
  readonly url: string;
  /** Signs every body when set. */
  readonly secret?: Secret | undefined;
  /** Only these kinds are sent. @default all */
  readonly kinds?: readonly NotifyKind[] | undefined;
}

/** Parsed options of `slack-notify`. */
export interface SlackNotifyOptions extends CommonPluginOptions, DeliveryOptions {
  /** The Slack incoming-webhook URL (a secret: its path is the credential). */
  readonly webhook_url: Secret;
  /** Only these kinds are posted. @default all */
  readonly kinds?: readonly NotifyKind[] | undefined;
}

/** Parsed options of `log-notify`. */
export interface LogNotifyOptions extends CommonPluginOptions {
  /** Only these kinds are logged. @default all */
  readonly kinds?: readonly NotifyKind[] | undefined;
}

/** Parsed options of `webhook-switch`. */
export interface WebhookSwitchOptions extends CommonPluginOptions, DeliveryOptions {
  /** Receives `clients:switch`. */
  readonly url: string;
  /** Signs every body; without it requests are unsigned (and a warning is logged). */
  readonly secret?: Secret | undefined;
}

/** The parsed options of any built-in plugin, discriminated on `builtin`. */
export type BuiltinPluginOptions =
  | ({ readonly builtin: "webhook-freeze" } & WebhookFreezeOptions)
  | ({ readonly builtin: "manual-freeze" } & ManualFreezeOptions)
  | ({ readonly builtin: "webhook-notify" } & WebhookNotifyOptions)
  | ({ readonly builtin: "slack-notify" } & SlackNotifyOptions)
  | ({ readonly builtin: "log-notify" } & LogNotifyOptions)
  | ({ readonly builtin: "webhook-switch" } & WebhookSwitchOptions);

/** The name of a built-in plugin, the value of `builtin:`. */
export type BuiltinName = BuiltinPluginOptions["builtin"];

/** A built-in plugin entry as written in the configuration, before validation. */
export type BuiltinPluginEntry = {
  readonly builtin: BuiltinName;
  readonly [option: string]: unknown;
};
