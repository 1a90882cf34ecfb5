import { mkdir, readFile } from "node:fs/promises";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { buildTextPdf } from "../fixtures/builders/pdf";
import { contrastOf, launchChromium, signedInPage } from "../support/browser";
import { type StartedFolioServer, startFolioServer } from "../support/folio-server";
import { addSignedInUser, type TestUser } from "../support/security";
import { buildTestModels, testModelEnvironment } from "../support/test-models";

/**
 * The audit workspace in Chromium against the production server (one start): an employee asks
 * and rates the answer in the ask view; the auditor finds it, opens it (passages as sent, the
 * cited page, the chain badge, the feedback), exports it, and still sees the passage after the
 * document is deleted.
 */
const outputDir = path.join(process.cwd(), "test-output");
const screenshotsDir = path.join(outputDir, "screenshots");
const modelsDir = path.join(outputDir, "models-browser-audit");
let server: StartedFolioServer;
let browser: Browser;
let employee: TestUser;
let auditor: TestUser;
let documentId: string;
let answerId: string;

const handbook = buildTextPdf({
  pages: [
    ["Protective equipment: hard helmets must be worn at all times in zone seven, where cranes operate."],
    ["Inspections: the site manager inspects every helmet on Mondays and replaces cracked ones."],
  ],
});

beforeAll(async () => {
  const models = await buildTestModels(modelsDir);
  server = await startFolioServer(testModelEnvironment(models, modelsDir));
  const collectionId = await server.admin.createCollection("Site safety");
  const upload = await server.admin.upload(collectionId, "safety-handbook.pdf", handbook);
  expect(upload.status).toBe(202);
  documentId = ((await upload.json()) as { documentId: string }).documentId;
  employee = await addSignedInUser(server, "erin@example.com", "employee");
  auditor = await addSignedInUser(server, "audra@example.com", "auditor");
  await server.admin.grant(collectionId, { userId: employee.userId }, "read");
  await server.admin.waitForJobs(collectionId);
  await mkdir(screenshotsDir, { recursive: true });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

const shot = (page: Page, name: string) =>
  page.screenshot({ path: path.join(screenshotsDir, `audit-${name}.png`), fullPage: true });

it("lets an employee rate an answer and comment on it, and keeps the audit workspace from them", async () => {
  const page = await signedInPage(browser, server.baseUrl, employee.cookie);
  await page.goto(server.baseUrl);
  await page.getByTestId("question").fill("Where must hard helmets be worn?");
  await page.getByTestId("ask").click();
  await page.locator('[data-testid="answer"][data-phase="done"]').waitFor({ timeout: 60_000 });

  const helpful = page.getByRole("button", { name: "Helpful", exact: true });
  expect(await helpful.getAttribute("aria-pressed")).toBe("false");
  await page.getByTestId("feedback-down").click();
  await expect.poll(() => page.getByTestId("feedback-down").getAttribute("aria-pressed")).toBe("true");
  await page.getByTestId("feedback-comment-open").click();
  await page.getByLabel("Comment (optional)").fill("Zone seven is right, but the inspection day is missing.");
  await page.getByTestId("feedback-comment-save").click();
  await expect.poll(() => page.getByTestId("feedback-status").textContent()).toMatch(/comment were saved/);
  await shot(page, "ask-feedback");
  expect(await contrastOf(page, '[data-testid="feedback-down"]')).toBeGreaterThanOrEqual(4.5);

  expect(
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Audit" }).count(),
  ).toBe(0);
  await page.goto(`${server.baseUrl}/audit`);
  expect(new URL(page.url()).pathname).toBe("/");
});

it("lets the auditor find the answer, check its passages, page, ledger and feedback, and export it", async () => {
  const page = await signedInPage(browser, server.baseUrl, auditor.cookie);
  await page.goto(server.baseUrl);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Audit" }).click();
  await page.waitForURL((url) => url.pathname === "/audit");

  const badge = page.getByTestId("chain-badge");
  await expect.poll(() => badge.getAttribute("data-state")).toBe("verified");
  expect(await badge.textContent()).toMatch(/Ledger verified up to event #\d+/);

  await page.getByLabel("Person").fill("erin");
  await page.getByLabel("Text").fill("helmets");
  await page.getByTestId("audit-search").click();
  const rows = page.getByTestId("audit-row");
  await expect.poll(() => rows.count()).toBe(1);
  expect(await rows.first().textContent()).toContain("erin@example.com");
  expect(await rows.first().textContent()).toContain("Where must hard helmets be worn?");
  answerId = (await rows.first().getAttribute("data-answer-id")) ?? "";
  expect(new URL(page.url()).searchParams.get("user")).toBe("erin");

  // Keyboard: the row's checkbox takes focus and toggles with Space.
  const select = page.getByTestId("audit-select").first();
  await select.focus();
  await page.keyboard.press("Space");
  expect(await select.isChecked()).toBe(true);
  expect(await page.getByTestId("export-selection").textContent()).toBe("Export selection (1)");
  await shot(page, "search");

  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByTestId("export-selection").click(),
  ]);
  expect(download.suggestedFilename()).toMatch(/^folio-ledger-.*\.jsonl$/);
  const lines = (await readFile((await download.path()) ?? "", "utf8"))
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as { type: string; subject?: string; action?: string });
  expect(lines[0]?.type).toBe("folio-ledger-export");
  expect(lines.some((line) => line.type === "event" && line.subject === `answer:${answerId}`)).toBe(true);
  expect(lines.some((line) => line.type === "event" && line.action === "feedback.create")).toBe(true);
  await expect
    .poll(() => page.getByTestId("audit-status").textContent())
    .toMatch(/Exported 1 selected answer/);

  await page.getByTestId("audit-open").first().click();
  await page.waitForURL((url) => url.pathname === `/audit/answers/${answerId}`);
  expect(await page.getByTestId("audit-question").textContent()).toBe("Where must hard helmets be worn?");
  expect(await page.getByTestId("audit-asker").textContent()).toContain("erin@example.com");
  const sources = page.getByTestId("audit-source");
  await expect.poll(() => sources.count()).toBeGreaterThan(0);
  expect(await page.getByTestId("hash-check").first().getAttribute("data-check")).toBe("match");
  expect(await page.getByTestId("ledger-verdict").getAttribute("data-state")).toBe("match");
  expect(await page.getByTestId("ledger-verdict").textContent()).toContain(
    "Question and answer match the ledger",
  );
  expect(await page.getByTestId("ledger-seq").textContent()).toMatch(/^#\d+/);
  expect(await page.getByTestId("ledger-hash").textContent()).toMatch(/^[0-9a-f]{64}$/);
  expect(await page.getByTestId("model-parameters").textContent()).toContain("maxTokens");

  const panel = page.getByTestId("audit-source-panel");
  await panel.locator('[data-testid="page-preview"][data-state="loaded"]').waitFor({ timeout: 30_000 });
  expect(await panel.getByTestId("page-highlight").count()).toBe(1);
  expect(await panel.getByTestId("citation-passage").textContent()).toContain("helmets");
  const feedback = page.getByTestId("audit-feedback-row");
  expect(await feedback.count()).toBe(1);
  expect(await feedback.first().textContent()).toContain("Not helpful");
  expect(await feedback.first().textContent()).toContain("inspection day is missing");
  expect(await page.getByTestId("chain-badge").getAttribute("data-state")).toBe("verified");
  await shot(page, "answer");
  for (const selector of [
    '[data-testid="chain-badge"]',
    '[data-testid="hash-check"]',
    '[data-testid="ledger-verdict"]',
  ]) {
    expect(await contrastOf(page, selector)).toBeGreaterThanOrEqual(4.5);
  }
  // The first passage opens with the page without taking focus from where the reader is.
  expect(await page.evaluate(() => document.activeElement?.tagName)).toBe("BODY");
});

it("still shows the passage as sent, and says so, once the document is deleted", async () => {
  const deleted = await server.admin.request(`/api/documents/${documentId}`, { method: "DELETE" });
  expect(deleted.status).toBe(200);
  const page = await signedInPage(browser, server.baseUrl, auditor.cookie);
  await page.goto(`${server.baseUrl}/audit/answers/${answerId}`);
  const panel = page.getByTestId("audit-source-panel");
  await panel.getByTestId("audit-document-deleted").waitFor();
  expect(await panel.getByTestId("audit-document-deleted").textContent()).toBe(
    "Document deleted: the passage text kept with the answer is shown.",
  );
  expect(await panel.getByTestId("citation-passage").textContent()).toContain("helmets");
  expect(await page.getByTestId("hash-check").first().getAttribute("data-check")).toBe("match");
  await shot(page, "deleted-document");
});
