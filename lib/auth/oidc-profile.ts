/** The person an IdP vouches for, reduced to what Folio uses. */
export interface OidcProfile {
  /** `sub`: stable per issuer; the key of the link to a Folio user. */
  subject: string;
  email: string | undefined;
  /** Only an explicit `email_verified: true` counts (absent, "true" or 1 do not). */
  isEmailVerified: boolean;
  name: string | undefined;
  /** The values of the groups claim (a list of strings, or one string). */
  groups: string[];
}

const maxGroups = 1000;

/**
 * Reads the claims Folio uses from verified ID token (and userinfo) claims. Values of the wrong
 * type count as absent rather than failing the sign-in; `groupsClaim` is a top-level claim name.
 */
export function oidcProfileOf(claims: Record<string, unknown>, groupsClaim: string): OidcProfile {
  const email = typeof claims.email === "string" ? claims.email.trim() : "";
  const name = typeof claims.name === "string" ? claims.name.trim() : "";
  const rawGroups = claims[groupsClaim];
  const groups = Array.isArray(rawGroups)
    ? rawGroups.filter((group): group is string => typeof group === "string")
    : typeof rawGroups === "string"
      ? [rawGroups]
      : [];
  return {
    subject: String(claims.sub),
    email: /^[^\s@]+@[^\s@]+$/.test(email) && email.length <= 254 ? email : undefined,
    isEmailVerified: claims.email_verified === true,
    name: name ? name.slice(0, 200) : undefined,
    groups: groups.slice(0, maxGroups),
  };
}
