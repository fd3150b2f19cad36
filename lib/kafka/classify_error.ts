/**
 * Turns what kafkajs and the TLS stack throw into kraftover's error codes:
 * unreachable, authentication failed, TLS failure, authorization denied,
 * timeout — with `retriable` true only where a retry can help.
 *
 * @module
 */

import { KraftoverError } from "../errors.ts";
import type { ErrorCode, ErrorPhase } from "../errors.ts";
import type { AuthMode } from "../config/types.ts";
import { redactText } from "../secret.ts";

const AUTHZ_TYPES = new Set([
  "TOPIC_AUTHORIZATION_FAILED",
  "GROUP_AUTHORIZATION_FAILED",
  "CLUSTER_AUTHORIZATION_FAILED",
  "TRANSACTIONAL_ID_AUTHORIZATION_FAILED",
  "DELEGATION_TOKEN_AUTHORIZATION_FAILED",
]);

const TLS_PATTERN =
  /certificate|self[- ]signed|SSL|TLS|handshake|alert|UNABLE_TO_VERIFY|ERR_TLS|DEPTH_ZERO|unknown ca|bad record mac|wrong version number/i;
const UNREACHABLE_PATTERN =
  /ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN|Connection refused|getaddrinfo/i;
const TIMEOUT_PATTERN = /timeout|timed out|ETIMEDOUT/i;
/** The peer closed or reset the connection (or kafkajs wrote after it had). */
const DROP_PATTERN =
  /ECONNRESET|EPIPE|socket hang up|Closed connection|Connection closed|disconnected|write after end/i;
/** kafkajs's "Not connected" (a request on a closed connection), not "Broker not connected". */
const NOT_CONNECTED_PATTERN = /(^|[\s:|])Not connected/;

function dropped(all: string): boolean {
  return DROP_PATTERN.test(all) || NOT_CONNECTED_PATTERN.test(all);
}

function chain(error: unknown): unknown[] {
  const out: unknown[] = [];
  let current: unknown = error;
  for (let i = 0; i < 8 && current !== undefined && current !== null; i++) {
    out.push(current);
    const next = (current as { cause?: unknown; originalError?: unknown }).originalError ??
      (current as { cause?: unknown }).cause;
    if (next === current) break;
    current = next;
  }
  return out;
}

function text(error: unknown): string {
  return chain(error)
    .map((e) => {
      const o = e as { name?: string; message?: string; code?: string; type?: string };
      return [o.name, o.type, o.code, o.message].filter(Boolean).join(" ");
    })
    .join(" | ");
}

/** Which side a classified error concerns, for the message. */
export interface ClassifyContext {
  /** `source` or `target` (or another label). */
  cluster: string;
  /** The brokers tried. */
  brokers: readonly string[];
  /** Whether TLS was in use (TLS-looking failures are only classified as TLS then). */
  tls: boolean;
  /** The phase for the error. @default "connect" */
  phase?: ErrorPhase;
  /** What was being done, e.g. "describing topics". */
  action?: string;
  /** The cluster's auth mode, for advice that fits it. */
  authMode?: AuthMode;
  /**
   * Whether clients with these settings have connected before. A dropped
   * connection is then a broker or network event (retriable); before, on TLS,
   * it is how a broker refuses a client certificate. @default false
   */
  established?: boolean;
}

function authAdvice(mode: AuthMode | undefined): string {
  switch (mode) {
    case "iam":
      return "check the AWS credentials (auth.profile, auth.role_arn or the environment) and the " +
        "region, and that the cluster enables IAM; the broker logs why it refused the token";
    case "scram-sha-512":
    case "scram-sha-256":
      return `check auth.username and auth.password, and that the user has ${mode.toUpperCase()} ` +
        "credentials on the cluster";
    default:
      return "check the user name and password, the IAM credentials or the auth mode";
  }
}

/**
 * Classifies a Kafka client error.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { classifyKafkaError } from "./classify_error.ts";
 * const e = Object.assign(new Error("Connection error: connect ECONNREFUSED 127.0.0.1:1"), { name: "KafkaJSConnectionError" });
 * const k = classifyKafkaError(e, { cluster: "source", brokers: ["127.0.0.1:1"], tls: false });
 * assert.ok(k.code === "KAFKA_UNREACHABLE" && k.retriable);
 * ```
 */
export function classifyKafkaError(error: unknown, context: ClassifyContext): KraftoverError {
  if (error instanceof KraftoverError) return error;
  const all = text(error);
  const types = chain(error).map((e) => (e as { type?: string }).type).filter(Boolean) as string[];
  const where = `${context.cluster} (${context.brokers.join(",")})`;
  const doing = context.action === undefined ? "" : ` while ${context.action}`;
  let code: ErrorCode;
  let retriable = false;
  let advice: string;
  if (types.some((t) => AUTHZ_TYPES.has(t)) || /AUTHORIZATION_FAILED|not authorized/i.test(all)) {
    code = "KAFKA_AUTHZ_DENIED";
    advice = "grant the principal the ACLs (or IAM actions) listed in docs/permissions.md";
  } else if (
    /SASL|Authentication failed|authentication|SaslAuthenticationFailed|ILLEGAL_SASL_STATE|UNSUPPORTED_SASL_MECHANISM/i
      .test(all) && !TIMEOUT_PATTERN.test(all)
  ) {
    code = "KAFKA_AUTH_FAILED";
    advice = authAdvice(context.authMode);
  } else if (context.established === true && dropped(all)) {
    code = "KAFKA_UNREACHABLE";
    retriable = true;
    advice = "the broker closed the connection (a restart or a network fault): re-run when the " +
      "brokers are healthy";
  } else if (context.tls && TLS_PATTERN.test(all)) {
    code = "KAFKA_TLS_FAILED";
    advice = "check ca_file, the client certificate and key, and that the port speaks TLS";
  } else if (UNREACHABLE_PATTERN.test(all)) {
    code = "KAFKA_UNREACHABLE";
    retriable = true;
    advice = "check the addresses, that the brokers run, and security groups or firewalls";
  } else if (TIMEOUT_PATTERN.test(all)) {
    code = "KAFKA_TIMEOUT";
    retriable = true;
    advice = "check network reachability and broker health; re-run when the cluster responds";
  } else if (/Broker not connected/.test(all)) {
    // kafkajs 2.2.4: the TCP connection stands but the broker never completed
    // the ApiVersions handshake (its request timed out); kafkajs then reports
    // connect() as done and fails the first request with this.
    code = "KAFKA_TIMEOUT";
    retriable = true;
    advice = "the broker accepted the connection but did not answer the Kafka handshake: check " +
      "that the address is a Kafka listener of this auth mode and that the broker is healthy";
  } else if (context.tls && dropped(all)) {
    // A broker that refuses a client certificate closes the connection during or, with TLS 1.3,
    // right after the handshake; a client that wrote meanwhile sees a reset or "write after end".
    code = "KAFKA_TLS_FAILED";
    advice = "the broker closed the TLS connection: check the client certificate and its CA";
  } else {
    code = "KAFKA_ERROR";
    retriable = (error as { retriable?: boolean }).retriable === true;
    advice = "see the cause; re-run if it was transient";
  }
  // Library messages may quote what they were given: scrub registered secrets.
  const message = redactText((error as Error)?.message ?? String(error));
  return new KraftoverError(code, `Kafka ${where} failed${doing}: ${message}: ${advice}`, {
    phase: context.phase ?? "connect",
    retriable,
    cause: error,
    detail: { cluster: context.cluster, brokers: context.brokers, kafka_error_types: types },
  });
}
