/**
 * The sandbox's certificates, made with `openssl` at `up`: a CA, a broker
 * certificate for 127.0.0.1/localhost, client certificates for the mTLS
 * listener, and an unrelated "rogue" CA with a client certificate that the
 * brokers must refuse.
 *
 * @module
 */

import { KraftoverError } from "../errors.ts";
import { runToCompletion } from "./_process.ts";

/** Paths of the generated certificates and keys (PEM unless noted). */
export interface SandboxCertificates {
  /** Directory holding everything below. */
  dir: string;
  /** The sandbox CA certificate: trust this to reach the TLS listeners. */
  caFile: string;
  /** Broker keystore (PKCS12) with the server certificate and key. */
  serverKeystore: string;
  /** Password of {@linkcode SandboxCertificates.serverKeystore}. */
  serverKeystorePassword: string;
  /** Client certificate CN=kraftover-admin (a super user). */
  adminCertFile: string;
  /** Its key (PKCS#8). */
  adminKeyFile: string;
  /** Client certificate CN=alice (no ACLs by default). */
  aliceCertFile: string;
  /** Its key (PKCS#8). */
  aliceKeyFile: string;
  /** A CA the brokers do not trust. */
  rogueCaFile: string;
  /** Client certificate CN=kraftover-admin signed by the rogue CA: must be refused. */
  rogueCertFile: string;
  /** Its key (PKCS#8). */
  rogueKeyFile: string;
}

const OPENSSL_CONFIG = `# kraftover sandbox certificate profiles
[req]
distinguished_name = dn
prompt = no
[dn]
[ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[server]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1,DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[client]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
`;

function randomHex(bytes: number): string {
  return [...crypto.getRandomValues(new Uint8Array(bytes))]
    .map((b) => b.toString(16).padStart(2, "0"))
    .join("");
}

/** A random alphanumeric string (safe in properties files, JAAS and URLs). */
export function randomToken(length: number): string {
  const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  return [...bytes].map((b) => alphabet[b % alphabet.length]).join("");
}

async function openssl(args: string[], cwd: string, what: string): Promise<void> {
  try {
    await runToCompletion("openssl", args, { cwd, what });
  } catch (cause) {
    if (cause instanceof KraftoverError && cause.message.startsWith("Cannot run openssl")) {
      throw new KraftoverError(
        "SANDBOX_START_FAILED",
        "Cannot run openssl to make the sandbox certificates: install OpenSSL (Debian/Ubuntu: apt-get install openssl)",
        { phase: "sandbox", cause },
      );
    }
    throw cause;
  }
}

async function newKey(cwd: string, name: string): Promise<void> {
  await openssl(
    ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", `${name}.key`],
    cwd,
    `make key ${name}`,
  );
  await Deno.chmod(`${cwd}/${name}.key`, 0o600);
}

async function newCa(cwd: string, name: string, subject: string): Promise<void> {
  await newKey(cwd, name);
  await openssl(
    [
      "req",
      "-x509",
      "-new",
      "-config",
      "openssl.cnf",
      "-extensions",
      "ca",
      "-key",
      `${name}.key`,
      "-subj",
      subject,
      "-days",
      "3650",
      "-sha256",
      "-out",
      `${name}.pem`,
    ],
    cwd,
    `make CA ${name}`,
  );
}

async function newLeaf(
  cwd: string,
  name: string,
  subject: string,
  profile: "server" | "client",
  ca: string,
): Promise<void> {
  await newKey(cwd, name);
  await openssl(
    [
      "req",
      "-new",
      "-config",
      "openssl.cnf",
      "-key",
      `${name}.key`,
      "-subj",
      subject,
      "-out",
      `${name}.csr`,
    ],
    cwd,
    `make request ${name}`,
  );
  await openssl(
    [
      "x509",
      "-req",
      "-in",
      `${name}.csr`,
      "-CA",
      `${ca}.pem`,
      "-CAkey",
      `${ca}.key`,
      "-set_serial",
      `0x${randomHex(16)}`,
      "-days",
      "825",
      "-sha256",
      "-extfile",
      "openssl.cnf",
      "-extensions",
      profile,
      "-out",
      `${name}.pem`,
    ],
    cwd,
    `sign certificate ${name}`,
  );
  await Deno.remove(`${cwd}/${name}.csr`);
}

/** Makes every certificate and key of the sandbox in `dir` (created if needed). */
export async function generateCertificates(dir: string): Promise<SandboxCertificates> {
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(`${dir}/openssl.cnf`, OPENSSL_CONFIG);
  await newCa(dir, "ca", "/O=kraftover/OU=sandbox/CN=kraftover sandbox CA");
  await newLeaf(dir, "server", "/O=kraftover/OU=sandbox/CN=localhost", "server", "ca");
  await newLeaf(dir, "admin", "/O=kraftover/OU=sandbox/CN=kraftover-admin", "client", "ca");
  await newLeaf(dir, "alice", "/O=kraftover/OU=sandbox/CN=alice", "client", "ca");
  await newCa(dir, "rogue-ca", "/O=rogue/CN=rogue CA");
  await newLeaf(dir, "rogue", "/O=kraftover/OU=sandbox/CN=kraftover-admin", "client", "rogue-ca");
  const password = randomToken(24);
  await openssl(
    [
      "pkcs12",
      "-export",
      "-in",
      "server.pem",
      "-inkey",
      "server.key",
      "-certfile",
      "ca.pem",
      "-name",
      "kafka-broker",
      "-out",
      "server.p12",
      "-passout",
      `pass:${password}`,
    ],
    dir,
    "make the broker keystore",
  );
  await Deno.chmod(`${dir}/server.p12`, 0o600);
  return {
    dir,
    caFile: `${dir}/ca.pem`,
    serverKeystore: `${dir}/server.p12`,
    serverKeystorePassword: password,
    adminCertFile: `${dir}/admin.pem`,
    adminKeyFile: `${dir}/admin.key`,
    aliceCertFile: `${dir}/alice.pem`,
    aliceKeyFile: `${dir}/alice.key`,
    rogueCaFile: `${dir}/rogue-ca.pem`,
    rogueCertFile: `${dir}/rogue.pem`,
    rogueKeyFile: `${dir}/rogue.key`,
  };
}

/** The evidence signing key pair (Ed25519, PKCS#8 / SPKI PEM, as `kraftover keygen` writes). */
export interface EvidenceKeyFiles {
  /** Private key, mode 0600. */
  privateKeyPath: string;
  /** Public key. */
  publicKeyPath: string;
}

/** Makes an Ed25519 evidence signing key pair with openssl in `dir`. */
export async function generateEvidenceKey(dir: string): Promise<EvidenceKeyFiles> {
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  const privateKeyPath = `${dir}/kraftover-evidence.key.pem`;
  const publicKeyPath = `${dir}/kraftover-evidence.pub.pem`;
  await openssl(
    ["genpkey", "-algorithm", "ed25519", "-out", privateKeyPath],
    dir,
    "make the evidence signing key",
  );
  await Deno.chmod(privateKeyPath, 0o600);
  await openssl(
    ["pkey", "-in", privateKeyPath, "-pubout", "-out", publicKeyPath],
    dir,
    "write the evidence public key",
  );
  return { privateKeyPath, publicKeyPath };
}
