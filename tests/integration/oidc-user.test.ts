import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../db/client";
import { listAuditEvents } from "../../db/queries/audit-events";
import { insertGroup, listGroupsWithMembers } from "../../db/queries/groups";
import { getOidcIdentity, insertOidcFlow, takeOidcFlow } from "../../db/queries/oidc";
import { getUserByEmail, insertUser, updateUser } from "../../db/queries/users";
import type { OidcProfile } from "../../lib/auth/oidc-profile";
import { resolveOidcUser } from "../../lib/auth/oidc-user";
import { openTestDatabase } from "../support/test-database";

const issuer = "https://idp.example.com";
let handle: Awaited<ReturnType<typeof openTestDatabase>>;
let db: Database;

beforeAll(async () => {
  handle = await openTestDatabase();
  db = handle.db;
  await insertGroup({ db, name: "Readers", oidcGroup: "readers" });
  await insertGroup({ db, name: "Writers", oidcGroup: "writers" });
});
afterAll(async () => handle?.close());

function profile(subject: string, overrides: Partial<OidcProfile> = {}): OidcProfile {
  return {
    subject,
    email: `${subject}@example.com`,
    isEmailVerified: true,
    name: `Person ${subject}`,
    groups: [],
    ...overrides,
  };
}

async function eventsSince(seq: number) {
  return (await listAuditEvents({ db, afterSeq: seq })).map((event) => ({
    action: event.action,
    subject: event.subject,
    payload: JSON.parse(event.payload) as Record<string, unknown>,
  }));
}

async function headSeq(): Promise<number> {
  return (await listAuditEvents({ db })).at(-1)?.seq ?? 0;
}

async function membersOf(groupName: string): Promise<string[]> {
  const groups = await listGroupsWithMembers({ db });
  return (groups.find((group) => group.name === groupName)?.members ?? []).map((member) => member.email);
}

describe("resolveOidcUser", () => {
  it("creates an employee with its identity, mapped memberships and audit events in one go", async () => {
    const before = await headSeq();
    const user = await resolveOidcUser(db, {
      issuer,
      profile: profile("ann", { groups: ["readers", "unknown"] }),
      autoCreateUsers: true,
    });
    expect(user).toMatchObject({ email: "ann@example.com", displayName: "Person ann", role: "employee" });
    expect(user.passwordHash).toBeNull();
    expect(await getOidcIdentity({ db, issuer, subject: "ann" })).toMatchObject({ userId: user.id });
    expect(await membersOf("Readers")).toEqual(["ann@example.com"]);
    expect(await eventsSince(before)).toEqual([
      {
        action: "user.create",
        subject: `user:${user.id}`,
        payload: expect.objectContaining({ via: "oidc", issuer, oidcSubject: "ann", role: "employee" }),
      },
      {
        action: "group.member_add",
        subject: expect.stringMatching(/^group:/),
        payload: expect.objectContaining({ userId: user.id, via: "oidc", oidcGroup: "readers" }),
      },
    ]);
  });

  it("finds the same user by (issuer, sub) even after the email changed at the IdP, and moves memberships", async () => {
    const first = await resolveOidcUser(db, { issuer, profile: profile("ann"), autoCreateUsers: true });
    const before = await headSeq();
    const again = await resolveOidcUser(db, {
      issuer,
      profile: profile("ann", { email: "ann.new@example.com", groups: ["writers"] }),
      autoCreateUsers: false,
    });
    expect(again.id).toBe(first.id);
    expect(again.email).toBe("ann@example.com");
    expect(await membersOf("Readers")).toEqual([]);
    expect(await membersOf("Writers")).toEqual(["ann@example.com"]);
    expect((await eventsSince(before)).map((event) => event.action)).toEqual(["group.member_add"]);
  });

  it("treats the same sub from another issuer as another person", async () => {
    await expect(
      resolveOidcUser(db, {
        issuer: "https://other-idp.example.com",
        profile: profile("ann", { email: "someone-else@example.com" }),
        autoCreateUsers: false,
      }),
    ).rejects.toMatchObject({ code: "forbidden:no_account" });
  });

  it("links a local user by email only when the IdP verified the email", async () => {
    const local = await db.transaction((tx) =>
      insertUser({ tx, user: { email: "bea@example.com", displayName: "Bea", role: "admin" } }),
    );
    const before = await headSeq();
    await expect(
      resolveOidcUser(db, {
        issuer,
        profile: profile("bea-impostor", {
          email: "BEA@example.com",
          isEmailVerified: false,
          groups: ["readers"],
        }),
        autoCreateUsers: true,
      }),
    ).rejects.toMatchObject({ code: "conflict:email_unverified" });
    expect(await getOidcIdentity({ db, issuer, subject: "bea-impostor" })).toBeUndefined();
    expect(await membersOf("Readers")).toEqual([]);
    expect(await eventsSince(before)).toEqual([]);

    const linked = await resolveOidcUser(db, {
      issuer,
      profile: profile("bea", { email: "bea@example.com" }),
      autoCreateUsers: false,
    });
    expect(linked).toMatchObject({ id: local?.id, role: "admin" });
    expect((await eventsSince(before)).map((event) => event.action)).toEqual(["user.link_oidc"]);
  });

  it("refuses a disabled user without touching memberships", async () => {
    const user = await resolveOidcUser(db, {
      issuer,
      profile: profile("cid", { groups: ["readers"] }),
      autoCreateUsers: true,
    });
    await db.transaction((tx) => updateUser({ tx, id: user.id, changes: { disabledAt: new Date() } }));
    await expect(
      resolveOidcUser(db, { issuer, profile: profile("cid", { groups: [] }), autoCreateUsers: true }),
    ).rejects.toMatchObject({ code: "forbidden:account_disabled" });
    expect(await membersOf("Readers")).toEqual(["cid@example.com"]);
  });

  it("creates nobody when auto-creation is off or the IdP shares no email", async () => {
    await expect(
      resolveOidcUser(db, { issuer, profile: profile("dan"), autoCreateUsers: false }),
    ).rejects.toMatchObject({ code: "forbidden:no_account" });
    await expect(
      resolveOidcUser(db, { issuer, profile: profile("eve", { email: undefined }), autoCreateUsers: true }),
    ).rejects.toMatchObject({ code: "invalid:oidc_claims" });
    expect(await getUserByEmail({ db, email: "dan@example.com" })).toBeUndefined();
  });
});

describe("takeOidcFlow", () => {
  const flow = (stateHash: string, expiresInMs: number) => ({
    stateHash,
    codeVerifier: "verifier",
    nonce: "nonce",
    returnTo: "/",
    expiresAt: new Date(Date.now() + expiresInMs),
  });

  it("gives a flow to exactly one of two concurrent callbacks", async () => {
    await insertOidcFlow({ db, flow: flow("a".repeat(64), 60_000) });
    const taken = await Promise.all([
      takeOidcFlow({ db, stateHash: "a".repeat(64) }),
      takeOidcFlow({ db, stateHash: "a".repeat(64) }),
    ]);
    expect(taken.filter(Boolean)).toHaveLength(1);
  });

  it("does not give an expired flow", async () => {
    await insertOidcFlow({ db, flow: flow("b".repeat(64), -1000) });
    expect(await takeOidcFlow({ db, stateHash: "b".repeat(64) })).toBeUndefined();
  });
});
