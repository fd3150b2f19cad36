import assert from "node:assert/strict";
import { shellQuote } from "./format_plan_aws_cli.ts";

Deno.test("shellQuote() survives bash with quotes, expansions, globs and newlines", async () => {
  const values = [
    "plain",
    "it's",
    "$(touch /tmp/pwned)",
    "`id`",
    "*",
    "a b\nc",
    "'",
    "",
    "${HOME}",
    "\\",
  ];
  const script = values.map((v) => `printf '%s\\0' ${shellQuote(v)}`).join("\n");
  const out = await new Deno.Command("bash", { args: ["-c", script], stdout: "piped" }).output();
  assert.ok(out.success);
  assert.deepEqual(new TextDecoder().decode(out.stdout).split("\0").slice(0, -1), values);
});
