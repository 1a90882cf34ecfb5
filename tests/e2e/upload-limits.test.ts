import { execFileSync } from "node:child_process";
import { mkdir, readdir } from "node:fs/promises";
import { request } from "node:http";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTextPdf } from "../fixtures/builders/pdf";
import { type StartedFolioServer, startFolioServer } from "../support/folio-server";

/**
 * Upload limits over real HTTP against the production server (docs/decisions/0012): bodies sent
 * chunked, without Content-Length and never ending, are refused while they stream; a collection
 * over its quota gets 413; a full disk (a real tmpfs under DATA_DIR/blobs, when this process may
 * mount one) gets 507 and keeps nothing.
 */
let server: StartedFolioServer;
let collectionId: string;

beforeAll(async () => {
  server = await startFolioServer({
    MAX_UPLOAD_BYTES: String(1024 * 1024),
    COLLECTION_QUOTA_BYTES: "1500000",
    MIN_FREE_DISK_BYTES: "0",
  });
  collectionId = await server.admin.createCollection("limits");
});

afterAll(async () => {
  await server?.stop();
});

interface EndlessOutcome {
  status: number;
  body: string;
  /** Bytes the client had sent when the answer came. */
  sentBytes: number;
}

/**
 * POSTs `first`, then 16 KiB pieces for as long as the server lets it (chunked: no
 * Content-Length), and resolves with the answer the server gives while the body still flows.
 */
function postEndless(
  route: string,
  headers: Record<string, string>,
  first: Uint8Array,
): Promise<EndlessOutcome> {
  return new Promise((resolve, reject) => {
    let sentBytes = 0;
    let timer: NodeJS.Timeout | undefined;
    const outgoing = request(`${server.baseUrl}${route}`, { method: "POST", headers }, (response) => {
      clearInterval(timer);
      const pieces: Buffer[] = [];
      response.on("data", (piece: Buffer) => pieces.push(piece));
      response.on("end", () => {
        outgoing.destroy();
        resolve({
          status: response.statusCode ?? 0,
          body: Buffer.concat(pieces).toString("utf8"),
          sentBytes,
        });
      });
    });
    outgoing.on("error", (error) => {
      clearInterval(timer);
      reject(error);
    });
    outgoing.write(first);
    sentBytes += first.byteLength;
    const piece = Buffer.alloc(16 * 1024, 0x20);
    const startedAt = Date.now();
    timer = setInterval(() => {
      if (Date.now() - startedAt > 20_000) {
        clearInterval(timer);
        outgoing.destroy();
        reject(new Error(`no answer after 20 s and ${sentBytes} bytes sent`));
        return;
      }
      outgoing.write(piece);
      sentBytes += piece.byteLength;
    }, 2);
  });
}

const cookie = () => server.admin.credentials.cookie ?? "";
const uploadRoute = (name: string) => `/api/collections/${collectionId}/documents?name=${name}`;
const incomingFiles = () =>
  readdir(path.join(server.dataDir, "blobs", ".incoming")).catch(() => [] as string[]);

function pdfOf(text: string, bytes: number): Uint8Array {
  const pdf = buildTextPdf({ pages: [[text]] });
  const padded = new Uint8Array(Math.max(pdf.byteLength, bytes)).fill(0x0a);
  padded.set(pdf);
  return padded;
}

async function titles(): Promise<string[]> {
  const body = (await (await server.admin.request(`/api/collections/${collectionId}/documents`)).json()) as {
    documents: Array<{ title: string }>;
  };
  return body.documents.map((document) => document.title);
}

describe("bodies without Content-Length", () => {
  it("a chunked upload that never ends gets 413 once it passes MAX_UPLOAD_BYTES, and nothing stays", async () => {
    const outcome = await postEndless(
      uploadRoute("endless.pdf"),
      { cookie: cookie(), "content-type": "application/octet-stream" },
      new TextEncoder().encode("%PDF-1.7\n"),
    );
    expect(outcome.status).toBe(413);
    expect(JSON.parse(outcome.body)).toMatchObject({ error: { code: "too_large:upload" } });
    expect(await incomingFiles()).toEqual([]);
  });

  it("a chunked upload of the wrong type gets 415 from its first bytes, not after the size cap", async () => {
    const outcome = await postEndless(
      uploadRoute("page.pdf"),
      { cookie: cookie(), "content-type": "application/octet-stream" },
      new TextEncoder().encode(`<!DOCTYPE html><html><body>${" ".repeat(2048)}`),
    );
    expect(outcome.status).toBe(415);
    expect(JSON.parse(outcome.body)).toMatchObject({ error: { code: "unsupported:file_type" } });
    expect(outcome.sentBytes).toBeLessThan(1024 * 1024);
    expect(await incomingFiles()).toEqual([]);
  });

  // proxy.ts matches no /api/ path (docs/decisions/0012): Next.js would hold a proxied body until it ends.
  it("a chunked JSON body that never ends gets 413 once it passes the JSON cap", async () => {
    const outcome = await postEndless(
      "/api/collections",
      { cookie: cookie(), "content-type": "application/json" },
      new TextEncoder().encode('{"name":"'),
    );
    expect(outcome.status).toBe(413);
    expect(JSON.parse(outcome.body)).toMatchObject({ error: { code: "too_large:body" } });
  });
});

describe("quota and a full disk", () => {
  it("a collection over COLLECTION_QUOTA_BYTES refuses the next file with 413 and says how full it is", async () => {
    expect((await server.admin.upload(collectionId, "first.pdf", pdfOf("first", 900_000))).status).toBe(202);
    const refused = await server.admin.upload(collectionId, "second.pdf", pdfOf("second", 900_000));
    expect(refused.status).toBe(413);
    expect(await refused.json()).toMatchObject({
      error: {
        code: "too_large:collection_quota",
        message: expect.stringContaining("900,000 of its 1,500,000 bytes"),
      },
    });
    expect(await titles()).toEqual(["first.pdf"]);
  });

  it("a full disk under DATA_DIR/blobs gets 507 with a clear message, keeps nothing, and the retry succeeds once there is room", async (context) => {
    const blobs = path.join(server.dataDir, "blobs");
    await mkdir(blobs, { recursive: true });
    try {
      execFileSync("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", blobs], { stdio: "pipe" });
    } catch (error) {
      context.skip(`cannot mount a tmpfs here (needs root): ${(error as Error).message.split("\n")[0]}`);
    }
    const other = await server.admin.createCollection("full-disk");
    const file = pdfOf("does not fit", 90_000);
    try {
      const refused = await server.admin.upload(other, "big.pdf", file);
      expect(refused.status).toBe(507);
      expect(await refused.json()).toMatchObject({
        error: {
          code: "insufficient_storage:storage_full",
          message: expect.stringContaining("storage is full"),
        },
      });
      expect(await readdir(path.join(blobs, ".incoming"))).toEqual([]);
    } finally {
      execFileSync("umount", [blobs]);
    }
    const listed = await (await server.admin.request(`/api/collections/${other}/documents`)).json();
    expect(listed).toEqual({ documents: [] });
    expect((await server.admin.upload(other, "big.pdf", file)).status).toBe(202);
  });
});
