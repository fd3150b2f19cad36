/**
 * Loading a migration config: YAML with `${VAR}` interpolation, schema
 * validation with defaults, and errors that name file, line, column, field
 * path, what was expected and what to do.
 *
 * @module
 */

import { isMap, isScalar, isSeq, LineCounter, parseDocument, Scalar } from "yaml";
import type { Document, Node, Pair } from "yaml";
import type { z } from "zod";
import { closest, distance } from "fastest-levenshtein";
import { dirname, resolve } from "node:path";
import { KraftoverError } from "../errors.ts";
import { FILE_FIELDS, migrationSchema } from "./schema.ts";
import type { MigrationConfig } from "./types.ts";

/** One problem found in a config file. */
export interface ConfigIssue {
  /** The config file. */
  file: string;
  /** 1-based line, when known. */
  line: number;
  /** 1-based column, when known. */
  column: number;
  /** Dotted field path as written, e.g. `migration.source.auth.mode`. */
  path: string;
  /** What is wrong and what was expected. */
  message: string;
  /** What to do about it. */
  hint?: string;
}

/** A config error carrying every issue found; exits 2. */
export class ConfigError extends KraftoverError {
  /** Every issue, in file order. */
  readonly issues: readonly ConfigIssue[];

  /** Creates a config error from the issues found (sorted by position). */
  constructor(
    code: "CONFIG_SYNTAX" | "CONFIG_INVALID" | "CONFIG_ENV_UNSET" | "CONFIG_FILE_UNREADABLE",
    issues: ConfigIssue[],
  ) {
    const sorted = [...issues].sort((a, b) => a.line - b.line || a.column - b.column);
    super(code, `Cannot read config: ${sorted.map(formatConfigIssue).join("; ")}`, {
      phase: "config",
      detail: { issues: sorted },
    });
    this.name = "ConfigError";
    this.issues = sorted;
  }
}

/**
 * One issue as a line: `file:line:col: path: message (hint)`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatConfigIssue } from "./load_config.ts";
 * const s = formatConfigIssue({ file: "m.yaml", line: 3, column: 5, path: "migration.seed.via", message: "bad" });
 * assert.ok(s === "m.yaml:3:5: migration.seed.via: bad");
 * ```
 */
export function formatConfigIssue(issue: ConfigIssue): string {
  return `${issue.file}:${issue.line}:${issue.column}: ${issue.path}: ${issue.message}` +
    (issue.hint === undefined ? "" : ` (hint: ${issue.hint})`);
}

/** Which root layout a file used. */
export type ConfigLayout = "migration" | "kafka-backup";

/** A loaded, validated config and where it came from. */
export interface LoadedConfig {
  /** The validated config with defaults; file paths made absolute. */
  config: MigrationConfig;
  /** Absolute path of the file (or the name given for text). */
  file: string;
  /** Directory relative paths in the config are resolved against. */
  baseDir: string;
  /** Root layout used. */
  layout: ConfigLayout;
}

/** Options for {@linkcode loadConfig} and {@linkcode parseConfigText}. */
export interface LoadConfigOptions {
  /** Environment used for `${VAR}` interpolation. @default Deno.env.toObject() */
  env?: Readonly<Record<string, string>>;
  /** Check that files named by the config (ca_file, signing_key_path, …) are readable. @default true */
  checkFiles?: boolean;
}

/** Options for {@linkcode parseConfigText}. */
export interface ParseConfigTextOptions extends LoadConfigOptions {
  /** File name used in messages. @default "<config>" */
  file?: string;
  /** Directory relative paths are resolved against. @default Deno.cwd() */
  baseDir?: string;
}

/**
 * Reads and validates a config file.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadConfig } from "./load_config.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/m.yaml`, [
 *   "migration:",
 *   "  source: { bootstrap_servers: [127.0.0.1:9092], auth: { mode: plaintext } }",
 *   "  target: { bootstrap_servers: [127.0.0.1:9093], auth: { mode: plaintext } }",
 *   "  seed: { via: direct }",
 * ].join("\n"));
 * const { config } = await loadConfig(`${dir}/m.yaml`);
 * assert.ok(config.seed.max_concurrent_partitions === 4);
 * assert.ok(config.cutover.drain_timeout === 30 * 60_000);
 * ```
 */
export async function loadConfig(
  path: string,
  options: LoadConfigOptions = {},
): Promise<LoadedConfig> {
  let text: string;
  const file = absolute(path);
  try {
    text = await Deno.readTextFile(file);
  } catch (error) {
    throw new ConfigError("CONFIG_FILE_UNREADABLE", [{
      file: path,
      line: 0,
      column: 0,
      path: "(file)",
      message: `cannot read the config file: ${(error as Error).message}`,
      hint: "check the --config path and its permissions",
    }]);
  }
  return await parseConfigText(text, { ...options, file, baseDir: dirname(file) });
}

/**
 * Validates config text (what {@linkcode loadConfig} does after reading the file).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ConfigError, parseConfigText } from "./load_config.ts";
 * try {
 *   await parseConfigText("migration:\n  sourse: {}\n", { file: "m.yaml" });
 * } catch (e) {
 *   assert.ok(e instanceof ConfigError && e.issues[0]!.line === 2);
 * }
 * ```
 */
export async function parseConfigText(
  text: string,
  options: ParseConfigTextOptions = {},
): Promise<LoadedConfig> {
  const file = options.file ?? "<config>";
  const baseDir = options.baseDir ?? Deno.cwd();
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number | undefined) => {
    if (offset === undefined) return { line: 1, column: 1 };
    const pos = lineCounter.linePos(offset);
    return { line: pos.line, column: pos.col };
  };

  if (doc.errors.length > 0) {
    throw new ConfigError(
      "CONFIG_SYNTAX",
      doc.errors.map((e) => ({
        file,
        ...at(e.pos[0]),
        path: "(yaml)",
        message: `YAML syntax error: ${e.message.split("\n")[0]}`,
        hint: "fix the YAML syntax at this position (indentation, quotes, colons)",
      })),
    );
  }

  const env = options.env ?? Deno.env.toObject();
  const envIssues = interpolate(doc, env, (node, message, hint) => ({
    file,
    ...at(node.range?.[0]),
    path: pathOfNode(doc, node),
    message,
    hint,
  }));
  if (envIssues.length > 0) throw new ConfigError("CONFIG_ENV_UNSET", envIssues);

  const root = doc.contents;
  const rootLoc = (prefix: string[]) => ({ file, ...at(nodeAt(doc, prefix)?.range?.[0]) });
  let layout: ConfigLayout;
  let prefix: string[];
  if (isMap(root) && root.has("migration")) {
    layout = "migration";
    prefix = ["migration"];
  } else if (
    isMap(root) && isMap(root.get("enterprise")) &&
    (root.get("enterprise") as { has(k: string): boolean }).has("msk_kraft_migration")
  ) {
    layout = "kafka-backup";
    prefix = ["enterprise", "msk_kraft_migration"];
  } else {
    const keys = isMap(root) ? root.items.map((p) => String(keyOf(p))) : [];
    const guess = keys.length > 0 ? closest(keys[0]!, ["migration", "enterprise"]) : undefined;
    throw new ConfigError("CONFIG_INVALID", [{
      ...rootLoc([]),
      path: "(root)",
      message:
        "expected the root key migration: (or kafka-backup's enterprise: msk_kraft_migration:)" +
        (keys.length > 0 ? `, found ${keys.join(", ")}` : ""),
      hint: guess !== undefined && distance(keys[0]!, guess) <= 3
        ? `did you mean "${guess}"?`
        : "start the file with migration:",
    }]);
  }
  if (isMap(root)) {
    const extra = root.items.map((p) => String(keyOf(p))).filter((k) => k !== prefix[0]);
    if (extra.length > 0) {
      throw new ConfigError(
        "CONFIG_INVALID",
        extra.map((k) => ({
          file,
          ...at(pairAt(doc, [], k)?.key?.range?.[0]),
          path: k,
          message: `unknown root key ${k}`,
          hint: `move it under ${prefix.join(".")}: or remove it`,
        })),
      );
    }
  }

  const raw = doc.getIn(prefix) === undefined ? undefined : doc.toJS({ maxAliasCount: 100 });
  let value: unknown = raw;
  for (const key of prefix) value = (value as Record<string, unknown> | undefined)?.[key];
  if (value === null || value === undefined) value = {};
  const result = migrationSchema.safeParse(value, { reportInput: true });
  if (!result.success) {
    throw new ConfigError(
      "CONFIG_INVALID",
      result.error.issues.map((issue) => describeIssue(doc, prefix, issue, file, at)),
    );
  }
  const config = result.data;
  const fileIssues = options.checkFiles === false
    ? []
    : await resolveFiles(config, baseDir, (path) => ({
      file,
      ...at(nodeAt(doc, [...prefix, ...path])?.range?.[0]),
      path: [...prefix, ...path].join("."),
    }));
  if (fileIssues.length > 0) throw new ConfigError("CONFIG_FILE_UNREADABLE", fileIssues);
  return { config, file, baseDir, layout };
}

type Locate = (offset: number | undefined) => { line: number; column: number };

function describeIssue(
  doc: Document,
  prefix: string[],
  issue: z.core.$ZodIssue,
  file: string,
  at: Locate,
): ConfigIssue {
  const path = issue.path.map(String);
  const fullPath = [...prefix, ...path];
  const shown = fullPath.join(".");
  const hintParam = (issue as { params?: { hint?: string } }).params?.hint;

  if (issue.code === "unrecognized_keys") {
    const key = issue.keys[0]!;
    const known = knownKeys(path);
    const guess = known.length > 0 ? closest(key, known) : undefined;
    return {
      file,
      ...at(pairAt(doc, fullPath, key)?.key?.range?.[0] ?? nodeAt(doc, fullPath)?.range?.[0]),
      path: [...fullPath, key].join("."),
      message: `unknown key ${issue.keys.join(", ")}`,
      hint: guess !== undefined && distance(key, guess) <= Math.max(2, key.length / 3)
        ? `did you mean "${guess}"?`
        : known.length > 0
        ? `expected one of ${known.join(", ")}`
        : "remove it",
    };
  }

  const node = nodeAt(doc, fullPath);
  const location = at(node?.range?.[0] ?? nodeAt(doc, fullPath.slice(0, -1))?.range?.[0]);
  const got = node === undefined ? undefined : describeValue(issue.input);

  if (issue.code === "invalid_type" && issue.input === undefined) {
    const parentKey = fullPath.at(-2) ?? prefix.at(-1);
    return {
      file,
      ...at(nodeAt(doc, fullPath.slice(0, -1))?.range?.[0]),
      path: shown,
      message: `missing required field ${path.at(-1)} (expected ${issue.expected})`,
      hint: `add ${path.at(-1)} under ${parentKey}`,
    };
  }
  if (issue.code === "invalid_value") {
    const values = issue.values.map(String);
    const text = typeof issue.input === "string" ? issue.input : undefined;
    const guess = text !== undefined ? closest(text, values) : undefined;
    return {
      file,
      ...location,
      path: shown,
      message: `must be one of ${values.join(", ")}${got === undefined ? "" : ` (got ${got})`}`,
      hint: guess !== undefined && distance(text!, guess) <= 3
        ? `did you mean "${guess}"?`
        : `use one of ${values.join(", ")}`,
    };
  }
  if (issue.code === "invalid_type") {
    return {
      file,
      ...location,
      path: shown,
      message: `expected ${issue.expected}${got === undefined ? "" : `, got ${got}`}`,
      hint: `write a ${issue.expected} value`,
    };
  }
  if (issue.code === "invalid_union" && "discriminator" in issue) {
    return {
      file,
      ...location,
      path: shown,
      message: issue.message,
      hint: hintParam ?? "check the value against docs/configuration.md",
    };
  }
  return {
    file,
    ...location,
    path: shown,
    message: `${issue.message}${
      got === undefined || issue.code === "custom" ? "" : ` (got ${got})`
    }`,
    hint: hintParam ?? "see docs/configuration.md for this field",
  };
}

function describeValue(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (typeof value === "string") {
    return JSON.stringify(value.length > 40 ? value.slice(0, 40) + "…" : value);
  }
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  return `${typeof value} ${String(value)}`;
}

/** The parts of a zod 4 schema's definition that lead to an object's keys. */
interface ZodDefLike {
  _zod?: {
    def?: {
      type?: string;
      shape?: Record<string, ZodDefLike>;
      innerType?: ZodDefLike;
      in?: ZodDefLike;
      options?: ZodDefLike[];
      element?: ZodDefLike;
    };
  };
}

/** Descends through wrappers (optional, default, pipe, union, array) to an object schema. */
function objectSchemaOf(schema: ZodDefLike | undefined, depth = 0): ZodDefLike | undefined {
  const def = schema?._zod?.def;
  if (def === undefined || depth > 12) return undefined;
  if (def.type === "object") return schema;
  if (def.type === "union") {
    for (const option of def.options ?? []) {
      const found = objectSchemaOf(option, depth + 1);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  return objectSchemaOf(def.innerType ?? def.in ?? def.element, depth + 1);
}

/** Known keys at a path of the migration schema, for "did you mean". */
function knownKeys(path: readonly string[]): string[] {
  let schema = objectSchemaOf(migrationSchema as unknown as ZodDefLike);
  for (const key of path) {
    if (/^\d+$/.test(key)) continue;
    schema = objectSchemaOf(schema?._zod?.def?.shape?.[key]);
  }
  return Object.keys(schema?._zod?.def?.shape ?? {});
}

function keyOf(pair: Pair): unknown {
  return isScalar(pair.key) ? pair.key.value : pair.key;
}

function nodeAt(doc: Document, path: readonly string[]): Node | undefined {
  if (path.length === 0) return doc.contents ?? undefined;
  const node = doc.getIn(path.map((p) => (/^\d+$/.test(p) ? Number(p) : p)), true);
  return node as Node | undefined;
}

function pairAt(
  doc: Document,
  path: readonly string[],
  key: string,
): Pair<Node, unknown> | undefined {
  const parent = nodeAt(doc, path);
  if (!isMap(parent)) return undefined;
  return parent.items.find((p) => String(keyOf(p)) === key) as Pair<Node, unknown> | undefined;
}

function pathOfNode(doc: Document, target: Node): string {
  const walk = (node: unknown, path: string[]): string[] | undefined => {
    if (node === target) return path;
    if (isMap(node)) {
      for (const pair of node.items) {
        const found = walk(pair.value, [...path, String(keyOf(pair))]);
        if (found) return found;
      }
    } else if (isSeq(node)) {
      for (const [i, item] of node.items.entries()) {
        const found = walk(item, [...path, String(i)]);
        if (found) return found;
      }
    }
    return undefined;
  };
  return walk(doc.contents, [])?.join(".") ?? "(unknown)";
}

const VAR = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$\{([^}]*)\}?/g;

/** Replaces `${VAR}` in every scalar; `$${` stays a literal `${`. Returns issues for unset variables. */
function interpolate(
  doc: Document,
  env: Readonly<Record<string, string>>,
  issue: (node: Node, message: string, hint: string) => ConfigIssue,
): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const visit = (node: unknown): void => {
    if (isMap(node)) {
      for (const pair of node.items) visit(pair.value);
    } else if (isSeq(node)) {
      for (const item of node.items) visit(item);
    } else if (isScalar(node) && typeof node.value === "string" && node.value.includes("$")) {
      const original = node.value;
      let whole = false;
      const replaced = original.replace(
        VAR,
        (match, name: string | undefined, bad: string | undefined, offset: number) => {
          if (match === "$${") return "${";
          if (name === undefined) {
            issues.push(
              issue(
                node,
                `malformed variable reference ${JSON.stringify(match)}`,
                "write ${NAME} with letters, digits and underscores, or $${ for a literal ${",
              ),
            );
            return match;
          }
          const value = env[name];
          if (value === undefined) {
            issues.push(
              issue(
                node,
                `environment variable ${name} is not set`,
                `export ${name}=… before running, or write $\${ for a literal \${`,
              ),
            );
            return match;
          }
          whole = offset === 0 && match.length === original.length;
          void bad;
          return value;
        },
      );
      if (replaced === original) return;
      // An unquoted `${N}` standing alone takes the type its value would have in YAML.
      if (whole && node.type === Scalar.PLAIN) {
        const typed = parseDocument(replaced).contents;
        node.value = isScalar(typed) ? typed.value : replaced;
      } else {
        node.value = replaced;
      }
    }
  };
  visit(doc.contents);
  return issues;
}

async function resolveFiles(
  config: MigrationConfig,
  baseDir: string,
  locate: (path: string[]) => Omit<ConfigIssue, "message" | "hint">,
): Promise<ConfigIssue[]> {
  const issues: ConfigIssue[] = [];
  const visit = async (obj: Record<string, unknown>, path: string[]): Promise<void> => {
    for (const [key, value] of Object.entries(obj)) {
      if (typeof value === "string" && FILE_FIELDS.includes(key)) {
        const full = absolute(value, baseDir);
        obj[key] = full;
        try {
          const file = await Deno.open(full, { read: true });
          file.close();
        } catch (error) {
          issues.push({
            ...locate([...path, key]),
            message: `cannot read ${full}: ${(error as Error).message}`,
            hint: key === "signing_key_path"
              ? "create a key with `kraftover keygen --out-dir DIR` or fix the path"
              : "fix the path (relative paths are resolved against the config file's directory)",
          });
        }
      } else if (
        value !== null && typeof value === "object" && !Array.isArray(value) &&
        Object.getPrototypeOf(value) === Object.prototype
      ) {
        await visit(value as Record<string, unknown>, [...path, key]);
      }
    }
  };
  await visit(config as unknown as Record<string, unknown>, []);
  for (const [i, hook] of config.hooks.entries()) {
    if (typeof hook === "string") {
      const full = absolute(hook, baseDir);
      try {
        await Deno.stat(full);
        config.hooks[i] = full;
      } catch (error) {
        issues.push({
          ...locate(["hooks", String(i)]),
          message: `cannot read plugin module ${full}: ${(error as Error).message}`,
          hint: "fix the path (relative to the config file's directory)",
        });
      }
    }
  }
  return issues;
}

function absolute(path: string, base: string = Deno.cwd()): string {
  return resolve(base, path);
}
