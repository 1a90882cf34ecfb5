import { mkdir } from "node:fs/promises";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { folioApi, signIn, testPassword } from "../support/api";
import { launchChromium, signedInPage } from "../support/browser";
import { optionLabels, signInThroughForm } from "../support/browser-session";
import { type StartedFolioServer, startFolioServer } from "../support/folio-server";
import { buildTestModels, testModelEnvironment } from "../support/test-models";

const outputDir = path.join(process.cwd(), "test-output");
const modelsDir = path.join(outputDir, "models-browser-admin");
let server: StartedFolioServer;
let browser: Browser;
let admin: Page;

beforeAll(async () => {
  await mkdir(outputDir, { recursive: true });
  // Deleting a collection opens the vector store, which needs the embedding model.
  const models = await buildTestModels(modelsDir);
  server = await startFolioServer(testModelEnvironment(models, modelsDir));
  browser = await launchChromium();
  admin = await signedInPage(browser, server.baseUrl, server.admin.credentials.cookie);
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

function userRow(email: string) {
  return admin.locator(`[data-testid="user-row"][data-email="${email}"]`);
}

describe("admin pages", () => {
  it("adds a person without a password and hands over a one-time link that signs them in at /welcome", async () => {
    await admin.goto(`${server.baseUrl}/admin`);
    await admin.getByTestId("add-user-email").fill("nina@example.com");
    await admin.getByTestId("add-user-name").fill("Nina New");
    await admin.getByTestId("add-user-role").selectOption("employee");
    await admin.getByTestId("add-user-submit").click();
    const link = await admin.getByTestId("handover-link").inputValue();
    expect(link).toMatch(/\/welcome#fln_/);
    await userRow("nina@example.com").waitFor();
    expect(await userRow("nina@example.com").textContent()).toContain("Links only");
    await admin.screenshot({ path: path.join(outputDir, "browser-admin-users.png"), fullPage: true });

    const newcomer = await (await browser.newContext()).newPage();
    await newcomer.goto(link.replace(/^https?:\/\/[^/]+/, server.baseUrl));
    expect(await newcomer.getByTestId("welcome-email").textContent()).toBe("nina@example.com");
    expect(new URL(newcomer.url()).hash).toBe("");
    await newcomer.getByTestId("welcome-password").fill(testPassword);
    await newcomer.getByTestId("welcome-repeat").fill(testPassword);
    await newcomer.screenshot({ path: path.join(outputDir, "browser-welcome.png"), fullPage: true });
    await newcomer.getByTestId("welcome-submit").click();
    await newcomer.waitForURL(`${server.baseUrl}/`);
    expect(await newcomer.getByTestId("signed-in-as").textContent()).toContain("Nina New");
    await newcomer.context().close();
    // The password she chose now works.
    await signIn(server.baseUrl, "nina@example.com");
  });

  it("changes a role, and disables and re-enables an account (signing it out)", async () => {
    const userId = await server.admin.addUser("rita@example.com", "employee");
    const ritaCookie = await signIn(server.baseUrl, "rita@example.com");
    await admin.goto(`${server.baseUrl}/admin`);
    const rita = userRow("rita@example.com");
    await rita.getByTestId("user-role").selectOption("auditor");
    await rita.getByTestId("user-role-save").click();
    await rita.getByTestId("user-role-save").waitFor({ state: "detached" });
    const users = (await (await server.admin.request("/api/admin/users")).json()) as {
      users: { userId: string; role: string }[];
    };
    expect(users.users.find((user) => user.userId === userId)?.role).toBe("auditor");

    await rita.getByRole("button", { name: "Disable" }).click();
    const confirm = admin.getByTestId("confirm-dialog");
    expect(await confirm.textContent()).toContain("rita@example.com");
    await confirm.getByTestId("confirm").click();
    await rita.getByText("Disabled", { exact: true }).waitFor();
    expect((await folioApi(server.baseUrl, { cookie: ritaCookie }).request("/api/auth/me")).status).toBe(401);
    await rita.getByRole("button", { name: "Enable" }).click();
    await rita.getByText("Active", { exact: true }).waitFor();

    // The last admin cannot demote themselves: the API's refusal is shown.
    const self = userRow("admin@example.com");
    await self.getByTestId("user-role").selectOption("employee");
    await self.getByTestId("user-role-save").click();
    const problem = admin.locator('[data-testid="problem"][data-code="conflict:last_admin"]');
    await problem.waitFor();
  });

  it("creates a group with an OIDC mapping, adds and removes members, and its grant reaches them", async () => {
    await server.admin.addUser("omar@example.com", "employee");
    const collectionId = await server.admin.createCollection("Engineering");
    await admin.goto(`${server.baseUrl}/admin/groups`);
    await admin.getByTestId("group-name").fill("Engineers");
    await admin.getByTestId("group-oidc").fill("eng-staff");
    await admin.getByTestId("create-group").click();
    const card = admin.locator('[data-testid="group-card"][data-name="Engineers"]');
    await card.waitFor();
    expect(await card.textContent()).toContain("OIDC: eng-staff");
    await card.getByTestId("member-select").selectOption({ label: "omar@example.com" });
    await card.getByTestId("member-add").click();
    await card.getByTestId("group-members").locator("li", { hasText: "omar@example.com" }).waitFor();
    await card.getByTestId("member-select").selectOption({ label: "Nina New (nina@example.com)" });
    await card.getByTestId("member-add").click();
    await card.getByTestId("group-members").locator("li", { hasText: "nina@example.com" }).waitFor();
    await card.getByRole("button", { name: "Remove nina@example.com" }).click();
    await card
      .getByTestId("group-members")
      .locator("li", { hasText: "nina@example.com" })
      .waitFor({ state: "detached" });
    await admin.getByTestId("group-name").fill("Sales");
    await admin.getByTestId("create-group").click();
    await admin.locator('[data-testid="group-card"][data-name="Sales"]').waitFor();
    await admin.screenshot({ path: path.join(outputDir, "browser-admin-groups.png"), fullPage: true });

    await admin.goto(`${server.baseUrl}/admin/access`);
    const access = admin.locator('[data-testid="collection-access"][data-name="Engineering"]');
    await access.getByTestId("grant-who").selectOption({ label: "Engineers" });
    await access.getByTestId("grant-permission").selectOption("curate");
    await access.getByTestId("grant-submit").click();
    await access.getByTestId("grant-row").filter({ hasText: "Engineers" }).getByText("Curate").waitFor();

    const omar = await signInThroughForm(browser, server.baseUrl, {
      email: "omar@example.com",
      path: "/documents",
    });
    await omar.getByTestId("upload-form").waitFor();
    expect(await optionLabels(omar, "collection-select")).toEqual(["Engineering"]);
    await omar.context().close();

    // Deleting the collection asks first, naming it.
    await access.getByRole("button", { name: "Delete collection Engineering" }).click();
    const confirm = admin.getByTestId("confirm-dialog");
    expect(await confirm.getByRole("heading").textContent()).toBe("Delete the collection “Engineering”?");
    await confirm.getByRole("button", { name: "Cancel" }).click();
    expect(await admin.evaluate(() => document.activeElement?.textContent)).toBe(
      "Delete collection Engineering",
    );
    await access.getByRole("button", { name: "Delete collection Engineering" }).click();
    await confirm.getByTestId("confirm").click();
    await access.waitFor({ state: "detached" });
    expect((await server.admin.request(`/api/collections/${collectionId}/documents`)).status).toBe(404);
  });

  it("creates an API token shown once, which works until revoked; signs out everywhere", async () => {
    const page = await signInThroughForm(browser, server.baseUrl, {
      email: "omar@example.com",
      path: "/account",
    });
    expect(await page.getByTestId("account-who").textContent()).toContain("omar@example.com");
    await page.getByTestId("token-name").fill("nightly import");
    await page.getByTestId("token-create").click();
    const token = await page.getByTestId("new-token-value").inputValue();
    expect(token.length).toBeGreaterThan(20);
    await page.getByTestId("token-row").filter({ hasText: "nightly import" }).waitFor();
    await page.getByTestId("token-name").focus();
    await page.screenshot({ path: path.join(outputDir, "browser-account.png"), fullPage: true });
    const withToken = folioApi(server.baseUrl, { token });
    expect((await withToken.request("/api/auth/me")).status).toBe(200);

    await page.getByRole("button", { name: "Revoke nightly import" }).click();
    await page.getByTestId("confirm-dialog").getByTestId("confirm").click();
    await page.getByTestId("token-row").waitFor({ state: "detached" });
    expect((await withToken.request("/api/auth/me")).status).toBe(401);

    const otherDevice = await signIn(server.baseUrl, "omar@example.com");
    await page.getByTestId("sign-out-everywhere").click();
    await page.waitForURL(/\/sign-in$/);
    expect((await folioApi(server.baseUrl, { cookie: otherDevice }).request("/api/auth/me")).status).toBe(
      401,
    );
    await page.context().close();
  });
});
