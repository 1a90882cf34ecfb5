import { mkdir } from "node:fs/promises";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import { migrate as migratePostgres } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import { acquirePgliteLock } from "./pglite-lock";
import * as schema from "./schema";

export type Schema = typeof schema;
/** The drizzle API shared by both drivers; code above db/ never knows which one it has. */
export type Database = PgDatabase<PgQueryResultHKT, Schema>;
/** A database or an open transaction: queries that must join the caller's transaction take this. */
export type Executor = Pick<
  Database,
  "select" | "selectDistinct" | "insert" | "update" | "delete" | "execute"
>;

export interface DatabaseHandle {
  db: Database;
  driver: "pglite" | "postgres";
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** postgres://… selects PostgreSQL; unset selects embedded PGlite. */
  databaseUrl: string | undefined;
  /** PGlite data directory; `undefined` keeps PGlite in memory (tests). */
  pgliteDir: string | undefined;
  /** @default 10 */
  maxConnections?: number;
  /**
   * Apply pending migrations first. Off for a PostgreSQL role that may not change the schema
   * (the serving role of docker-compose: `npm run db:migrate` runs as the owner). @default true
   */
  migrate?: boolean;
}

/** Migrations are read from the project directory: Folio always runs from it (npm scripts). */
export const migrationsFolder = path.join(process.cwd(), "db", "migrations");

/** Opens the configured database and applies pending migrations before returning it. */
export async function openDatabase(options: DatabaseOptions): Promise<DatabaseHandle> {
  return options.databaseUrl
    ? openPostgres(options.databaseUrl, options.maxConnections ?? 10, options.migrate ?? true)
    : openPglite(options.pgliteDir);
}

async function openPglite(directory: string | undefined): Promise<DatabaseHandle> {
  let releaseLock = async () => {};
  if (directory) {
    await mkdir(directory, { recursive: true });
    releaseLock = await acquirePgliteLock(directory);
  }
  try {
    const client = directory ? new PGlite(directory) : new PGlite();
    const db = drizzlePglite({ client, schema });
    await migratePglite(db, { migrationsFolder });
    const close = async () => {
      await client.close();
      await releaseLock();
    };
    return { db: db as unknown as Database, driver: "pglite", close };
  } catch (error) {
    await releaseLock();
    throw error;
  }
}

/** Several processes may start at once (web + workers): migrations run under an advisory lock. */
const migrationLockKey = 7_340_211;

async function openPostgres(url: string, maxConnections: number, migrate: boolean): Promise<DatabaseHandle> {
  if (migrate) await migratePostgresUnderLock(url);
  const client = postgres(url, { max: maxConnections, onnotice: () => {}, connect_timeout: 10 });
  const db = drizzlePostgres({ client, schema });
  return { db: db as unknown as Database, driver: "postgres", close: () => client.end({ timeout: 5 }) };
}

async function migratePostgresUnderLock(url: string): Promise<void> {
  const migrationClient = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await migrationClient`select pg_advisory_lock(${migrationLockKey})`;
    await migratePostgres(drizzlePostgres({ client: migrationClient }), { migrationsFolder });
    await migrationClient`select pg_advisory_unlock(${migrationLockKey})`;
  } finally {
    await migrationClient.end({ timeout: 5 });
  }
}
