import { localName, type SvgElement, type SvgNode } from "./svg-parse";

/**
 * Elements removed with everything inside them before rendering: scripts, HTML islands, embedded
 * documents and media, and animations (which can set an `href` to an outside address later).
 */
const removedElements = new Set([
  "script",
  "foreignObject",
  "iframe",
  "object",
  "embed",
  "audio",
  "video",
  "canvas",
  "handler",
  "listener",
  "animate",
  "animateMotion",
  "animateTransform",
  "animateColor",
  "set",
  "discard",
]);

/** Raster data URLs are the only outside content a render may use; the caller vets each one. */
const rasterDataUrl = /^data:image\/(png|jpeg|jpg|gif|webp);base64,[a-z0-9+/=\s]*$/i;

export interface SanitizeOptions {
  /** Whether an embedded raster data URL may stay (e.g. its header is within the pixel limit). */
  isAllowedDataUrl: (url: string) => boolean;
}

/**
 * Serialises a parsed SVG so that rendering it can run nothing and fetch nothing: no scripts, no
 * `on*` handlers, no `<foreignObject>`, no DOCTYPE or entities (the parser never keeps them), no
 * `xml:base`, and every reference (`href`, `xlink:href`, `src`, CSS `url()` and `@import`) that is
 * not a same-document `#fragment` or a vetted raster `data:` URL removed.
 */
export function sanitizeSvg(root: SvgElement, options: SanitizeOptions): string {
  return serialize(root, options);
}

/** Raster `data:` URLs referenced by the SVG, for the caller to vet before `sanitizeSvg`. */
export function collectDataUrls(root: SvgElement): string[] {
  const found: string[] = [];
  const visit = (node: SvgNode) => {
    if (node.type === "text") return;
    for (const [name, value] of node.attributes) {
      if (isReferenceAttribute(name) && rasterDataUrl.test(value.trim())) found.push(value.trim());
    }
    node.children.forEach(visit);
  };
  visit(root);
  return found;
}

function serialize(node: SvgNode, options: SanitizeOptions, parentName = ""): string {
  if (node.type === "text") {
    const text = parentName === "style" ? scrubCss(node.text) : node.text;
    return escapeText(text);
  }
  const name = localName(node.name);
  if (removedElements.has(name) || !/^[A-Za-z_][\w.:-]*$/.test(node.name)) return "";
  const attributes = node.attributes
    .map(([attributeName, value]) => sanitizeAttribute(attributeName, value, options))
    .filter((attribute): attribute is [string, string] => attribute !== null)
    .map(([attributeName, value]) => ` ${attributeName}="${escapeAttribute(value)}"`)
    .join("");
  const children = node.children.map((child) => serialize(child, options, name)).join("");
  return `<${node.name}${attributes}${children === "" ? "/>" : `>${children}</${node.name}>`}`;
}

function sanitizeAttribute(name: string, value: string, options: SanitizeOptions): [string, string] | null {
  if (!/^[A-Za-z_][\w.:-]*$/.test(name)) return null;
  const lower = name.toLowerCase();
  if (lower.startsWith("on") || lower === "xml:base") return null;
  if (isReferenceAttribute(name)) {
    const reference = value.trim();
    if (reference.startsWith("#") && !reference.includes("(")) return [name, reference];
    if (rasterDataUrl.test(reference) && options.isAllowedDataUrl(reference)) return [name, reference];
    return null;
  }
  return [name, value.includes("url(") || lower === "style" ? scrubCss(value) : value];
}

function isReferenceAttribute(name: string): boolean {
  const local = localName(name).toLowerCase();
  return local === "href" || local === "src";
}

/**
 * CSS may fetch through `url(…)`, `image-set(…)`, `@import` and `@font-face src`: every `url()`
 * that is not a same-document fragment becomes `none`, and `@import` rules go.
 */
export function scrubCss(css: string): string {
  return (
    css
      .replace(/@import[^;]*;?/gi, "")
      .replace(/url\(\s*(['"]?)(.*?)\1\s*\)/gi, (whole, _quote: string, target: string) =>
        target.trim().startsWith("#") ? whole : "none",
      )
      .replace(/image-set\([^)]*\)/gi, "none")
      .replace(/\\/g, "")
      // Whatever the pattern above could not pair up (unclosed, odd quoting) is disarmed too.
      .replace(/url\((?!\s*['"]?#)/gi, "none(")
  );
}

function escapeText(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function escapeAttribute(value: string): string {
  return escapeText(value).replace(/"/g, "&quot;");
}
