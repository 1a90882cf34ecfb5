import { mkdir } from "node:fs/promises";
import path from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { writeTinyGguf } from "../fixtures/builders/tiny-gguf";
import { contrastOf, launchChromium, signedInPage } from "../support/browser";
import { claimHandbook, claimScript } from "../support/claim-script";
import { type StartedFolioServer, startFolioServer } from "../support/folio-server";
import { buildTestModels, testModelEnvironment } from "../support/test-models";

const outputDir = path.join(process.cwd(), "test-output");
const modelsDir = path.join(outputDir, "models-browser-claims");
let server: StartedFolioServer;
let browser: Browser;

beforeAll(async () => {
  const models = await buildTestModels(modelsDir);
  const generatorPath = await writeTinyGguf(path.join(modelsDir, "claims.gguf"), {
    script: claimScript,
    contextLength: 4096,
  });
  server = await startFolioServer({
    ...testModelEnvironment(models, modelsDir),
    GENERATOR_MODEL: generatorPath,
  });
  const collectionId = await server.admin.createCollection("Safety");
  expect((await server.admin.upload(collectionId, "safety-handbook.pdf", claimHandbook)).status).toBe(202);
  await server.admin.waitForJobs(collectionId);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

it("shows a verdict badge after each cited sentence, with an accessible name, its reasons on focus, and enough contrast", async () => {
  await mkdir(outputDir, { recursive: true });
  const page = await signedInPage(browser, server.baseUrl, server.admin.credentials.cookie);
  await page.goto(server.baseUrl);
  await page.getByTestId("question").fill("Where must hard helmets be worn?");
  await page.getByTestId("ask").click();
  await page.locator('[data-testid="answer"][data-phase="done"]').waitFor({ timeout: 60_000 });

  const badges = page.getByTestId("claim-badge");
  await expect.poll(() => badges.count()).toBe(3);
  const supported = page.getByRole("button", { name: "Supported by [2]" });
  await supported.waitFor({ state: "visible" });
  const unsupported = page.getByRole("button", { name: "Unsupported: number 40 not in [1]" });
  expect(await unsupported.isVisible()).toBe(true);
  expect(await badges.nth(2).getAttribute("data-support")).toBe("weak");
  expect(await page.getByTestId("claim-summary").textContent()).toContain(
    "1 supported · 1 weak · 1 unsupported",
  );

  // Keyboard: focusing a badge shows its reasons (its accessible description); Escape hides them.
  await unsupported.focus();
  const reasons = page.getByRole("tooltip");
  await reasons.waitFor({ state: "visible" });
  expect(await reasons.textContent()).toContain('number "40" not in [1]');
  expect(await unsupported.getAttribute("aria-describedby")).toBe(await reasons.getAttribute("id"));
  await page.screenshot({ path: path.join(outputDir, "browser-claims.png"), fullPage: true });
  await page.keyboard.press("Escape");
  await reasons.waitFor({ state: "hidden" });

  for (const support of ["supported", "weak", "unsupported"]) {
    expect(await contrastOf(page, `[data-support="${support}"]`)).toBeGreaterThanOrEqual(4.5);
  }
});

it("says why a question its passages have nothing to do with was not sent to the model", async () => {
  const page = await signedInPage(browser, server.baseUrl, server.admin.credentials.cookie);
  await page.goto(server.baseUrl);
  await page.getByTestId("question").fill("What is the capital of France?");
  await page.getByTestId("ask").click();
  await page.locator('[data-testid="answer"][data-phase="done"]').waitFor({ timeout: 60_000 });
  expect(await page.getByTestId("answer-text").textContent()).toMatch(/could not find/);
  expect(await page.getByTestId("refusal").textContent()).toMatch(/Not sent to the model/);
  expect(await page.getByTestId("claim-badge").count()).toBe(0);
});
