import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FolioApi, folioApi, setUpFirstAdmin, setupTokenIn } from "../support/api";
import {
  type FolioServer,
  findFreePort,
  spawnFolioServer,
  waitUntilApiServing,
} from "../support/folio-server";
import { startTestOidcProvider, type TestOidcAccount, type TestOidcProvider } from "../support/oidc-provider";
import { type BrowserResponse, formOn, TestBrowser } from "../support/test-browser";

/**
 * OIDC sign-in against a real provider (oidc-provider over HTTPS with a self-signed certificate
 * Folio trusts through NODE_EXTRA_CA_CERTS), driven the way a browser does: redirects, cookies,
 * the provider's own login and consent forms. Folio is the production server.
 */
const callbackPath = "/api/auth/oidc/callback";

let provider: TestOidcProvider;
/** A public client (PKCE only). */
let server: FolioServer;
/** A confidential client (client_secret_basic). */
let confidentialServer: FolioServer;
/** Ports chosen before the provider starts: it registers each server's redirect URI. */
let confidentialPort: number;
let oidcEnvironment: Record<string, string>;
let admin: FolioApi;
let readersGroupId: string;
let staffGroupId: string;

function account(login: string, overrides: Partial<TestOidcAccount> = {}): void {
  provider.accounts.set(login, {
    sub: `${login}-subject`,
    email: `${login}@example.com`,
    email_verified: true,
    name: `${login[0]?.toUpperCase()}${login.slice(1)} Example`,
    groups: [],
    ...overrides,
  });
}

beforeAll(async () => {
  const port = await findFreePort();
  confidentialPort = await findFreePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  provider = await startTestOidcProvider([
    { clientId: "folio-public", redirectUris: [`${baseUrl}${callbackPath}`] },
    {
      clientId: "folio-confidential",
      clientSecret: "a-client-secret-for-tests",
      redirectUris: [`http://127.0.0.1:${confidentialPort}${callbackPath}`],
    },
  ]);
  oidcEnvironment = { OIDC_ISSUER: provider.issuer, NODE_EXTRA_CA_CERTS: provider.certificatePath };
  server = await startServer(port, { ...oidcEnvironment, OIDC_CLIENT_ID: "folio-public" });
  const setupToken = setupTokenIn(server.output());
  if (!setupToken) throw new Error(`no setup link printed:\n${server.output()}`);
  admin = folioApi(server.baseUrl, { cookie: await setUpFirstAdmin(server.baseUrl, setupToken) });
  readersGroupId = await createGroup(admin, { name: "Readers", oidcGroup: "folio-readers" });
  staffGroupId = await createGroup(admin, { name: "Staff" });
  const handbooksId = await admin.createCollection("Handbooks");
  await admin.createCollection("Payroll");
  await admin.grant(handbooksId, { groupId: readersGroupId });
});

afterAll(async () => {
  await server?.stop();
  await provider?.stop();
});

describe("OIDC sign-in", () => {
  // First in the file on purpose: this server has not discovered the provider yet.
  it("sends the browser back to the sign-in page when the IdP is down, and discovers it once it is up", async () => {
    await provider.goOffline();
    try {
      const browser = new TestBrowser(provider.certificate);
      const refused = await browser.request(`${server.baseUrl}/api/auth/oidc/start`);
      expect(refused.status).toBe(302);
      expect(refused.location?.href).toBe(`${server.baseUrl}/sign-in?error=oidc_unavailable`);
      expect(refused.body).toBe("");
    } finally {
      await provider.goOnline();
    }
    const logged = server
      .output()
      .split("\n")
      .find((line) => line.includes("[oidc] sign-in failed"));
    expect(logged).toContain("oidc_unavailable");
    const started = await new TestBrowser(provider.certificate).request(
      `${server.baseUrl}/api/auth/oidc/start`,
    );
    expect(started.location?.origin).toBe(provider.issuer);
  });

  it("asks the IdP with PKCE (S256), state and nonce, and binds the state to the browser with a cookie", async () => {
    const first = await new TestBrowser(provider.certificate).request(
      `${server.baseUrl}/api/auth/oidc/start`,
    );
    const second = await new TestBrowser(provider.certificate).request(
      `${server.baseUrl}/api/auth/oidc/start`,
    );
    const query = first.location?.searchParams;
    expect(first.status).toBe(302);
    expect(first.location?.pathname).toBe("/auth");
    expect(Object.fromEntries(query ?? [])).toMatchObject({
      response_type: "code",
      client_id: "folio-public",
      redirect_uri: `${server.baseUrl}${callbackPath}`,
      scope: "openid email profile",
      code_challenge_method: "S256",
    });
    expect(query?.get("code_challenge")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const state = query?.get("state") ?? "";
    expect(state.length).toBeGreaterThanOrEqual(32);
    expect(query?.get("nonce")?.length).toBeGreaterThanOrEqual(32);
    for (const parameter of ["state", "nonce", "code_challenge"]) {
      expect(second.location?.searchParams.get(parameter)).not.toBe(query?.get(parameter));
    }
    expect(first.setCookies).toEqual([
      `folio_oidc_state=${state}; Path=/; HttpOnly; SameSite=Lax; Max-Age=600`,
    ]);
  });

  it("creates an employee on first sign-in, in the group the claim maps to, who sees exactly that group's collections", async () => {
    account("alice", { groups: ["folio-readers", "not-mapped-in-folio"] });
    const { callback, cookie } = await signInWithOidc(server, "alice", { returnTo: "/ask?collection=1" });
    expect(callback.location?.href).toBe(`${server.baseUrl}/ask?collection=1`);
    expect(callback.setCookies).toContain("folio_oidc_state=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0");
    const alice = folioApi(server.baseUrl, { cookie });
    expect(await me(alice)).toMatchObject({
      email: "alice@example.com",
      displayName: "Alice Example",
      role: "employee",
    });
    expect(await collectionNames(alice)).toEqual(["Handbooks"]);
    expect(await memberEmails(readersGroupId)).toEqual(["alice@example.com"]);
  });

  it("signs the same person in as the same user again, and a group dropped from the claim drops the membership", async () => {
    const { cookie: firstCookie } = await signInWithOidc(server, "alice");
    const alice = await me(folioApi(server.baseUrl, { cookie: firstCookie }));
    await admin.addGroupMember(staffGroupId, alice.userId);

    account("alice", { groups: "folio-readers" }); // one string instead of a list
    const again = folioApi(server.baseUrl, { cookie: (await signInWithOidc(server, "alice")).cookie });
    expect((await me(again)).userId).toBe(alice.userId);
    expect(await collectionNames(again)).toEqual(["Handbooks"]);

    account("alice", { groups: ["not-mapped-in-folio"] });
    const dropped = folioApi(server.baseUrl, { cookie: (await signInWithOidc(server, "alice")).cookie });
    expect((await me(dropped)).userId).toBe(alice.userId);
    expect(await collectionNames(dropped)).toEqual([]);
    expect(await memberEmails(readersGroupId)).toEqual([]);
    // A group without an OIDC mapping is managed in Folio and left alone.
    expect(await memberEmails(staffGroupId)).toEqual(["alice@example.com"]);
  });

  it("refuses a callback without the state cookie, with another browser's state, forged, or replayed", async () => {
    account("carol");
    const browser = new TestBrowser(provider.certificate);
    const { callbackUrl } = await authorizeAtProvider(browser, server, "carol", "/");
    const ownState = browser.cookieValue(callbackUrl, "folio_oidc_state");
    expect(ownState).toBe(callbackUrl.searchParams.get("state"));

    const otherBrowser = new TestBrowser(provider.certificate);
    await otherBrowser.request(`${server.baseUrl}/api/auth/oidc/start`);
    const otherState = otherBrowser.cookieValue(callbackUrl, "folio_oidc_state");
    expect(otherState).toBeTruthy();

    const forged = new URL(callbackUrl);
    forged.searchParams.set("state", "forged-state-value");
    for (const [url, cookieHeader] of [
      [callbackUrl, ""],
      [callbackUrl, `folio_oidc_state=${otherState}`],
      [forged, "folio_oidc_state=forged-state-value"],
    ] as const) {
      const refused = await browser.request(url, { cookieHeader });
      expectRefused(refused, "oidc_state");
    }

    // Each refusal also cleared the browser's state cookie (the flow is over for it); send it as it was.
    const accepted = await browser.request(callbackUrl, { cookieHeader: `folio_oidc_state=${ownState}` });
    expect(accepted.location?.href).toBe(`${server.baseUrl}/`);
    expect(sessionCookieIn(accepted)).toBeTruthy();

    const replayed = await browser.request(callbackUrl, { cookieHeader: `folio_oidc_state=${ownState}` });
    expectRefused(replayed, "oidc_state");
  });

  it("sends the browser only to paths on Folio after sign-in", async () => {
    account("ivan");
    for (const returnTo of [
      "//evil.example",
      "/\\evil.example",
      "https://evil.example/",
      "/\t/evil.example",
    ]) {
      const { callback, cookie } = await signInWithOidc(server, "ivan", { returnTo });
      expect(cookie).toBeTruthy();
      expect(callback.location?.href).toBe(`${server.baseUrl}/`);
    }
  });

  it("refuses a disabled user", async () => {
    account("dave", { groups: ["folio-readers"] });
    const { cookie } = await signInWithOidc(server, "dave");
    const dave = await me(folioApi(server.baseUrl, { cookie }));
    const disabled = await admin.sendJson("PATCH", `/api/admin/users/${dave.userId}`, { disabled: true });
    expect(disabled.status).toBe(200);

    const { callback } = await signInWithOidc(server, "dave");
    expectRefused(callback, "account_disabled");
    expect((await folioApi(server.baseUrl, { cookie }).request("/api/auth/me")).status).toBe(401);
  });

  it("does not let an unverified email take over a local account with that email; a verified one links to it", async () => {
    const erinId = await admin.addUser("erin@example.com", "employee");
    account("impostor", { sub: "impostor-subject", email: "erin@example.com", email_verified: false });
    expectRefused((await signInWithOidc(server, "impostor")).callback, "email_unverified");
    const usersNamedErin = (await listUsers()).filter((user) => user.email === "erin@example.com");
    expect(usersNamedErin).toEqual([expect.objectContaining({ userId: erinId, hasPassword: true })]);

    account("erin", { email: "Erin@Example.com", email_verified: true });
    const { cookie } = await signInWithOidc(server, "erin");
    expect((await me(folioApi(server.baseUrl, { cookie }))).userId).toBe(erinId);
    // The refused identity stays unlinked.
    expectRefused((await signInWithOidc(server, "impostor")).callback, "email_unverified");
  });
});

describe("OIDC sign-in as a confidential client", () => {
  beforeAll(async () => {
    confidentialServer = await startServer(confidentialPort, {
      ...oidcEnvironment,
      OIDC_CLIENT_ID: "folio-confidential",
      OIDC_CLIENT_SECRET: "a-client-secret-for-tests",
    });
  });

  afterAll(async () => {
    await confidentialServer?.stop();
  });

  it("authenticates to the token endpoint with its secret (client_secret_basic), still with PKCE", async () => {
    account("frank", { groups: ["folio-readers"] });
    const { start, callback, cookie } = await signInWithOidc(confidentialServer, "frank");
    expect(start.location?.searchParams.get("client_id")).toBe("folio-confidential");
    expect(start.location?.searchParams.get("code_challenge_method")).toBe("S256");
    expect(callback.location?.href).toBe(`${confidentialServer.baseUrl}/`);
    expect(await me(folioApi(confidentialServer.baseUrl, { cookie }))).toMatchObject({
      email: "frank@example.com",
      role: "employee",
    });
  });
});

/**
 * The production server on a port chosen beforehand (the provider registered its redirect URI).
 * Waits longer than startFolioServer would: opening PGlite takes tens of seconds on a busy machine.
 */
async function startServer(port: number, environment: Record<string, string>): Promise<FolioServer> {
  const started = await spawnFolioServer(
    { ...environment, PUBLIC_URL: `http://127.0.0.1:${port}` },
    { port },
  );
  try {
    await waitUntilApiServing(started, 240_000);
    return started;
  } catch (error) {
    await started.stop();
    throw error;
  }
}

/** Follows the flow from Folio's start route through the IdP's login and consent forms to the callback URL. */
async function authorizeAtProvider(
  browser: TestBrowser,
  folio: FolioServer,
  login: string,
  returnTo: string,
): Promise<{ start: BrowserResponse; callbackUrl: URL }> {
  const start = await browser.request(
    `${folio.baseUrl}/api/auth/oidc/start?returnTo=${encodeURIComponent(returnTo)}`,
  );
  let response = start;
  for (let step = 0; step < 20; step++) {
    if (response.location?.pathname === callbackPath) return { start, callbackUrl: response.location };
    if (response.location) {
      response = await browser.request(response.location);
    } else if (response.status === 200 && response.body.includes("<form")) {
      const { action, fields } = formOn(response);
      const form = fields.prompt === "login" ? { ...fields, login, password: "any password" } : fields;
      response = await browser.request(action, { form });
    } else {
      throw new Error(`unexpected ${response.status} at ${response.url}: ${response.body.slice(0, 500)}`);
    }
  }
  throw new Error("too many redirects");
}

/** A whole sign-in in a fresh browser: start, the IdP's forms, the callback. */
async function signInWithOidc(
  folio: FolioServer,
  login: string,
  { returnTo = "/" }: { returnTo?: string } = {},
): Promise<{ start: BrowserResponse; callback: BrowserResponse; cookie: string | undefined }> {
  const browser = new TestBrowser(provider.certificate);
  const { start, callbackUrl } = await authorizeAtProvider(browser, folio, login, returnTo);
  const callback = await browser.request(callbackUrl);
  return { start, callback, cookie: sessionCookieIn(callback) };
}

function sessionCookieIn(response: BrowserResponse): string | undefined {
  const pair = response.setCookies.find((line) => line.startsWith("folio_session="))?.split(";")[0];
  return pair && pair !== "folio_session=" ? pair : undefined;
}

function expectRefused(response: BrowserResponse, code: string): void {
  expect(response.status).toBe(302);
  expect(response.location?.href).toBe(`${response.url.origin}/sign-in?error=${code}`);
  expect(sessionCookieIn(response)).toBeUndefined();
  expect(response.body).toBe("");
}

async function createGroup(api: FolioApi, body: { name: string; oidcGroup?: string }): Promise<string> {
  const response = await api.sendJson("POST", "/api/admin/groups", body);
  if (response.status !== 201) throw new Error(`createGroup: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { group: { id: string } }).group.id;
}

async function me(
  api: FolioApi,
): Promise<{ userId: string; email: string; displayName: string; role: string }> {
  const response = await api.request("/api/auth/me");
  if (!response.ok) throw new Error(`me: ${response.status} ${await response.text()}`);
  return (
    (await response.json()) as { user: { userId: string; email: string; displayName: string; role: string } }
  ).user;
}

async function collectionNames(api: FolioApi): Promise<string[]> {
  const response = await api.request("/api/collections");
  const body = (await response.json()) as { collections: Array<{ name: string }> };
  return body.collections.map((collection) => collection.name).sort();
}

async function memberEmails(groupId: string): Promise<string[]> {
  const response = await admin.request("/api/admin/groups");
  const body = (await response.json()) as {
    groups: Array<{ id: string; members: Array<{ email: string }> }>;
  };
  return (body.groups.find((group) => group.id === groupId)?.members ?? []).map((member) => member.email);
}

async function listUsers(): Promise<Array<{ userId: string; email: string; hasPassword: boolean }>> {
  const response = await admin.request("/api/admin/users");
  return (
    (await response.json()) as { users: Array<{ userId: string; email: string; hasPassword: boolean }> }
  ).users;
}
