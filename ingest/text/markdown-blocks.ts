import { decodeHTML } from "entities";
import { Lexer, type Token, type Tokens } from "marked";
import { tableToMarkdown } from "../layout/table-markdown";
import type { FlowBlock } from "./flow-blocks";
import { htmlToBlocks } from "./html-blocks";
import { trimBlankEdges } from "./trim-line-ends";

export interface MarkdownDocument {
  /** The front matter's `title:`, else a level-1 heading that opens the document, else null. */
  title: string | null;
  blocks: FlowBlock[];
}

/**
 * Markdown (CommonMark + GFM, by the `marked` lexer) as blocks: headings keep their level,
 * GFM tables become table blocks, paragraphs, list items, quotes and code are text. Inline
 * markup is dropped to its text (links to their text, images to their alt text), entities are
 * decoded, and raw HTML blocks are read as HTML (scripts and styles dropped). YAML front matter
 * is not content: only its `title:` is kept.
 */
export function markdownToBlocks(source: string): MarkdownDocument {
  const { body, title: frontMatterTitle } = splitFrontMatter(source);
  const tokens = new Lexer({ gfm: true }).lex(body);
  const blocks = tokens.flatMap((token) => blocksOf(token));
  const first = blocks[0];
  const title =
    frontMatterTitle ?? (first?.kind === "heading" && first.headingLevel === 1 ? first.text : null);
  return { title, blocks };
}

function blocksOf(token: Token, listDepth = 0): FlowBlock[] {
  switch (token.type) {
    case "heading": {
      const text = inlineText((token as Tokens.Heading).tokens);
      return text === "" ? [] : [{ kind: "heading", text, headingLevel: (token as Tokens.Heading).depth }];
    }
    case "paragraph":
    case "text": {
      const inner = (token as Tokens.Paragraph).tokens;
      return textBlock(inner ? inlineText(inner) : decodeHTML((token as Tokens.Text).text));
    }
    case "code":
      return textBlock((token as Tokens.Code).text, { keepWhitespace: true });
    case "blockquote":
      return (token as Tokens.Blockquote).tokens.flatMap((inner) => blocksOf(inner, listDepth));
    case "list":
      return listBlocks(token as Tokens.List, listDepth);
    case "table":
      return [tableBlock(token as Tokens.Table)];
    case "html":
      return htmlToBlocks((token as Tokens.HTML).text, { isFragment: true }).blocks;
    default:
      // space, hr, def (link definitions), br: no content of their own.
      return [];
  }
}

/** One text block per item, marked as a list item ("- ", "1. "), nested items indented. */
function listBlocks(list: Tokens.List, depth: number): FlowBlock[] {
  const start = typeof list.start === "number" ? list.start : 1;
  return list.items.flatMap((item, index) => {
    const marker = list.ordered ? `${start + index}. ` : "- ";
    const indent = "  ".repeat(depth);
    const own: string[] = [];
    const nested: FlowBlock[] = [];
    for (const inner of item.tokens) {
      if (inner.type === "list") nested.push(...listBlocks(inner as Tokens.List, depth + 1));
      else own.push(...blocksOf(inner, depth + 1).map((block) => block.text));
    }
    const text = own.join("\n").trim();
    const task = item.task ? (item.checked ? "[x] " : "[ ] ") : "";
    const block: FlowBlock = { kind: "text", text: `${indent}${marker}${task}${text}` };
    return [...(text === "" ? [] : [block]), ...nested];
  });
}

function tableBlock(token: Tokens.Table): FlowBlock {
  const cell = (value: Tokens.TableCell) => inlineText(value.tokens).replace(/\s+/g, " ").trim();
  const table = {
    rows: [token.header.map(cell), ...token.rows.map((row) => row.map(cell))],
    headerRowCount: 1,
    caption: null,
  };
  return { kind: "table", text: tableToMarkdown(table), table };
}

/** Inline tokens to their visible text. */
function inlineText(tokens: readonly Token[]): string {
  return tokens
    .map((token) => {
      switch (token.type) {
        case "text":
          return "tokens" in token && token.tokens ? inlineText(token.tokens) : decodeHTML(token.text);
        case "escape":
        case "codespan":
          // Already the literal character; a code span's entities stay as written (CommonMark).
          return token.text;
        case "br":
          return "\n";
        case "image":
          return decodeHTML((token as Tokens.Image).text);
        case "html":
          // Inline tags (<b>, <span>) are markup; their text is in the neighbouring tokens.
          return "";
        default:
          return "tokens" in token && Array.isArray(token.tokens) ? inlineText(token.tokens) : "";
      }
    })
    .join("");
}

function textBlock(text: string, options: { keepWhitespace?: boolean } = {}): FlowBlock[] {
  const value = options.keepWhitespace ? trimBlankEdges(text) : text.trim();
  return value === "" ? [] : [{ kind: "text", text: value }];
}

/** YAML front matter (`---` … `---` or `...` at the very start) split off, with its title. */
function splitFrontMatter(source: string): { body: string; title: string | null } {
  const match = /^\uFEFF?---[ \t]*\n([\s\S]*?)\n(?:---|\.\.\.)[ \t]*(?:\n|$)/.exec(source);
  if (!match) return { body: source, title: null };
  const titleLine = /^title:[ \t]*(.+)$/m.exec(match[1] ?? "");
  const title =
    titleLine?.[1]
      ?.trim()
      .replace(/^(["'])(.*)\1$/, "$2")
      .trim() || null;
  return { body: source.slice(match[0].length), title };
}
