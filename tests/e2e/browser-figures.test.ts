import { mkdir } from "node:fs/promises";
import path from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { renderText } from "../fixtures/builders/images";
import { writeTinyMmproj } from "../fixtures/builders/tiny-mmproj";
import { launchChromium, signedInPage } from "../support/browser";
import { type StartedFolioServer, startFolioServer } from "../support/folio-server";
import { buildTestModels, testModelEnvironment } from "../support/test-models";

/**
 * A chart reaches the answering model as an image: the production server with the tiny test
 * model and a projector that fits it (llama.node reads the picture), driven in Chromium.
 */
const outputDir = path.join(process.cwd(), "test-output");
const modelsDir = path.join(outputDir, "models-browser-figures");
let server: StartedFolioServer;
let browser: Browser;

beforeAll(async () => {
  const models = await buildTestModels(modelsDir);
  const projector = await writeTinyMmproj(path.join(modelsDir, "tiny-mmproj.gguf"));
  server = await startFolioServer({
    ...testModelEnvironment(models, modelsDir),
    GENERATOR_MMPROJ: projector,
  });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

it("sends a cited chart to the model as an image, says so, and shows the chart and the verdicts", async () => {
  await mkdir(outputDir, { recursive: true });
  const { png } = await renderText(640, 240, [
    { text: "Revenue by region", x: 20, y: 70, fontSize: 44 },
    { text: "North 42   South 17", x: 20, y: 170, fontSize: 40 },
  ]);
  const collectionId = await server.admin.createCollection("Charts");
  expect((await server.admin.upload(collectionId, "revenue-chart.png", png)).status).toBe(202);
  const jobs = await server.admin.waitForJobs(collectionId);
  expect(jobs.map((job) => job.state)).toEqual(["succeeded"]);

  const page = await signedInPage(browser, server.baseUrl, server.admin.credentials.cookie);
  await page.goto(server.baseUrl);
  await page.getByTestId("question").fill("What does the revenue by region chart show?");
  await page.getByTestId("ask").click();
  await page.locator('[data-testid="answer"][data-phase="done"]').waitFor({ timeout: 60_000 });
  await expect.poll(() => page.locator(".sources").textContent()).toMatch(/1 image/);
  const sentAsImage = page.locator("li", { has: page.getByTestId("source-image-tag") });
  expect(await sentAsImage.count()).toBe(1);
  await sentAsImage.locator("button").click();
  await page.getByTestId("citation-figure").waitFor();
  await expect
    .poll(() => page.getByTestId("citation-figure").evaluate((image: HTMLImageElement) => image.naturalWidth))
    .toBeGreaterThan(0);
  expect(await page.getByTestId("citation-figure-note").textContent()).toContain("shown this image");
  expect(await page.locator(".claim").count()).toBeGreaterThan(0);
  await page.screenshot({ path: path.join(outputDir, "browser-answer-image.png"), fullPage: true });
});
