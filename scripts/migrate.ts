import { openDatabase } from "../db/client";
import { loadConfig } from "../lib/config";

/** `npm run db:migrate`: applies pending migrations and exits (the compose `migrate` step). */
const config = loadConfig();
const database = await openDatabase({ databaseUrl: config.databaseUrl, pgliteDir: config.pgliteDir });
await database.close();
console.info(`migrations applied (${database.driver})`);
