/**
 * A custom producer-freeze plugin, as a user would write it.
 *
 * The (imaginary) shop behind it pauses producers through its deploy
 * service: `POST /pause` asks every producer of the given topics to stop,
 * `GET /pause/<id>` reports how many have stopped, `POST /resume` lets them
 * write again. The freeze hook returns only once every producer has
 * confirmed; if that does not happen before the deadline, kraftover aborts
 * the cutover and calls `producers:unfreeze` on every plugin.
 *
 * It needs nothing from kraftover at run time: only `import type`.
 * (Until `mod.ts` exports the hook types, they come from `hooks/types.ts`;
 * a user's file would write `import type { HookPlugin } from "<kraftover>/mod.ts"`.)
 *
 * Use it from `migration.yaml` (paths are relative to the config file):
 *
 * ```yaml
 * migration:
 *   hooks:
 *     - ./freeze_plugin.ts
 *     - { builtin: log-notify }
 * ```
 *
 * @module
 */

import type { HookContext, HookPlugin } from "../hooks/types.ts";

/** The deploy service; a plugin module has no options, so it keeps its settings here. */
const DEPLOY_API = "http://127.0.0.1:8088";

async function call(path: string, body: unknown, ctx: HookContext): Promise<unknown> {
  const response = await fetch(`${DEPLOY_API}${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: { "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: ctx.signal, // aborts at the hook's deadline
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`Deploy API ${path} answered HTTP ${response.status}: ${text}`);
  return text === "" ? undefined : JSON.parse(text);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

export default {
  name: "deploy-api-freeze",
  hooks: {
    async "producers:freeze"(event, ctx) {
      const { id } = await call("/pause", {
        migration: event.migrationId,
        topics: event.topics,
        until: event.deadline.toISOString(),
      }, ctx) as { id: string };
      ctx.logger.info("Pause requested", { pause_id: id, topics: event.topics.length });
      // Poll until every producer confirms; ctx.signal ends the wait at the deadline.
      for (;;) {
        const state = await call(`/pause/${encodeURIComponent(id)}`, undefined, ctx) as {
          stopped: number;
          total: number;
        };
        if (state.stopped === state.total) break;
        ctx.logger.debug("Waiting for producers", { ...state });
        await sleep(500, ctx.signal);
      }
      ctx.logger.info("Every producer stopped");
    },
    async "producers:unfreeze"(event, ctx) {
      // Also called after a failed freeze, even if this plugin never froze: /resume is idempotent.
      await call("/resume", { migration: event.migrationId, reason: event.reason }, ctx);
      ctx.logger.info("Producers resumed", { reason: event.reason });
    },
  },
} satisfies HookPlugin;
