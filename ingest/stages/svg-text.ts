import { attributeOf, localName, type SvgElement, type SvgNode } from "./svg-parse";

export interface SvgLabels {
  /** The root's `<title>`, or null. */
  title: string | null;
  /** Each text element, HTML label, title or description, whitespace-normalised, in document order. */
  labels: string[];
}

/** Never read as text: code, styles, metadata, and definitions that only render when referenced. */
const skipped = new Set(["script", "style", "metadata", "defs", "symbol", "clipPath", "mask", "pattern"]);
/** HTML elements (in `foreignObject` labels) that break a line. */
const htmlLineBreaks = new Set(["br", "div", "p", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table"]);

/**
 * The text a reader sees in an SVG: `<text>`/`<tspan>`, `<title>`/`<desc>`, and the HTML labels
 * draw.io puts in `<foreignObject>`. Inside `<switch>` only the first child counts, as in a
 * browser: draw.io pairs each HTML label with a shortened `<text>` fallback ("Click Here to…").
 */
export function extractSvgLabels(root: SvgElement): SvgLabels {
  const labels: string[] = [];
  let title: string | null = null;

  const visit = (element: SvgElement, isRootChild: boolean): void => {
    const name = localName(element.name);
    if (skipped.has(name)) return;
    if (name === "text" || name === "title" || name === "desc") {
      const text = normalize(svgTextOf(element));
      if (text !== "") {
        labels.push(text);
        if (name === "title" && isRootChild && title === null) title = text;
      }
      return;
    }
    if (name === "foreignObject") {
      const text = normalize(htmlTextOf(element));
      if (text !== "") labels.push(text);
      return;
    }
    const children = elementsOf(element);
    for (const child of name === "switch" ? children.slice(0, 1) : children) visit(child, false);
  };

  for (const child of elementsOf(root)) visit(child, true);
  return { title, labels };
}

function elementsOf(element: SvgElement): SvgElement[] {
  return element.children.filter((node): node is SvgElement => node.type === "element");
}

/** A `<tspan>` positioned on its own (x, y, dy) is a new line; others continue the word. */
function svgTextOf(element: SvgElement): string {
  let text = "";
  for (const node of element.children) {
    if (node.type === "text") {
      text += node.text;
    } else if (!skipped.has(localName(node.name))) {
      const isPositioned = ["x", "y", "dy"].some((attribute) => attributeOf(node, attribute) !== undefined);
      text += (isPositioned ? " " : "") + svgTextOf(node);
    }
  }
  return text;
}

function htmlTextOf(node: SvgNode): string {
  if (node.type === "text") return node.text;
  const name = localName(node.name).toLowerCase();
  if (name === "script" || name === "style") return "";
  const inner = node.children.map(htmlTextOf).join("");
  return htmlLineBreaks.has(name) ? ` ${inner} ` : inner;
}

function normalize(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}
