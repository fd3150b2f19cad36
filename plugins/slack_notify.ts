/**
 * Built-in plugin `slack-notify`: posts notify events to a Slack incoming webhook.
 *
 * @module
 */

import type { HookPlugin, NotifyEvent, NotifyKind } from "../hooks/types.ts";
import { postJson } from "./_http.ts";
import type { SlackNotifyOptions } from "./options.ts";

const HEADING: Readonly<Record<NotifyKind, string>> = {
  state_changed: ":arrows_counterclockwise: State changed",
  warning: ":warning: Warning",
  failure: ":x: Failure",
  info: ":information_source: Info",
};

/** A Slack incoming-webhook message. */
export interface SlackMessage {
  /** Plain-text fallback (notifications, clients without blocks). */
  readonly text: string;
  /** Block Kit layout. */
  readonly blocks?: readonly unknown[];
}

/**
 * The Slack message for a notify event: a plain `text` fallback and blocks
 * with the kind, migration id, message and state change. User text is
 * escaped for Slack's mrkdwn.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { slackMessage } from "./slack_notify.ts";
 * const msg = slackMessage({ migrationId: "m1", kind: "failure", message: "Drain <timed out>" });
 * assert.ok(msg.text === "kraftover m1: Drain &lt;timed out&gt;");
 * ```
 */
export function slackMessage(event: NotifyEvent): SlackMessage {
  const id = escapeMrkdwn(event.migrationId);
  const message = escapeMrkdwn(event.message);
  const context: string[] = [];
  if (event.state !== undefined) {
    context.push(
      `state \`${escapeMrkdwn(event.state)}\`` +
        (event.previousState === undefined
          ? ""
          : ` (was \`${escapeMrkdwn(event.previousState)}\`)`),
    );
  }
  return {
    text: `kraftover ${id}: ${message}`,
    blocks: [
      {
        type: "section",
        text: {
          type: "mrkdwn",
          text: `*${HEADING[event.kind]}* · migration \`${id}\`\n${message}`,
        },
      },
      ...(context.length === 0
        ? []
        : [{ type: "context", elements: [{ type: "mrkdwn", text: context.join(" · ") }] }]),
    ],
  };
}

/**
 * `notify` posts {@linkcode slackMessage} to the Slack incoming webhook
 * `webhook_url` (a secret: it never appears in logs or errors). With `kinds`,
 * only those kinds are posted.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { slackNotifyPlugin } from "./slack_notify.ts";
 * import { Secret } from "../lib/secret.ts";
 * const plugin = slackNotifyPlugin({
 *   webhook_url: new Secret("https://hooks.slack.com/services/T000/B000/example"),
 *   timeout: 10_000,
 *   retries: 3,
 *   retry_backoff: 1_000,
 * });
 * assert.ok(plugin.name === "slack-notify");
 * ```
 */
export function slackNotifyPlugin(options: SlackNotifyOptions): HookPlugin {
  return {
    name: options.name ?? "slack-notify",
    hooks: {
      async notify(event, ctx) {
        if (options.kinds !== undefined && !options.kinds.includes(event.kind)) return;
        await postJson({
          url: options.webhook_url.reveal(),
          label: "the Slack incoming webhook",
          event: "notify",
          delivery: options,
          body: slackMessage(event),
        }, ctx);
      },
    },
  };
}

function escapeMrkdwn(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}
