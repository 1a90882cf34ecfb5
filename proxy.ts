import { loadConfig } from "./lib/config";
import { isAllowedHost } from "./lib/http/request-boundary";

const { web } = loadConfig();

/**
 * Probes and scrapers address a node by its IP, which is in no ALLOWED_HOSTS list. These routes
 * use no cookie: health and readiness say nothing about anyone, and /api/metrics takes its bearer
 * token from any Host but applies the Host check itself before accepting a session.
 */
const anyHostPaths = new Set(["/api/health", "/api/ready", "/api/metrics"]);

/**
 * Refuses a Host this server does not answer for on every path, pages and assets included
 * (DNS rebinding). Only this check lives here: sign-in and access are decided in each route
 * handler and page (SECURITY.md: never only in middleware).
 */
export function proxy(request: Request): Response | undefined {
  const host = (request.headers.get("host") ?? "").trim().toLowerCase();
  if (isAllowedHost(host, web) || anyHostPaths.has(new URL(request.url).pathname)) return undefined;
  return Response.json(
    { error: { code: "misdirected:host", message: "This server does not answer for that host name." } },
    { status: 421 },
  );
}

/**
 * Every path except the upload route. Next.js gives a proxy a copy of the request body cut at
 * 10 MiB (`proxyClientMaxBodySize`) and then passes that copy, not the original, to the route, so
 * an upload that went through here would be stored truncated and accepted as complete; raising
 * the limit would buffer every upload in memory before its size is checked. The upload route
 * refuses a foreign Host itself, first thing (`authorize` → `checkRequestBoundary`).
 */
export const config = {
  matcher: ["/((?!api/collections/[^/]+/documents$).*)"],
};
