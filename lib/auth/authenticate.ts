import type { Executor } from "../../db/client";
import type { User } from "../../db/schema";
import type { FolioConfig } from "../config";
import type { Actor } from "../domain/actor";
import { AppError } from "../errors";
import { readCookie, sessionCookieName } from "../http/session-cookie";
import { resolveApiToken } from "./api-tokens";
import { resolveSession } from "./sessions";

/**
 * Who is calling: `Authorization: Bearer <API token>` or the session cookie, checked against the
 * database on every request. A request carrying a bad bearer token is refused outright, never
 * retried as a cookie request.
 */
export async function authenticate(
  db: Executor,
  config: Pick<FolioConfig, "web" | "sessions">,
  request: Request,
): Promise<Actor> {
  const authorization = request.headers.get("authorization");
  if (authorization !== null) {
    const token = /^Bearer\s+(\S+)$/i.exec(authorization.trim())?.[1];
    const user = token ? await resolveApiToken(db, token) : undefined;
    if (!user) throw new AppError("unauthorized:token", { message: "The API token is not valid." });
    return actorOf(user, "token");
  }
  const token = readCookie(request, sessionCookieName(config));
  const found = token ? await resolveSession(db, { token, policy: config.sessions }) : undefined;
  if (!found) throw new AppError("unauthorized:session", { message: "Sign in to continue." });
  return actorOf(found.user, "session");
}

function actorOf(user: User, via: Actor["via"]): Actor {
  return { userId: user.id, email: user.email, displayName: user.displayName, role: user.role, via };
}
