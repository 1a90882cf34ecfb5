import { timingSafeEqual } from "node:crypto";
import * as client from "openid-client";
import type { Database } from "../../db/client";
import { deleteExpiredOidcFlows, insertOidcFlow, takeOidcFlow } from "../../db/queries/oidc";
import type { User } from "../../db/schema";
import type { FolioConfig } from "../config";
import { AppError } from "../errors";
import { classifyError } from "../http/error-response";
import { oidcFlowSeconds } from "../http/oidc-state-cookie";
import { sha256Hex } from "../text/sha256-hex";
import { discoverOidcProvider, type OidcConfig } from "./oidc-discovery";
import { type OidcProfile, oidcProfileOf } from "./oidc-profile";
import { safeReturnTo } from "./oidc-return-to";
import { recordRefusedOidcUser, resolveOidcUser } from "./oidc-user";
import { type SessionPolicy, startSession } from "./sessions";

/** The one redirect URI Folio uses; register it at the IdP. */
export function oidcRedirectUri(config: Pick<FolioConfig, "web">): string {
  return `${config.web.publicUrl}/api/auth/oidc/callback`;
}

/**
 * Begins an authorization code flow with PKCE (S256), `state` and `nonce`. The verifier and nonce
 * stay on the server (table oidc_flows, keyed by the state's sha256, 10 minutes); the caller puts
 * the state in a cookie for the browser and redirects it to `authorizationUrl`.
 */
export async function startOidcSignIn(
  db: Database,
  config: FolioConfig,
  input: { returnTo: string | null },
): Promise<{ authorizationUrl: string; state: string }> {
  const oidc = requireOidc(config);
  const provider = await discoverOidcProvider(oidc);
  const state = client.randomState();
  const nonce = client.randomNonce();
  const codeVerifier = client.randomPKCECodeVerifier();
  await deleteExpiredOidcFlows({ db });
  await insertOidcFlow({
    db,
    flow: {
      stateHash: sha256Hex(state),
      codeVerifier,
      nonce,
      returnTo: safeReturnTo(input.returnTo, config.web.publicUrl),
      expiresAt: new Date(Date.now() + oidcFlowSeconds * 1000),
    },
  });
  const authorizationUrl = client.buildAuthorizationUrl(provider, {
    redirect_uri: oidcRedirectUri(config),
    scope: oidc.scopes,
    state,
    nonce,
    code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: "S256",
  });
  return { authorizationUrl: authorizationUrl.href, state };
}

export interface OidcCallbackInput {
  /** The query of the request to the redirect URI (`code`, `state`, `iss` or `error`). */
  callbackParams: URLSearchParams;
  /** The state cookie the browser brought, if any. */
  stateCookie: string | undefined;
  /** The client address, for the sign-in's audit event. */
  address?: string;
}

/**
 * Completes the flow: the browser's state cookie must equal the `state` parameter and name a
 * stored, unexpired flow, which is deleted on use (a replayed callback fails); the code is
 * exchanged with the PKCE verifier, and the ID token checked (signature, issuer, audience, expiry,
 * nonce) by openid-client. Then the user is found, linked or created (see resolveOidcUser) and a
 * new session started (`auth.sign_in`). A person the IdP vouched for but Folio refuses (no
 * account, disabled, unverified email) is recorded as `auth.sign_in_failed`; failures before the
 * IdP vouched for anyone (state, denial, token exchange) are not — anyone can cause those, and
 * they change nothing.
 */
export async function finishOidcSignIn(
  db: Database,
  config: FolioConfig,
  input: OidcCallbackInput,
): Promise<{ user: User; token: string; expiresAt: Date; returnTo: string }> {
  const oidc = requireOidc(config);
  const state = input.callbackParams.get("state") ?? "";
  if (!state || !input.stateCookie || !isSameSecret(state, input.stateCookie)) {
    throw stateError("The sign-in did not start in this browser, or it was already finished.");
  }
  const flow = await takeOidcFlow({ db, stateHash: sha256Hex(state) });
  if (!flow) throw stateError("The sign-in expired or was already used; start again.");
  const idpError = input.callbackParams.get("error");
  if (idpError) {
    throw new AppError("unauthorized:oidc_denied", {
      message: "The sign-in provider did not sign you in.",
      cause: new Error(`${idpError}: ${input.callbackParams.get("error_description") ?? ""}`),
    });
  }
  const provider = await discoverOidcProvider(oidc);
  const claims = await exchangeCode(provider, oidc, {
    callbackUrl: callbackUrlOf(config, input.callbackParams),
    codeVerifier: flow.codeVerifier,
    state,
    nonce: flow.nonce,
  });
  const { user, ...session } = await signInOidcIdentity(db, {
    issuer: provider.serverMetadata().issuer,
    profile: oidcProfileOf(claims, oidc.groupsClaim),
    autoCreateUsers: oidc.autoCreateUsers,
    policy: config.sessions,
    ...(input.address === undefined ? {} : { address: input.address }),
  });
  return { user, ...session, returnTo: flow.returnTo };
}

/**
 * The part of an OIDC sign-in after the IdP vouched for `profile`: the Folio user (see
 * resolveOidcUser) and a new session, recorded as `auth.sign_in` — or the refusal, recorded as
 * `auth.sign_in_failed` before it is thrown.
 */
export async function signInOidcIdentity(
  db: Database,
  input: {
    issuer: string;
    profile: OidcProfile;
    autoCreateUsers: boolean;
    policy: SessionPolicy;
    address?: string;
  },
): Promise<{ user: User; token: string; expiresAt: Date }> {
  const { issuer, profile } = input;
  const address = input.address === undefined ? {} : { address: input.address };
  const user = await resolveOidcUser(db, { issuer, profile, autoCreateUsers: input.autoCreateUsers }).catch(
    async (error: unknown) => {
      await recordRefusedOidcUser(db, { issuer, profile, error, ...address });
      throw error;
    },
  );
  const session = await startSession(db, {
    userId: user.id,
    method: "oidc",
    policy: input.policy,
    context: { ...address, issuer },
  });
  return { user, ...session };
}

/** The short code the sign-in page shows a message for (`/sign-in?error=<code>`). */
export function oidcSignInErrorCode(error: unknown): string {
  switch (classifyError(error).code) {
    case "not_found:oidc_not_configured":
      return "oidc_not_configured";
    case "unavailable:oidc":
      return "oidc_unavailable";
    case "invalid:oidc_state":
      return "oidc_state";
    case "unauthorized:oidc_denied":
      return "oidc_denied";
    case "invalid:oidc_claims":
      return "oidc_claims";
    case "forbidden:account_disabled":
      return "account_disabled";
    case "forbidden:no_account":
      return "no_account";
    case "conflict:email_unverified":
      return "email_unverified";
    case "unavailable:database":
      return "unavailable";
    default:
      return "oidc_failed";
  }
}

/**
 * The token exchange, then the claims: the ID token's, completed from userinfo when it lacks one
 * Folio reads (many IdPs put email, name and groups only there for the code flow).
 */
async function exchangeCode(
  provider: client.Configuration,
  oidc: OidcConfig,
  checks: { callbackUrl: URL; codeVerifier: string; state: string; nonce: string },
): Promise<Record<string, unknown>> {
  try {
    const tokens = await client.authorizationCodeGrant(provider, checks.callbackUrl, {
      pkceCodeVerifier: checks.codeVerifier,
      expectedState: checks.state,
      expectedNonce: checks.nonce,
      idTokenExpected: true,
    });
    const idClaims = tokens.claims();
    if (!idClaims) throw new Error("no ID token in the token response");
    const isMissingClaim = ["email", "email_verified", "name", oidc.groupsClaim].some(
      (claim) => !(claim in idClaims),
    );
    if (!isMissingClaim || !provider.serverMetadata().userinfo_endpoint) return { ...idClaims };
    const userInfo = await client.fetchUserInfo(provider, tokens.access_token, idClaims.sub);
    return { ...userInfo, ...idClaims };
  } catch (error) {
    if (isUnreachable(error)) {
      throw new AppError("unavailable:oidc", {
        message: "The sign-in provider could not be reached; try again shortly.",
        cause: error,
      });
    }
    throw new AppError("unauthorized:oidc", {
      message: "The sign-in provider's answer could not be verified.",
      cause: error,
    });
  }
}

/**
 * openid-client derives the `redirect_uri` it sends to the token endpoint from this URL, so it is
 * the registered redirect URI with the callback's query — never the Host the request came in on.
 */
function callbackUrlOf(config: FolioConfig, params: URLSearchParams): URL {
  const url = new URL(oidcRedirectUri(config));
  url.search = params.toString();
  return url;
}

/** A network failure or a timeout (openid-client wraps the DOMException; look down the causes). */
function isUnreachable(error: unknown): boolean {
  for (
    let current = error, depth = 0;
    current instanceof Error && depth < 8;
    current = current.cause, depth++
  ) {
    if (current.name === "TimeoutError" || current.name === "AbortError") return true;
    if (current instanceof TypeError && current.message === "fetch failed") return true;
  }
  return false;
}

function isSameSecret(left: string, right: string): boolean {
  return timingSafeEqual(Buffer.from(sha256Hex(left), "hex"), Buffer.from(sha256Hex(right), "hex"));
}

function requireOidc(config: FolioConfig): OidcConfig {
  if (!config.oidc) {
    throw new AppError("not_found:oidc_not_configured", {
      message: "Single sign-on is not configured on this Folio (set OIDC_ISSUER and OIDC_CLIENT_ID).",
    });
  }
  return config.oidc;
}

function stateError(message: string): AppError {
  return new AppError("invalid:oidc_state", { message });
}
