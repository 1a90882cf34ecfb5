import { randomBytes } from "node:crypto";
import postgres from "postgres";
import { type DatabaseHandle, openDatabase } from "../../db/client";

/**
 * A new, empty database on the test run's PostgreSQL server (CI's second pass sets
 * DATABASE_URL), or undefined when the run uses PGlite. `drop()` removes it.
 */
export async function createFreshPostgresDatabase(
  prefix = "folio_test",
): Promise<{ url: string; drop(): Promise<void> } | undefined> {
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) return undefined;
  const name = `${prefix}_${randomBytes(6).toString("hex")}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE DATABASE ${name}`);
  await admin.end();
  return {
    url: withDatabaseName(serverUrl, name),
    drop: async () => {
      const dropper = postgres(serverUrl, { max: 1, onnotice: () => {} });
      await dropper.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await dropper.end();
    },
  };
}

/** A fresh, migrated database for one test file: in-memory PGlite, or a new PostgreSQL database. */
export async function openTestDatabase(): Promise<DatabaseHandle & { url: string | undefined }> {
  const fresh = await createFreshPostgresDatabase();
  const handle = await openDatabase({ databaseUrl: fresh?.url, pgliteDir: undefined });
  return {
    ...handle,
    url: fresh?.url,
    close: async () => {
      await handle.close();
      await fresh?.drop();
    },
  };
}

export function withDatabaseName(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  return parsed.toString();
}
