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

/**
 * Pages and assets only. Next.js holds the body of every request a proxy matches until it ends
 * (buffering up to `proxyClientMaxBodySize`, 10 MiB, and passing that copy on), so a route behind
 * it could neither cap a chunked body while it streams nor store an upload whole. Every API route
 * refuses a foreign Host itself, first thing (`authorize` / `guardPublicRoute` →
 * `checkRequestBoundary`); /api/health, /api/ready and /api/metrics's bearer token answer any
 * Host on purpose (probes and scrapers address a node by its IP).
 */
export const config = {
  matcher: ["/((?!api/).*)"],
};
