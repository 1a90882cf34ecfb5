import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { describe, expect, it } from "vitest";

/**
 * Two things keep pdf.js's text extraction fast in the parser children (about 1.6× on the
 * FinanceBench filings, `npm run bench -- ingest`): core-js's slow built-ins are put back to the
 * natives, and pdfjs-dist carries a patch (patches/, applied by `patch-package` on install).
 */
describe("pdf.js fast path", () => {
  it("puts back the built-ins that pdf.js's legacy build replaces", async () => {
    const natives = { push: Array.prototype.push, parse: JSON.parse, stringify: JSON.stringify };
    const { restoreNativeBuiltins } = await import("../../ingest/pdf/keep-native-builtins");
    await import("pdfjs-dist/legacy/build/pdf.mjs");
    // If this stops holding, pdf.js no longer replaces them and keep-native-builtins can go.
    expect(Array.prototype.push).not.toBe(natives.push);
    restoreNativeBuiltins();
    expect(Array.prototype.push).toBe(natives.push);
    expect(JSON.parse).toBe(natives.parse);
    expect(JSON.stringify).toBe(natives.stringify);
  });

  it("runs the patched pdf.js worker (text states cloned without growing a prototype chain)", async () => {
    const pdfjsDirectory = path.dirname(createRequire(import.meta.url).resolve("pdfjs-dist/package.json"));
    const worker = await readFile(path.join(pdfjsDirectory, "legacy/build/pdf.worker.mjs"), "utf8");
    expect(worker).toContain("Object.assign(Object.create(Object.getPrototypeOf(this)), this)");
    expect(worker).not.toContain("Object.assign(Object.create(this), this)");
  });
});
