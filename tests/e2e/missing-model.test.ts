import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { buildTextPdf } from "../fixtures/builders/pdf";
import { launchChromium, signedInPage } from "../support/browser";
import { type StartedFolioServer, startFolioServer } from "../support/folio-server";
import { buildTestModels, testModelEnvironment } from "../support/test-models";

const modelsDir = path.join(process.cwd(), "test-output", "models-missing-model");
let server: StartedFolioServer;

beforeAll(async () => {
  const models = await buildTestModels(modelsDir);
  server = await startFolioServer({
    ...testModelEnvironment(models, modelsDir),
    GENERATOR_MODEL: "gemma-4-e2b-it",
  });
});
afterAll(async () => server?.stop());

it("starts without the answering model: upload and search work, ask is a 503 naming the fix", async () => {
  const api = server.admin;
  const collectionId = await api.createCollection("no-model");
  const pdf = buildTextPdf({ pages: [["The boiler room key hangs beside the north door."]] });
  expect((await api.upload(collectionId, "keys.pdf", pdf)).status).toBe(202);
  expect((await api.waitForJobs(collectionId))[0]?.state).toBe("succeeded");
  expect((await api.search({ query: "boiler room key" })).status).toBe(200);

  const response = await api.ask({ question: "Where is the boiler room key?" });
  expect(response.status).toBe(503);
  expect(response.headers.get("retry-after")).toBeTruthy();
  const { error } = (await response.json()) as {
    error: { code: string; message: string; details: { command: string } };
  };
  expect(error.code).toBe("unavailable:generator_missing");
  expect(error.message).toContain("gemma-4-E2B-it-Q4_K_M.gguf");
  expect(error.details.command).toBe("npm run models -- pull gemma-4-e2b-it");

  const browser = await launchChromium();
  try {
    const page = await signedInPage(browser, server.baseUrl, api.credentials.cookie);
    await page.goto(server.baseUrl);
    const command = page.getByTestId("problem-command").first();
    await command.waitFor();
    expect(await command.textContent()).toBe("npm run models -- pull gemma-4-e2b-it");
    await page.getByTestId("question").fill("Where is the boiler room key?");
    await page.getByTestId("ask").click();
    await page.locator('[data-testid="problem"][data-code="unavailable:generator_missing"]').nth(1).waitFor();
    await page.screenshot({
      path: path.join(process.cwd(), "test-output", "browser-missing-model.png"),
      fullPage: true,
    });
  } finally {
    await browser.close();
  }

  const status = (await (await api.request("/api/status")).json()) as {
    models: { kind: string; isReady: boolean }[];
  };
  expect(status.models).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ kind: "generator", isReady: false }),
      expect.objectContaining({ kind: "embedder", isReady: true }),
    ]),
  );
});
