import type { ApiToken } from "../../../db/schema";

export function tokenView(token: ApiToken) {
  return {
    tokenId: token.id,
    name: token.name,
    prefix: token.prefix,
    createdAt: token.createdAt,
    expiresAt: token.expiresAt,
    revokedAt: token.revokedAt,
    lastUsedAt: token.lastUsedAt,
  };
}
