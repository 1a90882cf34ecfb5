/**
 * Password length limits, shared by the server's check (lib/auth/password.ts) and the forms that
 * tell the user before they submit. Counted in code points.
 * @default 12 — ASVS 5 asks for at least 8 and recommends longer passphrases.
 */
export const minimumPasswordLength = 12;
export const maximumPasswordLength = 256;
