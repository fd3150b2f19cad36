/**
 * Human rendering of a {@linkcode PrecheckReport}: findings grouped by
 * severity (blockers, warnings, info), each with its code, subject, detail
 * and what to do; colour only when asked (the CLI asks when stdout is a TTY
 * and `NO_COLOR` is unset, see `colorWanted`).
 *
 * @module
 */

import type { PrecheckFinding, PrecheckReport } from "../precheck/precheck.ts";
import type { Severity } from "../precheck/finding_codes.ts";
import { formatBytes } from "../config/units.ts";

/** Options for {@linkcode formatFindings}. */
export interface FormatFindingsOptions {
  /** ANSI colours. @default false */
  color?: boolean;
  /** Text width for wrapping detail and remediation. @default 100 */
  width?: number;
  /** Same-code findings beyond this many are listed by subject only. @default 5 */
  maxPerCode?: number;
}

const HEADINGS: Record<Severity, string> = {
  blocker: "BLOCKERS",
  warning: "WARNINGS",
  info: "INFO",
};
const COLORS: Record<Severity, string> = {
  blocker: "\x1b[31m",
  warning: "\x1b[33m",
  info: "\x1b[36m",
};
const BOLD = "\x1b[1m";
const DIM = "\x1b[90m";
const RESET = "\x1b[0m";

function wrap(text: string, width: number, indent: string): string[] {
  const words = text.split(/\s+/).filter((w) => w !== "");
  const lines: string[] = [];
  let line = "";
  for (const word of words) {
    if (line !== "" && indent.length + line.length + 1 + word.length > width) {
      lines.push(indent + line);
      line = word;
    } else {
      line = line === "" ? word : `${line} ${word}`;
    }
  }
  if (line !== "") lines.push(indent + line);
  return lines;
}

/**
 * The report as text for a terminal.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatFindings } from "./format_findings.ts";
 * const side = { label: "source", reachable: true, mode: "zookeeper" as const, kafkaVersion: "3.9.x",
 *   brokers: 3, topics: 2, partitions: 6, bytes: 1024, groups: 1, acls: 0 };
 * const text = formatFindings({
 *   passed: false,
 *   counts: { blocker: 1, warning: 0, info: 0 },
 *   findings: [{ code: "B12", severity: "blocker", title: "Topic exists on the target with another partition count",
 *     detail: "orders has 6 partitions on the source and 3 on the target.", remediation: "Delete it.",
 *     subject: "topic:orders" }],
 *   source: side, target: { ...side, label: "target", mode: "kraft" },
 *   estimate: {} as never,
 * });
 * assert.ok(text.includes("BLOCKERS") && text.includes("B12") && !text.includes("\x1b["));
 * ```
 */
export function formatFindings(
  report: PrecheckReport,
  options: FormatFindingsOptions = {},
): string {
  const color = options.color ?? false;
  const width = options.width ?? 100;
  const maxPerCode = options.maxPerCode ?? 5;
  const paint = (code: string, text: string) => (color ? `${code}${text}${RESET}` : text);
  const out: string[] = [];

  for (const side of [report.source, report.target]) {
    out.push(
      `${side.label === "source" ? "Source" : "Target"}: ` +
        (side.reachable
          ? `${side.mode}, Kafka ${side.kafkaVersion ?? "?"}, ${side.brokers ?? "?"} broker(s), ` +
            `${side.topics} topic(s), ${side.partitions} partitions, ${formatBytes(side.bytes)}, ` +
            `${side.groups} group(s), ${side.acls} ACL binding(s)`
          : "not reachable"),
    );
  }
  out.push("");

  for (const severity of ["blocker", "warning", "info"] as const) {
    const list = report.findings.filter((f) => f.severity === severity);
    if (list.length === 0) continue;
    out.push(paint(BOLD + COLORS[severity], `${HEADINGS[severity]} (${list.length})`));
    const byCode = new Map<string, PrecheckFinding[]>();
    for (const f of list) byCode.set(f.code, [...(byCode.get(f.code) ?? []), f]);
    for (const [code, group] of byCode) {
      const shown = group.length > maxPerCode ? group.slice(0, maxPerCode - 1) : group;
      for (const f of shown) {
        out.push(`  ${paint(COLORS[severity], code)}  ${f.title}  ${paint(DIM, `[${f.subject}]`)}`);
        out.push(...wrap(f.detail, width, "       "));
        out.push(...wrap(`Fix: ${f.remediation}`, width, "       "));
      }
      if (group.length > shown.length) {
        const rest = group.slice(shown.length);
        out.push(`  ${paint(COLORS[severity], code)}  ${group[0]!.title}: ${rest.length} more`);
        out.push(...wrap(rest.map((f) => f.subject).join(", "), width, "       "));
      }
    }
    out.push("");
  }
  const c = report.counts;
  out.push(
    report.passed
      ? paint(BOLD + "\x1b[32m", `Precheck passed: ${c.warning} warning(s), ${c.info} info.`)
      : paint(
        BOLD + COLORS.blocker,
        `Precheck blocked: ${c.blocker} blocker(s), ${c.warning} warning(s), ${c.info} info.`,
      ),
  );
  return out.join("\n");
}
