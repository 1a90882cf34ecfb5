import { mkdir } from "node:fs/promises";
import path from "node:path";
import type { Browser, Locator, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { boxOf, launchChromium, signedInPage } from "../support/browser";
import { type StartedFolioServer, startFolioServer } from "../support/folio-server";
import { buildTestModels, testModelEnvironment } from "../support/test-models";

const modelsDir = path.join(process.cwd(), "test-output", "models-browser-text-previews");
const shotsDir = process.env.FOLIO_SHOTS_DIR ?? path.join(process.cwd(), "test-output", "shots");
let server: StartedFolioServer;
let browser: Browser;
let collectionId: string;
let documentId: string;

/** One long first section (a page of its own), so a late passage on it must be scrolled to. */
const policy = [
  "# Travel policy",
  "",
  "## Overview",
  "",
  ...Array.from(
    { length: 14 },
    (_, index) =>
      `Rule ${index + 1}: staff book travel through the portal, keep receipts for every journey and claim costs within thirty days of the trip ${"so that the finance team can close each month on time ".repeat(3)}.\n`,
  ),
  'Markup stays text: `<b>not bold</b>` and <img src=x onerror="window.__injected = true"> never run.',
  "",
  "## Hotels",
  "",
  "Hotels cost at most 150 euros a night in the capital.",
  "",
  "| City | Nightly cap | Booked through |",
  "|---|---|---|",
  "| Paris | 150 euros | the portal |",
  "| Lyon | 110 euros | the portal \\| or by phone |",
].join("\n");

beforeAll(async () => {
  await mkdir(shotsDir, { recursive: true });
  const models = await buildTestModels(modelsDir);
  server = await startFolioServer(testModelEnvironment(models, modelsDir));
  browser = await launchChromium();
  collectionId = await server.admin.createCollection("Policies");
  const upload = await server.admin.upload(
    collectionId,
    "travel-policy.md",
    new TextEncoder().encode(policy),
  );
  expect(upload.status).toBe(202);
  documentId = ((await upload.json()) as { documentId: string }).documentId;
  await server.admin.waitForIndexed(collectionId);
}, 600_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

it("opens a Markdown passage on its section's page as text, with the passage marked and scrolled into view", async () => {
  const page = await signedInPage(browser, server.baseUrl, server.admin.credentials.cookie);
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto(server.baseUrl);
  // The markup line ends the long first section: the question makes sure its passage is among the
  // sources however few passages the prompt budget of a loaded machine admits.
  await page.getByTestId("question").fill("When must staff claim travel costs, and which markup stays text?");
  await page.getByTestId("ask").click();
  await page.locator('[data-testid="answer"][data-phase="done"]').waitFor({ timeout: 60_000 });

  // Sources are named by their section, not "page 1"; the one with the markup line is far down
  // its page.
  const overview = page.locator(".sources .source-link", { hasText: "travel-policy.md, Overview" });
  expect(await overview.count()).toBeGreaterThan(1);
  expect(await openSourceWhosePassageHas(page, overview, "Markup stays text")).toBe(true);
  expect(await page.getByTestId("citation-page").textContent()).toBe("Overview");

  const preview = page.locator('[data-testid="page-preview"][data-kind="text"]');
  await preview.waitFor({ timeout: 30_000 });
  const highlight = page.getByTestId("page-highlight");
  const passage = (await page.getByTestId("citation-passage").textContent()) ?? "";
  expect((await highlight.textContent())?.trim()).toBe(passage.trim());
  expect(await page.getByTestId("page-text").textContent()).toContain(
    "Markup stays text: <b>not bold</b> and",
  );
  // Text, never HTML: the markup is shown as characters, no element was made from it, nothing ran.
  expect(await page.getByTestId("page-text").locator("b, img").count()).toBe(0);
  expect(await page.evaluate(() => (window as { __injected?: boolean }).__injected)).toBeUndefined();

  const viewport = await boxOf(page.locator(".page-viewport"));
  const marked = await boxOf(highlight);
  expect(await page.locator(".page-viewport").evaluate((element) => element.scrollTop)).toBeGreaterThan(0);
  expect(marked.y).toBeGreaterThanOrEqual(viewport.y - 1);
  expect(marked.y).toBeLessThan(viewport.y + viewport.height);
  await page
    .getByTestId("citation-panel")
    .screenshot({ path: path.join(shotsDir, "citation-text-page.png") });

  // "Open the page" serves the text as text/plain, sandboxed.
  const href = await preview.locator("figcaption a").getAttribute("href");
  const response = await page.request.get(`${server.baseUrl}${href}`);
  expect(response.status()).toBe(200);
  expect(response.headers()["content-type"]).toBe("text/plain; charset=utf-8");
  expect(response.headers()["content-security-policy"]).toContain("sandbox");
  expect(await response.text()).toContain("Rule 14");
  await page.context().close();
});

it("shows a table of a text page as a table, the cited rows marked", async () => {
  const page = await signedInPage(browser, server.baseUrl, server.admin.credentials.cookie);
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto(server.baseUrl);
  await page.getByTestId("question").fill("Lyon nightly cap booked through phone");
  await page.getByTestId("ask").click();
  await page.locator('[data-testid="answer"][data-phase="done"]').waitFor({ timeout: 60_000 });

  // The table's passage among the sources of its section.
  const hotels = page.locator(".sources .source-link", { hasText: "travel-policy.md, Hotels" });
  expect(await openSourceWhosePassageHas(page, hotels, "the portal | or by phone")).toBe(true);

  const table = page.locator('[data-testid="page-preview"][data-kind="text"] [data-testid="page-table"]');
  await table.waitFor({ timeout: 30_000 });
  expect(await table.locator("th").allTextContents()).toEqual(["City", "Nightly cap", "Booked through"]);
  // Cells as written: the escaped pipe is a pipe again, and no Markdown syntax is left.
  expect(await table.locator("tbody tr").last().locator("td").allTextContents()).toEqual([
    "Lyon",
    "110 euros",
    "the portal | or by phone",
  ]);
  const markedRows = table.locator('tr[data-testid="page-highlight"]');
  expect(await markedRows.allTextContents()).toEqual(
    expect.arrayContaining([expect.stringContaining("Lyon")]),
  );
  await page
    .getByTestId("citation-panel")
    .screenshot({ path: path.join(shotsDir, "citation-text-table.png") });
  await page.context().close();
});

it("lists a text document's pages by their labels, in the API and in the golden-question page picker", async () => {
  const response = await server.admin.request(`/api/documents/${documentId}/pages`);
  expect(response.status).toBe(200);
  const { pages } = (await response.json()) as { pages: { pageNumber: number; label: string | null }[] };
  expect(pages.map((page) => page.label)).toEqual(expect.arrayContaining(["Overview", "Hotels"]));

  const page = await signedInPage(browser, server.baseUrl, server.admin.credentials.cookie);
  await page.goto(`${server.baseUrl}/collections/${collectionId}/quality`);
  await page.getByTestId("golden-document").selectOption({ label: "travel-policy.md" });
  const options = page.getByTestId("golden-page").locator("option");
  // The number leads, so typing it still picks the page; the label says which page it is.
  await expect
    .poll(() => options.allTextContents())
    .toEqual(["Any page", ...pages.map(({ pageNumber, label }) => `${pageNumber} · ${label}`)]);
  await page.getByTestId("golden-page").selectOption("2");
  await page.locator("form", { has: page.getByTestId("golden-page") }).screenshot({
    path: path.join(shotsDir, "golden-page-picker.png"),
  });
  await page.context().close();
});

/** Opens the sources among `links` one by one until the citation panel's passage holds `text`. */
async function openSourceWhosePassageHas(page: Page, links: Locator, text: string): Promise<boolean> {
  const panel = page.getByTestId("citation-panel");
  for (let index = 0; index < (await links.count()); index += 1) {
    const link = links.nth(index);
    const marker = /^\[\d+\]/.exec((await link.textContent()) ?? "")?.[0];
    await link.click();
    // The panel shows the clicked source's marker at once and loads its passage after.
    await panel.locator(".marker", { hasText: marker }).waitFor();
    const passage = panel.getByTestId("citation-passage");
    await passage.waitFor();
    if (((await passage.textContent()) ?? "").includes(text)) return true;
  }
  return false;
}
