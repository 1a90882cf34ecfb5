import { randomBytes } from "node:crypto";
import { sha256Hex } from "../text/sha256-hex";

/**
 * A random secret (256 bits, base64url) with a readable prefix (`fst_` session, `fol_` API token,
 * `fln_` link). Only its sha256 is stored: a copy of the database signs nobody in.
 */
export function createSecretToken(prefix: "fst" | "fol" | "fln"): { token: string; hash: string } {
  const token = `${prefix}_${randomBytes(32).toString("base64url")}`;
  return { token, hash: hashSecretToken(token) };
}

export function hashSecretToken(token: string): string {
  return sha256Hex(token);
}

/** A shape check before any database lookup: garbage never reaches a query. */
export function looksLikeSecretToken(value: string, prefix: "fst" | "fol" | "fln"): boolean {
  return new RegExp(`^${prefix}_[A-Za-z0-9_-]{43}$`).test(value);
}
