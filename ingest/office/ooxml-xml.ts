import { XMLParser } from "fast-xml-parser";
import { AppError } from "../../lib/errors";

/** An XML element with its attributes (entities decoded) and children in document order. */
export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlNode[];
}
export type XmlNode = XmlElement | string;

/**
 * fast-xml-parser with entity processing off: parts were already refused if they declare a
 * DOCTYPE (xml-guard.ts), and with processing off the parser could not expand an entity anyway.
 * The five predefined entities and character references are decoded here, in text and
 * attributes only. Order is preserved (a slide's shapes and a paragraph's runs are read in order).
 */
const maxNestingDepth = 100;

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "",
  preserveOrder: true,
  processEntities: false,
  htmlEntities: false,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  // A slide nests ~10 levels plus its groups; the cap also bounds the recursive walks below.
  maxNestedTags: maxNestingDepth,
});

type ParsedNode = Record<string, unknown> & { ":@"?: Record<string, string> };

/** The root element of an XML part; `invalid:office_malformed` when it is not well-formed XML. */
export function parseXmlPart(partName: string, bytes: Uint8Array): XmlElement {
  let parsed: ParsedNode[];
  try {
    parsed = parser.parse(
      Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8"),
    ) as ParsedNode[];
  } catch (error) {
    const isTooDeep = error instanceof Error && /nested/i.test(error.message);
    throw new AppError("invalid:office_malformed", {
      message: isTooDeep
        ? `The file's part ${partName} nests elements more than ${maxNestingDepth} levels deep, which no Office file does.`
        : `The file's part ${partName} is not well-formed XML.`,
      cause: error,
    });
  }
  const root = parsed.map(toNode).find((node): node is XmlElement => typeof node !== "string");
  if (!root) {
    throw new AppError("invalid:office_malformed", { message: `The file's part ${partName} is empty.` });
  }
  return root;
}

function toNode(node: ParsedNode): XmlNode {
  const name = Object.keys(node).find((key) => key !== ":@") ?? "";
  const value = node[name];
  if (name === "#text") return decodeEntities(String(value ?? ""));
  const attributes: Record<string, string> = {};
  for (const [key, raw] of Object.entries(node[":@"] ?? {})) attributes[key] = decodeEntities(String(raw));
  const children = Array.isArray(value) ? (value as ParsedNode[]).map(toNode) : [];
  return { name, attributes, children };
}

const predefined: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

/** `&amp;` `&lt;` `&gt;` `&quot;` `&apos;` and `&#…;` / `&#x…;`; anything else is left as written. */
export function decodeEntities(text: string): string {
  if (!text.includes("&")) return text;
  return text.replace(/&(#x[0-9a-f]{1,6}|#[0-9]{1,7}|[a-z]{2,4});/gi, (whole, reference: string) => {
    if (reference.startsWith("#")) {
      const codePoint =
        reference[1] === "x" || reference[1] === "X"
          ? Number.parseInt(reference.slice(2), 16)
          : Number.parseInt(reference.slice(1), 10);
      return codePoint > 0 && codePoint <= 0x10ffff ? String.fromCodePoint(codePoint) : whole;
    }
    return predefined[reference] ?? whole;
  });
}

export function childElements(element: XmlElement, name?: string): XmlElement[] {
  return element.children.filter(
    (child): child is XmlElement => typeof child !== "string" && (name === undefined || child.name === name),
  );
}

export function firstChild(element: XmlElement | undefined, name: string): XmlElement | undefined {
  return element?.children.find(
    (child): child is XmlElement => typeof child !== "string" && child.name === name,
  );
}

/** The element reached by following child names, e.g. `path(slide, "p:cSld", "p:spTree")`. */
export function path(element: XmlElement | undefined, ...names: string[]): XmlElement | undefined {
  let current = element;
  for (const name of names) current = firstChild(current, name);
  return current;
}

/** All descendants with this name, in document order (not looking inside a match). */
export function descendants(element: XmlElement, name: string): XmlElement[] {
  const found: XmlElement[] = [];
  const visit = (node: XmlElement) => {
    for (const child of childElements(node)) {
      if (child.name === name) found.push(child);
      else visit(child);
    }
  };
  visit(element);
  return found;
}

/** The concatenated text of every text node under the element. */
export function textContent(element: XmlElement): string {
  return element.children.map((child) => (typeof child === "string" ? child : textContent(child))).join("");
}

/**
 * A part's relationships (`_rels/<name>.rels`): id → target part name, resolved against the
 * part's folder. External targets (URLs) are left out: nothing outside the package is read.
 */
export function readRelationships(
  parts: ReadonlyMap<string, Uint8Array>,
  partName: string,
): Map<string, { target: string; type: string }> {
  const folder = partName.includes("/") ? partName.slice(0, partName.lastIndexOf("/")) : "";
  const file = partName.slice(partName.lastIndexOf("/") + 1);
  const relsName = `${folder ? `${folder}/` : ""}_rels/${file}.rels`;
  const bytes = parts.get(relsName);
  const relationships = new Map<string, { target: string; type: string }>();
  if (!bytes) return relationships;
  for (const relationship of childElements(parseXmlPart(relsName, bytes), "Relationship")) {
    const { Id: id, Target: target, Type: type, TargetMode: mode } = relationship.attributes;
    if (!id || !target || mode === "External") continue;
    relationships.set(id, { target: resolvePartName(folder, target), type: type ?? "" });
  }
  return relationships;
}

/** "ppt" + "slides/slide1.xml" → "ppt/slides/slide1.xml"; "/xl/x.xml" is from the package root. */
export function resolvePartName(folder: string, target: string): string {
  const segments = target.startsWith("/") ? [] : folder.split("/").filter(Boolean);
  for (const segment of target.split("/")) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") segments.pop();
    else segments.push(segment);
  }
  return segments.join("/");
}

/** `dc:title` from docProps/core.xml, or null. */
export function readCoreTitle(parts: ReadonlyMap<string, Uint8Array>): string | null {
  const bytes = parts.get("docProps/core.xml");
  if (!bytes) return null;
  const title = firstChild(parseXmlPart("docProps/core.xml", bytes), "dc:title");
  const text = title ? textContent(title).replace(/\s+/g, " ").trim() : "";
  return text === "" ? null : text.slice(0, 500);
}
