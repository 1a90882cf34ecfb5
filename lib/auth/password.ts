import { hash, verify } from "@node-rs/argon2";
import { maximumPasswordLength, minimumPasswordLength } from "../domain/password-policy";
import { AppError } from "../errors";

/**
 * argon2id with OWASP's minimum parameters (19 MiB, 2 passes, 1 lane): ~50 ms per hash on this
 * class of machine, which bounds a guesser and keeps sign-in quick.
 */
// `algorithm: 2` is Argon2id (the package exports it as a const enum, which isolated modules cannot read).
const argon2Options = { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 };

export function checkPasswordPolicy(password: string): void {
  const length = [...password].length;
  if (length < minimumPasswordLength || length > maximumPasswordLength) {
    throw new AppError("invalid:credentials", {
      message: `A password must be ${minimumPasswordLength} to ${maximumPasswordLength} characters long.`,
    });
  }
}

export function hashPassword(password: string): Promise<string> {
  checkPasswordPolicy(password);
  return hash(password, argon2Options);
}

/** A hash of nothing anyone knows: verifying against it costs what a real check costs. */
let decoyHash: Promise<string> | undefined;

/**
 * True when `password` matches. With no stored hash (unknown account, OIDC-only account) the
 * same work is done against a decoy, so timing does not tell which accounts exist.
 */
export async function verifyPassword(
  storedHash: string | null | undefined,
  password: string,
): Promise<boolean> {
  if (password.length > maximumPasswordLength * 4) return false;
  if (!storedHash) {
    decoyHash ??= hash("folio-decoy-password-never-matches", argon2Options);
    await verify(await decoyHash, password).catch(() => false);
    return false;
  }
  return verify(storedHash, password).catch(() => false);
}
