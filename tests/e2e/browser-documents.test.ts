import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { buildEncryptedPdf, buildTextPdf } from "../fixtures/builders/pdf";
import { launchChromium, signedInPage } from "../support/browser";
import { type StartedFolioServer, startFolioServer } from "../support/folio-server";
import { buildTestModels, testModelEnvironment } from "../support/test-models";

const outputDir = path.join(process.cwd(), "test-output");
const modelsDir = path.join(outputDir, "models-browser-documents");
const filesDir = path.join(outputDir, "browser-documents-files");
let server: StartedFolioServer;
let browser: Browser;

beforeAll(async () => {
  await mkdir(filesDir, { recursive: true });
  const models = await buildTestModels(modelsDir);
  server = await startFolioServer(testModelEnvironment(models, modelsDir));
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

/** Writes a one-page PDF named a.pdf with this text into its own folder (same name, other bytes). */
async function pdfNamedA(folder: string, text: string): Promise<string> {
  const file = path.join(filesDir, folder, "a.pdf");
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, buildTextPdf({ pages: [[text]] }));
  return file;
}

async function upload(page: Page, file: string): Promise<void> {
  await page.getByTestId("file-input").setInputFiles(file);
  await page.getByTestId("upload").click();
}

function row(page: Page, title: string) {
  return page.locator(`[data-testid="document-row"][data-title="${title}"]`);
}

it("asks what to do with a taken name: keep both makes a (2).pdf, a new version replaces the content", async () => {
  const collectionId = await server.admin.createCollection("Policies");
  const page = await signedInPage(browser, server.baseUrl, server.admin.credentials.cookie);
  await page.goto(`${server.baseUrl}/documents`);
  await page.getByTestId("collection-select").selectOption({ label: "Policies" });

  await upload(page, await pdfNamedA("first", "The first policy text about parking."));
  await row(page, "a.pdf").getByText("Indexed").waitFor({ timeout: 60_000 });
  expect(await row(page, "a.pdf").getByTestId("document-version").textContent()).toBe("v1");

  // Same name, other bytes: the dialog asks; Keep both makes a separate document.
  await upload(page, await pdfNamedA("second", "A second, different policy text about bicycles."));
  const dialog = page.getByTestId("conflict-dialog");
  await dialog.waitFor();
  expect(await dialog.getByRole("heading").textContent()).toBe("A document named “a.pdf” is already here");
  expect(await dialog.getByTestId("conflict-replace").textContent()).toBe("Upload as a new version of a.pdf");
  expect(await page.evaluate(() => document.activeElement?.closest("dialog") !== null)).toBe(true);
  await page.screenshot({ path: path.join(outputDir, "browser-documents-conflict.png"), fullPage: true });
  await dialog.getByTestId("conflict-keep-both").click();
  await row(page, "a (2).pdf").getByText("Indexed").waitFor({ timeout: 60_000 });
  expect(await page.getByTestId("upload-notes").textContent()).toContain("Queued for indexing as a (2).pdf");
  // Focus went back to the button that started the upload.
  expect(await page.evaluate(() => document.activeElement?.getAttribute("data-testid"))).toBe("upload");

  // Again, and this time: a new version of a.pdf.
  await upload(page, await pdfNamedA("third", "The revised policy text about parking and charging."));
  await dialog.waitFor();
  await dialog.getByTestId("conflict-replace").click();
  await expect
    .poll(() => row(page, "a.pdf").getByTestId("document-version").textContent(), { timeout: 60_000 })
    .toBe("v2");
  expect(await page.getByTestId("document-row").count()).toBe(2);

  // Cancel leaves everything as it was.
  await upload(page, await pdfNamedA("fourth", "Yet another text that is never uploaded."));
  await dialog.waitFor();
  await page.keyboard.press("Escape");
  await page.getByTestId("upload-notes").getByText("Not uploaded: cancelled.").waitFor();
  const jobs = await server.admin.jobs(collectionId);
  expect(jobs).toHaveLength(3);

  // Delete asks first, naming the document.
  await row(page, "a (2).pdf").getByTestId("document-delete").click();
  const confirm = page.getByTestId("confirm-dialog");
  expect(await confirm.getByRole("heading").textContent()).toBe("Delete “a (2).pdf”?");
  await confirm.getByTestId("confirm").click();
  await row(page, "a (2).pdf").waitFor({ state: "detached" });
  expect(await page.getByTestId("document-row").count()).toBe(1);
  await page.screenshot({ path: path.join(outputDir, "browser-documents-list.png"), fullPage: true });
});

it("reads a password-protected PDF once a curator enters its password, and takes images", async () => {
  const shots = "/tmp/folio-shots";
  await mkdir(shots, { recursive: true });
  await server.admin.createCollection("Locked files");
  const page = await signedInPage(browser, server.baseUrl, server.admin.credentials.cookie);
  await page.goto(`${server.baseUrl}/documents`);
  await page.getByTestId("collection-select").selectOption({ label: "Locked files" });

  const locked = path.join(filesDir, "locked", "salaries.pdf");
  await mkdir(path.dirname(locked), { recursive: true });
  await writeFile(
    locked,
    buildEncryptedPdf({ pages: [["Salary bands are reviewed every spring."]], userPassword: "s3cret!" }),
  );
  await upload(page, locked);
  await row(page, "salaries.pdf").getByText("Failed").waitFor({ timeout: 60_000 });
  expect(await row(page, "salaries.pdf").textContent()).toContain("password-protected");
  await page.screenshot({ path: path.join(shots, "documents-password-needed.png"), fullPage: true });

  await row(page, "salaries.pdf").getByTestId("document-unlock").click();
  const dialog = page.getByTestId("unlock-dialog");
  await dialog.waitFor();
  await dialog.getByLabel("Password").fill("s3cret!");
  await page.screenshot({ path: path.join(shots, "documents-unlock-dialog.png") });
  await dialog.getByTestId("unlock-submit").click();
  await row(page, "salaries.pdf").getByText("Indexed").waitFor({ timeout: 60_000 });

  // An image goes through the same form: it is read by OCR and kept as a figure.
  const image = path.join(filesDir, "locked", "diagram.svg");
  await writeFile(
    image,
    '<svg xmlns="http://www.w3.org/2000/svg" width="400" height="120"><title>Escalation path</title><text x="10" y="60" font-size="24">Call the site manager first</text></svg>',
  );
  await page.getByText("Password-protected PDF?").click();
  await page.screenshot({ path: path.join(shots, "documents-upload-form.png"), fullPage: true });
  await upload(page, image);
  await row(page, "diagram.svg").getByText("Indexed").waitFor({ timeout: 60_000 });
  expect(await page.getByTestId("file-input").getAttribute("accept")).toContain("image/png");
});
