/**
 * The error a hook run throws: a {@linkcode KraftoverError} that names the
 * plugin and the event.
 *
 * @module
 */

import { KraftoverError, type KraftoverErrorOptions } from "../lib/errors.ts";
import type { HookEventName } from "./types.ts";

/**
 * Codes a {@linkcode HookError} carries: the handler threw (`HOOK_FAILED`),
 * passed its deadline (`HOOK_TIMEOUT`), or the run was interrupted through its
 * signal (`ABORTED`).
 */
export type HookErrorCode = "HOOK_FAILED" | "HOOK_TIMEOUT" | "ABORTED";

/** Options for {@linkcode HookError}. */
export interface HookErrorOptions extends Omit<KraftoverErrorOptions, "phase"> {
  /** The plugin whose handler failed. */
  pluginName: string;
  /** The event it was handling. */
  event: HookEventName;
}

/**
 * A hook handler failed, timed out or was interrupted. `pluginName` and
 * `event` say which; `cause` holds what the handler threw.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { HookError } from "./hook_error.ts";
 * const err = new HookError("HOOK_TIMEOUT", "Hook producers:freeze timed out", {
 *   pluginName: "acme-freeze",
 *   event: "producers:freeze",
 * });
 * assert.ok(err.code === "HOOK_TIMEOUT" && err.pluginName === "acme-freeze");
 * assert.ok(err.toJSON().detail !== undefined);
 * ```
 */
export class HookError extends KraftoverError {
  /** Why the hook failed. */
  declare readonly code: HookErrorCode;
  /** The plugin whose handler failed. */
  readonly pluginName: string;
  /** The event it was handling. */
  readonly event: HookEventName;

  /** Makes a hook error; `phase` is always `hooks`, `detail` gains `plugin` and `event`. */
  constructor(code: HookErrorCode, message: string, options: HookErrorOptions) {
    const { pluginName, event, detail, ...rest } = options;
    super(code, message, {
      ...rest,
      phase: "hooks",
      detail: { ...detail, plugin: pluginName, event },
    });
    this.name = "HookError";
    this.pluginName = pluginName;
    this.event = event;
  }
}
