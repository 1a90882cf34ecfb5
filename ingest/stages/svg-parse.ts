import { AppError } from "../../lib/errors";

export interface SvgElement {
  type: "element";
  /** As written, with any namespace prefix (`svg:text`, `xhtml:div`). */
  name: string;
  attributes: [name: string, value: string][];
  children: SvgNode[];
}

export interface SvgText {
  type: "text";
  text: string;
}

export type SvgNode = SvgElement | SvgText;

/** Limits of the parser, well above any real diagram (draw.io exports are tens of KB). */
export const svgLimits = {
  maxCharacters: 10_000_000,
  maxElements: 200_000,
  maxDepth: 256,
} as const;

const malformed = (message: string) =>
  new AppError("invalid:image_malformed", { message: `SVG: ${message}` });

/**
 * A small, forgiving XML parser for SVG: elements, attributes, text and CDATA. It never reads a
 * DTD, never expands an entity other than the five XML ones and character references (so no
 * billion laughs, no external entities), and drops comments and processing instructions. A
 * mismatched end tag closes up to its opening element, or is ignored when none is open.
 * Returns the root `<svg>` element.
 */
export function parseSvg(source: string): SvgElement {
  if (source.length > svgLimits.maxCharacters) {
    throw new AppError("invalid:image_too_large", { message: "SVG: the file is too large to parse." });
  }
  const document: SvgElement = { type: "element", name: "#document", attributes: [], children: [] };
  const open: SvgElement[] = [document];
  let elementCount = 0;
  let index = 0;
  const current = () => open[open.length - 1] ?? document;

  while (index < source.length) {
    const next = source.indexOf("<", index);
    if (next === -1 || next > index) {
      const end = next === -1 ? source.length : next;
      appendText(current(), decodeEntities(source.slice(index, end)));
      index = end;
      continue;
    }
    if (source.startsWith("<!--", index)) {
      index = skipPast(source, index + 4, "-->");
    } else if (source.startsWith("<![CDATA[", index)) {
      const end = source.indexOf("]]>", index + 9);
      appendText(current(), source.slice(index + 9, end === -1 ? source.length : end));
      index = end === -1 ? source.length : end + 3;
    } else if (source.startsWith("<!", index)) {
      index = skipDeclaration(source, index + 2);
    } else if (source.startsWith("<?", index)) {
      index = skipPast(source, index + 2, "?>");
    } else if (source.startsWith("</", index)) {
      const end = source.indexOf(">", index);
      const name = source.slice(index + 2, end === -1 ? source.length : end).trim();
      const at = open.findLastIndex((element) => element.name === name);
      if (at > 0) open.length = at;
      index = end === -1 ? source.length : end + 1;
    } else {
      const tag = readStartTag(source, index);
      index = tag.end;
      if (tag.name === "") {
        appendText(current(), "<");
        continue;
      }
      elementCount += 1;
      if (elementCount > svgLimits.maxElements) throw malformed("too many elements.");
      const element: SvgElement = {
        type: "element",
        name: tag.name,
        attributes: tag.attributes,
        children: [],
      };
      current().children.push(element);
      if (!tag.isSelfClosing) {
        if (open.length > svgLimits.maxDepth) throw malformed("elements are nested too deeply.");
        open.push(element);
      }
    }
  }
  const root = document.children.find(
    (node): node is SvgElement => node.type === "element" && localName(node.name) === "svg",
  );
  if (!root) throw malformed("no <svg> element.");
  return root;
}

export function localName(name: string): string {
  return name.slice(name.indexOf(":") + 1);
}

export function attributeOf(element: SvgElement, name: string): string | undefined {
  return element.attributes.find(([attributeName]) => attributeName === name)?.[1];
}

function appendText(parent: SvgElement, text: string): void {
  if (text === "") return;
  const last = parent.children[parent.children.length - 1];
  if (last?.type === "text") last.text += text;
  else parent.children.push({ type: "text", text });
}

function skipPast(source: string, from: number, terminator: string): number {
  const end = source.indexOf(terminator, from);
  return end === -1 ? source.length : end + terminator.length;
}

/** `<!DOCTYPE …>` with an optional internal subset `[…]`: skipped whole, never interpreted. */
function skipDeclaration(source: string, from: number): number {
  let quote: string | null = null;
  let bracketDepth = 0;
  for (let index = from; index < source.length; index += 1) {
    const character = source[index];
    if (quote) {
      if (character === quote) quote = null;
    } else if (character === '"' || character === "'") {
      quote = character;
    } else if (character === "[") {
      bracketDepth += 1;
    } else if (character === "]") {
      bracketDepth = Math.max(0, bracketDepth - 1);
    } else if (character === ">" && bracketDepth === 0) {
      return index + 1;
    }
  }
  return source.length;
}

const namePattern = /[^\s/>"'=<]+/y;
const attributePattern = /\s*([^\s/>"'=<]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+)))?/y;

function readStartTag(
  source: string,
  start: number,
): { name: string; attributes: [string, string][]; isSelfClosing: boolean; end: number } {
  namePattern.lastIndex = start + 1;
  const name = namePattern.exec(source)?.[0] ?? "";
  if (name === "") return { name, attributes: [], isSelfClosing: false, end: start + 1 };
  let index = start + 1 + name.length;
  const attributes: [string, string][] = [];
  while (index < source.length) {
    attributePattern.lastIndex = index;
    const match = attributePattern.exec(source);
    if (!match) break;
    const value = match[2] ?? match[3] ?? match[4] ?? "";
    attributes.push([match[1] ?? "", decodeEntities(value)]);
    index = attributePattern.lastIndex;
  }
  while (index < source.length && /\s/.test(source[index] ?? "")) index += 1;
  const isSelfClosing = source[index] === "/";
  const close = source.indexOf(">", index);
  return { name, attributes, isSelfClosing, end: close === -1 ? source.length : close + 1 };
}

const namedEntities: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };

/** The five XML entities and character references; anything else stays as written. */
export function decodeEntities(text: string): string {
  if (!text.includes("&")) return text;
  return text.replace(/&(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|[a-zA-Z]{2,4});/g, (whole, entity: string) => {
    if (entity.startsWith("#")) {
      const codePoint = entity[1] === "x" ? Number.parseInt(entity.slice(2), 16) : Number(entity.slice(1));
      return codePoint > 0 && codePoint <= 0x10ffff ? String.fromCodePoint(codePoint) : whole;
    }
    return namedEntities[entity] ?? whole;
  });
}
