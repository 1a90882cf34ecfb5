import { AppError } from "../../lib/errors";
import type { FlowBlock } from "../text/flow-blocks";
import type { TableContent } from "../types";
import { headingBlock, labelledPage, oneLine, tableBlock, textBlock } from "./office-blocks";
import type { OfficeContent } from "./office-content";
import {
  childElements,
  descendants,
  firstChild,
  parseXmlPart,
  path,
  readCoreTitle,
  readRelationships,
  textContent,
  type XmlElement,
} from "./ooxml-xml";
import type { OfficeArchive } from "./safe-archive";

const slideRelationship = /\/relationships\/slide$/;
const notesRelationship = /\/relationships\/notesSlide$/;
/** Placeholders that repeat on every slide and say nothing about it. */
const skippedPlaceholders = new Set(["sldNum", "dt", "ftr", "hdr", "sldImg"]);

/**
 * A presentation (.pptx, .pptm): one page per slide in presentation order (the `p:sldIdLst` of
 * ppt/presentation.xml), labelled "Slide N" and its title. The title is the page's heading; then
 * every text frame in the slide's drawing order (groups included), tables as Markdown, pictures'
 * alt text; then the speaker notes, under a "Speaker notes" heading. Hidden slides are read and
 * labelled "(hidden)". Charts, media and embedded objects are not read.
 */
export function readPptx(archive: OfficeArchive): OfficeContent {
  const parts = archive.xmlParts;
  const presentationName = "ppt/presentation.xml";
  const presentationBytes = parts.get(presentationName);
  if (!presentationBytes) {
    throw new AppError("invalid:office_malformed", {
      message: "The file is not a PowerPoint presentation: it has no ppt/presentation.xml.",
    });
  }
  const relationships = readRelationships(parts, presentationName);
  const slideIds = childElements(
    path(parseXmlPart(presentationName, presentationBytes), "p:sldIdLst") ?? emptyElement,
    "p:sldId",
  );
  // PowerPoint lists each slide once; a part listed again would be read again, so a few KB of
  // `<p:sldId>`s pointing at one slide make tens of thousands of pages.
  const slideNames = new Set<string>();
  const pages = slideIds.flatMap((slideId, index) => {
    const relationship = relationships.get(slideId.attributes["r:id"] ?? "");
    if (!relationship || !slideRelationship.test(relationship.type)) return [];
    const bytes = parts.get(relationship.target);
    if (!bytes) return [];
    if (slideNames.has(relationship.target)) {
      throw new AppError("invalid:office_malformed", {
        message: `The presentation lists its slide ${relationship.target} more than once, which PowerPoint never does; it is refused.`,
      });
    }
    slideNames.add(relationship.target);
    const slide = parseXmlPart(relationship.target, bytes);
    const { title, blocks } = slideBlocks(slide);
    const notes = readNotes(archive, relationship.target);
    if (notes !== "") blocks.push(headingBlock("Speaker notes", 2), textBlock(notes));
    const isHidden = slide.attributes.show === "0" || slide.attributes.show === "false";
    const label = `Slide ${index + 1}${title ? `: ${oneLine(title, 80)}` : ""}${isHidden ? " (hidden)" : ""}`;
    return [{ label, blocks: title ? [headingBlock(oneLine(title, 300), 1), ...blocks] : blocks }];
  });
  return {
    title: readCoreTitle(parts),
    // Pages are numbered in order (a slide whose part is missing leaves no gap); labels keep slide numbers.
    pages: pages.map((slide, index) => labelledPage(index + 1, slide.label, slide.blocks)),
  };
}

const emptyElement: XmlElement = { name: "", attributes: {}, children: [] };

/** The slide's title (its title placeholder) and its other content, in drawing order. */
function slideBlocks(slide: XmlElement): { title: string | null; blocks: FlowBlock[] } {
  let title: string | null = null;
  const blocks: FlowBlock[] = [];
  const visit = (container: XmlElement) => {
    for (const shape of childElements(container)) {
      switch (shape.name) {
        case "p:sp": {
          const placeholder = path(shape, "p:nvSpPr", "p:nvPr", "p:ph")?.attributes.type ?? "";
          if (skippedPlaceholders.has(placeholder)) break;
          const text = textFrame(firstChild(shape, "p:txBody"));
          if (text === "") break;
          if ((placeholder === "title" || placeholder === "ctrTitle") && title === null) title = text;
          else blocks.push(textBlock(text));
          break;
        }
        case "p:grpSp":
          visit(shape);
          break;
        case "p:graphicFrame": {
          const table = descendants(shape, "a:tbl")[0];
          if (table) {
            const content = tableContent(table);
            if (content.rows.length > 0) blocks.push(tableBlock(content));
          }
          break;
        }
        case "p:pic": {
          const altText = path(shape, "p:nvPicPr", "p:cNvPr")?.attributes.descr?.trim();
          if (altText) blocks.push(textBlock(`[Image: ${oneLine(altText, 500)}]`));
          break;
        }
        case "mc:AlternateContent": {
          // The first choice only: the fallback repeats it for older readers.
          const choice = firstChild(shape, "mc:Choice") ?? firstChild(shape, "mc:Fallback");
          if (choice) visit(choice);
          break;
        }
      }
    }
  };
  visit(path(slide, "p:cSld", "p:spTree") ?? emptyElement);
  return { title, blocks };
}

/** A text frame's paragraphs, one line each, indented by outline level. */
function textFrame(body: XmlElement | undefined): string {
  if (!body) return "";
  const lines = childElements(body, "a:p").map((paragraph) => {
    const level = Math.min(8, Number(firstChild(paragraph, "a:pPr")?.attributes.lvl ?? 0) || 0);
    const text = childElements(paragraph)
      .map((run) => {
        if (run.name === "a:br") return "\n";
        if (run.name === "a:r" || run.name === "a:fld")
          return textContent(firstChild(run, "a:t") ?? emptyElement);
        return "";
      })
      .join("")
      .replace(/[ \t]+/g, " ")
      .trim();
    return text === "" ? "" : `${"  ".repeat(level)}${text}`;
  });
  return lines.filter((line) => line !== "").join("\n");
}

/**
 * A DrawingML table's cells on its grid (cells merged into another are empty). The first row
 * is the header when the table is styled with one (`firstRow`), else when every cell has text.
 */
function tableContent(table: XmlElement): TableContent {
  const rows = childElements(table, "a:tr")
    .map((row) =>
      childElements(row, "a:tc").map((cell) => {
        const isMerged = cell.attributes.hMerge === "1" || cell.attributes.vMerge === "1";
        return isMerged ? "" : textFrame(firstChild(cell, "a:txBody")).replace(/\s+/g, " ");
      }),
    )
    .filter((cells) => cells.some((cell) => cell !== ""));
  const hasHeaderStyle = firstChild(table, "a:tblPr")?.attributes.firstRow === "1";
  const firstRow = rows[0] ?? [];
  const headerRowCount = rows.length > 1 && (hasHeaderStyle || firstRow.every((cell) => cell !== "")) ? 1 : 0;
  return { rows, headerRowCount, caption: null };
}

/** The slide's speaker notes: the notes page's body placeholder(s). */
function readNotes(archive: OfficeArchive, slideName: string): string {
  const notesName = [...readRelationships(archive.xmlParts, slideName).values()].find((relationship) =>
    notesRelationship.test(relationship.type),
  )?.target;
  const bytes = notesName ? archive.xmlParts.get(notesName) : undefined;
  if (!notesName || !bytes) return "";
  const tree = path(parseXmlPart(notesName, bytes), "p:cSld", "p:spTree") ?? emptyElement;
  return descendants(tree, "p:sp")
    .filter((shape) => path(shape, "p:nvSpPr", "p:nvPr", "p:ph")?.attributes.type === "body")
    .map((shape) => textFrame(firstChild(shape, "p:txBody")))
    .filter((text) => text !== "")
    .join("\n");
}
