import type { FolioConfig } from "../config";

/**
 * The session cookie: HttpOnly (no script reads it), SameSite=Lax (not sent on cross-site
 * subrequests or POSTs), Path=/, and — when PUBLIC_URL is https — Secure with the `__Host-` prefix
 * (no Domain attribute, so no sibling host can set or read it).
 */
export function sessionCookieName(config: Pick<FolioConfig, "web">): string {
  return isHttps(config) ? "__Host-folio_session" : "folio_session";
}

export function sessionCookie(config: Pick<FolioConfig, "web" | "sessions">, token: string): string {
  return serialize(config, token, config.sessions.maxHours * 3600);
}

export function clearedSessionCookie(config: Pick<FolioConfig, "web">): string {
  return serialize(config, "", 0);
}

/** The value of one cookie in a `Cookie` header, or undefined. */
export function readCookie(request: Request, name: string): string | undefined {
  for (const part of (request.headers.get("cookie") ?? "").split(";")) {
    const separator = part.indexOf("=");
    if (separator === -1) continue;
    if (part.slice(0, separator).trim() === name) return part.slice(separator + 1).trim();
  }
  return undefined;
}

function serialize(config: Pick<FolioConfig, "web">, value: string, maxAgeSeconds: number): string {
  const attributes = [`${sessionCookieName(config)}=${value}`, "Path=/", "HttpOnly", "SameSite=Lax"];
  attributes.push(`Max-Age=${maxAgeSeconds}`);
  if (isHttps(config)) attributes.push("Secure");
  return attributes.join("; ");
}

function isHttps(config: Pick<FolioConfig, "web">): boolean {
  return config.web.publicUrl.startsWith("https:");
}
