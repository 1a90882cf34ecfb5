import "server-only";
import type { FolioConfig } from "../../lib/config";
import { clearedOidcStateCookie } from "../../lib/http/oidc-state-cookie";
import { getLogger } from "../../lib/observability/log";

/**
 * A failed OIDC sign-in goes back to the sign-in page with a short code it explains; the cause
 * (never shown to the browser) goes to the server log.
 */
export function redirectToSignInError(config: FolioConfig, code: string, cause: unknown): Response {
  getLogger().warn("[oidc] sign-in failed", { code, error: cause });
  const location = new URL("/sign-in", config.web.publicUrl);
  location.searchParams.set("error", code);
  return new Response(null, {
    status: 302,
    headers: {
      location: location.href,
      "set-cookie": clearedOidcStateCookie(config),
      "cache-control": "no-store",
    },
  });
}
