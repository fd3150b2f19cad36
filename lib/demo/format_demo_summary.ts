/**
 * The demo's summary as text.
 *
 * @module
 */

import type { DemoSummary } from "./run_demo.ts";
import { formatDuration } from "../config/units.ts";

/**
 * Renders a {@linkcode DemoSummary}.
 *
 * @example
 * ```ts ignore
 * console.log(formatDemoSummary(await runDemo({ logger })));
 * ```
 */
export function formatDemoSummary(s: DemoSummary): string {
  const ok = (b: boolean) => (b ? "ok" : "MISMATCH");
  return [
    "",
    `kraftover demo — migration ${s.migrationId} (${formatDuration(s.durationMs)})`,
    "",
    `  Records copied          ${s.recordsCopied} (the live producer wrote ${s.liveRecords} to the source meanwhile)`,
    `  Producer freeze window  ${
      formatDuration(s.freezeWindowMs)
    } (freeze hook returned → group offsets committed);` +
    ` the live producer was paused for ${formatDuration(s.producerPausedMs)}`,
    `  Groups translated       ${
      s.groups.map((g) =>
        `${g.group} (${Object.entries(g.via).map(([v, n]) => `${n} ${v}`).join(", ")})`
      ).join("; ")
    }`,
    ...s.consumersOnTarget.map((c) =>
      `  On the target           ${c.group} received ${c.received} records, expected ${c.expected}: ${
        ok(c.received === c.expected)
      }`
    ),
    `  Validation              ${s.validation}`,
    `  Evidence                ${s.evidence.stored}`,
    `  Local copy              ${s.evidence.localCopy} (+ .sig)`,
    `  Offline verification    ${
      s.evidence.verified ? "valid" : "INVALID"
    } (key ${s.evidence.keyFingerprint})`,
    `  Work directory          ${s.workDir} (config, journal, evidence copy)`,
    `  Sandbox                 ${
      s.sandboxStarted ? "started and stopped by the demo" : "reused (left running)"
    }`,
    "",
  ].join("\n");
}
