/** What a person may do across Folio; per-collection rights come from grants. */
export type Role = "employee" | "admin" | "auditor";
export const roles: readonly Role[] = ["employee", "admin", "auditor"];

export type GrantPermission = "read" | "curate";

/** Who is making a request: decided on the server from a session cookie or an API token. */
export interface Actor {
  userId: string;
  email: string;
  displayName: string;
  role: Role;
  via: "session" | "token";
}

/** The signed-in user as the UI sees it. */
export interface SignedInUser {
  userId: string;
  email: string;
  displayName: string;
  role: Role;
}
