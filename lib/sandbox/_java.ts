/**
 * Finding a Java 17+ JDK (`JAVA_HOME` first, then `PATH`).
 *
 * @module
 */

import { KraftoverError } from "../errors.ts";

/** The Java tools the sandbox runs. */
export interface JavaTools {
  /** Path or name of `java`. */
  java: string;
  /** Path or name of `javac` (compiles the sandbox's IAM token validator). */
  javac: string;
  /** Major version, e.g. 17. */
  major: number;
}

const INSTALL_HINT =
  "install a JDK 17 or newer (Debian/Ubuntu: apt-get install openjdk-17-jdk-headless; macOS: brew install openjdk@17) and put it on PATH or set JAVA_HOME";

async function versionOf(java: string): Promise<number | undefined> {
  try {
    const out = await new Deno.Command(java, {
      args: ["-version"],
      stdout: "piped",
      stderr: "piped",
      stdin: "null",
    }).output();
    const text = new TextDecoder().decode(out.stderr) + new TextDecoder().decode(out.stdout);
    return parseJavaMajor(text);
  } catch {
    return undefined;
  }
}

/**
 * The major version in `java -version` output (`1.8.0_392` → 8, `17.0.15` → 17).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseJavaMajor } from "./_java.ts";
 * assert.ok(parseJavaMajor('openjdk version "17.0.15" 2025-04-15') === 17);
 * assert.ok(parseJavaMajor('java version "1.8.0_392"') === 8);
 * ```
 */
export function parseJavaMajor(text: string): number | undefined {
  const m = /version "(\d+)(?:\.(\d+))?/.exec(text);
  if (m === null) return undefined;
  const first = Number(m[1]);
  return first === 1 && m[2] !== undefined ? Number(m[2]) : first;
}

async function canRun(program: string): Promise<boolean> {
  try {
    const out = await new Deno.Command(program, {
      args: ["-version"],
      stdout: "null",
      stderr: "null",
      stdin: "null",
    }).output();
    return out.success;
  } catch {
    return false;
  }
}

/** Finds `java` and `javac` of a JDK 17+, or throws `SANDBOX_JAVA_MISSING`. */
export async function findJava(): Promise<JavaTools> {
  const home = Deno.env.get("JAVA_HOME");
  const candidates: Array<{ java: string; javac: string; where: string }> = [];
  if (home !== undefined && home !== "") {
    candidates.push({
      java: `${home}/bin/java`,
      javac: `${home}/bin/javac`,
      where: `JAVA_HOME=${home}`,
    });
  }
  candidates.push({ java: "java", javac: "javac", where: "PATH" });
  const seen: string[] = [];
  for (const c of candidates) {
    const major = await versionOf(c.java);
    if (major === undefined) {
      seen.push(`${c.where}: no java`);
      continue;
    }
    if (major < 17) {
      seen.push(`${c.where}: Java ${major}`);
      continue;
    }
    if (!(await canRun(c.javac))) {
      seen.push(`${c.where}: Java ${major} without javac (a JRE, not a JDK)`);
      continue;
    }
    return { java: c.java, javac: c.javac, major };
  }
  throw new KraftoverError(
    "SANDBOX_JAVA_MISSING",
    `Cannot find a Java 17+ JDK (${seen.join("; ")}): ${INSTALL_HINT}`,
    { phase: "sandbox", detail: { looked: seen } },
  );
}
