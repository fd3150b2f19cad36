/**
 * Built-in plugin `manual-freeze`: an operator stops producers by hand and
 * confirms it by typing a word on the terminal.
 *
 * @module
 */

import type { HookPlugin, ProducersFreezeEvent, ProducersUnfreezeEvent } from "../hooks/types.ts";
import { raceSignal } from "../hooks/_abort.ts";
import type { ManualFreezeOptions } from "./options.ts";

/** The terminal the manual freeze talks through. Tests pass a fake. */
export interface ManualFreezeTerminal {
  /** Whether an operator can answer (stdin is a TTY). */
  isTerminal(): boolean;
  /** The next line typed, without its line break; `null` at end of input. Rejects when `signal` aborts. */
  readLine(signal: AbortSignal): Promise<string | null>;
  /** Shows text to the operator. */
  write(text: string): void;
}

/** Injected dependencies of {@linkcode manualFreezePlugin}. */
export interface ManualFreezeDependencies {
  /** The terminal to use. @default {@linkcode stdioTerminal}() */
  terminal?: ManualFreezeTerminal;
}

const SHOWN_TOPICS = 20;

/**
 * `producers:freeze` prints what to stop (topics, partitions, source
 * servers, the deadline and the configured `instructions`) and waits until
 * the operator types `confirmation` (default `frozen`). Throws at once when
 * stdin is not a TTY: a manual freeze cannot be confirmed by a script.
 * `producers:unfreeze` prints whether producers resume against the target
 * (`cutover_complete`) or the source (`cutover_aborted`); it never waits.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { manualFreezePlugin } from "./manual_freeze.ts";
 * import { silentLogger } from "../lib/logger.ts";
 * const typed = ["frozen"];
 * let shown = "";
 * const plugin = manualFreezePlugin({ confirmation: "frozen" }, {
 *   terminal: {
 *     isTerminal: () => true,
 *     readLine: () => Promise.resolve(typed.shift() ?? null),
 *     write: (text) => void (shown += text),
 *   },
 * });
 * const deadline = new Date(Date.now() + 60_000);
 * await plugin.hooks["producers:freeze"]?.(
 *   { migrationId: "m1", topics: ["orders"], partitions: 6, deadline, sourceBootstrapServers: ["b1:9092"] },
 *   { migrationId: "m1", logger: silentLogger, signal: new AbortController().signal, deadline, targetBootstrapServers: {} },
 * );
 * assert.ok(shown.includes("orders"));
 * ```
 */
export function manualFreezePlugin(
  options: ManualFreezeOptions,
  dependencies: ManualFreezeDependencies = {},
): HookPlugin {
  const terminal = dependencies.terminal ?? stdioTerminal();
  const word = options.confirmation;
  return {
    name: options.name ?? "manual-freeze",
    hooks: {
      async "producers:freeze"(event, ctx) {
        if (!terminal.isTerminal()) {
          throw new Error(
            "Manual freeze needs an operator at a terminal: stdin is not a TTY; run the cutover " +
              "from an interactive shell or configure the webhook-freeze plugin",
          );
        }
        terminal.write(freezeInstructions(event, options.instructions, word));
        ctx.logger.info("Waiting for the operator to confirm the producer freeze", {
          deadline: event.deadline.toISOString(),
        });
        for (;;) {
          const line = await terminal.readLine(ctx.signal);
          if (line === null) {
            throw new Error(
              `Manual freeze not confirmed: input ended before "${word}" was typed; ` +
                "producers are considered not frozen",
            );
          }
          if (line.trim() === word) break;
          terminal.write(
            `Typed ${JSON.stringify(line.trim())}, not "${word}". Type "${word}" once every ` +
              `producer has stopped: `,
          );
        }
        terminal.write("Freeze confirmed.\n");
        ctx.logger.info("Operator confirmed the producer freeze");
      },
      "producers:unfreeze"(event, ctx) {
        const text = unfreezeInstructions(event);
        if (terminal.isTerminal()) terminal.write(text);
        ctx.logger.info(text.trim());
      },
    },
  };
}

function freezeInstructions(
  event: ProducersFreezeEvent,
  extra: string | undefined,
  word: string,
): string {
  const shown = event.topics.slice(0, SHOWN_TOPICS).map((t) => `  - ${t}\n`).join("");
  const more = event.topics.length > SHOWN_TOPICS
    ? `  … and ${event.topics.length - SHOWN_TOPICS} more\n`
    : "";
  const seconds = Math.max(0, Math.round((event.deadline.getTime() - Date.now()) / 1000));
  return [
    "",
    `== kraftover: manual producer freeze for migration ${event.migrationId} ==`,
    `Stop every producer writing to these ${event.topics.length} topics ` +
    `(${event.partitions} partitions) on ${event.sourceBootstrapServers.join(", ")}:`,
    shown + more,
    ...(extra === undefined ? [] : [extra.trim(), ""]),
    `The freeze window ends at ${event.deadline.toISOString()} (in ${seconds} s); ` +
    "after that the cutover is aborted and producers may resume.",
    `Type "${word}" once every producer has stopped: `,
  ].join("\n");
}

function unfreezeInstructions(event: ProducersUnfreezeEvent): string {
  if (event.reason === "cutover_complete") {
    return `\nCutover of migration ${event.migrationId} complete: producers may resume, ` +
      "writing to the target cluster once they are switched to it.\n";
  }
  return `\nCutover of migration ${event.migrationId} aborted` +
    (event.error === undefined ? "" : ` (${event.error})`) +
    ": resume producers against the source cluster, as before the freeze.\n";
}

/**
 * The process terminal: `isTerminal` and `readLine` on stdin, `write` to
 * stderr (stdout stays free for `--json` output).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { stdioTerminal } from "./manual_freeze.ts";
 * assert.ok(typeof stdioTerminal().isTerminal() === "boolean");
 * ```
 */
export function stdioTerminal(): ManualFreezeTerminal {
  const decoder = new TextDecoder();
  const encoder = new TextEncoder();
  const chunk = new Uint8Array(4096);
  let buffered = "";
  let pending: Promise<number | null> | undefined;
  return {
    isTerminal: () => Deno.stdin.isTerminal(),
    async readLine(signal) {
      for (;;) {
        const newline = buffered.indexOf("\n");
        if (newline >= 0) {
          const line = buffered.slice(0, newline).replace(/\r$/, "");
          buffered = buffered.slice(newline + 1);
          return line;
        }
        // A read abandoned on abort stays pending and is picked up by the next call.
        pending ??= Deno.stdin.read(chunk);
        const n = await raceSignal(pending, signal);
        pending = undefined;
        if (n === null) {
          const rest = buffered;
          buffered = "";
          return rest === "" ? null : rest;
        }
        buffered += decoder.decode(chunk.subarray(0, n), { stream: true });
      }
    },
    write(text) {
      const bytes = encoder.encode(text);
      let written = 0;
      while (written < bytes.length) written += Deno.stderr.writeSync(bytes.subarray(written));
    },
  };
}
