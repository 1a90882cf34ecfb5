import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { folioApi, sessionCookieOf, signIn, testPassword } from "../support/api";
import { type StartedFolioServer, startFolioServer } from "../support/folio-server";
import { addSignedInUser, createTokenWithId, forgedApiToken, forgedSessionCookie } from "../support/security";
import { buildTestModels, testModelEnvironment } from "../support/test-models";

/**
 * SECURITY.md A6 over HTTP against the production server: sign-in limits, session fixation,
 * cookie attributes, sign-out (here and everywhere), disabling, revoking, and API tokens.
 */
const modelsDir = path.join(process.cwd(), "test-output", "models-sessions");
let server: StartedFolioServer;

beforeAll(async () => {
  const models = await buildTestModels(modelsDir);
  server = await startFolioServer(testModelEnvironment(models, modelsDir));
});

afterAll(async () => {
  await server?.stop();
});

/**
 * A sign-in attempt. `address` is sent as X-Forwarded-For, exactly as the one trusted reverse
 * proxy (TRUSTED_PROXY_HOPS=1) would append it; without it the socket address counts.
 */
function signInAttempt(email: string, password: string, options: { address?: string; cookie?: string } = {}) {
  return fetch(`${server.baseUrl}/api/auth/sign-in`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(options.address ? { "x-forwarded-for": options.address } : {}),
      ...(options.cookie ? { cookie: options.cookie } : {}),
    },
    body: JSON.stringify({ email, password }),
  });
}

const statusOf = async (cookieOrToken: { cookie?: string; token?: string }, route = "/api/auth/me") =>
  (await folioApi(server.baseUrl, cookieOrToken).request(route)).status;

describe("sign-in limits", () => {
  it("refuses a 6th try after 5 wrong passwords for one account with 429 + Retry-After, the right password too", async () => {
    await server.admin.addUser("guessed@example.com", "employee");
    for (let attempt = 0; attempt < 5; attempt++) {
      const response = await signInAttempt("guessed@example.com", `wrong password ${attempt}`, {
        address: "203.0.113.10",
      });
      expect(response.status).toBe(401);
    }
    for (const [password, address] of [
      ["another wrong password", "203.0.113.10"],
      [testPassword, "203.0.113.10"],
      [testPassword, "198.51.100.77"], // the account is locked from every address
      [testPassword.toUpperCase(), "198.51.100.78"],
    ] as const) {
      const response = await signInAttempt("GUESSED@example.com", password, { address });
      expect(response.status).toBe(429);
      const retryAfter = Number(response.headers.get("retry-after"));
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(15 * 60);
      expect(response.headers.getSetCookie()).toEqual([]);
    }
    // Another account from the same address is not affected by this account's lock.
    await server.admin.addUser("bystander@example.com", "employee");
    expect(
      (await signInAttempt("bystander@example.com", testPassword, { address: "203.0.113.10" })).status,
    ).toBe(200);
  });

  it("refuses one address with 429 after 20 failures spread over many accounts, the right password too", async () => {
    await server.admin.addUser("sprayed@example.com", "employee");
    const address = "203.0.113.20";
    const accounts = [
      "sprayed@example.com",
      ...Array.from({ length: 19 }, (_, index) => `nobody-${index}@example.com`),
    ];
    for (const [index, email] of accounts.entries()) {
      expect((await signInAttempt(email, `spray password ${index}`, { address })).status).toBe(401);
    }
    const blocked = await signInAttempt("sprayed@example.com", testPassword, { address });
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get("retry-after"))).toBeGreaterThan(0);
    // The same person from their own address gets in: the limit is the address, not the account.
    expect(
      (await signInAttempt("sprayed@example.com", testPassword, { address: "203.0.113.21" })).status,
    ).toBe(200);
  });
});

describe("sessions", () => {
  it("issues a fresh session id at sign-in: a planted cookie is ignored and stays invalid", async () => {
    const user = await addSignedInUser(server, "fixation@example.com", "employee");
    const planted = forgedSessionCookie();
    const response = await signInAttempt(user.email, testPassword, { cookie: planted });
    expect(response.status).toBe(200);
    const issued = sessionCookieOf(response);
    expect(issued).toMatch(/^folio_session=fst_[A-Za-z0-9_-]{43}$/);
    expect(issued).not.toBe(planted);
    expect(await statusOf({ cookie: issued })).toBe(200);
    expect(await statusOf({ cookie: planted })).toBe(401);
  });

  it("sets the session cookie HttpOnly, SameSite=Lax, Path=/, without Secure over http", async () => {
    await server.admin.addUser("cookie@example.com", "employee");
    const response = await signInAttempt("cookie@example.com", testPassword);
    const [header, ...others] = response.headers.getSetCookie();
    expect(others).toEqual([]);
    const [, ...attributes] = (header ?? "").split(";").map((part) => part.trim());
    expect(attributes.map((attribute) => attribute.toLowerCase()).sort()).toEqual([
      "httponly",
      `max-age=${168 * 3600}`,
      "path=/",
      "samesite=lax",
    ]);
    expect(response.headers.get("cache-control")).toContain("no-store");
  });

  it("ends the session on the server at sign-out: replaying the cookie is 401", async () => {
    const user = await addSignedInUser(server, "sign-out@example.com", "employee");
    expect(await statusOf({ cookie: user.cookie })).toBe(200);
    const response = await user.api.request("/api/auth/sign-out", { method: "POST" });
    expect(response.status).toBe(204);
    expect(response.headers.getSetCookie()[0]).toMatch(/^folio_session=;.*Max-Age=0/);
    for (const route of ["/api/auth/me", "/api/collections", "/api/tokens"]) {
      expect(await statusOf({ cookie: user.cookie }, route)).toBe(401);
    }
  });

  it("signs the user out on every device with sign-out-everywhere, and nobody else", async () => {
    const user = await addSignedInUser(server, "everywhere@example.com", "employee");
    const otherDevice = await signIn(server.baseUrl, user.email);
    const bystander = await addSignedInUser(server, "everywhere-bystander@example.com", "employee");
    const response = await user.api.request("/api/auth/sign-out-everywhere", { method: "POST" });
    expect(response.status).toBe(204);
    expect(await statusOf({ cookie: user.cookie })).toBe(401);
    expect(await statusOf({ cookie: otherDevice })).toBe(401);
    expect(await statusOf({ cookie: bystander.cookie })).toBe(200);
  });

  it("ends a disabled user's sessions and API tokens on their next request", async () => {
    const user = await addSignedInUser(server, "to-disable@example.com", "employee");
    const { token } = await createTokenWithId(user.api, "laptop");
    expect(await statusOf({ cookie: user.cookie })).toBe(200);
    expect(await statusOf({ token })).toBe(200);
    const disabled = await server.admin.sendJson("PATCH", `/api/admin/users/${user.userId}`, {
      disabled: true,
    });
    expect(disabled.status).toBe(200);
    for (const route of ["/api/auth/me", "/api/collections", "/api/jobs"]) {
      expect(await statusOf({ cookie: user.cookie }, route)).toBe(401);
      expect(await statusOf({ token }, route)).toBe(401);
    }
    expect((await signInAttempt(user.email, testPassword, { address: "203.0.113.30" })).status).toBe(401);
  });

  it("does not bring back the old session or token when the account is enabled again", async () => {
    const user = await addSignedInUser(server, "re-enabled@example.com", "employee");
    const { token } = await createTokenWithId(user.api, "leaked");
    const change = (disabled: boolean) =>
      server.admin.sendJson("PATCH", `/api/admin/users/${user.userId}`, { disabled });
    expect((await change(true)).status).toBe(200);
    expect((await change(false)).status).toBe(200);
    expect(await statusOf({ cookie: user.cookie })).toBe(401);
    expect(await statusOf({ token })).toBe(401);
    // The person signs in afresh and makes a new token.
    const cookie = await signIn(server.baseUrl, user.email);
    expect(await statusOf({ cookie })).toBe(200);
    const listed = (await (await folioApi(server.baseUrl, { cookie }).request("/api/tokens")).json()) as {
      tokens: { name: string; revokedAt: string | null }[];
    };
    expect(listed.tokens).toEqual([
      expect.objectContaining({ name: "leaked", revokedAt: expect.any(String) }),
    ]);
  });
});

describe("grants and tokens", () => {
  it("hides a collection on the very next request after its grant is revoked (user and group grants)", async () => {
    const user = await addSignedInUser(server, "revoked@example.com", "employee");
    const direct = await server.admin.createCollection("revoked-direct");
    const viaGroup = await server.admin.createCollection("revoked-group");
    const group = await server.admin.createGroup("revoked-group-members");
    await server.admin.addGroupMember(group, user.userId);
    await server.admin.grant(direct, { userId: user.userId });
    await server.admin.grant(viaGroup, { groupId: group });
    const visible = async () =>
      (
        (await (await user.api.request("/api/collections")).json()) as { collections: { id: string }[] }
      ).collections
        .map((collection) => collection.id)
        .sort();
    expect(await visible()).toEqual([direct, viaGroup].sort());

    await server.admin.revoke(direct, { userId: user.userId });
    expect(await visible()).toEqual([viaGroup]);
    expect((await user.api.request(`/api/collections/${direct}/documents`)).status).toBe(404);

    const removal = await server.admin.sendJson("DELETE", `/api/admin/groups/${group}/members`, {
      userId: user.userId,
    });
    expect(removal.status).toBe(200);
    expect(await visible()).toEqual([]);
    expect((await user.api.request(`/api/collections/${viaGroup}/documents`)).status).toBe(404);
  });

  it("gives a Bearer API token exactly its user's access, and no power to mint tokens", async () => {
    const user = await addSignedInUser(server, "token-user@example.com", "employee");
    const readable = await server.admin.createCollection("token-readable");
    await server.admin.createCollection("token-unreadable");
    await server.admin.grant(readable, { userId: user.userId });
    const { token } = await createTokenWithId(user.api, "script");
    const viaToken = folioApi(server.baseUrl, { token });
    for (const route of ["/api/auth/me", "/api/collections", "/api/jobs", "/api/tokens"]) {
      const [byCookie, byToken] = [await user.api.request(route), await viaToken.request(route)];
      expect(byToken.status).toBe(200);
      expect(JSON.parse(await byToken.text(), dropTimes)).toEqual(
        JSON.parse(await byCookie.text(), dropTimes),
      );
    }
    expect((await viaToken.request("/api/admin/users")).status).toBe(403);
    expect((await viaToken.sendJson("POST", "/api/collections", { name: "by-token" })).status).toBe(403);
    // A token that could create tokens would outlive its own expiry and revocation.
    const minted = await viaToken.sendJson("POST", "/api/tokens", { name: "minted-by-a-token" });
    expect(minted.status).toBe(403);
    expect(
      ((await (await user.api.request("/api/tokens")).json()) as { tokens: unknown[] }).tokens,
    ).toHaveLength(1);
  });

  it.each([
    ["a forged token", () => `Bearer ${forgedApiToken()}`],
    ["a malformed token", () => "Bearer not-a-token"],
    ["an empty Bearer", () => "Bearer "],
    ["another scheme", () => "Basic YWRtaW46cGFzc3dvcmQ="],
    [
      "the caller's own live session id as a token",
      () => `Bearer ${server.admin.credentials.cookie?.split("=")[1]}`,
    ],
  ])("refuses %s with 401 even with a valid session cookie alongside", async (_case, authorization) => {
    const cookie = server.admin.credentials.cookie ?? "";
    expect(await statusOf({ cookie })).toBe(200);
    const response = await fetch(`${server.baseUrl}/api/admin/users`, {
      headers: { cookie, authorization: authorization() },
    });
    expect(response.status).toBe(401);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("unauthorized:token");
  });
});

/** JSON.parse reviver: last-used times differ between two otherwise equal answers. */
function dropTimes(key: string, value: unknown): unknown {
  return key === "lastUsedAt" ? undefined : value;
}
