/**
 * Small AbortSignal helpers shared by the hook runner and the built-in plugins.
 *
 * @module
 */

/**
 * Settles like `promise`, or rejects with `signal.reason` as soon as `signal`
 * aborts, whichever comes first. The promise is not cancelled: a late
 * rejection of it is absorbed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { raceSignal } from "./_abort.ts";
 * const controller = new AbortController();
 * const never = new Promise<string>(() => {});
 * const raced = raceSignal(never, controller.signal);
 * controller.abort(new Error("Deadline passed"));
 * assert.ok((await raced.catch((e) => e.message)) === "Deadline passed");
 * ```
 */
export function raceSignal<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    promise.catch(() => {});
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

/**
 * Resolves after `ms`, or rejects with `signal.reason` when `signal` aborts first.
 *
 * @example
 * ```ts
 * import { delay } from "./_abort.ts";
 * await delay(1, new AbortController().signal);
 * ```
 */
export function delay(ms: number, signal: AbortSignal): Promise<void> {
  signal.throwIfAborted();
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
