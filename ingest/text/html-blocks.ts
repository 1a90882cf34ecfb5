import { type DefaultTreeAdapterTypes, defaultTreeAdapter, parse, parseFragment } from "parse5";
import { AppError } from "../../lib/errors";
import { tableToMarkdown } from "../layout/table-markdown";
import type { FlowBlock } from "./flow-blocks";

type Node = DefaultTreeAdapterTypes.Node;
type Element = DefaultTreeAdapterTypes.Element;

export interface HtmlDocument {
  /** The `<title>`, else null. */
  title: string | null;
  blocks: FlowBlock[];
}

/**
 * Elements whose content is not document text: never read, never run. Nothing here is fetched
 * or executed: parse5 only builds a tree (no scripts, no styles, no subresources).
 */
const droppedElements = new Set([
  "script",
  "style",
  "noscript",
  "template",
  "iframe",
  "object",
  "embed",
  "frameset",
  "svg",
  "math",
  "canvas",
  "audio",
  "video",
  "select",
  "datalist",
]);

/** Elements that end the running paragraph before and after them. */
const blockElements = new Set([
  "address",
  "article",
  "aside",
  "blockquote",
  "body",
  "center",
  "dd",
  "details",
  "dialog",
  "div",
  "dl",
  "dt",
  "fieldset",
  "figcaption",
  "figure",
  "footer",
  "form",
  "header",
  "hgroup",
  "hr",
  "legend",
  "li",
  "main",
  "nav",
  "ol",
  "p",
  "section",
  "summary",
  "ul",
]);

const headingLevels: Record<string, number> = { h1: 1, h2: 2, h3: 3, h4: 4, h5: 5, h6: 6 };

/**
 * The WHATWG algorithm reopens every formatting element still "active" (`<b>`, `<i>`, `<a>` …
 * left open) before the next text: a few thousand unclosed `<b id=…>`s followed by as many
 * `<p>x</p>`s build millions of elements from 75 KB (quadratic), exhausting the memory and the
 * event loop of the process. A real page has fewer elements than characters (`<a>` is three),
 * so parsing stops past one element per character, plus room for the implied ones.
 */
function elementBudgetAdapter(sourceLength: number): typeof defaultTreeAdapter {
  const budget = sourceLength + 10_000;
  let created = 0;
  return {
    ...defaultTreeAdapter,
    createElement: (...parameters) => {
      if (++created > budget) {
        throw new AppError("invalid:text_too_complex", {
          message:
            "The file's markup is too complex to read: its unclosed formatting would make the page millions of elements, as only hostile files do.",
        });
      }
      return defaultTreeAdapter.createElement(...parameters);
    },
  };
}

/** Marks a `<br>` through whitespace collapsing. */
const lineBreak = "\u2028";

/**
 * An HTML document (by parse5, the WHATWG parsing algorithm: the tree a browser would build,
 * entities decoded) as blocks: h1–h6 are headings, tables are table blocks (Markdown), p, li,
 * pre, blockquote and other block elements are text; script, style, noscript, template, iframe,
 * object and other non-text content is dropped. Walked without recursion: a hostile page may
 * nest elements thousands deep.
 */
export function htmlToBlocks(source: string, options: { isFragment?: boolean } = {}): HtmlDocument {
  const parseOptions = { treeAdapter: elementBudgetAdapter(source.length) };
  const root = options.isFragment ? parseFragment(source, parseOptions) : parse(source, parseOptions);
  const blocks: FlowBlock[] = [];
  let title: string | null = null;
  let paragraph: string[] = [];
  const flush = () => {
    const text = collapse(paragraph.join(""));
    paragraph = [];
    if (text !== "") blocks.push({ kind: "text", text });
  };
  const lists: { isOrdered: boolean; next: number }[] = [];
  type Step = { node: Node; isExit: boolean };
  const stack: Step[] = [{ node: root as Node, isExit: false }];
  for (let step = stack.pop(); step; step = stack.pop()) {
    const { node, isExit } = step;
    if (node.nodeName === "#text") {
      paragraph.push((node as DefaultTreeAdapterTypes.TextNode).value);
      continue;
    }
    if (!("tagName" in node)) {
      if ("childNodes" in node) pushChildren(stack, node.childNodes);
      continue;
    }
    const element = node as Element;
    const tag = element.tagName;
    if (isExit) {
      if (tag === "ol" || tag === "ul") lists.pop();
      flush();
      continue;
    }
    if (droppedElements.has(tag) || hasAttribute(element, "hidden")) continue;
    const level = headingLevels[tag];
    if (level !== undefined) {
      flush();
      const text = collapse(textOf(element));
      if (text !== "") blocks.push({ kind: "heading", text, headingLevel: level });
    } else if (tag === "table") {
      flush();
      const table = tableOf(element);
      if (table) blocks.push(table);
    } else if (tag === "pre") {
      flush();
      const text = textOf(element, { keepWhitespace: true }).replace(/^\n/, "").trimEnd();
      if (text.trim() !== "") blocks.push({ kind: "text", text });
    } else if (tag === "title") {
      title ??= collapse(textOf(element)) || null;
    } else if (tag === "br") {
      paragraph.push(lineBreak);
    } else if (tag === "img") {
      const alt = attributeOf(element, "alt");
      if (alt) paragraph.push(` ${alt} `);
    } else if (blockElements.has(tag)) {
      flush();
      if (tag === "ol" || tag === "ul") {
        const start = Number.parseInt(attributeOf(element, "start") ?? "1", 10);
        lists.push({ isOrdered: tag === "ol", next: Number.isFinite(start) ? start : 1 });
      }
      if (tag === "li") {
        const list = lists.at(-1);
        paragraph.push(list?.isOrdered ? `${list.next++}. ` : "- ");
      }
      stack.push({ node, isExit: true });
      pushChildren(stack, element.childNodes);
    } else {
      pushChildren(stack, element.childNodes);
    }
  }
  flush();
  return { title, blocks };
}

function pushChildren(stack: { node: Node; isExit: boolean }[], children: readonly Node[]) {
  for (let index = children.length - 1; index >= 0; index--) {
    const child = children[index];
    if (child) stack.push({ node: child, isExit: false });
  }
}

/** An element's visible text: dropped elements skipped, `<br>` and block ends as line breaks. */
function textOf(element: Element, options: { keepWhitespace?: boolean } = {}): string {
  const parts: string[] = [];
  const stack: Node[] = [...element.childNodes].reverse();
  for (let node = stack.pop(); node; node = stack.pop()) {
    if (node.nodeName === "#text") {
      parts.push((node as DefaultTreeAdapterTypes.TextNode).value);
    } else if ("tagName" in node) {
      const child = node as Element;
      if (droppedElements.has(child.tagName) || hasAttribute(child, "hidden")) continue;
      if (child.tagName === "br") parts.push(options.keepWhitespace ? "\n" : lineBreak);
      else if (child.tagName === "img") parts.push(` ${attributeOf(child, "alt") ?? ""} `);
      else {
        if (blockElements.has(child.tagName) || child.tagName === "td" || child.tagName === "th") {
          parts.push(options.keepWhitespace ? "\n" : " ");
        }
        for (let index = child.childNodes.length - 1; index >= 0; index--) {
          const grandchild = child.childNodes[index];
          if (grandchild) stack.push(grandchild);
        }
      }
    }
  }
  return parts.join("");
}

/**
 * A table's rows (of this table, not of tables nested in its cells, whose text joins the cell)
 * with the header: the `<thead>` rows, else leading rows of `<th>` cells only.
 */
function tableOf(table: Element): FlowBlock | null {
  const rows: { cells: string[]; isHeader: boolean }[] = [];
  let caption: string | null = null;
  const addRow = (row: Element, inHead: boolean) => {
    const cells = childElements(row).filter((cell) => cell.tagName === "td" || cell.tagName === "th");
    rows.push({
      cells: cells.map((cell) => collapse(textOf(cell)).replaceAll("\n", " ")),
      isHeader: inHead || (cells.length > 0 && cells.every((cell) => cell.tagName === "th")),
    });
  };
  for (const child of childElements(table)) {
    if (child.tagName === "caption") caption = collapse(textOf(child)) || null;
    else if (child.tagName === "tr") addRow(child, false);
    else if (["thead", "tbody", "tfoot"].includes(child.tagName)) {
      for (const row of childElements(child))
        if (row.tagName === "tr") addRow(row, child.tagName === "thead");
    }
  }
  const withCells = rows.filter((row) => row.cells.some((cell) => cell !== ""));
  if (withCells.length === 0) return null;
  const firstBody = withCells.findIndex((row) => !row.isHeader);
  const headerRowCount = firstBody === -1 ? 1 : firstBody;
  const content = { rows: withCells.map((row) => row.cells), headerRowCount, caption };
  return { kind: "table", text: tableToMarkdown(content), table: content };
}

function childElements(element: Element): Element[] {
  return element.childNodes.filter((child): child is Element => "tagName" in child);
}

function hasAttribute(element: Element, name: string): boolean {
  return element.attrs.some((attribute) => attribute.name === name);
}

function attributeOf(element: Element, name: string): string | undefined {
  return element.attrs.find((attribute) => attribute.name === name)?.value;
}

function collapse(text: string): string {
  return text
    .replace(/[ \t\n\r\f\u00a0]+/g, " ")
    .split(lineBreak)
    .map((line) => line.trim())
    .join("\n")
    .trim();
}
