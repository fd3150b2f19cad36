/**
 * Secrets and redaction. A {@linkcode Secret} never prints its value; every
 * output path (logger, journal, plan files, evidence, `--json`) passes its data
 * through {@linkcode redact}, which also scrubs registered secret values out of
 * free text such as a library's error message.
 *
 * @module
 */

/** What a redacted value is replaced with. */
export const REDACTED = "[redacted]";

const registered = new Set<string>();
let pattern: RegExp | undefined;

/**
 * Registers a secret value so that {@linkcode redactText} removes it wherever
 * it appears. Values shorter than 4 characters are not registered (they would
 * blank out ordinary words); they are still hidden when held in a {@linkcode Secret}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { redactText, registerSecretValue } from "./secret.ts";
 * registerSecretValue("hunter2-long");
 * assert.ok(redactText("password=hunter2-long") === "password=[redacted]");
 * ```
 */
export function registerSecretValue(value: string): void {
  if (value.length < 4 || registered.has(value)) return;
  registered.add(value);
  pattern = undefined;
}

function currentPattern(): RegExp | undefined {
  if (registered.size === 0) return undefined;
  if (pattern === undefined) {
    const alternatives = [...registered]
      .sort((a, b) => b.length - a.length)
      .map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
    pattern = new RegExp(alternatives.join("|"), "g");
  }
  return pattern;
}

/**
 * A secret string from the configuration. It prints, stringifies and
 * serialises as `[redacted]`; only {@linkcode Secret.reveal} gives the value.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Secret } from "./secret.ts";
 * const s = new Secret("s3cr3t-password");
 * assert.ok(JSON.stringify({ s }) === '{"s":"[redacted]"}');
 * assert.ok(s.reveal() === "s3cr3t-password");
 * ```
 */
export class Secret {
  readonly #value: string;

  /** Wraps a secret value and registers it for redaction. */
  constructor(value: string) {
    this.#value = value;
    registerSecretValue(value);
  }

  /** The secret value, for the one place that needs it (a client's credentials). */
  reveal(): string {
    return this.#value;
  }

  /** Always `[redacted]`. */
  toString(): string {
    return REDACTED;
  }

  /** Always `[redacted]`. */
  toJSON(): string {
    return REDACTED;
  }

  /** What `Deno.inspect` and `console.log` show. */
  [Symbol.for("Deno.customInspect")](): string {
    return `Secret(${REDACTED})`;
  }

  /** What Node's `util.inspect` shows. */
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return `Secret(${REDACTED})`;
  }
}

const SECRET_KEY =
  /^(password|passwd|secret|token|private_?key|secret_access_key|session_token|hmac_secret|authorization)$/i;

/**
 * Removes every registered secret value from a string.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { redactText } from "./secret.ts";
 * assert.ok(redactText("nothing secret") === "nothing secret");
 * ```
 */
export function redactText(text: string): string {
  const re = currentPattern();
  return re === undefined ? text : text.replace(re, REDACTED);
}

/**
 * A deep copy of a value fit for output: {@linkcode Secret}s become
 * `[redacted]`, fields named like secrets (`password`, `token`, …) are blanked,
 * and registered secret values are scrubbed from every string.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { redact, Secret } from "./secret.ts";
 * const out = redact({ user: "app", password: "plain-text-pw", nested: { s: new Secret("x-y-z-w") } });
 * assert.ok(JSON.stringify(out) === '{"user":"app","password":"[redacted]","nested":{"s":"[redacted]"}}');
 * ```
 */
export function redact<T>(value: T): T {
  return redactInner(value, 0) as T;
}

function redactInner(value: unknown, depth: number): unknown {
  if (depth > 64) return "[too deep]";
  if (value instanceof Secret) return REDACTED;
  if (typeof value === "string") return redactText(value);
  if (value === null || typeof value !== "object") return value;
  if (value instanceof Uint8Array) return value;
  if (value instanceof Error) {
    return {
      name: value.name,
      message: redactText(value.message),
      ...("code" in value ? { code: (value as { code: unknown }).code } : {}),
    };
  }
  if (Array.isArray(value)) return value.map((v) => redactInner(v, depth + 1));
  if (typeof (value as { toJSON?: unknown }).toJSON === "function" && !(value instanceof Date)) {
    return redactInner((value as { toJSON: () => unknown }).toJSON(), depth + 1);
  }
  if (value instanceof Date) return value.toISOString();
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = SECRET_KEY.test(k) && (typeof v === "string" || v instanceof Secret)
      ? REDACTED
      : redactInner(v, depth + 1);
  }
  return out;
}
