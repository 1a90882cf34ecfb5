import { loadConfig } from "./lib/config";
import { isAllowedHost } from "./lib/http/request-boundary";

const { web } = loadConfig();

/**
 * Refuses a Host this server does not answer for on every path, pages and assets included
 * (DNS rebinding). Only this check lives here: sign-in and access are decided in each route
 * handler and page (SECURITY.md: never only in middleware).
 */
export function proxy(request: Request): Response | undefined {
  const host = (request.headers.get("host") ?? "").trim().toLowerCase();
  if (isAllowedHost(host, web)) return undefined;
  return Response.json(
    { error: { code: "misdirected:host", message: "This server does not answer for that host name." } },
    { status: 421 },
  );
}
