import { mkdir } from "node:fs/promises";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTextPdf } from "../fixtures/builders/pdf";
import type { FolioApi } from "../support/api";
import { contrastOf, launchChromium, signedInPage } from "../support/browser";
import { type StartedFolioServer, startFolioServer } from "../support/folio-server";
import { addSignedInUser, type TestUser } from "../support/security";
import { buildTestModels, testModelEnvironment } from "../support/test-models";

/**
 * Golden questions on the production server: the API's access and validation, and a curator
 * adding a question with the keyboard, running it and reading the figure, the trend and the
 * alert in Chromium. The server runs the ingest worker (and so the golden runner) in process.
 */
const outputDir = path.join(process.cwd(), "test-output");
const modelsDir = path.join(outputDir, "models-golden-questions");

let server: StartedFolioServer;
let browser: Browser;
let handbook: string;
let other: string;
let reader: TestUser;
let curator: TestUser;
let outsider: TestUser;
const documents: Record<string, string> = {};

interface GoldenBody {
  collection: { permission: string };
  questions: { id: string; question: string; latest?: { rank: number | null } }[];
  latest: { recallAtK: number; hitCount: number; questionCount: number; trigger: string } | null;
  pending: { state: string } | null;
  alert: { lostQuestionIds: string[] } | null;
  runs: { state: string; isAlert: boolean }[];
}

async function golden(api: FolioApi, collectionId: string): Promise<GoldenBody> {
  const response = await api.request(`/api/collections/${collectionId}/golden`);
  if (response.status !== 200) throw new Error(`golden: ${response.status} ${await response.text()}`);
  return (await response.json()) as GoldenBody;
}

/** Polls until the collection has no run waiting or in progress and `count` runs are done. */
async function waitForRuns(collectionId: string, count: number): Promise<GoldenBody> {
  let body = await golden(server.admin, collectionId);
  await expect
    .poll(
      async () => {
        body = await golden(server.admin, collectionId);
        return body.pending === null && body.runs.filter((run) => run.state === "done").length >= count;
      },
      { timeout: 60_000, interval: 300 },
    )
    .toBe(true);
  return body;
}

async function upload(collectionId: string, name: string, pages: string[]): Promise<string> {
  const response = await server.admin.upload(
    collectionId,
    name,
    buildTextPdf({ pages: pages.map((text) => [text]) }),
  );
  if (response.status !== 202) throw new Error(`upload: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { documentId: string }).documentId;
}

beforeAll(async () => {
  await mkdir(outputDir, { recursive: true });
  const models = await buildTestModels(modelsDir);
  server = await startFolioServer({
    ...testModelEnvironment(models, modelsDir),
    GOLDEN_DEBOUNCE_SECONDS: "0",
  });
  handbook = await server.admin.createCollection("Staff handbook");
  other = await server.admin.createCollection("Other site");
  documents.lockers = await upload(handbook, "lockers.pdf", [
    "Lockers are emptied every Friday evening by the caretaker.",
  ]);
  documents.canteen = await upload(handbook, "canteen.pdf", [
    "The canteen serves lentil soup and fresh bread on Mondays.",
  ]);
  documents.visitors = await upload(handbook, "visitors.pdf", [
    "Visitors sign the register at reception and wear a badge.",
    "Visitor parking is behind the warehouse, bays twelve to twenty.",
  ]);
  documents.other = await upload(other, "other.pdf", ["Another site keeps its own rules."]);
  reader = await addSignedInUser(server, "reader@example.com", "employee");
  curator = await addSignedInUser(server, "curator@example.com", "employee");
  outsider = await addSignedInUser(server, "outsider@example.com", "employee");
  await server.admin.grant(handbook, { userId: reader.userId }, "read");
  await server.admin.grant(handbook, { userId: curator.userId }, "curate");
  await server.admin.grant(other, { userId: outsider.userId }, "curate");
  await server.admin.waitForJobs(handbook);
  await server.admin.waitForJobs(other);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe("the golden questions API", () => {
  it("lets curators change questions, readers see them, and anyone else find nothing", async () => {
    const route = `/api/collections/${handbook}/golden`;
    const question = { question: "When are the lockers emptied?", documentId: documents.lockers };
    expect((await reader.api.sendJson("POST", `${route}/questions`, question)).status).toBe(403);
    expect((await outsider.api.sendJson("POST", `${route}/questions`, question)).status).toBe(404);
    expect((await outsider.api.request(route)).status).toBe(404);
    expect((await reader.api.request(`${route}/runs`, { method: "POST" })).status).toBe(403);

    const added = await curator.api.sendJson("POST", `${route}/questions`, question);
    expect(added.status).toBe(201);
    const { question: created } = (await added.json()) as { question: { id: string } };
    const one = `${route}/questions/${created.id}`;
    expect((await reader.api.sendJson("PATCH", one, { ...question, page: 1 })).status).toBe(403);
    expect((await outsider.api.sendJson("PATCH", one, { ...question, page: 1 })).status).toBe(404);
    expect((await outsider.api.request(one, { method: "DELETE" })).status).toBe(404);
    // Another collection's curator cannot reach it through their own collection either.
    const elsewhere = `/api/collections/${other}/golden/questions/${created.id}`;
    expect((await outsider.api.request(elsewhere, { method: "DELETE" })).status).toBe(404);

    expect(await golden(reader.api, handbook)).toMatchObject({
      collection: { permission: "read" },
      questions: [{ id: created.id, question: question.question }],
    });
    expect((await curator.api.sendJson("PATCH", one, { ...question, page: 1 })).status).toBe(200);
    expect((await curator.api.request(one, { method: "DELETE" })).status).toBe(204);
    expect((await curator.api.request(one, { method: "DELETE" })).status).toBe(404);
    expect((await golden(reader.api, handbook)).questions).toEqual([]);
  });

  it("refuses what is not a question of this collection, with a reason", async () => {
    const route = `/api/collections/${handbook}/golden`;
    const send = (body: unknown) => curator.api.sendJson("POST", `${route}/questions`, body);
    const codeOf = async (response: Response) =>
      [response.status, ((await response.json()) as { error: { code: string } }).error.code] as const;
    expect(
      await codeOf(await send({ question: "Parking?", documentId: documents.visitors, page: 3 })),
    ).toEqual([400, "invalid:page_number"]);
    expect(await codeOf(await send({ question: "Elsewhere?", documentId: documents.other }))).toEqual([
      404,
      "not_found:document",
    ]);
    expect(await codeOf(await send({ question: " ", documentId: documents.lockers }))).toEqual([
      400,
      "invalid:request",
    ]);
    expect(
      await codeOf(await send({ question: "Q?", documentId: documents.lockers, role: "admin" })),
    ).toEqual([400, "invalid:request"]);
    const polluted = await curator.api.request(`${route}/questions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: `{"question":"Q?","documentId":"${documents.lockers}","__proto__":{"isAdmin":true}}`,
    });
    expect(await codeOf(polluted)).toEqual([400, "invalid:request"]);
    expect(await codeOf(await curator.api.request(`${route}/runs`, { method: "POST" }))).toEqual([
      409,
      "conflict:golden_run",
    ]);
    expect((await curator.api.request("/api/collections/not-a-uuid/golden")).status).toBe(400);
  });
});

async function tabTo(page: Page, testId: string): Promise<void> {
  for (let step = 0; step < 60; step += 1) {
    await page.keyboard.press("Tab");
    if ((await page.evaluate(() => document.activeElement?.getAttribute("data-testid"))) === testId) return;
  }
  throw new Error(`Tab never reached ${testId}`);
}

describe("the quality page", () => {
  it("adds questions with the keyboard, runs them, shows recall, the trend and the alert", async () => {
    const page = await signedInPage(browser, server.baseUrl, curator.cookie);
    await page.setViewportSize({ width: 1200, height: 900 });
    await page.goto(`${server.baseUrl}/documents`);
    await page.getByTestId("collection-select").selectOption({ label: "Staff handbook" });
    await page.getByTestId("quality-link").click();
    await page.waitForURL(`**/collections/${handbook}/quality`);
    await page.getByRole("heading", { name: "Retrieval quality · Staff handbook" }).waitFor();
    expect(await page.getByTestId("golden-never-run").textContent()).toBe("No golden questions yet.");

    // Keyboard only: the question, the document and page (typed into the focused selects), then Enter.
    const activeTestId = () => page.evaluate(() => document.activeElement?.getAttribute("data-testid"));
    const addWithKeyboard = async (text: string, documentTyped: string, pageNumber?: string) => {
      if ((await activeTestId()) !== "golden-question") await tabTo(page, "golden-question");
      await page.keyboard.type(text);
      await page.keyboard.press("Tab");
      expect(await activeTestId()).toBe("golden-document");
      await page.keyboard.type(documentTyped);
      await page.keyboard.press("Tab");
      expect(await activeTestId()).toBe("golden-page");
      if (pageNumber) await page.keyboard.type(pageNumber);
      await page.keyboard.press("Tab");
      expect(await activeTestId()).toBe("golden-save");
      await page.keyboard.press("Enter");
      await page.locator(`[data-testid="golden-question-row"]`, { hasText: text }).waitFor();
      // Focus is back in the question, ready for the next one.
      expect(await activeTestId()).toBe("golden-question");
    };
    await addWithKeyboard("When are the lockers emptied by the caretaker?", "lockers");
    await addWithKeyboard("What soup does the canteen serve on Mondays?", "canteen");
    await addWithKeyboard("Where is visitor parking, which bays?", "visitors", "2");
    expect(await page.getByTestId("golden-question-row").count()).toBe(3);

    // Edit with the keyboard: Enter on Edit moves focus to the question; saving brings it back.
    const lockersRow = page.locator(`[data-testid="golden-question-row"]`, { hasText: "lockers" });
    const questionId = await lockersRow.getAttribute("data-question-id");
    await lockersRow.getByTestId("golden-edit").focus();
    await page.keyboard.press("Enter");
    await expect.poll(activeTestId).toBe("golden-question");
    expect(await page.getByRole("heading", { name: "Edit the question" }).count()).toBe(1);
    await page.keyboard.press("Control+A");
    await page.keyboard.type("When does the caretaker empty the lockers?");
    for (let step = 0; step < 3; step += 1) await page.keyboard.press("Tab");
    expect(await activeTestId()).toBe("golden-save");
    await page.keyboard.press("Enter");
    await page
      .locator(`[data-testid="golden-question-row"]`, { hasText: "When does the caretaker" })
      .waitFor();
    await expect
      .poll(() => page.evaluate(() => document.activeElement?.getAttribute("data-edit-question")))
      .toBe(questionId);

    await page.getByTestId("golden-run-now").focus();
    await page.keyboard.press("Enter");
    await expect
      .poll(() => page.getByTestId("golden-recall").textContent(), { timeout: 60_000 })
      .toBe("100%");
    expect(await page.getByTestId("golden-latest").textContent()).toContain("3 of 3 questions");
    expect(await page.getByTestId("golden-result").first().getAttribute("data-rank")).toBe("1");
    expect(await page.getByTestId("trend-point").count()).toBe(1);
    expect(await contrastOf(page, '[data-testid="golden-result"]')).toBeGreaterThanOrEqual(4.5);

    // The page where the parking question was found opens in a dialog, focus inside.
    const parkingRow = page.locator(`[data-testid="golden-question-row"]`, { hasText: "visitor parking" });
    await parkingRow.getByTestId("golden-open-page").click();
    const dialog = page.getByTestId("golden-page-dialog");
    await dialog.getByTestId("page-image").waitFor();
    expect(await dialog.getByRole("heading").textContent()).toBe("visitors.pdf, page 2");
    await page.screenshot({ path: path.join(outputDir, "golden-questions-page.png"), fullPage: true });
    await page.keyboard.press("Escape");

    // Deleting the document a question expects re-indexes the collection: recall drops, the alert shows.
    expect(
      (await server.admin.request(`/api/documents/${documents.canteen}`, { method: "DELETE" })).status,
    ).toBe(200);
    const body = await waitForRuns(handbook, 2);
    expect(body.latest).toMatchObject({ trigger: "reindex", hitCount: 2, questionCount: 3 });
    await page.reload();
    const alert = page.getByTestId("golden-alert");
    await alert.waitFor();
    expect(await alert.textContent()).toContain("recall@5 dropped from 100% to 67% after re-indexing");
    expect(await alert.textContent()).toContain("What soup does the canteen serve on Mondays?");
    expect(await page.getByTestId("golden-recall").textContent()).toBe("67%");
    expect(await contrastOf(page, '[data-testid="golden-alert"]')).toBeGreaterThanOrEqual(4.5);
    expect(await page.evaluate(() => document.activeElement?.closest("dialog"))).toBeNull();
    expect(await page.locator('[data-testid="trend-point"][data-alert="true"]').count()).toBe(1);
    expect(await page.getByTestId("trend-chart").getAttribute("role")).toBe("img");
    await page.getByText("The runs as a table").click();
    expect(await page.getByTestId("run-row").count()).toBe(2);
    await page.screenshot({ path: path.join(outputDir, "golden-questions-alert.png"), fullPage: true });

    // A reader sees the figures and the alert, and no way to change them.
    const readerPage = await signedInPage(browser, server.baseUrl, reader.cookie);
    await readerPage.goto(`${server.baseUrl}/collections/${handbook}/quality`);
    await readerPage.getByTestId("golden-alert").waitFor();
    expect(await readerPage.getByTestId("golden-run-now").count()).toBe(0);
    expect(await readerPage.getByTestId("golden-form").count()).toBe(0);
    expect(await readerPage.getByTestId("golden-read-only").isVisible()).toBe(true);
    await readerPage.context().close();
    await page.context().close();
  });
});
