"use client";

import { useEffect, useRef, useState } from "react";
import type { BoundingBox } from "../../lib/domain/geometry";
import type { PageGeometry } from "../../lib/domain/page-geometry";
import { type ApiProblem, asProblem, callApi } from "./api-client";

interface PageInfo {
  page: PageGeometry;
  previewUrl: string;
}

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
  documentTitle,
  box,
  pageInfoUrl,
}: {
  documentId: string;
  versionId: string;
  pageNumber: number;
  documentTitle: string;
  box: BoundingBox | null;
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
    if (!isImageLoaded || !info || !box || !viewport) return;
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
  const label = `Page ${pageNumber} of ${documentTitle}`;
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
              aria-label={`The cited passage on page ${pageNumber}`}
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
