/**
 * Shared helpers for integration tests: the running sandbox (or a printed
 * reason to skip), configs that point at it, unique names, and kcat — the
 * independent client every data claim is cross-checked with.
 *
 * @module
 */

// deno-lint-ignore-file no-console
import { join } from "node:path";
import { stringify } from "yaml";
import { loadSandboxInfo } from "../lib/sandbox/sandbox_info.ts";
import type { SandboxInfo } from "../lib/sandbox/sandbox_info.ts";
import { sandboxConfigs } from "../lib/sandbox/sandbox_configs.ts";
import type { SandboxAuthPair } from "../lib/sandbox/sandbox_configs.ts";
import { loadConfig } from "../lib/config/load_config.ts";
import type { LoadedConfig } from "../lib/config/load_config.ts";
import type { Admin } from "../lib/kafka/kafkajs.ts";

let cached: Promise<SandboxInfo | undefined> | undefined;

/** The running sandbox, or undefined (with the reason printed once) when there is none. */
export function sandbox(): Promise<SandboxInfo | undefined> {
  cached ??= (async () => {
    if (Deno.env.get("KRAFTOVER_SANDBOX_DIR") === undefined) {
      console.log(
        "skipping sandbox tests: KRAFTOVER_SANDBOX_DIR is not set (run them with `deno task test`)",
      );
      return undefined;
    }
    try {
      const info = await loadSandboxInfo();
      for (const [k, v] of Object.entries(info.env)) Deno.env.set(k, v);
      return info;
    } catch (error) {
      console.log(`skipping sandbox tests: no running sandbox (${(error as Error).message})`);
      return undefined;
    }
  })();
  return cached;
}

/** Whether the sandbox is up (for `ignore:`); prints why not. */
export const noSandbox: boolean = (await sandbox()) === undefined;

/** Whether kcat is installed. */
export const kcatPath: string | undefined = await (async () => {
  try {
    const out = await new Deno.Command("kcat", { args: ["-V"], stdout: "null", stderr: "null" })
      .output();
    return out.success ? "kcat" : undefined;
  } catch {
    console.log("kcat is not installed (apt-get install kcat): kcat cross-checks will be skipped");
    return undefined;
  }
})();

/** A name no other test run uses. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${crypto.randomUUID().slice(0, 8)}`;
}

/** Writes a config for an auth pair of the sandbox, with overrides merged into `migration:`. */
export async function writeSandboxConfig(
  info: SandboxInfo,
  dir: string,
  pair: SandboxAuthPair,
  overrides: Record<string, unknown>,
): Promise<LoadedConfig> {
  const base = sandboxConfigs(info)[pair].object.migration;
  const merged: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(overrides)) {
    merged[k] =
      typeof v === "object" && v !== null && !Array.isArray(v) && typeof base[k] === "object"
        ? { ...(base[k] as object), ...(v as object) }
        : v;
  }
  const file = join(dir, "migration.yaml");
  await Deno.writeTextFile(file, stringify({ migration: merged }));
  return await loadConfig(file);
}

/** One record as kcat shows it (`-J`). */
export interface KcatRecord {
  partition: number;
  offset: number;
  ts: number;
  key: string | null;
  payload: string | null;
  headers: string[] | undefined;
}

/** Runs kcat and returns stdout; throws with stderr on failure. */
export async function kcat(args: string[], stdin?: string): Promise<string> {
  if (kcatPath === undefined) throw new Error("kcat is not installed");
  const child = new Deno.Command(kcatPath, {
    args,
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(stdin));
    await writer.close();
  }
  const out = await child.output();
  if (!out.success) {
    throw new Error(`kcat ${args.join(" ")} failed: ${new TextDecoder().decode(out.stderr)}`);
  }
  return new TextDecoder().decode(out.stdout);
}

/** Every committed record of a topic, read with kcat (READ_COMMITTED), in partition and offset order. */
export async function kcatReadAll(bootstrap: string, topic: string): Promise<KcatRecord[]> {
  const text = await kcat([
    "-C",
    "-b",
    bootstrap,
    "-t",
    topic,
    "-o",
    "beginning",
    "-e",
    "-q",
    "-J",
    "-X",
    "isolation.level=read_committed",
  ]);
  return text.split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l) as KcatRecord)
    .sort((a, b) => a.partition - b.partition || a.offset - b.offset);
}

/** What must be equal between a source record and its copy. */
export function content(r: KcatRecord): string {
  return JSON.stringify([r.partition, r.ts, r.key, r.payload, r.headers ?? []]);
}

/** Polls `check` until it returns true or the deadline passes. */
export async function eventually(
  what: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let wait = 50;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, wait));
    wait = Math.min(1000, wait * 2);
  }
}

/**
 * A topic's offsets per partition, in partition order (kafkajs returns them in
 * the order the brokers answered, which varies), for before/after comparisons.
 */
export async function topicOffsetsByPartition(
  admin: Pick<Admin, "fetchTopicOffsets">,
  topic: string,
): Promise<Awaited<ReturnType<Admin["fetchTopicOffsets"]>>> {
  return (await admin.fetchTopicOffsets(topic)).sort((a, b) => a.partition - b.partition);
}
