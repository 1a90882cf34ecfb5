import { randomBytes } from "node:crypto";
import postgres from "postgres";
import { type DatabaseHandle, openDatabase } from "../../db/client";

/**
 * A fresh, migrated database for one test file: in-memory PGlite by default, or — when the test
 * run has DATABASE_URL (CI's PostgreSQL pass) — a new database on that server, dropped on close.
 */
export async function openTestDatabase(): Promise<DatabaseHandle & { url: string | undefined }> {
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) return { ...(await openDatabase({ databaseUrl: undefined, pgliteDir: undefined })), url: undefined };
  const name = `folio_test_${randomBytes(6).toString("hex")}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = withDatabaseName(serverUrl, name);
  const handle = await openDatabase({ databaseUrl: url, pgliteDir: undefined });
  return {
    ...handle,
    url,
    close: async () => {
      await handle.close();
      const dropper = postgres(serverUrl, { max: 1, onnotice: () => {} });
      await dropper.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await dropper.end();
    },
  };
}

export function withDatabaseName(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  return parsed.toString();
}
