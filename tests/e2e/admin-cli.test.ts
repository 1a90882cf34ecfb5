import { afterAll, beforeAll, expect, it } from "vitest";
import { runAdminCli, runShell } from "../support/admin-cli";
import { folioApi } from "../support/api";
import { type StartedFolioServer, startFolioServer } from "../support/folio-server";

/**
 * The admin command line beside the running production server. With PostgreSQL it changes what
 * the server decides on the very next request; with embedded PGlite (one process at a time) it
 * refuses with a message that says what to do.
 */
const hasPostgres = Boolean(process.env.DATABASE_URL);
console.info(
  hasPostgres
    ? "[skip] admin-cli: the PGlite part (CLI refused while the server holds the embedded database) needs a run without DATABASE_URL"
    : "[skip] admin-cli: the PostgreSQL part (CLI changes seen by the running server) needs DATABASE_URL",
);

let server: StartedFolioServer;

beforeAll(async () => {
  server = await startFolioServer({});
});
afterAll(async () => server?.stop());

const admin = (...args: string[]) => runAdminCli(server.environment, args);

/** The names of the collections the token's user may read, as the server answers right now. */
async function visibleCollections(token: string): Promise<{ status: number; names: string[] }> {
  const response = await folioApi(server.baseUrl, { token }).request("/api/collections");
  if (!response.ok) return { status: response.status, names: [] };
  const body = (await response.json()) as { collections: Array<{ name: string; permission: string }> };
  return {
    status: 200,
    names: body.collections.map((collection) => `${collection.name}:${collection.permission}`),
  };
}

it.skipIf(!hasPostgres)(
  "changes made with the CLI while the server runs apply to the next request: tokens, grants, revocations, disabling",
  async () => {
    await server.admin.createCollection("Handbooks");
    expect((await admin("user", "add", "eve@example.com", "--role", "employee")).code).toBe(0);

    // The documented way to capture a token: npm prints its own header first; the token is last.
    const created = await runShell(
      server.environment,
      "npm run admin -- token create --user eve@example.com --name e2e | tail -1",
    );
    const token = created.stdout.trim();
    expect(token).toMatch(/^fol_[A-Za-z0-9_-]{43}$/);
    expect(await visibleCollections(token)).toEqual({ status: 200, names: [] });

    expect((await admin("grant", "Handbooks", "--user", "eve@example.com", "--read")).code).toBe(0);
    expect(await visibleCollections(token)).toEqual({ status: 200, names: ["Handbooks:read"] });

    expect((await admin("revoke", "Handbooks", "--user", "eve@example.com")).code).toBe(0);
    expect(await visibleCollections(token)).toEqual({ status: 200, names: [] });

    expect((await admin("token", "revoke", token.slice(0, 12))).code).toBe(0);
    expect((await visibleCollections(token)).status).toBe(401);

    const second = (await admin("token", "create", "--user", "eve@example.com")).stdout
      .trim()
      .split("\n")
      .at(-1);
    expect((await visibleCollections(second ?? "")).status).toBe(200);
    expect((await admin("user", "disable", "eve@example.com")).code).toBe(0);
    expect((await visibleCollections(second ?? "")).status).toBe(401);
  },
);

it.skipIf(hasPostgres)(
  "refuses while the server holds the embedded database, naming the server's pid and what to do",
  async () => {
    const result = await admin("user", "list");
    expect(result).toMatchObject({ code: 1, stdout: "" });
    expect(result.stderr).toContain(`is in use by another Folio process (pid ${server.child.pid})`);
    expect(result.stderr).toContain("stop the server, run this command, then start the server again");
    expect(result.stderr).toContain("web UI's admin pages");
    expect(result.stderr).toContain(
      "With PostgreSQL (DATABASE_URL), admin commands work while the server runs.",
    );
    // The refused command changed nothing: the server still serves its admin.
    expect((await server.admin.request("/api/auth/me")).status).toBe(200);
  },
);
