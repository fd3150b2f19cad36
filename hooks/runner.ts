/**
 * Runs hook handlers in plugin order, each against the event's deadline,
 * applying SPEC §10's failure rules per event.
 *
 * @module
 */

import { errorMessage, isKraftoverError } from "../lib/errors.ts";
import type { Logger } from "../lib/logger.ts";
import { redactText } from "../lib/secret.ts";
import { raceSignal } from "./_abort.ts";
import { HookError } from "./hook_error.ts";
import type {
  BootstrapServersByAuthMode,
  HookContext,
  HookEventMap,
  HookEventName,
  HookHandler,
  HookPlugin,
} from "./types.ts";

/** Options for {@linkcode createHookRunner}. */
export interface CreateHookRunnerOptions {
  /** Where the runner logs; each handler gets a child tagged with `plugin` and `event`. */
  logger: Logger;
  /** Handed to every handler as `ctx.targetBootstrapServers`. @default {} */
  targetBootstrapServers?: BootstrapServersByAuthMode;
}

/** Options for {@linkcode HookRunner.run}. */
export interface HookRunOptions {
  /** When every handler of this event must have finished; `ctx.signal` aborts then. */
  deadline: Date;
  /** Interrupts the run: handlers see `ctx.signal` abort and the run stops waiting. */
  signal?: AbortSignal;
}

/** Runs the handlers of a list of plugins. Made by {@linkcode createHookRunner}. */
export interface HookRunner {
  /** The plugins, in the order their handlers run. */
  readonly plugins: readonly HookPlugin[];
  /** Where the runner logs. */
  readonly logger: Logger;
  /**
   * Runs every plugin's handler for `event`, in order, with `payload` (frozen).
   *
   * - `producers:freeze`, `clients:switch`: stops at the first handler that
   *   throws or passes the deadline and throws its {@linkcode HookError}.
   * - `producers:unfreeze`: runs every handler even when one fails, then throws
   *   the failure (an `AggregateError` of {@linkcode HookError}s when several failed).
   * - `notify`: a failing or late handler is logged (warn) and skipped; resolves.
   */
  run<E extends HookEventName>(
    event: E,
    payload: HookEventMap[E],
    options: HookRunOptions,
  ): Promise<void>;
}

/** setTimeout's largest delay; longer ones fire at once. */
const MAX_TIMER_MS = 2_147_483_647;

type FailurePolicy = "fail-fast" | "run-all" | "log-and-continue";

const POLICY: Readonly<Record<HookEventName, FailurePolicy>> = {
  "producers:freeze": "fail-fast",
  "clients:switch": "fail-fast",
  "producers:unfreeze": "run-all",
  notify: "log-and-continue",
};

/**
 * Creates a hook runner over `plugins` (run in the given order).
 *
 * Each handler gets a {@linkcode HookContext} whose `signal` aborts at the
 * deadline or when the run's signal aborts. A handler that ignores the signal
 * and never settles is abandoned at the deadline: the runner does not hang.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createHookRunner } from "./runner.ts";
 * import { silentLogger } from "../lib/logger.ts";
 *
 * const seen: string[] = [];
 * const runner = createHookRunner([
 *   { name: "first", hooks: { notify: (e) => void seen.push(`first:${e.kind}`) } },
 *   { name: "second", hooks: { notify: (e) => void seen.push(`second:${e.kind}`) } },
 * ], { logger: silentLogger });
 * await runner.run("notify", { migrationId: "m1", kind: "info", message: "Hello" }, {
 *   deadline: new Date(Date.now() + 5_000),
 * });
 * assert.ok(seen.join() === "first:info,second:info");
 * ```
 */
export function createHookRunner(
  plugins: readonly HookPlugin[],
  options: CreateHookRunnerOptions,
): HookRunner {
  const list = Object.freeze([...plugins]);
  const logger = options.logger;
  const targetBootstrapServers = snapshot(options.targetBootstrapServers ?? {});

  async function invoke<E extends HookEventName>(
    plugin: HookPlugin,
    event: E,
    handler: HookHandler<E>,
    payload: HookEventMap[E],
    run: HookRunOptions,
  ): Promise<void> {
    const deadlineIso = run.deadline.toISOString();
    const timeout = new DOMException(`Hook deadline ${deadlineIso} passed`, "TimeoutError");
    const controller = new AbortController();
    const outer = run.signal;
    const onOuterAbort = () => controller.abort(outer?.reason);
    let timer: ReturnType<typeof setTimeout> | undefined;
    if (outer?.aborted) controller.abort(outer.reason);
    else outer?.addEventListener("abort", onOuterAbort, { once: true });
    const remaining = run.deadline.getTime() - Date.now();
    if (remaining <= 0) controller.abort(timeout);
    else timer = setTimeout(() => controller.abort(timeout), Math.min(remaining, MAX_TIMER_MS));

    const log = logger.child({ plugin: plugin.name, event });
    const ctx: HookContext = Object.freeze({
      migrationId: payload.migrationId,
      logger: log,
      signal: controller.signal,
      deadline: new Date(run.deadline.getTime()),
      targetBootstrapServers,
    });
    const started = performance.now();
    try {
      if (controller.signal.aborted) throw controller.signal.reason;
      log.debug(`Hook ${event} starting`);
      await raceSignal(Promise.resolve().then(() => handler(payload, ctx)), controller.signal);
      const ms = Math.round(performance.now() - started);
      if (event === "notify") log.debug(`Hook ${event} done`, { ms });
      else log.info(`Hook ${event} done`, { ms });
    } catch (error) {
      throw toHookError(error, { plugin, event, deadlineIso, signal: controller.signal, timeout });
    } finally {
      clearTimeout(timer);
      outer?.removeEventListener("abort", onOuterAbort);
    }
  }

  async function run<E extends HookEventName>(
    event: E,
    payload: HookEventMap[E],
    runOptions: HookRunOptions,
  ): Promise<void> {
    const policy = POLICY[event];
    const frozen = snapshot(payload);
    const failures: HookError[] = [];
    for (const plugin of list) {
      const handler: HookHandler<E> | undefined = plugin.hooks[event];
      if (handler === undefined) continue;
      try {
        await invoke(plugin, event, handler, frozen, runOptions);
      } catch (error) {
        const failure = error as HookError;
        if (policy === "fail-fast") throw failure;
        if (policy === "run-all") {
          failures.push(failure);
          continue;
        }
        logger.warn(`${failure.message}: ignored, notifications never stop a migration`, {
          plugin: plugin.name,
          event,
          code: failure.code,
        });
      }
    }
    if (failures.length === 1) throw failures[0];
    if (failures.length > 1) {
      throw new AggregateError(
        failures,
        `Hook ${event} failed in ${failures.length} plugins: ${
          failures.map((f) => f.pluginName).join(", ")
        }`,
      );
    }
  }

  return { plugins: list, logger, run };
}

function toHookError(
  error: unknown,
  where: {
    plugin: HookPlugin;
    event: HookEventName;
    deadlineIso: string;
    signal: AbortSignal;
    timeout: DOMException;
  },
): HookError {
  const { plugin, event, deadlineIso, signal, timeout } = where;
  const base = { pluginName: plugin.name, event };
  const name = JSON.stringify(plugin.name);
  if (signal.aborted && signal.reason === timeout) {
    return new HookError(
      "HOOK_TIMEOUT",
      `Hook ${event} in plugin ${name} passed its deadline ${deadlineIso}: ` +
        `make the handler finish sooner (and honour ctx.signal) or allow a longer window`,
      { ...base, retriable: true, ...(error === timeout ? {} : { cause: error }) },
    );
  }
  if (signal.aborted) {
    return new HookError(
      "ABORTED",
      `Hook ${event} in plugin ${name} was interrupted: ${redactText(errorMessage(signal.reason))}`,
      { ...base, retriable: true, cause: signal.reason },
    );
  }
  const message = redactText(errorMessage(error));
  if (isKraftoverError(error, "HOOK_TIMEOUT")) {
    return new HookError("HOOK_TIMEOUT", `Hook ${event} timed out in plugin ${name}: ${message}`, {
      ...base,
      retriable: true,
      cause: error,
    });
  }
  return new HookError("HOOK_FAILED", `Hook ${event} failed in plugin ${name}: ${message}`, {
    ...base,
    retriable: isKraftoverError(error) && error.retriable,
    cause: error,
  });
}

/** A frozen deep copy of plain data (arrays, plain objects, dates), so no handler can change what the next one sees. */
function snapshot<T>(value: T): T {
  return copyFrozen(value, 0) as T;
}

function copyFrozen(value: unknown, depth: number): unknown {
  if (depth > 32 || typeof value !== "object" || value === null) return value;
  if (Array.isArray(value)) return Object.freeze(value.map((v) => copyFrozen(v, depth + 1)));
  if (value instanceof Date) return new Date(value.getTime());
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = copyFrozen(v, depth + 1);
  return Object.freeze(out);
}
