import type { ExtractedPage, PageBlock } from "../types";

/**
 * Running headers, footers and page numbers, removed page by page as pages stream through.
 *
 * A block is a candidate when it lies in the top or bottom margin band of its page and is short.
 * It is removed when its signature (lowercase, digits → "#", spaces collapsed: "Page 3 of 10" ≈
 * "Page 4 of 10") is in the margin band of enough of the nearby pages (at least 2 of them, and
 * at least 30 % of the neighbours looked at), or when it is a lone page number ("7", "- 7 -",
 * "Page 7", "7 of 12", "vii"). A 1- or 2-page document therefore loses only page numbers.
 *
 * `window` pages at most are held (default 9): a page is released once the `(window - 1) / 2`
 * pages after it were seen (or at `flush`), judged against as many before and after it. Nine
 * lets headers that alternate between odd and even pages repeat twice even on the first page.
 */
export function createRunningTextFilter(options: { window?: number } = {}): {
  push(page: ExtractedPage): ExtractedPage[];
  flush(): ExtractedPage[];
} {
  const window = Math.max(1, Math.floor(options.window ?? 9));
  const reach = Math.floor((window - 1) / 2);
  const pending: { page: ExtractedPage; signatures: Set<string> }[] = [];
  /** Signatures of the last `reach` released pages (small strings, not pages). */
  const released: Set<string>[] = [];

  const releaseFirst = (): ExtractedPage | null => {
    const entry = pending.shift();
    if (!entry) return null;
    const neighbours = [...released.slice(-reach), ...pending.slice(0, reach).map((next) => next.signatures)];
    released.push(entry.signatures);
    if (released.length > reach) released.shift();
    const blocks = entry.page.blocks.filter((block) => !isRunning(entry.page, block, neighbours));
    return blocks.length === entry.page.blocks.length ? entry.page : { ...entry.page, blocks };
  };

  return {
    push(page) {
      pending.push({ page, signatures: marginSignatures(page) });
      const out: ExtractedPage[] = [];
      while (pending.length > reach) {
        const next = releaseFirst();
        if (next) out.push(next);
      }
      return out;
    },
    flush() {
      const out: ExtractedPage[] = [];
      while (pending.length > 0) {
        const next = releaseFirst();
        if (next) out.push(next);
      }
      return out;
    },
  };
}

const rules = {
  /** Share of the page height at the top and at the bottom where running text lives. */
  marginShare: 0.1,
  /** Running text is at most this long. */
  maxCharacters: 150,
  minRepeats: 2,
  minRepeatShare: 0.3,
} as const;

function isRunning(page: ExtractedPage, block: PageBlock, neighbours: readonly Set<string>[]): boolean {
  if (!isInMargin(page, block)) return false;
  if (isPageNumber(block.text)) return true;
  if (block.kind === "table" || block.kind === "figure") return false;
  const signature = signatureOf(block.text);
  const repeats = neighbours.filter((signatures) => signatures.has(signature)).length;
  return repeats >= rules.minRepeats && repeats >= rules.minRepeatShare * neighbours.length;
}

function marginSignatures(page: ExtractedPage): Set<string> {
  const signatures = new Set<string>();
  for (const block of page.blocks) {
    if (block.kind !== "table" && block.kind !== "figure" && isInMargin(page, block)) {
      signatures.add(signatureOf(block.text));
    }
  }
  return signatures;
}

function isInMargin(page: ExtractedPage, block: PageBlock): boolean {
  if (page.height <= 0 || block.text.length > rules.maxCharacters) return false;
  const band = rules.marginShare * page.height;
  return block.box[3] <= band || block.box[1] >= page.height - band;
}

function signatureOf(text: string): string {
  return text.toLowerCase().replace(/\d+/g, "#").replace(/\s+/g, " ").trim();
}

/** "7", "- 7 -", "Page 7", "page 7 of 12", "7 / 12", "vii", "S. 7", "Seite 7". */
export function isPageNumber(text: string): boolean {
  const compact = text.replace(/\s+/g, " ").trim().toLowerCase();
  return (
    /^[-–—]?\s*\d{1,4}\s*[-–—]?$/.test(compact) ||
    /^(page|p\.|pg\.?|seite|s\.|página|pagina)\s*\d{1,4}(\s*(of|von|de|\/)\s*\d{1,4})?$/.test(compact) ||
    /^\d{1,4}\s*(of|\/|von)\s*\d{1,4}$/.test(compact) ||
    /^[ivxlc]{1,7}$/.test(compact)
  );
}
