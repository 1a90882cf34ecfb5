import "server-only";
import { cookies, headers } from "next/headers";
import { redirect } from "next/navigation";
import { cache } from "react";
import { authenticate } from "../../lib/auth/authenticate";
import { loadConfig } from "../../lib/config";
import type { Role, SignedInUser } from "../../lib/domain/actor";
import { isAppError } from "../../lib/errors";
import { sessionCookieName } from "../../lib/http/session-cookie";
import { getFolio } from "./folio";

/**
 * The signed-in user of the page being rendered, or null. Cached per request: the layout (the
 * header) and the page ask once between them.
 *
 * A visitor without a session cookie is answered without opening the database, so public pages
 * (sign-in) are served at once while the database is still opening.
 */
export const currentUser = cache(async (): Promise<SignedInUser | null> => {
  const [cookieStore, headerList] = await Promise.all([cookies(), headers()]);
  const cookieName = sessionCookieName(loadConfig());
  if (!cookieStore.has(cookieName)) return null;
  const folio = await getFolio();
  const request = new Request("http://folio.invalid/", {
    // Only the session cookie: a page is opened by a browser, never with an API token.
    headers: { cookie: headerList.get("cookie") ?? "" },
  });
  try {
    const actor = await authenticate(folio.database.db, folio.config, request);
    return { userId: actor.userId, email: actor.email, displayName: actor.displayName, role: actor.role };
  } catch (error) {
    if (isAppError(error) && error.category === "unauthorized") return null;
    throw error;
  }
});

/**
 * Gates a page: the signed-in user, or a redirect to /sign-in that comes back to `path`; with
 * `roles`, any other role is sent home. This is for the experience only — every API route the
 * page calls decides access again on its own.
 */
export async function requireUser(
  path: string,
  options: { roles?: readonly Role[] } = {},
): Promise<SignedInUser> {
  const user = await currentUser();
  if (!user) redirect(`/sign-in?next=${encodeURIComponent(path)}`);
  if (options.roles && !options.roles.includes(user.role)) redirect("/");
  return user;
}
