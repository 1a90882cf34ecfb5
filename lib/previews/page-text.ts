import { randomUUID } from "node:crypto";
import { readFile, rename, rm, writeFile } from "node:fs/promises";
import { z } from "zod";
import { pageTextOf, type TextPage } from "../domain/page-text";
import { AppError, isAppError } from "../errors";
import type { DerivedStore } from "../storage/derived-store";
import type { PreviewVersion } from "./page-preview";

/** A page as a document reader yields it, as far as its text preview needs. */
export interface ReadPage {
  pageNumber: number;
  label?: string;
  blocks: readonly { text: string }[];
}

export interface PageTextDependencies {
  blobs: { pathOf(sha256: string): string };
  derived: DerivedStore;
  /** Reads a document's pages again (the ingest reader), for the text of pages without images. */
  readPages(input: { filePath: string; mediaType: string }): Promise<{ pages: AsyncIterable<ReadPage> }>;
}

const cachedPageSchema = z.object({ label: z.string().nullable(), text: z.string() }).strict();

/** Reads of this process in flight, by version: concurrent requests share one pass over the file. */
const inFlight = new Map<string, Promise<void>>();

/**
 * The text of one page of a document without page images (text, Markdown, HTML, Office), with
 * its label: what the preview shows, highlighting a chunk by its box (its span of this text).
 * The first request reads the original again with the same reader that indexed it and caches
 * every page's text beside the version's other derived files. Errors: `not_found:page_number`
 * beyond the version's pages, `unavailable:preview` when the file cannot be read again.
 */
export async function textPage(
  dependencies: PageTextDependencies,
  request: { version: PreviewVersion; pageNumber: number },
): Promise<TextPage> {
  const { version, pageNumber } = request;
  const pageCount = version.pageCount;
  if (pageCount === null || !Number.isInteger(pageNumber) || pageNumber < 1 || pageNumber > pageCount) {
    throw new AppError("not_found:page_number", { message: "The document has no such page." });
  }
  const cached = await readCached(dependencies.derived, version.sha256, pageNumber);
  if (cached) return { pageNumber, pageCount, ...cached };
  let running = inFlight.get(version.sha256);
  if (!running) {
    running = cacheAllPages(dependencies, version).finally(() => inFlight.delete(version.sha256));
    inFlight.set(version.sha256, running);
  }
  await running;
  const read = await readCached(dependencies.derived, version.sha256, pageNumber);
  if (!read) throw new AppError("not_found:page_number", { message: "The document has no such page." });
  return { pageNumber, pageCount, ...read };
}

/**
 * Every page's label, in page order (null for a page without one): the document is read again on
 * the first call, as `textPage` does, and every later call reads the cached pages.
 */
export async function textPageLabels(
  dependencies: PageTextDependencies,
  version: PreviewVersion,
): Promise<(string | null)[]> {
  const pageCount = version.pageCount ?? 0;
  if (pageCount === 0) return [];
  await textPage(dependencies, { version, pageNumber: 1 });
  const labels: (string | null)[] = [];
  for (let pageNumber = 1; pageNumber <= pageCount; pageNumber += 1) {
    labels.push((await readCached(dependencies.derived, version.sha256, pageNumber))?.label ?? null);
  }
  return labels;
}

async function readCached(
  derived: DerivedStore,
  sha256: string,
  pageNumber: number,
): Promise<{ label: string | null; text: string } | null> {
  const content = await readFile(derived.pathOf(sha256, { kind: "page_text", pageNumber }), "utf8").catch(
    () => null,
  );
  if (content === null) return null;
  try {
    // Our own file, but read back defensively: a damaged one is written again, never trusted.
    const parsed = cachedPageSchema.safeParse(JSON.parse(content));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

async function cacheAllPages(dependencies: PageTextDependencies, version: PreviewVersion): Promise<void> {
  const { derived } = dependencies;
  await derived.ensureDirectories(version.sha256);
  try {
    const read = await dependencies.readPages({
      filePath: dependencies.blobs.pathOf(version.sha256),
      mediaType: version.mediaType,
    });
    for await (const page of read.pages) {
      const filePath = derived.pathOf(version.sha256, { kind: "page_text", pageNumber: page.pageNumber });
      // Written under a temporary name, then renamed: a reader never sees half a page.
      const temporary = `${filePath}.${process.pid}-${randomUUID()}.tmp`;
      try {
        await writeFile(
          temporary,
          JSON.stringify({ label: page.label ?? null, text: pageTextOf(page.blocks) }),
        );
        await rename(temporary, filePath);
      } finally {
        await rm(temporary, { force: true });
      }
    }
  } catch (error) {
    if (isAppError(error) && error.category !== "invalid" && error.category !== "unsupported") throw error;
    throw new AppError("unavailable:preview", {
      message: "This page could not be read again to show it.",
      details: { reason: "render" },
      cause: error,
    });
  }
}
