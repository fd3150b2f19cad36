import assert from "node:assert/strict";

const root = new URL("../", import.meta.url);
const ALLOWED = new Set(["lib/kafka/kafkajs.ts"]);

async function* sourceFiles(dir: URL, prefix = ""): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    if (entry.name.startsWith(".") || entry.name === "node_modules") continue;
    const path = `${prefix}${entry.name}`;
    if (entry.isDirectory) yield* sourceFiles(new URL(`${entry.name}/`, dir), `${path}/`);
    else if (entry.name.endsWith(".ts")) yield path;
  }
}

Deno.test("only lib/kafka/kafkajs.ts imports kafkajs, so it always loads patched for exact headers", async () => {
  const offenders: string[] = [];
  for await (const path of sourceFiles(root)) {
    if (ALLOWED.has(path)) continue;
    const text = await Deno.readTextFile(new URL(path, root));
    if (
      /from\s+["'](npm:)?kafkajs(@[^"']*)?["']/.test(text) ||
      /import\(["'](npm:)?kafkajs/.test(text)
    ) {
      offenders.push(path);
    }
  }
  assert.deepEqual(
    offenders,
    [],
    `import from lib/kafka/kafkajs.ts instead: ${offenders.join(", ")}`,
  );
});
