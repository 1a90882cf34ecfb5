import type { FolioConfig } from "../config";

/** @default 10 minutes: the time a person has at the IdP, the same as the stored flow. */
export const oidcFlowSeconds = 600;

/**
 * Binds an OIDC sign-in to the browser that started it: the callback is accepted only with this
 * cookie equal to the `state` parameter, so a callback URL planted in someone else's browser
 * (login CSRF) does nothing. HttpOnly; SameSite=Lax (sent on the top-level redirect back from the
 * IdP); when PUBLIC_URL is https, Secure with the `__Host-` prefix — which needs Path=/ and no
 * Domain, so a sibling subdomain cannot plant its own state cookie (cookie tossing).
 */
export function oidcStateCookieName(config: Pick<FolioConfig, "web">): string {
  return isHttps(config) ? "__Host-folio_oidc_state" : "folio_oidc_state";
}

export function oidcStateCookie(config: Pick<FolioConfig, "web">, state: string): string {
  return serialize(config, state, oidcFlowSeconds);
}

export function clearedOidcStateCookie(config: Pick<FolioConfig, "web">): string {
  return serialize(config, "", 0);
}

function serialize(config: Pick<FolioConfig, "web">, value: string, maxAgeSeconds: number): string {
  const attributes = [`${oidcStateCookieName(config)}=${value}`, "Path=/", "HttpOnly", "SameSite=Lax"];
  attributes.push(`Max-Age=${maxAgeSeconds}`);
  if (isHttps(config)) attributes.push("Secure");
  return attributes.join("; ");
}

function isHttps(config: Pick<FolioConfig, "web">): boolean {
  return config.web.publicUrl.startsWith("https:");
}
