import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
} from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";

/** The Ed25519 key that signs checkpoints, kept in a file outside the database. */
export interface SigningKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** The public key as PEM (SPKI): what an auditor keeps to verify offline. */
  publicKeyPem: string;
  /** sha256 of the public key's SPKI DER, hex: names the key in every checkpoint. */
  keyId: string;
}

export function keyIdOf(publicKey: KeyObject): string {
  return createHash("sha256")
    .update(publicKey.export({ type: "spki", format: "der" }))
    .digest("hex");
}

export function publicKeyFromPem(pem: string): { publicKey: KeyObject; keyId: string } {
  const publicKey = createPublicKey(pem);
  if (publicKey.asymmetricKeyType !== "ed25519") throw new Error("the public key is not an Ed25519 key");
  return { publicKey, keyId: keyIdOf(publicKey) };
}

/**
 * Reads the signing key from `file`, or creates it there on first use — readable by this user
 * only (mode 0600), never overwritten: a second process that races to create it reads the winner's.
 */
export async function loadOrCreateSigningKey(file: string): Promise<SigningKey> {
  let pem = await readFile(file, "utf8").catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return undefined;
    throw error;
  });
  if (pem === undefined) {
    await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    const { privateKey } = generateKeyPairSync("ed25519");
    const created = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    await writeFile(file, created, { mode: 0o600, flag: "wx" }).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== "EEXIST") throw error;
    });
    pem = await readFile(file, "utf8");
  }
  const privateKey = createPrivateKey(pem);
  if (privateKey.asymmetricKeyType !== "ed25519")
    throw new Error(`${file} does not hold an Ed25519 private key`);
  const publicKey = createPublicKey(privateKey);
  return {
    privateKey,
    publicKey,
    publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString(),
    keyId: keyIdOf(publicKey),
  };
}
