import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildFigurePdf } from "../fixtures/builders/figure-pdf";
import { buildTextPdf, textPdfLayout } from "../fixtures/builders/pdf";
import { type FolioApi, folioApi, signIn } from "../support/api";
import { type StartedFolioServer, startFolioServer } from "../support/folio-server";
import { buildTestModels, testModelEnvironment } from "../support/test-models";

const modelsDir = path.join(process.cwd(), "test-output", "models-page-previews");
const pngSignature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
let server: StartedFolioServer;
let outsider: FolioApi;
let reader: FolioApi;
const ids: Record<string, string> = {};

async function uploadAndIndex(collectionId: string, name: string, bytes: Uint8Array): Promise<string> {
  const response = await server.admin.upload(collectionId, name, bytes);
  expect(response.status).toBe(202);
  const { documentId } = (await response.json()) as { documentId: string };
  await server.admin.waitForIndexed(collectionId);
  return documentId;
}

/** The passages a search returns, each with the chunk details the chunk route gives. */
async function chunksFor(api: FolioApi, query: string) {
  const response = await api.search({ query, limit: 20 });
  expect(response.status).toBe(200);
  const { passages } = (await response.json()) as {
    passages: Array<{ chunkId: string; documentId: string }>;
  };
  return Promise.all(
    passages.map(async (passage) => {
      const chunk = await (await api.request(`/api/chunks/${passage.chunkId}`)).json();
      return { ...passage, kind: (chunk as { chunk: { kind: string } }).chunk.kind };
    }),
  );
}

beforeAll(async () => {
  const models = await buildTestModels(modelsDir);
  server = await startFolioServer(testModelEnvironment(models, modelsDir));
  const { admin } = server;
  ids.reports = await admin.createCollection("Reports");
  await admin.addUser("olga@example.com", "employee");
  ids.reader = await admin.addUser("rita@example.com", "employee");
  await admin.grant(ids.reports, { userId: ids.reader }, "read");
  outsider = folioApi(server.baseUrl, { cookie: await signIn(server.baseUrl, "olga@example.com") });
  reader = folioApi(server.baseUrl, { cookie: await signIn(server.baseUrl, "rita@example.com") });
  ids.handbook = await uploadAndIndex(
    ids.reports,
    "handbook.pdf",
    buildTextPdf({ pages: [["Lanterns are lit at dusk."], ["Ladders are stored in the shed."]] }),
  );
  ids.lanterns = await uploadAndIndex(
    ids.reports,
    "lantern-report.pdf",
    buildFigurePdf({
      heading: "Quarterly report of the lantern company",
      caption: "Figure 1: Lantern sales by region, in thousands.",
      labels: "North 40, South 60, East 25, West 35",
    }),
  );
}, 600_000);

afterAll(async () => {
  await server?.stop();
});

describe("page previews over HTTP", () => {
  it("serve a reader the page as a private, unsniffable PNG with the page's size in points", async () => {
    const response = await reader.request(`/api/documents/${ids.handbook}/pages/2/preview?size=thumbnail`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("image/png");
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(response.headers.get("cache-control")).toMatch(/^private, max-age=\d+$/);
    expect(response.headers.get("x-page-width")).toBe(String(textPdfLayout.pageWidthPt));
    expect(response.headers.get("x-page-height")).toBe(String(textPdfLayout.pageHeightPt));
    expect(response.headers.get("x-page-unit")).toBe("pt");
    const bytes = new Uint8Array(await response.arrayBuffer());
    expect([...bytes.subarray(0, 8)]).toEqual(pngSignature);

    const info = await reader.request(`/api/documents/${ids.handbook}/pages/2`);
    expect(info.status).toBe(200);
    const body = (await info.json()) as {
      page: Record<string, unknown>;
      previewUrl: string;
      versionId: string;
    };
    expect(body.page).toMatchObject({ pageNumber: 2, pageCount: 2, width: 612, height: 792, unit: "pt" });
    expect(body.page.widthPx).toBe(1200);
    expect(body.previewUrl).toBe(
      `/api/documents/${ids.handbook}/pages/2/preview?size=reading&version=${body.versionId}`,
    );
    const reading = await reader.request(body.previewUrl);
    expect(reading.status).toBe(200);
    expect([...new Uint8Array(await reading.arrayBuffer()).subarray(0, 8)]).toEqual(pngSignature);
  });

  it("answer 404 for a page beyond the document, a bad size and another document's version id", async () => {
    expect((await reader.request(`/api/documents/${ids.handbook}/pages/3/preview`)).status).toBe(404);
    expect((await reader.request(`/api/documents/${ids.handbook}/pages/1/preview?size=huge`)).status).toBe(
      400,
    );
    const { versionId: otherVersion } = (await (
      await reader.request(`/api/documents/${ids.lanterns}/pages/1`)
    ).json()) as { versionId: string };
    const crossed = await reader.request(
      `/api/documents/${ids.handbook}/pages/1/preview?version=${otherVersion}`,
    );
    expect(crossed.status).toBe(404);
  });

  it("serve a figure passage's crop as a PNG; a text passage has none", async () => {
    const chunks = await chunksFor(reader, "lantern sales by region figure");
    const figure = chunks.find((chunk) => chunk.kind === "figure");
    const text = chunks.find((chunk) => chunk.kind === "text");
    expect(figure, JSON.stringify(chunks)).toBeDefined();
    const response = await reader.request(`/api/chunks/${figure?.chunkId}/figure`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("image/png");
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect([...new Uint8Array(await response.arrayBuffer()).subarray(0, 8)]).toEqual(pngSignature);
    expect((await reader.request(`/api/chunks/${text?.chunkId}/figure`)).status).toBe(404);
    ids.figureChunk = figure?.chunkId ?? "";
  });

  it("answer 404, exactly as for a missing document, to a user without a grant", async () => {
    const missing = "00000000-0000-4000-8000-000000000000";
    const targets = [
      `/api/documents/${ids.handbook}/pages/1/preview`,
      `/api/documents/${ids.handbook}/pages/1/preview?size=thumbnail`,
      `/api/documents/${ids.handbook}/pages/1`,
      `/api/documents/${ids.lanterns}/pages/1/preview`,
      `/api/chunks/${ids.figureChunk}/figure`,
    ];
    for (const target of targets) {
      const response = await outsider.request(target);
      expect(response.status, target).toBe(404);
      expect(response.headers.get("content-type")).toContain("application/json");
    }
    const absent = await outsider.request(`/api/documents/${missing}/pages/1/preview`);
    const forbidden = await outsider.request(`/api/documents/${ids.handbook}/pages/1/preview`);
    expect(await forbidden.json()).toEqual(await absent.json());
    expect(
      (await folioApi(server.baseUrl).request(`/api/documents/${ids.handbook}/pages/1/preview`)).status,
    ).toBe(401);
  });

  it("stop serving a reader whose grant was revoked, at the next request", async () => {
    expect((await reader.request(`/api/chunks/${ids.figureChunk}/figure`)).status).toBe(200);
    await server.admin.revoke(ids.reports ?? "", { userId: ids.reader ?? "" });
    expect((await reader.request(`/api/chunks/${ids.figureChunk}/figure`)).status).toBe(404);
    expect((await reader.request(`/api/documents/${ids.handbook}/pages/1/preview`)).status).toBe(404);
  });
});
