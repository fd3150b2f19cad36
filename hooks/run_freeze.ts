/**
 * The producer freeze with its safety net: when freezing fails, every plugin
 * is told to unfreeze before the failure propagates.
 *
 * @module
 */

import { errorMessage } from "../lib/errors.ts";
import { redactText } from "../lib/secret.ts";
import { HookError } from "./hook_error.ts";
import type { HookRunner } from "./runner.ts";
import type { ProducersFreezeEvent } from "./types.ts";

/** Options for {@linkcode runFreeze}. */
export interface RunFreezeOptions {
  /** When the freeze handlers must have finished (the end of the freeze window). */
  deadline: Date;
  /** Interrupts the freeze. The safety unfreeze runs regardless of it. */
  signal?: AbortSignal;
  /** Time the safety unfreeze gets, from the moment the freeze failed. @default 30_000 */
  unfreezeTimeoutMs?: number;
}

/**
 * Runs `producers:freeze` on every plugin, in order. When a handler throws,
 * passes the deadline or the run is interrupted, runs `producers:unfreeze`
 * with reason `cutover_aborted` on **every** plugin (also those that never
 * froze: handlers must tolerate an unfreeze without a freeze), logs each
 * unfreeze failure, and rethrows the original freeze failure.
 *
 * @throws {HookError} the freeze failure (`HOOK_FAILED`, `HOOK_TIMEOUT` or
 * `ABORTED`), naming the plugin.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createHookRunner } from "./runner.ts";
 * import { runFreeze } from "./run_freeze.ts";
 * import { silentLogger } from "../lib/logger.ts";
 *
 * const calls: string[] = [];
 * const runner = createHookRunner([{
 *   name: "broken",
 *   hooks: {
 *     "producers:freeze": () => { throw new Error("Gateway down"); },
 *     "producers:unfreeze": (e) => void calls.push(e.reason),
 *   },
 * }], { logger: silentLogger });
 * const freeze = {
 *   migrationId: "m1",
 *   topics: ["orders"],
 *   partitions: 6,
 *   deadline: new Date(Date.now() + 60_000),
 *   sourceBootstrapServers: ["127.0.0.1:9092"],
 * };
 * const failure = await runFreeze(runner, freeze, { deadline: freeze.deadline }).catch((e) => e);
 * assert.ok(failure.code === "HOOK_FAILED" && failure.pluginName === "broken");
 * assert.ok(calls.join() === "cutover_aborted");
 * ```
 */
export async function runFreeze(
  runner: HookRunner,
  payload: ProducersFreezeEvent,
  options: RunFreezeOptions,
): Promise<void> {
  try {
    await runner.run("producers:freeze", payload, {
      deadline: options.deadline,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
  } catch (failure) {
    const reason = redactText(errorMessage(failure));
    runner.logger.warn(`Producer freeze failed, unfreezing every plugin: ${reason}`, {
      ...(failure instanceof HookError ? { plugin: failure.pluginName, code: failure.code } : {}),
    });
    try {
      await runner.run("producers:unfreeze", {
        migrationId: payload.migrationId,
        topics: payload.topics,
        reason: "cutover_aborted",
        error: reason,
      }, { deadline: new Date(Date.now() + (options.unfreezeTimeoutMs ?? 30_000)) });
    } catch (unfreezeFailure) {
      const failures = unfreezeFailure instanceof AggregateError
        ? unfreezeFailure.errors
        : [unfreezeFailure];
      for (const f of failures) {
        runner.logger.error(
          `Unfreeze after the failed freeze did not complete: producers behind this plugin may ` +
            `still be frozen, release them by hand: ${redactText(errorMessage(f))}`,
          f instanceof HookError ? { plugin: f.pluginName, code: f.code } : {},
        );
      }
    }
    throw failure;
  }
}
