/**
 * The hook contracts (SPEC §10): the events kraftover emits during a
 * migration, the context every handler receives and the shape of a plugin.
 *
 * A plugin file needs only `import type` from kraftover: a plain object
 * literal checked with `satisfies HookPlugin` is a complete plugin.
 * {@linkcode defineHookPlugin} is optional sugar that also checks the shape
 * when the module loads.
 *
 * @module
 */

import type { Logger } from "../lib/logger.ts";
import { assertHookPlugin } from "./_validate.ts";

/** How a client authenticates to a cluster (SPEC §4 `auth.mode`). */
export type { AuthMode } from "../lib/config/types.ts";
import type { AuthMode } from "../lib/config/types.ts";

/** Bootstrap servers of a cluster, one list per auth mode the cluster offers. */
export type BootstrapServersByAuthMode = Readonly<Partial<Record<AuthMode, readonly string[]>>>;

/** Payload of `producers:freeze`: stop producing to these topics until the deadline. */
export interface ProducersFreezeEvent {
  /** The migration this event belongs to. */
  readonly migrationId: string;
  /** Every migrated topic; producers to these must stop. */
  readonly topics: readonly string[];
  /** Total number of partitions of those topics. */
  readonly partitions: number;
  /** When the freeze window ends (`cutover.max_producer_freeze` after it began). */
  readonly deadline: Date;
  /** Bootstrap servers of the source cluster, where producers currently write. */
  readonly sourceBootstrapServers: readonly string[];
}

/** Why producers are released. */
export type UnfreezeReason = "cutover_complete" | "cutover_aborted";

/** Payload of `producers:unfreeze`: producers may write again. */
export interface ProducersUnfreezeEvent {
  /** The migration this event belongs to. */
  readonly migrationId: string;
  /** The topics that were (or were about to be) frozen. */
  readonly topics: readonly string[];
  /**
   * `cutover_complete`: the target holds everything and producers may resume
   * (against the target once clients switch). `cutover_aborted`: the cutover
   * failed; producers resume against the source as before.
   */
  readonly reason: UnfreezeReason;
  /** With `cutover_aborted`: what went wrong (secrets removed). */
  readonly error?: string;
}

/** Payload of `clients:switch`: point clients at the target cluster. */
export interface ClientsSwitchEvent {
  /** The migration this event belongs to. */
  readonly migrationId: string;
  /** Every migrated topic. */
  readonly topics: readonly string[];
  /** Consumer groups whose offsets were translated onto the target. */
  readonly groups: readonly string[];
  /** Where clients must connect now, per auth mode. */
  readonly targetBootstrapServers: BootstrapServersByAuthMode;
}

/** What a `notify` event reports. */
export type NotifyKind = "state_changed" | "warning" | "failure" | "info";

/** Payload of `notify`: a state change, warning, failure or information. */
export interface NotifyEvent {
  /** The migration this event belongs to. */
  readonly migrationId: string;
  /** What kind of news this is. */
  readonly kind: NotifyKind;
  /** One line for humans. */
  readonly message: string;
  /** The lifecycle state after the change (or the current state). */
  readonly state?: string;
  /** With `state_changed`: the state before the change. */
  readonly previousState?: string;
  /** Structured detail (never secrets). */
  readonly detail?: Readonly<Record<string, unknown>>;
}

/** Every hook event and its payload type. */
export interface HookEventMap {
  /** Stop producers before the sentinels are written; see {@linkcode ProducersFreezeEvent}. */
  readonly "producers:freeze": ProducersFreezeEvent;
  /** Let producers write again; see {@linkcode ProducersUnfreezeEvent}. */
  readonly "producers:unfreeze": ProducersUnfreezeEvent;
  /** Point clients at the target; see {@linkcode ClientsSwitchEvent}. */
  readonly "clients:switch": ClientsSwitchEvent;
  /** News about the migration; see {@linkcode NotifyEvent}. */
  readonly notify: NotifyEvent;
}

/** The name of a hook event. */
export type HookEventName = keyof HookEventMap;

/** What every handler receives besides its event. */
export interface HookContext {
  /** The migration being run. */
  readonly migrationId: string;
  /** A logger tagged with the plugin name and event. Lines are redacted. */
  readonly logger: Logger;
  /**
   * Aborts when the deadline passes or the run is interrupted. Pass it to
   * `fetch` and anything else that waits; a handler that ignores it is
   * abandoned at the deadline all the same.
   */
  readonly signal: AbortSignal;
  /** When the handler must have finished. */
  readonly deadline: Date;
  /** Bootstrap servers of the target cluster, per auth mode. */
  readonly targetBootstrapServers: BootstrapServersByAuthMode;
}

/** A handler for one event. It may be synchronous or return a promise. */
export type HookHandler<E extends HookEventName> = (
  event: HookEventMap[E],
  ctx: HookContext,
) => void | Promise<void>;

/** The handlers of a plugin, at most one per event. */
export type HookHandlers = { readonly [E in HookEventName]?: HookHandler<E> };

/** A hook plugin: a name (used in logs and errors) and its handlers. */
export interface HookPlugin {
  /** Unique among the configured plugins; appears in logs and errors. */
  readonly name: string;
  /** The handlers, keyed by event name. */
  readonly hooks: HookHandlers;
}

/**
 * Declares a hook plugin. Returns its argument unchanged, after checking its
 * shape (non-empty `name`, known event keys, functions as handlers) so that a
 * malformed plugin fails when its module loads. Optional: a plain object
 * literal written `satisfies HookPlugin` is accepted by the loader as well.
 *
 * @throws {KraftoverError} `PLUGIN_INVALID` when the shape is wrong.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { defineHookPlugin } from "./types.ts";
 *
 * const plugin = defineHookPlugin({
 *   name: "audit",
 *   hooks: {
 *     notify(event, ctx) {
 *       ctx.logger.info(`Migration ${event.migrationId}: ${event.message}`);
 *     },
 *   },
 * });
 * assert.ok(plugin.name === "audit");
 * ```
 */
export function defineHookPlugin<const P extends HookPlugin>(plugin: P): P {
  assertHookPlugin(plugin, `defineHookPlugin(${describeName(plugin)})`);
  return plugin;
}

function describeName(value: unknown): string {
  const name = typeof value === "object" && value !== null && "name" in value
    ? value.name
    : undefined;
  return typeof name === "string" ? JSON.stringify(name) : "";
}
