import { grantAppRole } from "../db/app-role";
import { openDatabase } from "../db/client";
import { loadConfig } from "../lib/config";

/**
 * `npm run db:migrate`: applies pending migrations and exits (the compose `migrate` step, run as
 * the tables' owner). With APP_DATABASE_ROLE it then grants that role what serving needs and no
 * way to change the audit ledger (db/app-role.ts); web and workers connect as that role.
 */
const config = loadConfig();
const database = await openDatabase({ databaseUrl: config.databaseUrl, pgliteDir: config.pgliteDir });
try {
  if (config.appDatabaseRole) {
    if (database.driver !== "postgres") throw new Error("APP_DATABASE_ROLE needs PostgreSQL (DATABASE_URL).");
    await grantAppRole(database.db, config.appDatabaseRole);
    console.info(
      `role ${config.appDatabaseRole.name} may serve Folio; the audit ledger is append-only for it`,
    );
  }
} finally {
  await database.close();
}
console.info(`migrations applied (${database.driver})`);
