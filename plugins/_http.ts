/**
 * The one HTTP delivery helper of the built-in plugins: JSON POST, signed
 * when a secret is given, per-attempt timeout, bounded retries with
 * exponential backoff and jitter, never past the hook's deadline or signal.
 *
 * @module
 */

import { delay } from "../hooks/_abort.ts";
import { errorMessage, KraftoverError } from "../lib/errors.ts";
import { redact, redactText, type Secret } from "../lib/secret.ts";
import type { HookContext, HookEventName } from "../hooks/types.ts";
import type { DeliveryOptions } from "./options.ts";
import { SIGNATURE_HEADER, signKraftoverBody } from "./signature.ts";

/** What to deliver, and where. */
export interface PostJsonRequest {
  /** Destination. */
  url: string;
  /** How errors and logs name the destination (never a secret URL). @default origin and path of `url` */
  label?: string;
  /** Sent as `X-Kraftover-Event`. */
  event: HookEventName;
  /** JSON-serialisable body; passed through `redact()` before sending. */
  body: unknown;
  /** Signs the body (`X-Kraftover-Signature`) when set; without it, control events log a warning. */
  secret?: Secret | undefined;
  /** Per-attempt timeout, retries and first backoff (ms). */
  delivery: DeliveryOptions;
}

/** A successful delivery. */
export interface PostJsonResult {
  /** The 2xx status received. */
  status: number;
  /** Attempts made, the successful one included. */
  attempts: number;
  /** `X-Kraftover-Delivery`, the same on every attempt (receivers dedupe on it). */
  deliveryId: string;
}

/** Why one attempt failed. */
interface Problem {
  code: "HOOK_FAILED" | "HOOK_TIMEOUT";
  text: string;
  retriable: boolean;
  status?: number;
  cause?: unknown;
}

const MAX_BACKOFF_MS = 30_000;
const SNIPPET = 200;

/**
 * POSTs `body` as JSON. Retries network errors, attempt timeouts, 5xx, 408
 * and 429 up to `delivery.retries` times with backoff `retry_backoff · 2^n`
 * (times a random 0.5–1); never retries other statuses (redirects included:
 * they are not followed). Stops without another attempt when the backoff
 * would pass `ctx.deadline`, and as soon as `ctx.signal` aborts.
 *
 * @throws {KraftoverError} `HOOK_TIMEOUT` when the last attempt timed out,
 * `HOOK_FAILED` otherwise, with `detail.attempts` (and `detail.status`);
 * the signal's reason when it aborted.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { postJson } from "./_http.ts";
 * import { silentLogger } from "../lib/logger.ts";
 *
 * await using server = Deno.serve(
 *   { hostname: "127.0.0.1", port: 0, onListen() {} },
 *   () => new Response(null, { status: 204 }),
 * );
 * const result = await postJson({
 *   url: `http://127.0.0.1:${server.addr.port}/hook`,
 *   event: "notify",
 *   body: { hello: "world" },
 *   delivery: { timeout: 5_000, retries: 0, retry_backoff: 100 },
 * }, {
 *   signal: new AbortController().signal,
 *   deadline: new Date(Date.now() + 10_000),
 *   logger: silentLogger,
 * });
 * assert.ok(result.status === 204 && result.attempts === 1);
 * ```
 */
export async function postJson(
  request: PostJsonRequest,
  ctx: Pick<HookContext, "signal" | "deadline" | "logger">,
): Promise<PostJsonResult> {
  const label = request.label ?? describeUrl(request.url);
  const raw = JSON.stringify(redact(request.body));
  const deliveryId = crypto.randomUUID();
  const { timeout, retries, retry_backoff: backoff } = request.delivery;
  if (request.secret === undefined && request.event !== "notify") {
    ctx.logger.warn(
      `Sending ${request.event} to ${label} unsigned: set the plugin's secret so the receiver ` +
        "can verify X-Kraftover-Signature",
    );
  }
  for (let attempt = 1;; attempt++) {
    ctx.signal.throwIfAborted();
    const headers = new Headers({
      "content-type": "application/json",
      "user-agent": "kraftover",
      "x-kraftover-event": request.event,
      "x-kraftover-delivery": deliveryId,
    });
    if (request.secret !== undefined) {
      headers.set(SIGNATURE_HEADER, await signKraftoverBody(raw, request.secret));
    }
    const attemptTimeout = new AbortController();
    const timer = setTimeout(() => attemptTimeout.abort(), timeout);
    let problem: Problem;
    try {
      const response = await fetch(request.url, {
        method: "POST",
        headers,
        body: raw,
        redirect: "manual",
        signal: AbortSignal.any([ctx.signal, attemptTimeout.signal]),
      });
      const text = await response.text();
      const status = response.status;
      if (status >= 200 && status < 300) {
        ctx.logger.debug(`Delivered ${request.event} to ${label}`, {
          status,
          attempts: attempt,
          delivery: deliveryId,
        });
        return { status, attempts: attempt, deliveryId };
      }
      const answer = text.trim().slice(0, SNIPPET);
      problem = {
        code: "HOOK_FAILED",
        text: `${label} answered HTTP ${status}${
          answer === "" ? "" : ` ${JSON.stringify(answer)}`
        }`,
        retriable: status >= 500 || status === 408 || status === 429,
        status,
      };
    } catch (error) {
      ctx.signal.throwIfAborted();
      problem = attemptTimeout.signal.aborted
        ? {
          code: "HOOK_TIMEOUT",
          text: `${label} did not answer within ${timeout} ms`,
          retriable: true,
        }
        : {
          code: "HOOK_FAILED",
          text: `Cannot reach ${label}: ${redactText(errorMessage(error))}`,
          retriable: true,
          cause: error,
        };
    } finally {
      clearTimeout(timer);
    }
    const wait = Math.min(backoff * 2 ** (attempt - 1), MAX_BACKOFF_MS) *
      (0.5 + Math.random() / 2);
    const why = !problem.retriable
      ? "not retried"
      : attempt > retries
      ? "retries exhausted"
      : Date.now() + wait >= ctx.deadline.getTime()
      ? "no time left before the hook deadline"
      : undefined;
    if (why !== undefined) {
      const attempts = `${attempt} attempt${attempt === 1 ? "" : "s"}`;
      throw new KraftoverError(
        problem.code,
        `Delivery of ${request.event} failed after ${attempts} (${why}): ${problem.text}: ` +
          `check the receiver and its logs for delivery ${deliveryId}`,
        {
          phase: "hooks",
          retriable: problem.retriable,
          ...(problem.cause === undefined ? {} : { cause: problem.cause }),
          detail: {
            attempts: attempt,
            delivery: deliveryId,
            ...(problem.status === undefined ? {} : { status: problem.status }),
          },
        },
      );
    }
    ctx.logger.warn(
      `Delivery of ${request.event} attempt ${attempt}/${retries + 1} failed: ${problem.text}`,
      { retry_in_ms: Math.round(wait), delivery: deliveryId },
    );
    await delay(wait, ctx.signal);
  }
}

/**
 * The origin and path of a URL, without credentials or query, for messages.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { describeUrl } from "./_http.ts";
 * assert.ok(describeUrl("https://u:p@hooks.example.com/f?token=x") === "https://hooks.example.com/f");
 * ```
 */
export function describeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return "the webhook URL";
  }
}
