import * as client from "openid-client";
import type { FolioConfig } from "../config";
import { AppError } from "../errors";

export type OidcConfig = NonNullable<FolioConfig["oidc"]>;

/**
 * @default 10 s for discovery and for every later request to the IdP (token, userinfo, keys), so
 * an IdP that accepts connections but never answers gives a clear error instead of a hung sign-in.
 */
export const oidcTimeoutSeconds = 10;

/**
 * Next.js may load this module in several bundles (one per route), so the cache lives on
 * `globalThis` to be one per process, like the Folio instance.
 */
const cacheKey = Symbol.for("folio.oidcDiscovery");
type GlobalWithCache = typeof globalThis & { [cacheKey]?: Map<string, Promise<client.Configuration>> };

/**
 * The IdP's metadata (from `<issuer>/.well-known/openid-configuration`) and Folio's client
 * settings, discovered once per process. A failed discovery is not cached: the next sign-in tries
 * again, so an IdP that was down at Folio's start needs no restart. A client secret selects
 * client_secret_basic; without one Folio is a public client (PKCE only, token endpoint auth "none").
 */
export function discoverOidcProvider(
  oidc: OidcConfig,
  options: { timeoutSeconds?: number } = {},
): Promise<client.Configuration> {
  const holder = globalThis as GlobalWithCache;
  holder[cacheKey] ??= new Map();
  const cache = holder[cacheKey];
  const key = JSON.stringify([oidc.issuer, oidc.clientId, oidc.clientSecret ?? null]);
  let discovered = cache.get(key);
  if (!discovered) {
    discovered = discover(oidc, options.timeoutSeconds ?? oidcTimeoutSeconds).catch((error: unknown) => {
      cache.delete(key);
      throw error;
    });
    cache.set(key, discovered);
  }
  return discovered;
}

async function discover(oidc: OidcConfig, timeoutSeconds: number): Promise<client.Configuration> {
  const authentication = oidc.clientSecret ? client.ClientSecretBasic(oidc.clientSecret) : client.None();
  try {
    return await client.discovery(new URL(oidc.issuer), oidc.clientId, undefined, authentication, {
      timeout: timeoutSeconds,
    });
  } catch (error) {
    throw new AppError("unavailable:oidc", {
      message: `The sign-in provider at ${oidc.issuer} could not be reached or did not describe itself (OIDC discovery failed).`,
      cause: error,
    });
  }
}
