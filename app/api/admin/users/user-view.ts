import type { User } from "../../../../db/schema";

/** A user as admin pages see it: never the password hash. */
export function userView(user: User) {
  return {
    userId: user.id,
    email: user.email,
    displayName: user.displayName,
    role: user.role,
    isDisabled: user.disabledAt !== null,
    hasPassword: user.passwordHash !== null,
    createdAt: user.createdAt,
  };
}
