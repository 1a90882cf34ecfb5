import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Database, type DatabaseHandle, openDatabase } from "../../db/client";
import { listAuditEvents } from "../../db/queries/audit-events";
import { createCollection } from "../../db/queries/collections";
import { getUserByEmail } from "../../db/queries/users";
import { collectionAccessOf } from "../../lib/access/collection-access";
import { resolveApiToken } from "../../lib/auth/api-tokens";
import { signInWithPassword } from "../../lib/auth/password-sign-in";
import { loadConfig } from "../../lib/config";
import { type AdminCliResult, runAdminCli, runAdminInProcess } from "../support/admin-cli";
import { testPassword } from "../support/api";
import { createFreshPostgresDatabase } from "../support/test-database";

/**
 * `npm run admin` against its own DATA_DIR (PGlite) or a fresh PostgreSQL database. The tests
 * share one install and run in order: users first, then what uses them. Most commands run in this
 * process on one open database (`runAdmin`, what the script runs); the last tests spawn the real
 * script, as a user would, for stdin, exit codes and the database lock.
 */
const cliTestTimeoutMs = 240_000;
let directory: string;
let environment: Record<string, string>;
let dropDatabase: (() => Promise<void>) | undefined;
let handle: DatabaseHandle | undefined;

beforeAll(async () => {
  directory = await mkdtemp(path.join(tmpdir(), "folio-admin-cli-"));
  const database = await createFreshPostgresDatabase();
  dropDatabase = database?.drop;
  environment = { DATA_DIR: path.join(directory, "data"), DATABASE_URL: database?.url ?? "", PUBLIC_URL: "" };
  console.info(`admin-cli runs on ${database ? "postgres" : "pglite"}`);
});
afterAll(async () => {
  await handle?.close();
  await dropDatabase?.();
  await rm(directory, { recursive: true, force: true });
});

/** The install's database, open in this process until the spawning tests need it closed. */
async function database(): Promise<DatabaseHandle> {
  const config = loadConfig(environment);
  handle ??= await openDatabase({ databaseUrl: config.databaseUrl, pgliteDir: config.pgliteDir });
  return handle;
}

async function admin(args: string[], stdin = ""): Promise<AdminCliResult> {
  return runAdminInProcess(environment, args, { database: await database(), stdin });
}

async function withDatabase<T>(use: (db: Database) => Promise<T>): Promise<T> {
  return use((await database()).db);
}

async function actorFor(db: Database, email: string) {
  const user = await getUserByEmail({ db, email });
  if (!user) throw new Error(`no user ${email}`);
  return { userId: user.id, email, displayName: user.displayName, role: user.role, via: "session" as const };
}

const policy = { idleMinutes: 60, maxHours: 1 };

describe("user commands", { timeout: cliTestTimeoutMs }, () => {
  it("adds a user with a piped password who can then sign in, or with a one-time link; refuses a taken email", async () => {
    const withPassword = await admin(
      ["user", "add", "ann@example.com", "--role", "admin", "--name", "Ann Admin", "--password-stdin"],
      `${testPassword}\n`,
    );
    expect(withPassword).toMatchObject({ code: 0, stdout: "Added ann@example.com (admin).\n" });

    const withLink = await admin(["user", "add", "Eve@Example.com", "--role", "employee"]);
    expect(withLink.code).toBe(0);
    expect(withLink.stdout).toMatch(
      /^Added eve@example\.com \(employee\)\.\n.*\nhttp:\/\/localhost:3000\/welcome#fln_[A-Za-z0-9_-]{43}\n$/,
    );

    const taken = await admin(["user", "add", "eve@example.com", "--role", "auditor"]);
    expect(taken).toMatchObject({ code: 1, stdout: "" });
    expect(taken.stderr).toContain("A user with email eve@example.com exists.");

    const shortPassword = await admin(
      ["user", "add", "sam@example.com", "--role", "employee", "--password-stdin"],
      "short\n",
    );
    expect(shortPassword.code).toBe(1);
    expect(shortPassword.stderr).toContain("A password must be 12 to 256 characters long.");

    const list = await admin(["user", "list"]);
    expect(list.code).toBe(0);
    expect(list.stdout.split("\n").map((line) => line.split(/\s{2,}/))).toEqual([
      ["EMAIL", "NAME", "ROLE", "DISABLED", "PASSWORD"],
      ["ann@example.com", "Ann Admin", "admin", "no", "yes"],
      ["eve@example.com", "Eve@Example.com", "employee", "no", "no"],
      [""],
    ]);

    await withDatabase(async (db) => {
      const session = await signInWithPassword(db, {
        email: "ann@example.com",
        password: testPassword,
        address: "127.0.0.1",
        policy,
      });
      expect(session.user.role).toBe("admin");
      const events = await listAuditEvents({ db });
      expect(events.map((event) => [event.actor, event.action])).toEqual([
        ["cli", "user.create"],
        ["cli", "user.create"],
        ["cli", "sign_in_link.create"],
        [session.user.id, "auth.sign_in"],
      ]);
    });
  });

  it("disables, enables and changes roles, but never leaves Folio without an active admin", async () => {
    const disableLastAdmin = await admin(["user", "disable", "ann@example.com"]);
    expect(disableLastAdmin.code).toBe(1);
    expect(disableLastAdmin.stderr).toContain("last active admin");
    const demoteLastAdmin = await admin(["user", "role", "ann@example.com", "auditor"]);
    expect(demoteLastAdmin.code).toBe(1);
    expect(demoteLastAdmin.stderr).toContain("last active admin");

    expect(await admin(["user", "role", "eve@example.com", "admin"])).toMatchObject({
      code: 0,
      stdout: "eve@example.com is now admin (was employee).\n",
    });
    expect((await admin(["user", "disable", "ann@example.com"])).code).toBe(0);
    await withDatabase(async (db) => {
      await expect(
        signInWithPassword(db, { email: "ann@example.com", password: testPassword, address: "::1", policy }),
      ).rejects.toMatchObject({ code: "unauthorized:credentials" });
    });
    expect((await admin(["user", "enable", "ann@example.com"])).code).toBe(0);
    expect((await admin(["user", "role", "eve@example.com", "employee"])).code).toBe(0);

    const link = await admin(["user", "link", "eve@example.com"]);
    expect(link.stdout).toMatch(/\/welcome#fln_[A-Za-z0-9_-]{43}\n$/);
    await withDatabase(async (db) => {
      expect(await actorFor(db, "ann@example.com")).toMatchObject({ role: "admin" });
      expect(await actorFor(db, "eve@example.com")).toMatchObject({ role: "employee" });
      const session = await signInWithPassword(db, {
        email: "ann@example.com",
        password: testPassword,
        address: "::1",
        policy,
      });
      expect(session.user.disabledAt).toBeNull();
    });
  });
});

describe("group and grant commands", { timeout: cliTestTimeoutMs }, () => {
  let payrollId: string;

  it("adds groups, adds and removes members, lists and removes groups", async () => {
    expect((await admin(["group", "add", "Sales", "--oidc-group", "sales-team"])).code).toBe(0);
    expect((await admin(["group", "add", "Ops"])).code).toBe(0);
    expect((await admin(["group", "add-member", "Ops", "eve@example.com"])).stdout).toBe(
      "eve@example.com added to Ops.\n",
    );
    expect((await admin(["group", "add-member", "Sales", "eve@example.com"])).code).toBe(0);
    expect((await admin(["group", "remove-member", "Sales", "eve@example.com"])).stdout).toMatch(
      /^eve@example\.com removed from Sales\.\nNote: Sales follows the "sales-team" OIDC group/,
    );
    expect((await admin(["group", "list"])).stdout.split("\n").map((line) => line.split(/\s{2,}/))).toEqual([
      ["NAME", "OIDC GROUP", "MEMBERS"],
      ["Ops", "-", "eve@example.com"],
      ["Sales", "sales-team", "-"],
      [""],
    ]);
    expect((await admin(["group", "remove", "Sales"])).stdout).toContain("Removed group Sales");
    expect((await admin(["group", "add-member", "Sales", "eve@example.com"])).stderr).toBe(
      "No group Sales.\n",
    );
  });

  it("grants and revokes by collection name or id, to a user or a group, effective in the database", async () => {
    payrollId = await withDatabase(async (db) => {
      await createCollection({ db, name: "Handbooks" });
      return (await createCollection({ db, name: "Payroll" })).collection.id;
    });
    expect(await admin(["grant", "Handbooks", "--user", "eve@example.com", "--read"])).toMatchObject({
      code: 0,
      stdout: "Granted read on Handbooks to eve@example.com.\n",
    });
    expect((await admin(["grant", payrollId, "--group", "Ops", "--curate"])).stdout).toBe(
      "Granted curate on Payroll to group Ops.\n",
    );
    const grants = await admin(["grants"]);
    expect(grants.stdout.split("\n").map((line) => line.split(/\s{2,}/))).toEqual([
      ["COLLECTION", "GRANTEE", "PERMISSION"],
      ["Handbooks", "eve@example.com", "read"],
      ["Payroll", "group Ops", "curate"],
      [""],
    ]);
    await withDatabase(async (db) => {
      const access = await collectionAccessOf(db, await actorFor(db, "eve@example.com"));
      expect(access.readable.size).toBe(2);
      expect([...access.curatable]).toEqual([payrollId]);
    });

    const unknown = await admin(["grant", "Nothing", "--user", "eve@example.com", "--read"]);
    expect(unknown).toMatchObject({ code: 1, stderr: "No collection Nothing.\n" });

    expect((await admin(["revoke", "Handbooks", "--user", "eve@example.com"])).code).toBe(0);
    expect((await admin(["revoke", payrollId, "--group", "Ops"])).code).toBe(0);
    expect((await admin(["revoke", "Payroll", "--group", "Ops"])).stdout).toContain("nothing changed");
    await withDatabase(async (db) => {
      const access = await collectionAccessOf(db, await actorFor(db, "eve@example.com"));
      expect(access.readable.size).toBe(0);
      const events = await listAuditEvents({ db });
      // Sign-ins (by the users themselves) aside, the CLI made every change.
      const changes = events.filter((event) => !event.action.startsWith("auth."));
      expect(changes.every((event) => event.actor === "cli")).toBe(true);
      expect(
        events.filter((event) => event.action.startsWith("grant.")).map((event) => event.action),
      ).toEqual(["grant.set", "grant.set", "grant.revoke", "grant.revoke"]);
    });
  });
});

describe("token commands", { timeout: cliTestTimeoutMs }, () => {
  it("prints a new token alone on the last line, lists tokens without secrets, and revokes by prefix", async () => {
    const created = await admin([
      "token",
      "create",
      "--user",
      "eve@example.com",
      "--name",
      "nightly export",
      "--expires",
      "30d",
    ]);
    expect(created.code).toBe(0);
    const lines = created.stdout.trimEnd().split("\n");
    const token = lines.at(-1) ?? "";
    expect(token).toMatch(/^fol_[A-Za-z0-9_-]{43}$/);
    expect(lines.slice(0, -1).join("\n")).not.toContain(token.slice(4));
    await withDatabase(async (db) => {
      expect((await resolveApiToken(db, token))?.email).toBe("eve@example.com");
    });

    const list = await admin(["token", "list"]);
    expect(list.stdout).not.toContain(token);
    const [header, row] = list.stdout.split("\n").map((line) => line.split(/\s{2,}/));
    expect(header).toEqual(["ID", "PREFIX", "NAME", "USER", "CREATED", "EXPIRES", "REVOKED", "LAST USED"]);
    expect(row).toEqual([
      expect.stringMatching(/^[0-9a-f-]{36}$/),
      token.slice(0, 12),
      "nightly export",
      "eve@example.com",
      expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\dZ$/),
      expect.stringMatching(/Z$/),
      "-",
      expect.stringMatching(/Z$/),
    ]);
    expect((await admin(["token", "list", "--user", "ann@example.com"])).stdout).toBe("No API tokens.\n");

    expect((await admin(["token", "revoke", token.slice(0, 12)])).code).toBe(0);
    await withDatabase(async (db) => {
      expect(await resolveApiToken(db, token)).toBeUndefined();
    });
  });
});

describe("audit", { timeout: cliTestTimeoutMs }, () => {
  it("verifies the ledger the commands above wrote, and names the first event someone changed", async () => {
    const events = await withDatabase((db) => listAuditEvents({ db, limit: 100_000 }));
    expect(events.length).toBeGreaterThan(3);
    expect((await admin(["audit", "checkpoint"])).stdout).toBe(
      `Signed checkpoint #${events.length} over events #1–#${events.length}.\n`,
    );
    expect((await admin(["audit", "checkpoint"])).stdout).toContain("Nothing to sign");
    const publicKey = await admin(["audit", "public-key"]);
    expect(publicKey.stdout).toMatch(/^-----BEGIN PUBLIC KEY-----\n[\s\S]+-----END PUBLIC KEY-----\n$/);
    const publicKeyFile = path.join(directory, "auditor-copy.pem");
    await writeFile(publicKeyFile, publicKey.stdout);

    const intact = await admin(["audit", "verify", "--public-key", publicKeyFile]);
    expect(intact).toMatchObject({ code: 0, stderr: "" });
    expect(intact.stdout).toContain(`intact: ${events.length} events, head #${events.length}`);
    expect(intact.stdout).toContain(`1 signed checkpoint, the last at #${events.length}`);

    // The table's owner switches the append-only guard off and edits event #2.
    await withDatabase(async (db) => {
      await db.execute(sql`ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update_or_delete`);
      await db.execute(sql`UPDATE audit_events SET actor = 'someone else' WHERE seq = 2`);
      await db.execute(sql`ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_update_or_delete`);
    });
    const broken = await admin(["audit", "verify"]);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain("broken at event #2: hash does not match the event's contents");
    expect(broken.stderr).toContain("Events #1–#1 are intact");
  });
});

describe("usage", { timeout: cliTestTimeoutMs }, () => {
  it("prints usage and exits 2 on wrong arguments, 0 for --help, without touching the database", async () => {
    const [none, help, unknown, noPermission, badRole] = await Promise.all([
      admin([]),
      admin(["--help"]),
      admin(["users", "list"]),
      admin(["grant", "Handbooks", "--user", "eve@example.com"]),
      admin(["user", "role", "eve@example.com", "owner"]),
    ]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("Usage: npm run admin -- <command>");
    expect(help).toMatchObject({ code: 0, stderr: "" });
    expect(help.stdout).toContain("token create --user <email>");
    expect(unknown).toMatchObject({ code: 2, stderr: expect.stringContaining('Unknown command "users"') });
    expect(noPermission).toMatchObject({ code: 2, stderr: expect.stringContaining("--read or --curate") });
    expect(badRole).toMatchObject({ code: 2, stderr: expect.stringContaining('not "owner"') });
  });
});

describe("as a process", { timeout: cliTestTimeoutMs }, () => {
  it("reads a piped password, exits 2 on a usage error and 0 for --help, as npm run admin does", async () => {
    await handle?.close();
    handle = undefined;
    const piped = await runAdminCli(
      environment,
      ["user", "add", "pia@example.com", "--role", "auditor", "--password-stdin"],
      `${testPassword}\n`,
    );
    expect(piped).toMatchObject({ code: 0, stdout: "Added pia@example.com (auditor).\n" });
    const [usageError, help] = await Promise.all([
      runAdminCli(environment, ["user", "role", "pia@example.com", "owner"]),
      runAdminCli(environment, ["--help"]),
    ]);
    expect(usageError).toMatchObject({ code: 2, stderr: expect.stringContaining('not "owner"') });
    expect(help).toMatchObject({ code: 0, stderr: "" });
    await withDatabase(async (db) => {
      const session = await signInWithPassword(db, {
        email: "pia@example.com",
        password: testPassword,
        address: "::1",
        policy,
      });
      expect(session.user.role).toBe("auditor");
    });
  });
});
