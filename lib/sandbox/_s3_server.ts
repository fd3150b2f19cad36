/**
 * The sandbox's S3-compatible store: moto's server (PyPI `moto`, pinned,
 * with its S3 and server dependencies), installed once into a virtualenv in
 * the cache directory and run as a process on 127.0.0.1, with the buckets
 * kraftover uses.
 *
 * @module
 */

import {
  type BucketLocationConstraint,
  CreateBucketCommand,
  PutBucketVersioningCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { KraftoverError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import { lastLines } from "./_process.ts";

/** The moto version installed. */
export const MOTO_VERSION = "5.2.5";

/**
 * What pip installs: moto with only its S3 dependencies plus the two
 * packages its server needs. `moto[server]` would pull every service's
 * dependencies (docker, cfn-lint, …): 317 MB and ~43 s instead of 140 MB and
 * ~11 s here, for the same S3 server.
 */
export const MOTO_REQUIREMENTS = [`moto[s3]==${MOTO_VERSION}`, "flask==3.1.3", "flask-cors==6.0.5"];

/** Bucket names the sandbox creates. */
export const SANDBOX_BUCKETS = {
  /** Staging for seed segments. */
  backup: "kraftover-backup",
  /** Evidence bundles: Object Lock (and so versioning) enabled. */
  evidence: "kraftover-evidence",
  /** A plain bucket without Object Lock, to show that Object Lock requests are refused there. */
  nolock: "kraftover-nolock",
} as const;

/** Options for {@linkcode ensureMoto}. */
export interface EnsureMotoOptions {
  /** Cache directory. */
  cacheDir: string;
  /** Progress. */
  logger: Logger;
  /** Cancels the install. */
  signal?: AbortSignal;
}

async function fileExists(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}

async function run(cmd: string, args: string[], what: string, signal?: AbortSignal): Promise<void> {
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command(cmd, {
      args,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      ...(signal === undefined ? {} : { signal }),
    }).output();
  } catch (cause) {
    throw new KraftoverError(
      "SANDBOX_DOWNLOAD_FAILED",
      `Cannot ${what}: ${cmd} not found: install Python 3.9+ with venv and pip (Debian/Ubuntu: apt-get install python3 python3-venv)`,
      { phase: "sandbox", cause },
    );
  }
  if (!out.success) {
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    throw new KraftoverError(
      "SANDBOX_DOWNLOAD_FAILED",
      `Cannot ${what}: ${cmd} exited with ${out.code}: ${lastLines(text, 8)}`,
      { phase: "sandbox", retriable: true },
    );
  }
}

/**
 * The path of `moto_server`, installing {@linkcode MOTO_REQUIREMENTS} into
 * `<cacheDir>/moto-<version>-s3/` on first use (a virtualenv made with `python3`).
 */
export async function ensureMoto(options: EnsureMotoOptions): Promise<string> {
  const dir = `${options.cacheDir}/moto-${MOTO_VERSION}-s3`;
  const server = `${dir}/bin/moto_server`;
  const marker = `${dir}/.kraftover-complete`;
  if (await fileExists(marker)) return server;
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  await Deno.mkdir(options.cacheDir, { recursive: true });
  options.logger.info("Installing moto (S3 server) from PyPI into the cache (once)", {
    requirements: MOTO_REQUIREMENTS.join(" "),
    dir,
  });
  const started = performance.now();
  await run("python3", ["-m", "venv", dir], "create a Python virtualenv for moto", options.signal);
  await run(
    `${dir}/bin/python`,
    ["-m", "pip", "install", "--quiet", "--disable-pip-version-check", ...MOTO_REQUIREMENTS],
    `install ${MOTO_REQUIREMENTS.join(" ")} from PyPI`,
    options.signal,
  );
  if (!(await fileExists(server))) {
    throw new KraftoverError(
      "SANDBOX_DOWNLOAD_FAILED",
      `Cannot find ${server} after installing moto`,
      {
        phase: "sandbox",
      },
    );
  }
  await Deno.writeTextFile(marker, MOTO_REQUIREMENTS.join("\n") + "\n");
  options.logger.info("moto installed", {
    seconds: Math.round((performance.now() - started) / 100) / 10,
  });
  return server;
}

/** Arguments of `moto_server` listening on 127.0.0.1:`port`. */
export function motoArgs(port: number): string[] {
  return ["-H", "127.0.0.1", "-p", String(port)];
}

/** An S3 client for the sandbox store (path-style, endpoint override, any credentials). */
export function sandboxS3Client(
  endpoint: string,
  region: string,
  credentials: { accessKeyId: string; secretAccessKey: string },
): S3Client {
  return new S3Client({ endpoint, region, forcePathStyle: true, credentials });
}

/** Whether the S3 server answers a ListBuckets request. */
export async function s3Answers(endpoint: string): Promise<boolean> {
  try {
    const res = await fetch(`${endpoint}/`, { signal: AbortSignal.timeout(2_000) });
    await res.body?.cancel();
    return res.ok;
  } catch {
    return false;
  }
}

/** Creates the sandbox buckets: backup, evidence (Object Lock + versioning) and nolock. */
export async function createSandboxBuckets(s3: S3Client, region: string): Promise<void> {
  const location = region === "us-east-1"
    ? {}
    : { CreateBucketConfiguration: { LocationConstraint: region as BucketLocationConstraint } };
  await s3.send(new CreateBucketCommand({ Bucket: SANDBOX_BUCKETS.backup, ...location }));
  await s3.send(
    new CreateBucketCommand({
      Bucket: SANDBOX_BUCKETS.evidence,
      ObjectLockEnabledForBucket: true,
      ...location,
    }),
  );
  await s3.send(
    new PutBucketVersioningCommand({
      Bucket: SANDBOX_BUCKETS.evidence,
      VersioningConfiguration: { Status: "Enabled" },
    }),
  );
  await s3.send(new CreateBucketCommand({ Bucket: SANDBOX_BUCKETS.nolock, ...location }));
}
