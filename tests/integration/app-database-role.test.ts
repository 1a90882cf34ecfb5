import { randomBytes } from "node:crypto";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { sql } from "drizzle-orm";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DatabaseHandle, openDatabase } from "../../db/client";
import { listAuditEvents } from "../../db/queries/audit-events";
import { collections } from "../../db/schema";
import { appendAuditEvent } from "../../lib/audit/append-audit-event";
import { writeCheckpoint } from "../../lib/audit/checkpoints";
import { loadOrCreateSigningKey } from "../../lib/audit/signing-key";
import { verifyLedger } from "../../lib/audit/verify-ledger";
import { runShell } from "../support/admin-cli";
import { createFreshPostgresDatabase } from "../support/test-database";

/**
 * On PostgreSQL the ledger's triggers can be switched off by the tables' owner. Folio serves as a
 * role that owns nothing: `npm run db:migrate` (as the owner) grants it every table, and on the
 * ledger only SELECT and INSERT. As that role, UPDATE, DELETE, TRUNCATE and ALTER TABLE are
 * refused by PostgreSQL's privileges, while answering, appending and signing still work.
 * PGlite has one user (the owner): there, the triggers are the guard (db-queries.test.ts).
 */
const serverUrl = process.env.DATABASE_URL;
const role = `folio_app_${randomBytes(4).toString("hex")}`;
let fresh: Awaited<ReturnType<typeof createFreshPostgresDatabase>>;
let asApp: DatabaseHandle;

describe.skipIf(!serverUrl)(
  "the serving role on PostgreSQL (skipped without DATABASE_URL: PGlite has no roles)",
  () => {
    beforeAll(async () => {
      fresh = await createFreshPostgresDatabase();
      if (!fresh) throw new Error("no PostgreSQL");
      const migrated = await runShell(
        {
          DATABASE_URL: fresh.url,
          APP_DATABASE_ROLE: role,
          APP_DATABASE_PASSWORD: "s3cret'quote",
          DATA_DIR: await mkdtemp(path.join(tmpdir(), "folio-app-role-")),
        },
        "node --import tsx scripts/migrate.ts",
      );
      expect(migrated.stderr).toBe("");
      expect(migrated.stdout).toContain(`role ${role} may serve Folio`);
      const url = new URL(fresh.url);
      url.username = role;
      asApp = await openDatabase({ databaseUrl: url.toString(), pgliteDir: undefined, migrate: false });
    }, 60_000);

    afterAll(async () => {
      await asApp?.close();
      if (!fresh || !serverUrl) return;
      const owner = postgres(fresh.url, { max: 1, onnotice: () => {} });
      await owner.unsafe(`DROP OWNED BY ${role}`);
      await owner.end();
      await fresh.drop();
      const server = postgres(serverUrl, { max: 1, onnotice: () => {} });
      await server.unsafe(`DROP ROLE IF EXISTS ${role}`);
      await server.end();
    });

    it("serves: reads and writes the other tables, appends to the ledger and signs checkpoints", async () => {
      const { db } = asApp;
      await db.insert(collections).values({ name: "Policies" });
      for (let index = 1; index <= 3; index += 1) {
        await db.transaction((tx) =>
          appendAuditEvent(tx, { actor: "tester", action: "test", subject: `s${index}`, payload: { index } }),
        );
      }
      const key = await loadOrCreateSigningKey(
        path.join(await mkdtemp(path.join(tmpdir(), "folio-key-")), "key.pem"),
      );
      expect(await writeCheckpoint(db, key)).toMatchObject({ seq: 3 });
      expect(await verifyLedger(db, { publicKey: { key: key.publicKey, keyId: key.keyId } })).toMatchObject({
        isIntact: true,
        checkedEvents: 3,
      });
    });

    it.each([
      ["UPDATE", "UPDATE audit_events SET payload = '{}' WHERE seq = 2", "permission denied"],
      ["DELETE", "DELETE FROM audit_events WHERE seq = 3", "permission denied"],
      ["TRUNCATE", "TRUNCATE audit_events", "permission denied"],
      ["UPDATE of a checkpoint", "UPDATE audit_checkpoints SET signature = 'x'", "permission denied"],
      ["switching the guard off", "ALTER TABLE audit_events DISABLE TRIGGER USER", "must be owner"],
    ])("cannot change the ledger: %s is refused", async (_name, statement, message) => {
      await expect(asApp.db.execute(sql.raw(statement))).rejects.toMatchObject({
        cause: expect.objectContaining({ message: expect.stringContaining(message) }),
      });
      expect((await listAuditEvents({ db: asApp.db })).map((event) => event.seq)).toEqual([1, 2, 3]);
    });
  },
);
