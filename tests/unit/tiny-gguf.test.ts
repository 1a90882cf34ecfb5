import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { readGgufFileInfo } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeGguf } from "../fixtures/builders/gguf-writer";
import { buildTinyGguf, scriptText, tinyChatTemplate, writeTinyGguf } from "../fixtures/builders/tiny-gguf";

let directory: string;
beforeAll(async () => {
  directory = await mkdtemp(path.join(tmpdir(), "folio-gguf-"));
});
afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe("writeGguf", () => {
  it("writes the GGUF v3 header and 32-byte aligned tensor data", async () => {
    // `c` outgrows the writer's initial 64 KB buffer.
    const large = Float32Array.from({ length: 40_000 }, (_, index) => index);
    const bytes = writeGguf({
      metadata: [["general.name", { type: "string", value: "x" }]],
      tensors: [
        { name: "a", dimensions: [3], data: Float32Array.of(1, 2, 3) },
        { name: "b", dimensions: [2, 2], data: Float32Array.of(4, 5, 6, 7) },
        { name: "c", dimensions: [200, 200], data: large },
      ],
    });
    const view = new DataView(bytes.buffer);
    expect(new TextDecoder().decode(bytes.subarray(0, 4))).toBe("GGUF");
    expect(view.getUint32(4, true)).toBe(3);
    expect(view.getBigUint64(8, true)).toBe(3n);
    expect(view.getBigUint64(16, true)).toBe(1n);

    const filePath = path.join(directory, "two-tensors.gguf");
    await writeFile(filePath, bytes);
    const info = await readGgufFileInfo(filePath, { logWarnings: false });
    expect(info.infoEndOffset).toBeDefined();
    expect((info.infoEndOffset ?? 1) % 32).toBe(0);
    const [first, second, third] = info.tensorInfo ?? [];
    expect(second?.offset).toBe(32); // 12 bytes of `a`, padded to 32
    expect(third?.offset).toBe(64);
    expect(view.getFloat32(Number(first?.fileOffset) + 8, true)).toBe(3);
    expect(view.getFloat32(Number(second?.fileOffset), true)).toBe(4);
    expect(view.getFloat32(Number(third?.fileOffset) + 39_999 * 4, true)).toBe(39_999);
    expect(bytes.length).toBe(Number(third?.fileOffset) + 160_000);
  });

  it("rejects a tensor whose data does not match its dimensions", () => {
    expect(() =>
      writeGguf({ metadata: [], tensors: [{ name: "a", dimensions: [2, 2], data: new Float32Array(3) }] }),
    ).toThrow(/dimensions/);
  });
});

describe("buildTinyGguf", () => {
  it("holds the tokenizer and template llama.cpp needs, in a few hundred KB", async () => {
    const filePath = await writeTinyGguf(path.join(directory, "tiny.gguf"));
    const info = await readGgufFileInfo(filePath, { logWarnings: false });
    const tokens = info.metadata.tokenizer?.ggml.tokens ?? [];
    expect(tokens.slice(0, 3)).toEqual(["<unk>", "<s>", "</s>"]);
    expect(tokens).toContain("<0x00>");
    expect(tokens).toContain("<0xFF>");
    expect(tokens).toContain("<start_of_turn>");
    expect(tokens).toContain("▁the");
    expect(info.metadata.tokenizer?.chat_template).toBe(tinyChatTemplate);
    expect(info.metadata.general.architecture).toBe("llama");
    expect(buildTinyGguf().length).toBeLessThan(400_000);
  });

  it("is deterministic for a seed", () => {
    // Buffer.equals: toEqual walks 270K elements one by one.
    const bytesOf = (seed: number) => Buffer.from(buildTinyGguf({ seed }));
    expect(bytesOf(5).equals(bytesOf(5))).toBe(true);
    expect(bytesOf(5).equals(bytesOf(6))).toBe(false);
  });

  it("makes every script token a single vocabulary entry", async () => {
    const script = ["▁Réponse", "▁[12]", "!"];
    const filePath = await writeTinyGguf(path.join(directory, "scripted.gguf"), { script });
    const info = await readGgufFileInfo(filePath, { logWarnings: false });
    for (const piece of script) expect(info.metadata.tokenizer?.ggml.tokens).toContain(piece);
    expect(scriptText(script)).toBe("Réponse [12]!");
  });

  it.each([
    ["duplicate tokens", ["▁a", "▁a"]],
    ["special tokens", ["<s>"]],
    ["newlines", ["\n"]],
    ["an empty script", []],
  ])("rejects a script with %s", (_name, script) => {
    expect(() => buildTinyGguf({ script })).toThrow();
  });
});
