import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { buildTextPdf } from "../fixtures/builders/pdf";
import { launchChromium, signedInPage } from "../support/browser";
import { type StartedFolioServer, startFolioServer } from "../support/folio-server";
import { buildTestModels, testModelEnvironment } from "../support/test-models";

const outputDir = path.join(process.cwd(), "test-output");
const modelsDir = path.join(outputDir, "models-browser");
let server: StartedFolioServer;
let browser: Browser;

beforeAll(async () => {
  const models = await buildTestModels(modelsDir);
  server = await startFolioServer(testModelEnvironment(models, modelsDir));
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

it("uploads a PDF, waits for it to be indexed, asks, and opens a citation showing title, page and passage", async () => {
  await mkdir(outputDir, { recursive: true });
  const pdfPath = path.join(outputDir, "safety-handbook.pdf");
  await writeFile(
    pdfPath,
    buildTextPdf({
      pages: [
        ["Welcome to the safety handbook for visitors and staff."],
        ["Hard helmets must be worn in zone seven, where cranes operate overhead."],
      ],
    }),
  );
  const page = await signedInPage(browser, server.baseUrl, server.admin.credentials.cookie);
  const offOrigin: string[] = [];
  page.on("request", (request) => {
    if (!request.url().startsWith(server.baseUrl)) offOrigin.push(request.url());
  });

  await page.goto(`${server.baseUrl}/documents`);
  await page.getByTestId("new-collection-name").fill("Safety");
  await page.getByTestId("create-collection").click();
  await page.getByTestId("file-input").setInputFiles(pdfPath);
  await page.getByTestId("upload").click();
  await page.locator('[data-testid="job-row"][data-state="succeeded"]').waitFor({ timeout: 60_000 });
  await page.screenshot({ path: path.join(outputDir, "browser-documents.png"), fullPage: true });

  await page.goto(server.baseUrl);
  await page.getByTestId("question").fill("Where must hard helmets be worn?");
  await page.getByTestId("ask").click();
  await page.locator('[data-testid="answer"][data-phase="done"]').waitFor({ timeout: 60_000 });
  // Both pages fit the window and are sent whole, in page order; the scripted model cites [1]
  // and [2]: [2] is page 2.
  const citation = page.getByTestId("citation").nth(1);
  await citation.click();
  await expect.poll(() => page.getByTestId("citation-title").textContent()).toBe("safety-handbook.pdf");
  expect(await page.getByTestId("citation-page").textContent()).toBe("Page 2");
  expect(await page.getByTestId("citation-passage").textContent()).toContain("zone seven");
  await page.screenshot({ path: path.join(outputDir, "browser-citation.png"), fullPage: true });
  expect(offOrigin).toEqual([]);
});

it("continues the conversation: a follow-up shows the earlier turn, and the conversation can be picked up again", async () => {
  const page = await signedInPage(browser, server.baseUrl, server.admin.credentials.cookie);
  await page.goto(server.baseUrl);
  await page.getByTestId("question").fill("Which zone has cranes?");
  await page.getByTestId("ask").click();
  await page.locator('[data-testid="answer"][data-phase="done"]').waitFor({ timeout: 60_000 });

  await page.getByTestId("question").fill("And who must wear helmets there?");
  await page.getByTestId("ask").click();
  await page.locator('[data-testid="answer"][data-phase="done"]').waitFor({ timeout: 60_000 });
  await expect.poll(() => page.getByTestId("earlier-turn").count()).toBe(1);
  expect(await page.getByTestId("earlier-turn").textContent()).toContain("Which zone has cranes?");
  await page.screenshot({ path: path.join(outputDir, "browser-conversation.png"), fullPage: true });

  await page.getByTestId("new-conversation").click();
  expect(await page.getByTestId("earlier-turn").count()).toBe(0);
  const select = page.getByTestId("conversation-select");
  await expect.poll(() => select.locator("option", { hasText: "Which zone has cranes?" }).count()).toBe(1);
  await select.selectOption({ label: "Which zone has cranes?" });
  // Choosing in the list loads nothing until the conversation is opened.
  expect(await page.getByTestId("earlier-turn").count()).toBe(0);
  await page.getByTestId("open-conversation").click();
  await expect.poll(() => page.getByTestId("earlier-turn").count()).toBe(2);
  await page.getByTestId("earlier-turn").first().getByTestId("citation").first().click();
  await expect.poll(() => page.getByTestId("citation-title").textContent()).toBe("safety-handbook.pdf");
});
