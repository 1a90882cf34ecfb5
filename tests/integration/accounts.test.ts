import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../db/client";
import { countUsers } from "../../db/queries/users";
import { createApiToken, resolveApiToken } from "../../lib/auth/api-tokens";
import { addUser, changeUser } from "../../lib/auth/manage-users";
import { signInWithPassword } from "../../lib/auth/password-sign-in";
import { endAllSessions, resolveSession, startSession } from "../../lib/auth/sessions";
import {
  createSetupLinkIfNoUsers,
  createSignInLink,
  inspectSignInLink,
  redeemSignInLink,
} from "../../lib/auth/sign-in-links";
import { testPassword } from "../support/api";
import { openTestDatabase } from "../support/test-database";

let handle: Awaited<ReturnType<typeof openTestDatabase>>;
let db: Database;
const policy = { idleMinutes: 60, maxHours: 24 };
const pause = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

beforeAll(async () => {
  handle = await openTestDatabase();
  db = handle.db;
});
afterAll(async () => handle?.close());

describe("the first admin", () => {
  it("is created once through the setup link an empty install prints, and the link works only once", async () => {
    const token = await createSetupLinkIfNoUsers(db);
    if (!token) throw new Error("an empty install must offer a setup link");
    expect(await inspectSignInLink(db, token)).toEqual({ purpose: "setup", email: null });
    const attempts = await Promise.allSettled(
      [0, 1, 2].map((index) =>
        redeemSignInLink(db, { token, email: `first-${index}@example.com`, password: testPassword, policy }),
      ),
    );
    const created = attempts.filter((attempt) => attempt.status === "fulfilled");
    expect(created).toHaveLength(1);
    expect(created[0]?.status === "fulfilled" && created[0].value.user.role).toBe("admin");
    expect(await countUsers({ db })).toBe(1);
    await expect(
      redeemSignInLink(db, { token, email: "late@example.com", password: testPassword, policy }),
    ).rejects.toMatchObject({
      code: "invalid:link",
    });
    expect(await createSetupLinkIfNoUsers(db)).toBeUndefined();
  });

  it("refuses a setup link once any user exists", async () => {
    const { insertSignInLink } = await import("../../db/queries/sign-in-links");
    const { createSecretToken } = await import("../../lib/auth/secret-token");
    const { token, hash } = createSecretToken("fln");
    await insertSignInLink({
      db,
      link: { tokenHash: hash, purpose: "setup", userId: null, expiresAt: new Date(Date.now() + 60_000) },
    });
    await expect(
      redeemSignInLink(db, { token, email: "second-admin@example.com", password: testPassword, policy }),
    ).rejects.toMatchObject({ code: "conflict:user" });
  });
});

describe("sessions", () => {
  it("end after the idle limit, after the absolute limit, and for a disabled user", async () => {
    const user = await addUser(db, "test", {
      email: "sessions@example.com",
      role: "employee",
      password: testPassword,
    });
    const idle = await startSession(db, { userId: user.id, method: "password", policy });
    expect(await resolveSession(db, { token: idle.token, policy })).toMatchObject({ user: { id: user.id } });
    await pause(150);
    expect(
      await resolveSession(db, { token: idle.token, policy: { ...policy, idleMinutes: 0.001 } }),
    ).toBeUndefined();
    expect(await resolveSession(db, { token: idle.token, policy })).toBeUndefined();

    const short = await startSession(db, {
      userId: user.id,
      method: "password",
      policy: { ...policy, maxHours: 0.00005 },
    });
    await pause(300);
    expect(await resolveSession(db, { token: short.token, policy })).toBeUndefined();

    const live = await startSession(db, { userId: user.id, method: "password", policy });
    await changeUser(db, "test", user.id, { isDisabled: true });
    expect(await resolveSession(db, { token: live.token, policy })).toBeUndefined();
  });

  it("are all ended by sign-out everywhere, and a malformed token never reaches a query", async () => {
    const user = await addUser(db, "test", {
      email: "everywhere@example.com",
      role: "employee",
      password: testPassword,
    });
    const sessions = await Promise.all(
      [1, 2, 3].map(() => startSession(db, { userId: user.id, method: "password", policy })),
    );
    expect(await endAllSessions(db, user.id)).toBe(3);
    for (const session of sessions)
      expect(await resolveSession(db, { token: session.token, policy })).toBeUndefined();
    expect(await resolveSession(db, { token: "' OR 1=1 --", policy })).toBeUndefined();
  });

  it("start with a fresh id at every sign-in", async () => {
    await addUser(db, "test", { email: "fresh@example.com", role: "employee", password: testPassword });
    const input = { email: "Fresh@Example.com ", password: testPassword, address: "10.0.0.1", policy };
    const first = await signInWithPassword(db, input);
    const second = await signInWithPassword(db, input);
    expect(first.token).not.toBe(second.token);
    expect(first.token).toMatch(/^fst_[A-Za-z0-9_-]{43}$/);
  });
});

describe("API tokens", () => {
  it("act for their user until revoked, expired, or the user is disabled", async () => {
    const user = await addUser(db, "test", { email: "tokens@example.com", role: "employee" });
    const { token, record } = await createApiToken(db, { userId: user.id, name: "script" });
    expect(record).not.toHaveProperty("token");
    expect(record.tokenHash).not.toContain(token.slice(4));
    expect((await resolveApiToken(db, token))?.id).toBe(user.id);

    const expiring = await createApiToken(db, { userId: user.id, name: "brief", expiresInMs: 100 });
    await pause(200);
    expect(await resolveApiToken(db, expiring.token)).toBeUndefined();

    const { revokeApiToken } = await import("../../db/queries/api-tokens");
    await revokeApiToken({ db, idOrPrefix: record.prefix });
    expect(await resolveApiToken(db, token)).toBeUndefined();

    const other = await createApiToken(db, { userId: user.id, name: "other" });
    await changeUser(db, "test", user.id, { isDisabled: true });
    expect(await resolveApiToken(db, other.token)).toBeUndefined();
  });
});

describe("one-time sign-in links", () => {
  it("sign a passwordless user in once, optionally setting a password", async () => {
    const user = await addUser(db, "test", { email: "linked@example.com", role: "auditor" });
    const token = await createSignInLink(db, user.id);
    expect(await inspectSignInLink(db, token)).toEqual({ purpose: "sign_in", email: "linked@example.com" });
    const { user: signedIn } = await redeemSignInLink(db, { token, password: testPassword, policy });
    expect(signedIn.id).toBe(user.id);
    await expect(redeemSignInLink(db, { token, policy })).rejects.toMatchObject({ code: "invalid:link" });
    const again = await signInWithPassword(db, {
      email: user.email,
      password: testPassword,
      address: "10.0.0.2",
      policy,
    });
    expect(again.user.id).toBe(user.id);
  });

  it("refuse a too-short password without using up the link", async () => {
    const user = await addUser(db, "test", { email: "short@example.com", role: "employee" });
    const token = await createSignInLink(db, user.id);
    await expect(redeemSignInLink(db, { token, password: "short", policy })).rejects.toMatchObject({
      code: "invalid:credentials",
    });
    expect((await redeemSignInLink(db, { token, policy })).user.id).toBe(user.id);
  });
  it("are void once the account is disabled: enabling it again does not bring one back", async () => {
    const user = await addUser(db, "test", { email: "relinked@example.com", role: "employee" });
    const token = await createSignInLink(db, user.id);
    await changeUser(db, "test", user.id, { isDisabled: true });
    await changeUser(db, "test", user.id, { isDisabled: false });
    await expect(inspectSignInLink(db, token)).rejects.toMatchObject({ code: "invalid:link" });
    await expect(redeemSignInLink(db, { token, policy })).rejects.toMatchObject({ code: "invalid:link" });
  });

  it("that set a new password end the user's other sessions, like any password change", async () => {
    const user = await addUser(db, "test", {
      email: "reset@example.com",
      role: "employee",
      password: testPassword,
    });
    const stolen = await startSession(db, { userId: user.id, method: "password", policy });
    const token = await createSignInLink(db, user.id);
    const reset = await redeemSignInLink(db, { token, password: "a brand new passphrase", policy });
    expect(await resolveSession(db, { token: stolen.token, policy })).toBeUndefined();
    expect(await resolveSession(db, { token: reset.token, policy })).toMatchObject({ user: { id: user.id } });
  });
});

describe("the last admin", () => {
  it("cannot be demoted or disabled", async () => {
    const { listUsers } = await import("../../db/queries/users");
    const admins = (await listUsers({ db })).filter((user) => user.role === "admin" && !user.disabledAt);
    expect(admins).toHaveLength(1);
    const [admin] = admins;
    if (!admin) throw new Error("no admin");
    await expect(changeUser(db, "test", admin.id, { role: "employee" })).rejects.toMatchObject({
      code: "conflict:last_admin",
    });
    await expect(changeUser(db, "test", admin.id, { isDisabled: true })).rejects.toMatchObject({
      code: "conflict:last_admin",
    });
    const second = await addUser(db, "test", { email: "second-admin@example.com", role: "admin" });
    expect((await changeUser(db, "test", admin.id, { role: "employee" })).role).toBe("employee");
    await expect(changeUser(db, "test", second.id, { isDisabled: true })).rejects.toMatchObject({
      code: "conflict:last_admin",
    });
  });
});
