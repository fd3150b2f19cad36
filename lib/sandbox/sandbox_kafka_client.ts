/**
 * kafkajs client settings for reaching a sandbox listener, for the sandbox's
 * own readiness checks and for tests.
 *
 * @module
 */

import type { KafkaConfig, SASLOptions } from "../kafka/kafkajs.ts";
import { generateAuthTokenFromCredentialsProvider } from "aws-msk-iam-sasl-signer-js";
import type { SandboxInfo } from "./sandbox_info.ts";

/** A client listener of the sandbox brokers. */
export type SandboxListener = "plaintext" | "scram" | "mtls" | "iam";

/** Options for {@linkcode sandboxKafkaClientConfig}. */
export interface SandboxKafkaClientOptions {
  /** Which listener. */
  listener: SandboxListener;
  /** SCRAM user (scram). @default "admin" */
  scramUser?: "admin" | "alice" | "bob";
  /** SCRAM mechanism (scram). @default "scram-sha-512" */
  mechanism?: "scram-sha-512" | "scram-sha-256";
  /** Client certificate (mtls). @default "admin" */
  certificate?: "admin" | "alice" | "rogue";
  /** IAM profile whose keys sign the token (iam). @default "admin" */
  iamProfile?: "admin" | "app" | "wrong" | "unknown";
  /** Only this broker (index from 0). @default every broker */
  broker?: number;
  /** kafkajs client id. @default "kraftover-sandbox" */
  clientId?: string;
}

function readPem(path: string): string {
  return Deno.readTextFileSync(path);
}

/**
 * A kafkajs `KafkaConfig` for one listener of one sandbox cluster. IAM tokens
 * are signed with `aws-msk-iam-sasl-signer-js` from the profile's keys as
 * recorded in the info (no AWS environment needed).
 *
 * @example
 * ```ts ignore
 * import { Kafka } from "../kafka/kafkajs.ts";
 * import { loadSandboxInfo } from "./sandbox_info.ts";
 * import { sandboxKafkaClientConfig } from "./sandbox_kafka_client.ts";
 * const info = await loadSandboxInfo();
 * const admin = new Kafka(sandboxKafkaClientConfig(info, "target", { listener: "iam" })).admin();
 * ```
 */
export function sandboxKafkaClientConfig(
  info: SandboxInfo,
  cluster: "source" | "target",
  options: SandboxKafkaClientOptions,
): KafkaConfig {
  const all = info[cluster].bootstrap[options.listener];
  const brokers = options.broker === undefined ? all : [all[options.broker] ?? ""];
  const base: KafkaConfig = { clientId: options.clientId ?? "kraftover-sandbox", brokers };
  switch (options.listener) {
    case "plaintext":
      return base;
    case "scram": {
      const user = info.scram.users[options.scramUser ?? "admin"];
      const sasl: SASLOptions = options.mechanism === "scram-sha-256"
        ? { mechanism: "scram-sha-256", username: user.username, password: user.password }
        : { mechanism: "scram-sha-512", username: user.username, password: user.password };
      return { ...base, sasl };
    }
    case "mtls": {
      const which = options.certificate ?? "admin";
      const cert = which === "admin"
        ? info.tls.adminCertFile
        : which === "alice"
        ? info.tls.aliceCertFile
        : info.tls.rogueCertFile;
      const key = which === "admin"
        ? info.tls.adminKeyFile
        : which === "alice"
        ? info.tls.aliceKeyFile
        : info.tls.rogueKeyFile;
      return {
        ...base,
        ssl: { ca: [readPem(info.tls.caFile)], cert: readPem(cert), key: readPem(key) },
      };
    }
    case "iam": {
      const p = info.iam.profiles[options.iamProfile ?? "admin"];
      return {
        ...base,
        ssl: { ca: [readPem(info.tls.caFile)] },
        sasl: {
          mechanism: "oauthbearer",
          oauthBearerProvider: async () => {
            const t = await generateAuthTokenFromCredentialsProvider({
              region: info.region,
              awsCredentialsProvider: () =>
                Promise.resolve({ accessKeyId: p.accessKeyId, secretAccessKey: p.secretAccessKey }),
            });
            return { value: t.token };
          },
        },
      };
    }
  }
}
