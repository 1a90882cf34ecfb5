/**
 * Passwords of encrypted uploads, held in this process's memory only — never written to the
 * database, a file or a log — from the upload until its job ends or `ttlMs` passes. A job run
 * by another process, or after a restart, does not get the password and fails asking for it.
 */
export class PasswordVault {
  readonly #entries = new Map<string, { password: string; expiresAt: number }>();

  constructor(private readonly ttlMs = 60 * 60 * 1000) {}

  hold(versionId: string, password: string): void {
    this.#entries.set(versionId, { password, expiresAt: Date.now() + this.ttlMs });
  }

  passwordFor(versionId: string): string | undefined {
    const entry = this.#entries.get(versionId);
    if (!entry) return undefined;
    if (entry.expiresAt < Date.now()) {
      this.#entries.delete(versionId);
      return undefined;
    }
    return entry.password;
  }

  forget(versionId: string): void {
    this.#entries.delete(versionId);
  }
}
