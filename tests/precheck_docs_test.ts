import assert from "node:assert/strict";
import { ALL_FINDING_CODES, FINDING_CODES } from "../lib/precheck/finding_codes.ts";

const root = new URL("../", import.meta.url);

Deno.test("docs/precheck-codes.md explains every finding code: meaning, why it matters, fix", async () => {
  const text = await Deno.readTextFile(new URL("docs/precheck-codes.md", root));
  for (const code of ALL_FINDING_CODES) {
    const heading = new RegExp(`^### (.*\\b${code}\\b.*)$`, "m").exec(text);
    assert.ok(heading, `no section for ${code}`);
    if (code.startsWith("I")) continue;
    const section = text.slice(heading.index, text.indexOf("\n### ", heading.index + 1));
    assert.match(section, /\*\*Means:\*\*/, `${code}: what it means`);
    assert.match(section, /\*\*Matters:\*\*/, `${code}: why it matters`);
    assert.match(section, /\*\*Fix:\*\*/, `${code}: how to fix it`);
  }
  for (const [code, info] of Object.entries(FINDING_CODES)) {
    assert.ok(text.includes(info.title) || text.includes(`${code} `), `${code} title`);
  }
});

Deno.test("docs/cli.md documents plan and precheck with their options", async () => {
  const text = await Deno.readTextFile(new URL("docs/cli.md", root));
  for (
    const option of [
      "--format",
      "--out-dir",
      "--migration-id",
      "--force",
      "--offline",
      "--skip-stores",
    ]
  ) {
    assert.ok(text.includes(`\`${option}\``), option);
  }
});
