/**
 * A fake of the AWS MSK control plane, for the sandbox and tests: a local
 * HTTP server answering the calls `@aws-sdk/client-kafka`'s `KafkaClient`
 * makes when given `endpoint: "http://127.0.0.1:PORT"`. There is no MSK API
 * here; see `docs/msk-fake.md` for what it covers and what it does not.
 *
 * Run as a process: `deno run --allow-net=127.0.0.1 --allow-read msk_fake.ts --port 4566 --clusters clusters.json`.
 *
 * @module
 */

import { createLogger, type Logger, silentLogger } from "../logger.ts";
import type { MskFakeCluster } from "./msk_fake_cluster.ts";

/** Options for {@linkcode serveMskFake}. */
export interface ServeMskFakeOptions {
  /** TCP port on 127.0.0.1. @default 0 (any free port) */
  port?: number;
  /** Clusters known at start. @default [] */
  clusters?: MskFakeCluster[];
  /** Request log. @default silentLogger */
  logger?: Logger;
  /** Stops the server. */
  signal?: AbortSignal;
}

/** A running MSK fake. */
export interface MskFakeServer {
  /** Base URL, e.g. `http://127.0.0.1:4566`: pass it as `endpoint` to `KafkaClient`. */
  endpoint: string;
  /** The port. */
  port: number;
  /** The clusters served, by ARN, in registration order. */
  clusters: Map<string, MskFakeCluster>;
  /** Stops the server. */
  shutdown(): Promise<void>;
}

const ARN = /^arn:aws[a-z-]*:kafka:[a-z0-9-]+:\d{12}:cluster\/[^/]+\/[^/]+$/;
const DEFAULT_PAGE = 10;

function json(status: number, body: unknown, errorType?: string): Response {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (errorType !== undefined) headers["x-amzn-errortype"] = errorType;
  return new Response(status === 204 ? null : JSON.stringify(body), { status, headers });
}

function awsError(
  status: number,
  type: string,
  message: string,
  invalidParameter?: string,
): Response {
  return json(
    status,
    { message, ...(invalidParameter === undefined ? {} : { invalidParameter }) },
    type,
  );
}

function notFound(arn: string): Response {
  return awsError(
    404,
    "NotFoundException",
    `The requested resource ${arn} doesn't exist.`,
    "clusterArn",
  );
}

/** Decodes one percent-encoded path segment; undefined when malformed. */
function segment(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}

function lookup(
  clusters: Map<string, MskFakeCluster>,
  arn: string | undefined,
): MskFakeCluster | Response {
  if (arn === undefined || !ARN.test(arn)) {
    return awsError(
      400,
      "BadRequestException",
      `The provided ARN is not valid: ${arn ?? ""}`,
      "clusterArn",
    );
  }
  return clusters.get(arn) ?? notFound(arn);
}

/** The v1 DescribeCluster shape (ClusterInfo) of a provisioned cluster. */
function clusterInfoV1(c: MskFakeCluster): Record<string, unknown> {
  const { provisioned, serverless: _s, clusterType: _t, ...rest } = c.cluster as Record<
    string,
    unknown
  >;
  return { ...rest, ...(provisioned as Record<string, unknown>) };
}

function listClusters(clusters: Map<string, MskFakeCluster>, params: URLSearchParams): Response {
  const nameFilter = params.get("clusterNameFilter");
  const typeFilter = params.get("clusterTypeFilter");
  const max = Number(params.get("maxResults") ?? DEFAULT_PAGE);
  if (!Number.isInteger(max) || max < 1 || max > 100) {
    return awsError(
      400,
      "BadRequestException",
      "maxResults must be between 1 and 100",
      "maxResults",
    );
  }
  const token = params.get("nextToken");
  let start = 0;
  if (token !== null) {
    start = Number(atob(token).replace(/^offset:/, ""));
    if (!Number.isInteger(start) || start < 0) {
      return awsError(400, "BadRequestException", "The nextToken is not valid", "nextToken");
    }
  }
  const all = [...clusters.values()]
    .map((c) => c.cluster)
    .filter((c) => nameFilter === null || c.clusterName.startsWith(nameFilter))
    .filter((c) => typeFilter === null || c.clusterType === typeFilter);
  const page = all.slice(start, start + max);
  const next = start + max < all.length ? btoa(`offset:${start + max}`) : undefined;
  return json(200, { clusterInfoList: page, ...(next === undefined ? {} : { nextToken: next }) });
}

async function register(
  clusters: Map<string, MskFakeCluster>,
  arn: string | undefined,
  req: Request,
): Promise<Response> {
  if (arn === undefined || !ARN.test(arn)) {
    return awsError(400, "BadRequestException", `Not a cluster ARN: ${arn ?? ""}`);
  }
  let body: unknown;
  try {
    body = await req.json();
  } catch {
    return awsError(400, "BadRequestException", "Body is not JSON");
  }
  const c = body as Partial<MskFakeCluster>;
  if (
    typeof c.cluster !== "object" || c.cluster === null || typeof c.cluster.clusterName !== "string"
  ) {
    return awsError(
      400,
      "BadRequestException",
      "Body must be { cluster: { clusterName, clusterType, ... }, bootstrapBrokers: { ... } }",
    );
  }
  clusters.set(arn, {
    cluster: { ...c.cluster, clusterArn: arn, clusterType: c.cluster.clusterType ?? "PROVISIONED" },
    bootstrapBrokers: c.bootstrapBrokers ?? {},
  });
  return json(200, { clusterArn: arn });
}

/**
 * The request handler of the fake, over a mutable map of clusters by ARN.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mskFakeHandler } from "./msk_fake.ts";
 * const handle = mskFakeHandler(new Map());
 * const res = await handle(new Request("http://x/api/v2/clusters/" + encodeURIComponent("arn:aws:kafka:eu-west-1:000000000000:cluster/a/b")));
 * assert.ok(res.status === 404 && res.headers.get("x-amzn-errortype") === "NotFoundException");
 * ```
 */
export function mskFakeHandler(
  clusters: Map<string, MskFakeCluster>,
): (req: Request) => Promise<Response> {
  return async (req) => {
    const url = new URL(req.url);
    // The ARN arrives percent-encoded as one segment: split before decoding.
    const parts = url.pathname.split("/").slice(1);
    const get = req.method === "GET";
    const [p0, p1, p2, p3] = parts;
    if (get && p0 === "api" && p1 === "v2" && p2 === "clusters") {
      if (parts.length === 3) return listClusters(clusters, url.searchParams);
      if (parts.length === 4) {
        const c = lookup(clusters, segment(p3));
        return c instanceof Response ? c : json(200, { clusterInfo: c.cluster });
      }
    }
    if (get && p0 === "v1" && p1 === "clusters") {
      if (parts.length === 3) {
        const c = lookup(clusters, segment(p2));
        if (c instanceof Response) return c;
        if (c.cluster.clusterType === "SERVERLESS") {
          return awsError(
            400,
            "BadRequestException",
            "This operation cannot be performed on serverless clusters.",
          );
        }
        return json(200, { clusterInfo: clusterInfoV1(c) });
      }
      if (parts.length === 4 && p3 === "bootstrap-brokers") {
        const c = lookup(clusters, segment(p2));
        return c instanceof Response ? c : json(200, c.bootstrapBrokers);
      }
    }
    if (p0 === "_fake") {
      if (get && p1 === "health" && parts.length === 2) {
        return json(200, { ok: true, clusters: clusters.size });
      }
      if (get && p1 === "clusters" && parts.length === 2) return json(200, [...clusters.values()]);
      if (p1 === "clusters" && parts.length === 3 && req.method === "PUT") {
        return await register(clusters, segment(p2), req);
      }
      if (p1 === "clusters" && parts.length === 3 && req.method === "DELETE") {
        const arn = segment(p2) ?? "";
        return clusters.delete(arn) ? json(204, null) : notFound(arn);
      }
    }
    return awsError(
      501,
      "UnsupportedOperation",
      `The MSK fake does not implement ${req.method} ${url.pathname}`,
    );
  };
}

/**
 * Starts the fake on 127.0.0.1, in this process.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { serveMskFake } from "./msk_fake.ts";
 * const fake = serveMskFake();
 * const res = await fetch(`${fake.endpoint}/_fake/health`);
 * assert.ok(res.ok);
 * await res.body?.cancel();
 * await fake.shutdown();
 * ```
 */
export function serveMskFake(options: ServeMskFakeOptions = {}): MskFakeServer {
  const clusters = new Map<string, MskFakeCluster>();
  for (const c of options.clusters ?? []) clusters.set(c.cluster.clusterArn, c);
  const log = options.logger ?? silentLogger;
  const handle = mskFakeHandler(clusters);
  const server = Deno.serve(
    {
      hostname: "127.0.0.1",
      port: options.port ?? 0,
      onListen: () => {},
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    },
    async (req) => {
      const res = await handle(req);
      log.info("MSK fake request", {
        method: req.method,
        path: new URL(req.url).pathname,
        status: res.status,
      });
      return res;
    },
  );
  const port = server.addr.port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    clusters,
    shutdown: () => server.shutdown(),
  };
}

/**
 * The fake as a program: `--port N` (default any) and `--clusters FILE` (a
 * JSON array of {@linkcode MskFakeCluster}). Runs until the process ends. A
 * compiled kraftover binary can dispatch a hidden subcommand here.
 *
 * @example
 * ```ts ignore
 * import { mskFakeMain } from "./msk_fake.ts";
 * await mskFakeMain(["--port", "4566", "--clusters", "clusters.json"]);
 * ```
 */
export async function mskFakeMain(args: string[]): Promise<MskFakeServer> {
  const get = (flag: string) => {
    const i = args.indexOf(flag);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const port = Number(get("--port") ?? "0");
  const file = get("--clusters");
  const clusters = file === undefined
    ? []
    : JSON.parse(await Deno.readTextFile(file)) as MskFakeCluster[];
  const logger = createLogger({ color: false });
  const fake = serveMskFake({ port, clusters, logger });
  logger.info("MSK fake listening", { endpoint: fake.endpoint, clusters: clusters.length });
  return fake;
}

if (import.meta.main) await mskFakeMain(Deno.args);
