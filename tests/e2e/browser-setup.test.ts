import { mkdir } from "node:fs/promises";
import path from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { folioApi, setupTokenIn, signIn, testPassword } from "../support/api";
import { launchChromium } from "../support/browser";
import { type FolioServer, spawnFolioServer, waitUntilApiServing } from "../support/folio-server";

const outputDir = path.join(process.cwd(), "test-output");
let server: FolioServer;
let browser: Browser;

beforeAll(async () => {
  await mkdir(outputDir, { recursive: true });
  // Single sign-on configured (the issuer is never contacted here): the sign-in page offers it.
  server = await spawnFolioServer({
    OIDC_ISSUER: "https://127.0.0.1:9/issuer",
    OIDC_CLIENT_ID: "folio",
    OIDC_BUTTON_LABEL: "Acme SSO",
  });
  await waitUntilApiServing(server);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

it("creates the first admin from the printed setup link and lands on /admin; the link then works no more", async () => {
  const token = setupTokenIn(server.output());
  expect(token).toBeTruthy();
  const page = await (await browser.newContext()).newPage();
  await page.goto(`${server.baseUrl}/setup#${token}`);
  await page.getByTestId("setup-form").waitFor();
  // The token is read once and taken out of the address bar (and so out of history).
  expect(new URL(page.url()).hash).toBe("");

  await page.getByLabel("Email").fill("owner@example.com");
  await page.getByLabel("Display name").fill("Olivia Owner");
  await page.getByLabel("Password", { exact: true }).fill("too short");
  await page.getByLabel("Repeat password").fill("too short");
  await page.getByTestId("setup-submit").click();
  expect(await page.getByTestId("password-error").textContent()).toBe("Use at least 12 characters.");

  await page.getByLabel("Password", { exact: true }).fill(testPassword);
  await page.getByLabel("Repeat password").fill(`${testPassword}!`);
  await page.getByTestId("setup-submit").click();
  expect(await page.getByTestId("password-error").textContent()).toBe("The two passwords differ.");

  await page.getByLabel("Repeat password").fill(testPassword);
  await page.getByLabel("Display name").focus();
  await page.screenshot({ path: path.join(outputDir, "browser-setup.png"), fullPage: true });
  await page.getByTestId("setup-submit").click();
  await page.waitForURL(`${server.baseUrl}/admin`);
  expect(await page.getByTestId("signed-in-as").textContent()).toContain("Olivia Owner");
  await page.getByTestId("user-row").first().waitFor();
  expect(await page.getByTestId("user-row").getAttribute("data-email")).toBe("owner@example.com");

  // The password chosen works; the link is spent.
  const api = folioApi(server.baseUrl, { cookie: await signIn(server.baseUrl, "owner@example.com") });
  expect((await api.request("/api/auth/me")).status).toBe(200);
  const again = await (await browser.newContext()).newPage();
  await again.goto(`${server.baseUrl}/setup#${token}`);
  await again.getByTestId("go-sign-in").waitFor();
  expect(await again.getByTestId("problem").textContent()).toContain("This link is not valid any more");
  await again.screenshot({ path: path.join(outputDir, "browser-setup-used-link.png"), fullPage: true });
});

it("offers single sign-on on the sign-in page and explains a failed callback's ?error= code", async () => {
  const page = await (await browser.newContext()).newPage();
  await page.goto(`${server.baseUrl}/sign-in?next=%2Fdocuments&error=account_disabled`);
  const link = page.getByTestId("sign-in-oidc");
  await link.waitFor();
  expect(await link.textContent()).toBe("Sign in with Acme SSO");
  expect(await link.getAttribute("href")).toBe("/api/auth/oidc/start?returnTo=%2Fdocuments");
  expect(await page.getByTestId("problem").textContent()).toContain("Your Folio account is disabled");
  await page.screenshot({ path: path.join(outputDir, "browser-sign-in-sso.png"), fullPage: true });
  await page.context().close();
});
