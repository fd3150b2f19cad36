/**
 * The sandbox's own Java classes (`lib/sandbox/java/`): the MSK-IAM token
 * validator and the SCRAM bootstrap runner, compiled with `javac` against a
 * Kafka version's jars at `up` and cached by source hash and Kafka version.
 *
 * @module
 */

import type { JavaTools } from "./_java.ts";
import { runToCompletion } from "./_process.ts";

/** Java sources shipped with kraftover, relative to this module. */
const SOURCES = [
  "java/dev/kraftover/sandbox/MskIamCallbackHandler.java",
  "java/dev/kraftover/sandbox/RunConfigCommands.java",
];

/** Fully qualified name of the IAM token validator (an `AuthenticateCallbackHandler`). */
export const IAM_CALLBACK_HANDLER_CLASS = "dev.kraftover.sandbox.MskIamCallbackHandler";
/** Fully qualified name of the runner of several `kafka-configs` commands in one JVM. */
export const RUN_CONFIG_COMMANDS_CLASS = "dev.kraftover.sandbox.RunConfigCommands";

async function readSource(relative: string): Promise<string> {
  // fetch reads file: and https: module locations alike.
  const res = await fetch(new URL(relative, import.meta.url));
  if (!res.ok) throw new Error(`Cannot read ${relative}: HTTP ${res.status}`);
  return await res.text();
}

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Options for {@linkcode compileSandboxJava}. */
export interface CompileSandboxJavaOptions {
  /** The JDK. */
  java: JavaTools;
  /** Kafka version the classes are compiled against. */
  kafkaVersion: string;
  /** Directory of that version's jars. */
  kafkaLibs: string;
  /** Cache directory. */
  cacheDir: string;
}

/** The directory of compiled sandbox classes for a Kafka version (compiling when not cached). */
export async function compileSandboxJava(options: CompileSandboxJavaOptions): Promise<string> {
  const sources = await Promise.all(
    SOURCES.map(async (s) => ({ path: s, text: await readSource(s) })),
  );
  const hash = (await sha256Hex(sources.map((s) => s.path + "\n" + s.text).join("\n"))).slice(
    0,
    16,
  );
  const out = `${options.cacheDir}/classes/${options.kafkaVersion}-${hash}`;
  try {
    if ((await Deno.stat(out)).isDirectory) return out;
  } catch {
    // not cached yet
  }
  await Deno.mkdir(`${options.cacheDir}/classes`, { recursive: true });
  const work = await Deno.makeTempDir({ dir: `${options.cacheDir}/classes`, prefix: "build-" });
  try {
    const files: string[] = [];
    for (const s of sources) {
      const file = `${work}/src/${s.path.replace(/^java\//, "")}`;
      await Deno.mkdir(file.slice(0, file.lastIndexOf("/")), { recursive: true });
      await Deno.writeTextFile(file, s.text);
      files.push(file);
    }
    await runToCompletion(
      options.java.javac,
      ["--release", "17", "-d", `${work}/classes`, "-cp", `${options.kafkaLibs}/*`, ...files],
      { what: `compile the sandbox's Java classes against Kafka ${options.kafkaVersion}` },
    );
    try {
      await Deno.rename(`${work}/classes`, out);
    } catch (cause) {
      // A concurrent `up` compiled the same sources first.
      if (!(await Deno.stat(out).then((s) => s.isDirectory, () => false))) throw cause;
    }
    return out;
  } finally {
    await Deno.remove(work, { recursive: true }).catch(() => {});
  }
}
