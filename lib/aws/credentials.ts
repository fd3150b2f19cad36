/**
 * AWS credentials for one cluster: the standard credential chain, a named
 * profile, or a role assumed on top of either (SPEC §5).
 *
 * @module
 */

import { fromNodeProviderChain, fromTemporaryCredentials } from "@aws-sdk/credential-providers";
import type { AuthConfig } from "../config/types.ts";
import type { Logger } from "../logger.ts";
import { silentLogger } from "../logger.ts";

/** A lazily resolving, refreshing AWS credential provider (the AWS SDK's shape). */
export type AwsCredentialProvider = () => Promise<{
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  readonly expiration?: Date;
}>;

/** Options for {@linkcode credentialsFor}. */
export interface CredentialsForOptions {
  /** Region for STS when a role is assumed. */
  region?: string | undefined;
  /**
   * Where the AWS SDK's credential messages go, at debug (without one the SDK
   * writes some warnings to the console). @default silentLogger
   */
  logger?: Logger | undefined;
}

/** The AWS SDK's logger shape, writing to a kraftover logger at debug. */
function _sdkLogger(logger: Logger) {
  const write = (level: string) => (...content: unknown[]) => {
    const text = content.map((c) => typeof c === "string" ? c : JSON.stringify(c)).join(" ");
    logger.debug(`AWS SDK: ${text.replace(/\s+/g, " ").trim()}`, { sdk_level: level });
  };
  return {
    trace: write("trace"),
    debug: write("debug"),
    info: write("info"),
    warn: write("warn"),
    error: write("error"),
  };
}

/**
 * The credential provider for an auth block: its `profile` (or the default
 * chain: environment, shared files, SSO, web identity, container and instance
 * metadata), and its `role_arn` assumed on top when set. Credentials are
 * resolved lazily and refreshed by the SDK.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { credentialsFor } from "./credentials.ts";
 * const provider = credentialsFor({ profile: "migrator" });
 * assert.ok(typeof provider === "function");
 * ```
 */
export function credentialsFor(
  auth: Pick<AuthConfig, "profile" | "role_arn" | "session_name">,
  options: CredentialsForOptions = {},
): AwsCredentialProvider {
  const logger = _sdkLogger(options.logger ?? silentLogger);
  const base = fromNodeProviderChain({
    logger,
    ...(auth.profile === undefined ? {} : { profile: auth.profile }),
  });
  if (auth.role_arn === undefined) return base;
  return fromTemporaryCredentials({
    masterCredentials: base,
    params: {
      RoleArn: auth.role_arn,
      RoleSessionName: auth.session_name ?? "kraftover",
    },
    logger,
    ...(options.region === undefined ? {} : { clientConfig: { region: options.region } }),
  });
}
