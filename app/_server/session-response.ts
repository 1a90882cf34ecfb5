import "server-only";
import type { User } from "../../db/schema";
import type { FolioConfig } from "../../lib/config";
import type { SignedInUser } from "../../lib/domain/actor";
import { clearedSessionCookie, sessionCookie } from "../../lib/http/session-cookie";

export function signedInUserOf(user: Pick<User, "id" | "email" | "displayName" | "role">): SignedInUser {
  return { userId: user.id, email: user.email, displayName: user.displayName, role: user.role };
}

/** A JSON response that also sets the new session cookie. */
export function withSessionCookie(config: FolioConfig, token: string, body: unknown): Response {
  return Response.json(body, {
    headers: { "set-cookie": sessionCookie(config, token), "cache-control": "no-store" },
  });
}

export function withClearedSessionCookie(config: FolioConfig, status = 204): Response {
  return new Response(null, {
    status,
    headers: { "set-cookie": clearedSessionCookie(config), "cache-control": "no-store" },
  });
}
