import { sql } from "drizzle-orm";
import type { Database } from "./client";

/** Tables the serving role may read and append to, never change: the audit ledger. */
const appendOnlyTables = ["audit_events", "audit_checkpoints"] as const;

/**
 * Makes `role` (created when missing) a role Folio can serve as without being able to change
 * the audit ledger: read and write on every table, but on the ledger only SELECT and INSERT —
 * no UPDATE, DELETE or TRUNCATE, and, not being the tables' owner, no way to switch their
 * append-only triggers off. Run by the owner after migrations (`npm run db:migrate` with
 * APP_DATABASE_ROLE); PostgreSQL only. Idempotent: run it again after each migration so new
 * tables are granted too.
 */
export async function grantAppRole(
  db: Database,
  role: { name: string; password: string | undefined },
): Promise<void> {
  // Utility statements take no parameters: the name is checked, the password escaped.
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(role.name)) throw new Error(`not a plain role name: ${role.name}`);
  const name = sql.identifier(role.name);
  await db.transaction(async (tx) => {
    await tx.execute(
      sql.raw(
        `DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${role.name}') THEN CREATE ROLE "${role.name}" LOGIN; END IF; END $$`,
      ),
    );
    if (role.password !== undefined) {
      await tx.execute(
        sql.raw(`ALTER ROLE "${role.name}" PASSWORD '${role.password.replaceAll("'", "''")}'`),
      );
    }
    await tx.execute(sql`GRANT USAGE ON SCHEMA public TO ${name}`);
    await tx.execute(sql`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${name}`);
    await tx.execute(sql`GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ${name}`);
    for (const table of appendOnlyTables) {
      await tx.execute(sql`REVOKE UPDATE, DELETE, TRUNCATE ON ${sql.identifier(table)} FROM ${name}`);
    }
  });
}
