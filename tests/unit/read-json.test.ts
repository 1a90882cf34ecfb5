import { describe, expect, it } from "vitest";
import { z } from "zod";
import { readJson } from "../../lib/http/read-json";

const schema = z.object({ question: z.string() });

/** A chunked body (no Content-Length) that never ends: it sends `{"question":"aaaa…` for ever. */
function endlessJsonRequest(state: { pulled: number; isCancelled: boolean }): Request {
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new TextEncoder().encode('{"question":"'));
    },
    async pull(controller) {
      state.pulled += 1;
      // A network pace: lets timers run between pieces.
      await new Promise((resolve) => setImmediate(resolve));
      controller.enqueue(new Uint8Array(16 * 1024).fill(0x61));
    },
    cancel() {
      state.isCancelled = true;
    },
  });
  return new Request("http://folio.test/api/ask", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
    duplex: "half",
  } as RequestInit);
}

describe("readJson", () => {
  it("stops reading a chunked body that never ends once it passes the cap, and answers 413", async () => {
    const state = { pulled: 0, isCancelled: false };
    const outcome = await Promise.race([
      readJson(endlessJsonRequest(state), schema, 64 * 1024).catch((error: unknown) => error),
      new Promise((resolve) => setTimeout(() => resolve("still reading after 2 s"), 2000)),
    ]);
    expect(outcome).toMatchObject({ code: "too_large:body" });
    expect(state.pulled).toBeLessThan(10);
    expect(state.isCancelled).toBe(true);
  });

  it("counts bytes, not characters: 40,000 two-byte characters pass no 64 KiB cap", async () => {
    const text = JSON.stringify({ question: "é".repeat(40_000) });
    const request = new Request("http://folio.test/api/ask", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: new Blob([text]).stream(),
      duplex: "half",
    } as RequestInit);
    await expect(readJson(request, schema, 64 * 1024)).rejects.toMatchObject({ code: "too_large:body" });
  });

  it("reads a small body split across pieces, multi-byte characters on the seams", async () => {
    const bytes = new TextEncoder().encode(JSON.stringify({ question: "naïve café ✓" }));
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let offset = 0; offset < bytes.byteLength; offset += 3) {
          controller.enqueue(bytes.subarray(offset, offset + 3));
        }
        controller.close();
      },
    });
    const request = new Request("http://folio.test/api/ask", {
      method: "POST",
      headers: { "content-type": "application/json; charset=utf-8" },
      body,
      duplex: "half",
    } as RequestInit);
    expect(await readJson(request, schema)).toEqual({ question: "naïve café ✓" });
  });

  it("refuses a declared Content-Length over the cap without reading", async () => {
    const request = new Request("http://folio.test/api/ask", {
      method: "POST",
      headers: { "content-type": "application/json", "content-length": "999999" },
      body: "{}",
    });
    await expect(readJson(request, schema, 1024)).rejects.toMatchObject({ code: "too_large:body" });
  });
});
