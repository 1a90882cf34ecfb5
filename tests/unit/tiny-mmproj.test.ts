import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { readGgufFileInfo } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { projectorMismatch, readGgufHeader } from "../../lib/models/gguf-header";
import { tinyGgufEmbeddingLength, writeTinyGguf } from "../fixtures/builders/tiny-gguf";
import { buildTinyMmproj, tinyMmprojImageTokens, writeTinyMmproj } from "../fixtures/builders/tiny-mmproj";

let directory: string;
beforeAll(async () => {
  directory = await mkdtemp(path.join(tmpdir(), "folio-mmproj-"));
});
afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe("buildTinyMmproj", () => {
  it("writes an mlp projector sized for the tiny text model, in about 100 KB", async () => {
    const filePath = await writeTinyMmproj(path.join(directory, "mmproj.gguf"));
    expect((await stat(filePath)).size).toBeLessThan(150_000);
    const header = await readGgufHeader(filePath);
    expect(header).toMatchObject({
      architecture: "clip",
      projector: {
        hasVisionEncoder: true,
        type: "mlp",
        projectionDim: tinyGgufEmbeddingLength(),
        imageSize: 32,
      },
    });
    expect(tinyMmprojImageTokens()).toBe(16);
    expect(buildTinyMmproj()).toEqual(buildTinyMmproj());
    expect(buildTinyMmproj({ seed: 2 })).not.toEqual(buildTinyMmproj());

    const info = await readGgufFileInfo(filePath, { logWarnings: false });
    const dimensions = new Map(
      info.tensorInfo?.map((tensor) => [tensor.name, tensor.dimensions.map(Number)]),
    );
    expect(dimensions.get("v.patch_embd.weight")).toEqual([8, 8, 3, 16]);
    expect(dimensions.get("v.position_embd.weight")).toEqual([16, 16]);
    expect(dimensions.get("v.blk.1.ffn_up.weight")).toEqual([16, 32]);
    expect(dimensions.get("mm.2.weight")).toEqual([32, 32]);
    expect(dimensions.get("mm.2.bias")).toEqual([32]);
  });

  it("fits the tiny text model by its headers, and a 48-wide one does not", async () => {
    const model = await readGgufHeader(await writeTinyGguf(path.join(directory, "text.gguf")));
    expect(model).toMatchObject({ architecture: "llama", embeddingLength: 32, contextLength: 2048 });
    expect(
      projectorMismatch(model, await readGgufHeader(await writeTinyMmproj(path.join(directory, "a.gguf")))),
    ).toBe(undefined);
    const wide = await readGgufHeader(
      await writeTinyMmproj(path.join(directory, "b.gguf"), { projectionDim: 48 }),
    );
    expect(projectorMismatch(model, wide)).toContain("48-wide");
    expect(projectorMismatch(model, model)).toContain("not a projector");
    expect(projectorMismatch(wide, wide)).toContain("itself a projector");
  });
});
