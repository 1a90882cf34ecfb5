import { randomBytes } from "node:crypto";
import { type FolioApi, folioApi, signIn } from "./api";
import type { StartedFolioServer } from "./folio-server";

/** A person as the security tests use them: their id, a live session cookie, and a client on it. */
export interface TestUser {
  userId: string;
  email: string;
  cookie: string;
  api: FolioApi;
}

/** The admin adds a user with the test password; the user signs in. */
export async function addSignedInUser(
  server: StartedFolioServer,
  email: string,
  role: "employee" | "admin" | "auditor",
): Promise<TestUser> {
  const userId = await server.admin.addUser(email, role);
  const cookie = await signIn(server.baseUrl, email);
  return { userId, email, cookie, api: folioApi(server.baseUrl, { cookie }) };
}

/** Creates an API token for the client's user; returns the secret and its id (to revoke it). */
export async function createTokenWithId(
  api: FolioApi,
  name: string,
  expiresIn?: string,
): Promise<{ token: string; tokenId: string }> {
  const response = await api.sendJson("POST", "/api/tokens", { name, expiresIn });
  if (response.status !== 201) throw new Error(`createToken: ${response.status} ${await response.text()}`);
  const body = (await response.json()) as { token: string; record: { tokenId: string } };
  return { token: body.token, tokenId: body.record.tokenId };
}

/** A session cookie of the right shape (`fst_` + 43 base64url characters) that no server issued. */
export function forgedSessionCookie(): string {
  return `folio_session=fst_${randomBytes(32).toString("base64url")}`;
}

/** An API token of the right shape that no server issued. */
export function forgedApiToken(): string {
  return `fol_${randomBytes(32).toString("base64url")}`;
}

/** A chunk id of the right shape (32 hex digits) that names nothing. */
export function randomChunkId(): string {
  return randomBytes(16).toString("hex");
}

/** `CANARY-<hex>`: a string that can only come out of a server by leaking the canary. */
export function canaryString(): string {
  return `CANARY-${randomBytes(8).toString("hex").toUpperCase()}`;
}

/** The secrets (case-insensitively) found in `text`. */
export function secretsIn(text: string, secrets: readonly string[]): string[] {
  const haystack = text.toLowerCase();
  return secrets.filter((secret) => haystack.includes(secret.toLowerCase()));
}

/** Everything a response carries that a client could read: its headers and its body. */
export async function readWholeResponse(response: Response): Promise<{ status: number; text: string }> {
  const headers = [...response.headers].map(([name, value]) => `${name}: ${value}`).join("\n");
  const body = await response.text();
  return { status: response.status, text: `${headers}\n\n${body}` };
}

/** Runs `task` over `items` with at most `concurrency` in flight; results in input order. */
export async function mapWithConcurrency<Item, Result>(
  items: readonly Item[],
  concurrency: number,
  task: (item: Item, index: number) => Promise<Result>,
): Promise<Result[]> {
  const results = new Array<Result>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index] as Item, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}

/** A raw HTTP request with full control of headers (fetch replaces any `Host` it is given). */
export { rawRequest } from "./raw-http";
