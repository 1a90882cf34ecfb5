import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { deflateRawSync } from "node:zlib";
import { unzipSync, zipSync } from "fflate";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readOfficeDocument } from "../../ingest/office/read-office-document";
import type { ArchiveLimits } from "../../ingest/office/safe-archive";
import {
  buildDocx,
  buildPptx,
  buildXlsx,
  compoundFileHead,
  mediaTypes,
  minimalDocxEntries,
  wordDocumentXml,
  writeZip,
} from "../fixtures/builders/office";

let directory: string;
beforeAll(async () => {
  directory = await mkdtemp(path.join(tmpdir(), "folio-office-archive-"));
});
afterAll(async () => rm(directory, { recursive: true, force: true }));

async function readDocx(bytes: Uint8Array, limits: ArchiveLimits = {}) {
  const filePath = path.join(directory, `${Math.random().toString(36).slice(2)}.docx`);
  await writeFile(filePath, bytes);
  return readOfficeDocument({ filePath, mediaType: mediaTypes.docx }, limits);
}

async function failureOf(bytes: Uint8Array, limits: ArchiveLimits = {}) {
  try {
    await readDocx(bytes, limits);
  } catch (error) {
    return { code: (error as { code?: string }).code, message: (error as Error).message };
  }
  throw new Error("the file was read");
}

const body = wordDocumentXml(["Hello from a hand-made package."]);

const xxe = wordDocumentXml(
  ["&xxe;"],
  '<!DOCTYPE w:document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
).replace("&amp;xxe;", "&xxe;");

const laughs = wordDocumentXml(
  ["&lol9;"],
  `<!DOCTYPE lolz [<!ENTITY lol "lol">${Array.from(
    { length: 9 },
    (_, level) => `<!ENTITY lol${level + 1} "${`&lol${level || ""};`.repeat(10)}">`,
  ).join("")}]>`,
).replace("&amp;lol9;", "&lol9;");

describe("openOfficeArchive (through readOfficeDocument)", () => {
  it("reads a hand-made minimal package", async () => {
    const document = await readDocx(writeZip(minimalDocxEntries(body)));
    expect(document.pages[0]?.blocks.map((block) => block.text)).toEqual(["Hello from a hand-made package."]);
  });

  it.each([
    ["an external entity (XXE)", xxe],
    ["nested entities (billion laughs)", laughs],
    ["a DOCTYPE in UTF-16", "\uFEFF<!DOCTYPE x [<!ENTITY a 'b'>]><x/>"],
  ])("refuses %s unread: invalid:xml_entities", async (_, xml) => {
    const data = xml.startsWith("\uFEFF") ? new Uint8Array(Buffer.from(xml, "utf16le")) : xml;
    const entries = minimalDocxEntries(body).map((entry) =>
      entry.name === "word/document.xml" ? { ...entry, data } : entry,
    );
    const failure = await failureOf(writeZip(entries));
    expect(failure.code).toBe("invalid:xml_entities");
    expect(failure.message).toContain("word/document.xml");
    expect(failure.message).not.toContain("root:");
  });

  it("refuses a bomb (a small file with a huge entry) from its central directory, before inflating", async () => {
    const huge = Buffer.alloc(64 * 1024 * 1024);
    const entries = [
      ...minimalDocxEntries(body),
      {
        name: "word/media/filler.xml",
        data: new Uint8Array(0),
        storedData: deflateRawSync(huge),
        declaredSize: huge.length,
      },
    ];
    const bytes = writeZip(entries);
    expect(bytes.length).toBeLessThan(200 * 1024);
    const failure = await failureOf(bytes);
    expect(failure.code).toBe("invalid:office_zip_bomb");
    expect(failure.message).toMatch(/inflate \d+ times/);
  });

  it("refuses a bomb spread over many parts each under the per-part grace, from the package's total", async () => {
    // 1 MiB parts are not held to the ratio alone; 60 of them inflate 60 MiB from ~70 KB.
    const part = Buffer.from(`<x>${"a".repeat(1024 * 1024 - 8)}</x>`);
    const deflated = deflateRawSync(part);
    const fillers = Array.from({ length: 60 }, (_, index) => ({
      name: `customXml/item${index}.xml`,
      data: new Uint8Array(0),
      storedData: deflated,
      declaredSize: part.length,
    }));
    const bytes = writeZip([...minimalDocxEntries(body), ...fillers]);
    expect(bytes.length).toBeLessThan(200 * 1024);
    const failure = await failureOf(bytes);
    expect(failure.code).toBe("invalid:office_zip_bomb");
  });

  it("stops inflating an entry at its declared size when the header lies", async () => {
    const real = Buffer.from(`<x>${"a".repeat(500_000)}</x>`);
    const entries = minimalDocxEntries(body).map((entry) =>
      entry.name === "word/document.xml"
        ? { ...entry, data: new Uint8Array(0), storedData: deflateRawSync(real), declaredSize: 1000 }
        : entry,
    );
    const failure = await failureOf(writeZip(entries));
    expect(failure.code).toBe("invalid:office_zip_bomb");
    expect(failure.message).toContain("declares");
  });

  it("refuses a package over the uncompressed limit, and one with too many entries", async () => {
    const bytes = writeZip([
      ...minimalDocxEntries(body),
      { name: "word/big.xml", data: "<x/>".padEnd(300_000, " ") },
    ]);
    expect((await failureOf(bytes, { maxUncompressedBytes: 200_000 })).code).toBe("too_large:office_archive");
    expect((await failureOf(bytes, { maxEntries: 3 })).code).toBe("too_large:office_archive");
  });

  it.each([["../evil.xml"], ["/etc/evil.xml"], ["word\\evil.xml"]])(
    "refuses a part named %s: invalid:office_unsafe_name",
    async (name) => {
      const failure = await failureOf(writeZip([...minimalDocxEntries(body), { name, data: "<x/>" }]));
      expect(failure.code).toBe("invalid:office_unsafe_name");
    },
  );

  it("refuses two parts whose names differ only by case", async () => {
    const entries = [...minimalDocxEntries(body), { name: "WORD/document.xml", data: body }];
    expect((await failureOf(writeZip(entries))).code).toBe("invalid:office_unsafe_name");
  });

  it("refuses encrypted entries and a password-protected (compound file) document", async () => {
    const entries = minimalDocxEntries(body).map((entry) => ({ ...entry, flags: 1 }));
    expect((await failureOf(writeZip(entries))).code).toBe("invalid:office_encrypted");
    expect((await failureOf(compoundFileHead())).code).toBe("invalid:office_encrypted");
  });

  it("refuses a truncated package, corrupt data and a file that is not a ZIP: invalid:office_malformed", async () => {
    const whole = await buildDocx();
    expect((await failureOf(whole.subarray(0, Math.floor(whole.length / 2)))).code).toBe(
      "invalid:office_malformed",
    );
    const corrupt = minimalDocxEntries(body).map((entry) =>
      entry.name === "word/document.xml"
        ? { ...entry, storedData: new Uint8Array([0xff, 0xff, 0xff, 0xff]) }
        : entry,
    );
    expect((await failureOf(writeZip(corrupt))).code).toBe("invalid:office_malformed");
    expect((await failureOf(new TextEncoder().encode("just text, not a zip"))).code).toBe(
      "invalid:office_malformed",
    );
    const notWord = writeZip([{ name: "hello.xml", data: "<hello/>" }]);
    expect((await failureOf(notWord)).code).toBe("invalid:office_malformed");
  });

  it.each([
    ["docx", "word/document.xml"],
    ["pptx", "ppt/slides/slide1.xml"],
    ["xlsx", "xl/worksheets/sheet1.xml"],
  ] as const)("fails a %s whose %s is not well-formed XML: invalid:office_malformed", async (kind, part) => {
    const built =
      kind === "docx" ? await buildDocx() : kind === "pptx" ? await buildPptx() : await buildXlsx();
    const files = unzipSync(built);
    files[part] = new TextEncoder().encode('<?xml version="1.0"?><broken attr="unclosed><a:t>text</b>');
    const filePath = path.join(directory, `broken.${kind}`);
    await writeFile(filePath, zipSync(files));
    await expect(readOfficeDocument({ filePath, mediaType: mediaTypes[kind] })).rejects.toMatchObject({
      code: "invalid:office_malformed",
    });
  });

  it.each([
    ["pptx", "ppt/slides/slide1.xml", "<p:spTree>", "<p:grpSp>", "</p:grpSp>"],
    ["docx", "word/document.xml", "<w:body>", "<w:sdt><w:sdtContent>", "</w:sdtContent></w:sdt>"],
  ] as const)(
    "fails a %s nested 20,000 levels deep with a typed reason, not a crash",
    async (kind, part, anchor, open, close) => {
      const files = unzipSync(kind === "docx" ? await buildDocx() : await buildPptx());
      const xml = new TextDecoder().decode(files[part]);
      files[part] = new TextEncoder().encode(
        xml.replace(anchor, anchor + open.repeat(20_000) + close.repeat(20_000)),
      );
      const filePath = path.join(directory, `deep.${kind}`);
      // Stored: nested tags compress like a bomb, and the ratio check would refuse them first.
      await writeFile(filePath, zipSync(files, { level: 0 }));
      await expect(readOfficeDocument({ filePath, mediaType: mediaTypes[kind] })).rejects.toMatchObject({
        code: "invalid:office_malformed",
      });
    },
  );

  it("reads a macro-enabled document's text and never reads its VBA project", async () => {
    // Not a deflate stream: inflating it would fail the document.
    const macros = {
      name: "word/vbaProject.bin",
      data: new Uint8Array(0),
      storedData: new Uint8Array(4096).fill(0xff),
      declaredSize: 8192,
    };
    const document = await readDocx(writeZip([...minimalDocxEntries(body), macros]));
    expect(document.hasMacros).toBe(true);
    expect(document.pages[0]?.blocks[0]?.text).toBe("Hello from a hand-made package.");
  });
});

describe("parts read over and over (text bombs inside a well-formed package)", () => {
  async function failureOfType(bytes: Uint8Array, extension: "pptx" | "xlsx") {
    const filePath = path.join(directory, `${Math.random().toString(36).slice(2)}.${extension}`);
    await writeFile(filePath, bytes);
    try {
      await readOfficeDocument({ filePath, mediaType: mediaTypes[extension] });
    } catch (error) {
      return { code: (error as { code?: string }).code, message: (error as Error).message };
    }
    throw new Error("the file was read");
  }

  it("refuses a deck that lists one slide 30,000 times (23 KB made 30,002 pages)", async () => {
    const files = unzipSync(await buildPptx());
    const presentation = new TextDecoder().decode(files["ppt/presentation.xml"]);
    const slideId = /<p:sldId [^>]*\/>/.exec(presentation)?.[0] ?? "";
    files["ppt/presentation.xml"] = new TextEncoder().encode(
      presentation.replace(slideId, slideId.repeat(30_000)),
    );
    expect(await failureOfType(zipSync(files), "pptx")).toMatchObject({ code: "invalid:office_malformed" });
  });

  it("refuses a workbook whose cells repeat a long shared string (137 KB made 81 M characters)", async () => {
    const main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
    const relationships = "http://schemas.openxmlformats.org/package/2006/relationships";
    const officeRelationship = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
    const rows = Array.from(
      { length: 20_000 },
      (_, index) =>
        `<row r="${index + 1}"><c r="A${index + 1}" t="s"><v>0</v></c><c r="B${index + 1}" t="s"><v>0</v></c></row>`,
    ).join("");
    const workbook = writeZip([
      {
        name: "_rels/.rels",
        data: `<Relationships xmlns="${relationships}"><Relationship Id="rId1" Type="${officeRelationship}/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
      },
      {
        name: "xl/workbook.xml",
        data: `<workbook xmlns="${main}" xmlns:r="${officeRelationship}"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>`,
      },
      {
        name: "xl/_rels/workbook.xml.rels",
        data: `<Relationships xmlns="${relationships}"><Relationship Id="rId1" Type="${officeRelationship}/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="${officeRelationship}/sharedStrings" Target="sharedStrings.xml"/></Relationships>`,
      },
      {
        name: "xl/worksheets/sheet1.xml",
        data: `<worksheet xmlns="${main}"><sheetData>${rows}</sheetData></worksheet>`,
      },
      {
        name: "xl/sharedStrings.xml",
        data: `<sst xmlns="${main}" count="1"><si><t>${"harbour ".repeat(600)}</t></si></sst>`,
      },
    ]);
    // Refused while its cells are read ("more than" the budget), before 81 M characters are built.
    expect(await failureOfType(workbook, "xlsx")).toMatchObject({
      code: "invalid:office_zip_bomb",
      message: expect.stringMatching(/more than \d+ characters of text/),
    });
  });

  it("still reads a workbook that repeats a short label down a long column", async () => {
    const document = await readOfficeDocument({
      filePath: await (async () => {
        const filePath = path.join(directory, "ledger.xlsx");
        await writeFile(filePath, await buildXlsx({ ledgerRows: 5_000 }));
        return filePath;
      })(),
      mediaType: mediaTypes.xlsx,
    });
    expect(document.pages.length).toBeGreaterThan(0);
  });
});
