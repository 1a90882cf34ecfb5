import { mkdir } from "node:fs/promises";
import path from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTextPdf } from "../fixtures/builders/pdf";
import { folioApi, testPassword } from "../support/api";
import { launchChromium, signedInPage } from "../support/browser";
import { optionLabels, sessionCookieIn, signInThroughForm } from "../support/browser-session";
import { type StartedFolioServer, startFolioServer } from "../support/folio-server";
import { buildTestModels, testModelEnvironment } from "../support/test-models";

const outputDir = path.join(process.cwd(), "test-output");
const modelsDir = path.join(outputDir, "models-browser-access");
let server: StartedFolioServer;
let browser: Browser;
const ids: Record<string, string> = {};

beforeAll(async () => {
  await mkdir(outputDir, { recursive: true });
  const models = await buildTestModels(modelsDir);
  server = await startFolioServer(testModelEnvironment(models, modelsDir));
  browser = await launchChromium();
  const { admin } = server;
  ids.handbook = await admin.createCollection("Handbook");
  ids.finance = await admin.createCollection("Finance");
  ids.legal = await admin.createCollection("Legal");
  ids.employee = await admin.addUser("emma@example.com", "employee");
  ids.auditor = await admin.addUser("audrey@example.com", "auditor");
  await admin.grant(ids.handbook, { userId: ids.employee }, "read");
  await admin.grant(ids.legal, { userId: ids.auditor }, "read");
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe("access in the browser", () => {
  it("sends an unauthenticated visit to / to the sign-in page, which comes back to / afterwards", async () => {
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${server.baseUrl}/`);
    await page.waitForURL(/\/sign-in\?next=%2F$/);
    expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe("Sign in to Folio");
    expect(await page.getByRole("link", { name: "Ask" }).count()).toBe(0);

    await page.getByLabel("Email").fill("emma@example.com");
    await page.getByLabel("Password").fill("not the password at all");
    await page.getByTestId("sign-in-submit").click();
    const problem = page.getByTestId("problem");
    await problem.waitFor();
    expect(await problem.textContent()).toContain("The email or password is not right");
    await page.getByLabel("Email").focus();
    await page.screenshot({ path: path.join(outputDir, "browser-sign-in.png"), fullPage: true });

    await page.getByLabel("Password").fill(testPassword);
    await page.getByTestId("sign-in-submit").click();
    await page.waitForURL(`${server.baseUrl}/`);
    expect(await page.getByTestId("signed-in-as").textContent()).toContain("emma@example.com");
    await page.context().close();
  });

  it("after five wrong passwords shows the rate limit with the wait; a foreign next= is ignored", async () => {
    await server.admin.addUser("lou@example.com", "employee");
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${server.baseUrl}/sign-in?next=${encodeURIComponent("//evil.example/")}`);
    await page.getByLabel("Email").fill("lou@example.com");
    for (let attempt = 1; attempt <= 5; attempt++) {
      await page.getByLabel("Password").fill(`wrong password number ${attempt}`);
      await page.getByTestId("sign-in-submit").click();
      await page.locator('[data-testid="problem"][data-code="unauthorized:credentials"]').waitFor();
      await page.getByTestId("sign-in-submit").and(page.locator(":enabled")).waitFor();
    }
    await page.getByLabel("Password").fill(testPassword);
    await page.getByTestId("sign-in-submit").click();
    const limited = page.locator('[data-testid="problem"][data-code="rate_limited:sign_in"]');
    await limited.waitFor();
    expect(await limited.getByTestId("problem-wait").textContent()).toMatch(
      /^You can try again in \d+ minutes?\.$/,
    );
    await page.screenshot({ path: path.join(outputDir, "browser-sign-in-rate-limited.png"), fullPage: true });
    await page.context().close();

    // A session still goes to "/" and never to another site, whatever next= says.
    const other = await (await browser.newContext()).newPage();
    await other.goto(`${server.baseUrl}/sign-in?next=${encodeURIComponent("/\\evil.example")}`);
    await other.getByLabel("Email").fill("audrey@example.com");
    await other.getByLabel("Password").fill(testPassword);
    await other.getByTestId("sign-in-submit").click();
    await other.waitForURL(`${server.baseUrl}/`);
    await other.context().close();
  });

  it("shows an employee only the collections granted to them, and a new grant after a reload", async () => {
    const employee = await signInThroughForm(browser, server.baseUrl, {
      email: "emma@example.com",
      path: "/documents",
    });
    await employee.getByTestId("collection-select").waitFor();
    expect(await optionLabels(employee, "collection-select")).toEqual(["Handbook"]);
    expect(await employee.getByTestId("signed-in-as").textContent()).toContain("Employee");
    expect(await employee.getByRole("link", { name: "Admin" }).count()).toBe(0);

    const admin = await signedInPage(browser, server.baseUrl, server.admin.credentials.cookie);
    await admin.goto(`${server.baseUrl}/admin/access`);
    const finance = admin.locator('[data-testid="collection-access"][data-name="Finance"]');
    await finance.getByTestId("grant-who").selectOption({ label: "emma@example.com" });
    await finance.getByTestId("grant-permission").selectOption("read");
    await finance.getByTestId("grant-submit").click();
    await finance.getByTestId("grant-row").filter({ hasText: "emma@example.com" }).waitFor();
    await admin.screenshot({ path: path.join(outputDir, "browser-admin-access.png"), fullPage: true });

    await employee.reload();
    await employee.getByTestId("collection-select").waitFor();
    expect(await optionLabels(employee, "collection-select")).toEqual(["Finance", "Handbook"]);

    // The ask page narrows over the same readable list.
    await employee.goto(`${server.baseUrl}/`);
    const picker = employee.locator(".collection-picker label");
    await picker.first().waitFor();
    expect(await picker.allTextContents()).toEqual(["Finance", "Handbook"]);

    // A page for another role sends the employee home.
    await employee.goto(`${server.baseUrl}/admin`);
    await employee.waitForURL(`${server.baseUrl}/`);
    await employee.context().close();
    await admin.context().close();
  });

  it("gives an auditor with a read grant no upload form, and refuses their upload with 403", async () => {
    const auditor = await signInThroughForm(browser, server.baseUrl, {
      email: "audrey@example.com",
      path: "/documents",
    });
    await auditor.getByTestId("read-only-note").waitFor();
    expect(await optionLabels(auditor, "collection-select")).toEqual(["Legal"]);
    expect(await auditor.getByTestId("read-only-note").textContent()).toBe(
      "You can read this collection; ask an admin to upload.",
    );
    expect(await auditor.getByTestId("upload-form").count()).toBe(0);
    expect(await auditor.getByTestId("permission").textContent()).toBe("Read only");
    await auditor.screenshot({
      path: path.join(outputDir, "browser-documents-read-only.png"),
      fullPage: true,
    });

    const asAuditor = folioApi(server.baseUrl, { cookie: await sessionCookieIn(auditor) });
    const upload = await asAuditor.upload(ids.legal ?? "", "memo.pdf", buildTextPdf({ pages: [["Memo."]] }));
    expect(upload.status).toBe(403);
    expect(((await upload.json()) as { error: { code: string } }).error.code).toBe("forbidden:grant");
    await auditor.context().close();
  });

  it("signs out: back on the sign-in page, and the old session no longer opens pages or the API", async () => {
    const page = await signInThroughForm(browser, server.baseUrl, { email: "emma@example.com", path: "/" });
    const cookie = await sessionCookieIn(page);
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL(/\/sign-in$/);
    await page.goto(`${server.baseUrl}/documents`);
    await page.waitForURL(/\/sign-in\?next=%2Fdocuments$/);
    expect((await folioApi(server.baseUrl, { cookie }).request("/api/auth/me")).status).toBe(401);
    await page.context().close();
  });
});
