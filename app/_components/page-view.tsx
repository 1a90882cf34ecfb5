"use client";

import { useEffect, useMemo, useRef, useState } from "react";
import type { BoundingBox } from "../../lib/domain/geometry";
import type { PageGeometry } from "../../lib/domain/page-geometry";
import { citedTableRows, type PageTextPart, pageNameOf, pageTextParts } from "../../lib/domain/page-text";
import { type ApiProblem, asProblem, callApi } from "./api-client";
import { TextTable } from "./passage-text";

/** What the page routes answer: an image page's geometry, or a text page's text and label. */
type PageInfo =
  | { kind?: "image"; page: PageGeometry; previewUrl: string }
  | {
      kind: "text";
      page: { pageNumber: number; pageCount: number; label: string | null };
      text: string;
      previewUrl: string;
    };

/** A box in page units as CSS percentages of the page, padded a little so the outline clears the text. */
function highlightStyle(box: BoundingBox, page: PageGeometry): React.CSSProperties {
  const padX = page.width * 0.006;
  const padY = page.height * 0.004;
  const clamp = (value: number) => Math.min(100, Math.max(0, value));
  const left = clamp(((box[0] - padX) / page.width) * 100);
  const top = clamp(((box[1] - padY) / page.height) * 100);
  const right = clamp(((box[2] + padX) / page.width) * 100);
  const bottom = clamp(((box[3] + padY) / page.height) * 100);
  return { left: `${left}%`, top: `${top}%`, width: `${right - left}%`, height: `${bottom - top}%` };
}

/**
 * One page of a document version as Folio rendered it, with `box` outlined. The outline is placed
 * in percentages of the page, so it stays on the passage at any displayed size.
 */
export function PageView({
  documentId,
  versionId,
  pageNumber,
  pageLabel,
  documentTitle,
  box,
  passageText,
  pageInfoUrl,
}: {
  documentId: string;
  versionId: string;
  pageNumber: number;
  /** What the document calls the page ("Slide 3", a section heading), if not "page N". */
  pageLabel?: string | null;
  documentTitle: string;
  box: BoundingBox | null;
  /** The cited passage's text: on a text page, the exact span to highlight inside `box`. */
  passageText?: string;
  /** Where the page's geometry and preview URL come from: the document's page route unless given (the audit workspace's). */
  pageInfoUrl?: string;
}) {
  const [info, setInfo] = useState<PageInfo | null>(null);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [isImageLoaded, setIsImageLoaded] = useState(false);
  const viewportRef = useRef<HTMLDivElement>(null);

  useEffect(() => {
    let isCurrent = true;
    setInfo(null);
    setProblem(null);
    setIsImageLoaded(false);
    const query = new URLSearchParams({ size: "reading", version: versionId });
    callApi<PageInfo>("GET", pageInfoUrl ?? `/api/documents/${documentId}/pages/${pageNumber}?${query}`).then(
      (loaded) => isCurrent && setInfo(loaded),
      (error: unknown) => isCurrent && setProblem(asProblem(error)),
    );
    return () => {
      isCurrent = false;
    };
  }, [documentId, versionId, pageNumber, pageInfoUrl]);

  // A long page scrolls inside its frame: bring the outlined passage into view, a third from the top.
  useEffect(() => {
    const viewport = viewportRef.current;
    if (!isImageLoaded || !info || info.kind === "text" || !box || !viewport) return;
    const frameHeight = viewport.scrollHeight;
    viewport.scrollTop = Math.max(0, (box[1] / info.page.height) * frameHeight - viewport.clientHeight / 3);
  }, [isImageLoaded, info, box]);

  if (problem) {
    return (
      <p
        className="page-view-problem muted small"
        data-testid="page-preview-problem"
        data-code={problem.code}
      >
        {problem.message}
      </p>
    );
  }
  const pageName = pageNameOf({ pageNumber, pageLabel }, { capitalized: true });
  if (info?.kind === "text") {
    return <TextPageView info={info} box={box} passageText={passageText} pageName={pageName} />;
  }
  const label = `${pageName} of ${documentTitle}`;
  return (
    <figure
      className="page-view"
      data-testid="page-preview"
      data-state={isImageLoaded ? "loaded" : "loading"}
    >
      <div className="page-viewport" ref={viewportRef}>
        <div
          className="page-frame"
          style={info ? { aspectRatio: `${info.page.widthPx} / ${info.page.heightPx}` } : undefined}
        >
          {!isImageLoaded && <span className="page-loading muted small">Loading page…</span>}
          {info && (
            // biome-ignore lint/performance/noImgElement: a same-origin PNG behind the access check; next/image would proxy it
            <img
              src={info.previewUrl}
              alt={label}
              data-testid="page-image"
              onLoad={() => setIsImageLoaded(true)}
              onError={() =>
                setProblem({ code: "preview", message: "The page preview could not be loaded." })
              }
            />
          )}
          {info && box && isImageLoaded && (
            <div
              className="page-highlight"
              role="img"
              aria-label={`The cited passage on ${pageNameOf({ pageNumber, pageLabel })}`}
              data-testid="page-highlight"
              style={highlightStyle(box, info.page)}
            />
          )}
        </div>
      </div>
      {info && (
        <figcaption className="small">
          <a href={info.previewUrl} target="_blank" rel="noopener">
            Open the page
          </a>
        </figcaption>
      )}
    </figure>
  );
}

/**
 * The span of a text page to highlight: the passage's own text where it lies inside its box (a
 * chunk cut from a long paragraph is part of its block's box), else the whole box.
 */
export function highlightRange(
  text: string,
  box: BoundingBox | null,
  passageText: string | undefined,
): [number, number] | null {
  if (!box) return null;
  const start = Math.max(0, Math.min(text.length, Math.floor(box[1])));
  const end = Math.max(start, Math.min(text.length, Math.ceil(box[3])));
  const passage = passageText?.trim();
  if (passage) {
    const found = text.indexOf(passage, start);
    if (found !== -1 && found + passage.length <= end) return [found, found + passage.length];
  }
  return end > start ? [start, end] : null;
}

/**
 * A page of a document without page images (text, Markdown, HTML, Office): its text as text
 * (React escapes it: an HTML document's markup is never rendered), its tables as tables, the
 * passage marked (the rows of a table it covers) and scrolled into view.
 */
function TextPageView({
  info,
  box,
  passageText,
  pageName,
}: {
  info: Extract<PageInfo, { kind: "text" }>;
  box: BoundingBox | null;
  passageText: string | undefined;
  pageName: string;
}) {
  const viewportRef = useRef<HTMLDivElement>(null);
  const range = highlightRange(info.text, box, passageText);
  const parts = useMemo(() => pageTextParts(info.text), [info.text]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: scroll again when the page or the passage changes
  useEffect(() => {
    const viewport = viewportRef.current;
    // The first marked text or table body row: a table's header is marked with every part of it.
    const mark =
      viewport?.querySelector<HTMLElement>(
        "mark[data-testid='page-highlight'], tbody > tr[data-testid='page-highlight']",
      ) ?? viewport?.querySelector<HTMLElement>("[data-testid='page-highlight']");
    if (!viewport || !mark) return;
    const offset = mark.getBoundingClientRect().top - viewport.getBoundingClientRect().top;
    viewport.scrollTop = Math.max(0, viewport.scrollTop + offset - viewport.clientHeight / 3);
  }, [info, range?.[0], range?.[1]]);

  return (
    <figure
      className="page-view"
      data-testid="page-preview"
      data-state="loaded"
      data-kind="text"
      aria-label={pageName}
    >
      <div className="page-viewport" ref={viewportRef}>
        <div className="page-text" data-testid="page-text">
          {parts.map((part) =>
            part.kind === "text" ? (
              <MarkedText key={part.start} text={info.text} span={part} range={range} />
            ) : (
              <PageTable
                key={part.start}
                text={info.text}
                table={part}
                range={range}
                passageText={passageText}
              />
            ),
          )}
        </div>
      </div>
      <figcaption className="small">
        <a href={info.previewUrl} target="_blank" rel="noopener">
          Open the page as text
        </a>
      </figcaption>
    </figure>
  );
}

type Span = { start: number; end: number };
const overlaps = (span: Span, range: [number, number] | null) =>
  range !== null && span.start < range[1] && range[0] < span.end;

/** A run of page text, the part of it inside `range` marked. */
function MarkedText({ text, span, range }: { text: string; span: Span; range: [number, number] | null }) {
  if (!range || !overlaps(span, range))
    return <p className="page-text-run">{text.slice(span.start, span.end)}</p>;
  const from = Math.max(span.start, range[0]);
  const to = Math.min(span.end, range[1]);
  return (
    <p className="page-text-run">
      {text.slice(span.start, from)}
      <mark className="page-text-highlight" data-testid="page-highlight">
        {text.slice(from, to)}
      </mark>
      {text.slice(to, span.end)}
    </p>
  );
}

/** A Markdown table of the page as a table; the rows the passage covers marked. */
function PageTable({
  text,
  table,
  range,
  passageText,
}: {
  text: string;
  table: Extract<PageTextPart, { kind: "table" }>;
  range: [number, number] | null;
  passageText: string | undefined;
}) {
  return (
    <div className="page-text-table">
      <TextTable
        header={table.header.cells}
        rows={table.rows.map((row) => row.cells)}
        className="page-table"
        testId="page-table"
        marked={citedTableRows(text, table, range, passageText)}
      />
    </div>
  );
}
