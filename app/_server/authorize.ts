import "server-only";
import { requireRole } from "../../lib/access/collection-access";
import { authenticate } from "../../lib/auth/authenticate";
import type { Actor, Role } from "../../lib/domain/actor";
import { checkRequestBoundary } from "../../lib/http/request-boundary";
import type { Folio } from "../../lib/runtime";
import { getFolio } from "./folio";

/**
 * The first line of every route handler that needs a signed-in caller: the request boundary
 * (Host, cross-site), then the caller from their session cookie or API token, then the role if
 * the route needs one. Collection-level rights are decided by lib/access per request.
 */
export async function authorize(
  request: Request,
  options: { roles?: readonly Role[] } = {},
): Promise<{ folio: Folio; actor: Actor }> {
  const folio = await getFolio();
  checkRequestBoundary(request, folio.config.web);
  const actor = await authenticate(folio.database.db, folio.config, request);
  if (options.roles) requireRole(actor, options.roles);
  return { folio, actor };
}

/** For the few routes anyone may call (sign-in, one-time links, OIDC): the boundary only. */
export async function guardPublicRoute(request: Request): Promise<Folio> {
  const folio = await getFolio();
  checkRequestBoundary(request, folio.config.web);
  return folio;
}
