import type { FolioConfig } from "../config";
import { AppError } from "../errors";

type WebConfig = FolioConfig["web"];

const loopbackHostnames = new Set(["localhost", "127.0.0.1", "[::1]"]);
const safeMethods = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * The checks every request passes before anything else (SECURITY.md A6, DNS rebinding, CSRF):
 *
 * 1. `Host` must be one Folio answers for — loopback names on any port, PUBLIC_URL's host, or
 *    ALLOWED_HOSTS — so a page on `attacker.example` resolving to this machine gets nothing.
 * 2. A state-changing request from a browser must come from Folio's own origin: `Sec-Fetch-Site`
 *    same-origin (or none: typed by the user), else an `Origin` equal to Folio's. Requests with
 *    neither header are not from a browser page and cannot ride on a visitor's cookies.
 */
export function checkRequestBoundary(request: Request, web: WebConfig): void {
  const host = hostOf(request);
  if (!isAllowedHost(host, web)) {
    throw new AppError("misdirected:host", { message: "This server does not answer for that host name." });
  }
  if (safeMethods.has(request.method.toUpperCase())) return;
  const fetchSite = request.headers.get("sec-fetch-site");
  if (fetchSite !== null) {
    if (fetchSite === "same-origin" || fetchSite === "none") return;
    throw crossSite();
  }
  const origin = request.headers.get("origin");
  if (origin === null) return;
  if (!allowedOrigins(request, host, web).has(origin.toLowerCase())) throw crossSite();
}

export function isAllowedHost(host: string, web: WebConfig): boolean {
  if (host === "") return false;
  const hostname = host.startsWith("[") ? host.slice(0, host.indexOf("]") + 1) : (host.split(":")[0] ?? "");
  if (loopbackHostnames.has(hostname)) return true;
  return web.allowedHosts.some((allowed) => allowed === host || allowed === hostname);
}

/**
 * The client's address: the entry `trustedProxyHops` from the right of X-Forwarded-For (Next.js
 * fills the header from the socket when no proxy did). Used only to rate-limit sign-in.
 */
export function clientAddress(request: Request, web: WebConfig): string {
  const entries = (request.headers.get("x-forwarded-for") ?? "")
    .split(",")
    .map((entry) => entry.trim())
    .filter(Boolean);
  return entries[Math.max(0, entries.length - web.trustedProxyHops)] ?? "unknown";
}

function hostOf(request: Request): string {
  return (request.headers.get("host") ?? "").trim().toLowerCase();
}

function allowedOrigins(request: Request, host: string, web: WebConfig): Set<string> {
  const protocol = request.headers.get("x-forwarded-proto")?.split(",")[0]?.trim() || "http";
  return new Set([new URL(web.publicUrl).origin, `${protocol}://${host}`]);
}

function crossSite(): AppError {
  return new AppError("forbidden:cross_site", {
    message: "Cross-site requests are refused; use Folio from its own pages.",
  });
}
