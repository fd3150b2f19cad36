import assert from "node:assert/strict";
import type { PrecheckFinding, PrecheckReport } from "../precheck/precheck.ts";
import { formatFindings } from "./format_findings.ts";

function report(findings: PrecheckFinding[]): PrecheckReport {
  const side = {
    label: "source",
    reachable: true,
    mode: "zookeeper" as const,
    kafkaVersion: "3.9.x",
    brokers: 3,
    topics: 1,
    partitions: 1,
    bytes: 0,
    groups: 0,
    acls: 0,
  };
  const counts = { blocker: 0, warning: 0, info: 0 };
  for (const f of findings) counts[f.severity]++;
  return {
    passed: counts.blocker === 0,
    counts,
    findings,
    source: side,
    target: { ...side, label: "target", mode: "kraft" },
    estimate: {} as PrecheckReport["estimate"],
  };
}

const finding = (
  code: PrecheckFinding["code"],
  severity: PrecheckFinding["severity"],
  subject: string,
) => ({
  code,
  severity,
  title: `title ${code}`,
  detail: `detail of ${subject}`,
  remediation: "do this",
  subject,
});

Deno.test("formatFindings() groups by severity, blockers first, and collapses long lists", () => {
  const text = formatFindings(report([
    finding("B12", "blocker", "topic:a"),
    ...Array.from({ length: 7 }, (_, i) => finding("W02", "warning", `topic:c${i}`)),
    finding("I05", "info", "topic:e"),
  ]));
  assert.ok(text.indexOf("BLOCKERS (1)") < text.indexOf("WARNINGS (7)"));
  assert.ok(text.indexOf("WARNINGS (7)") < text.indexOf("INFO (1)"));
  assert.match(text, /W02 {2}title W02: 3 more\n\s+topic:c4, topic:c5, topic:c6/);
  assert.match(text, /Precheck blocked: 1 blocker\(s\), 7 warning\(s\), 1 info\./);
});

Deno.test("formatFindings() colours only when asked", () => {
  const r = report([finding("B01", "blocker", "source")]);
  assert.ok(!formatFindings(r).includes("\x1b["));
  assert.ok(formatFindings(r, { color: true }).includes("\x1b[31m"));
});
