import assert from "node:assert/strict";
import { isKraftoverError } from "../errors.ts";
import { findJava } from "./_java.ts";

Deno.test("findJava() says what to install when no JDK is on PATH or JAVA_HOME", async () => {
  const saved = { path: Deno.env.get("PATH"), home: Deno.env.get("JAVA_HOME") };
  const empty = await Deno.makeTempDir();
  try {
    Deno.env.set("PATH", empty);
    Deno.env.set("JAVA_HOME", empty);
    await assert.rejects(
      () => findJava(),
      (e: unknown) =>
        isKraftoverError(e, "SANDBOX_JAVA_MISSING") && /install a JDK 17/.test(e.message),
    );
  } finally {
    if (saved.path === undefined) Deno.env.delete("PATH");
    else Deno.env.set("PATH", saved.path);
    if (saved.home === undefined) Deno.env.delete("JAVA_HOME");
    else Deno.env.set("JAVA_HOME", saved.home);
    await Deno.remove(empty, { recursive: true });
  }
});
