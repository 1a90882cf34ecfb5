"use client";

import { useEffect, useRef, useState } from "react";
import type { SourceRef } from "../../lib/domain/answer-events";
import { pageNameOf } from "../../lib/domain/page-text";
import type { StoredChunk } from "../../lib/vector-store/vector-store";
import { type ApiProblem, asProblem, callApi } from "./api-client";
import { PageView } from "./page-view";
import { PassageText } from "./passage-text";

type ChunkDetails = Pick<
  StoredChunk,
  "kind" | "source" | "confidence" | "figureFile" | "headingPath" | "box"
>;

/** "OCR, 87 % confidence" for text read from pixels; nothing for the document's own text. */
function sourceLabel(chunk: ChunkDetails): string | null {
  if (chunk.source !== "ocr") return null;
  return chunk.confidence === null ? "OCR" : `OCR, ${Math.round(chunk.confidence * 100)} % confidence`;
}

/**
 * What a citation opens: the document, the page as Folio rendered it with the passage outlined,
 * a figure's own image, and the passage the model was shown (tables as tables). Takes focus when
 * it opens; Escape closes it.
 */
export function CitationPanel({ source, onClose }: { source: SourceRef; onClose: () => void }) {
  const panelRef = useRef<HTMLElement>(null);
  const [chunk, setChunk] = useState<ChunkDetails | null>(null);
  const [problem, setProblem] = useState<ApiProblem | null>(null);

  // biome-ignore lint/correctness/useExhaustiveDependencies: focus moves again when another citation opens
  useEffect(() => {
    panelRef.current?.focus();
  }, [source.chunkId]);

  useEffect(() => {
    const closeOnEscape = (event: KeyboardEvent) => {
      if (event.key === "Escape") onClose();
    };
    window.addEventListener("keydown", closeOnEscape);
    return () => window.removeEventListener("keydown", closeOnEscape);
  }, [onClose]);

  useEffect(() => {
    let isCurrent = true;
    setChunk(null);
    setProblem(null);
    callApi<{ chunk: ChunkDetails }>("GET", `/api/chunks/${source.chunkId}`).then(
      (loaded) => isCurrent && setChunk(loaded.chunk),
      (error: unknown) => isCurrent && setProblem(asProblem(error)),
    );
    return () => {
      isCurrent = false;
    };
  }, [source.chunkId]);

  const provenance = chunk ? sourceLabel(chunk) : null;
  const isFigure = chunk?.kind === "figure" && chunk.figureFile !== null;
  return (
    <aside
      ref={panelRef}
      tabIndex={-1}
      className="citation-panel"
      data-testid="citation-panel"
      aria-label="Cited passage"
    >
      <header>
        <span className="marker">[{source.n}]</span>
        <div>
          <div className="document-title" data-testid="citation-title">
            {source.documentTitle}
          </div>
          <div className="page" data-testid="citation-page">
            {pageNameOf(source, { capitalized: true })}
          </div>
          {chunk && chunk.headingPath.length > 0 && (
            <div className="heading-path small muted">{chunk.headingPath.join(" › ")}</div>
          )}
        </div>
        <button type="button" className="close" onClick={onClose} aria-label="Close">
          ×
        </button>
      </header>
      {isFigure && (
        // biome-ignore lint/performance/noImgElement: a same-origin PNG behind the access check
        <img
          className="figure-image"
          data-testid="citation-figure"
          src={`/api/chunks/${source.chunkId}/figure`}
          alt={`Figure on ${pageNameOf(source)} of ${source.documentTitle}`}
        />
      )}
      {isFigure && (
        <p className="small muted" data-testid="citation-figure-note">
          {source.imageSha256
            ? "The model was shown this image, beside the text below."
            : "The model read the text below, not the image (no vision model, or the image limit was reached)."}
        </p>
      )}
      <PageView
        documentId={source.documentId}
        versionId={source.versionId}
        pageNumber={source.pageNumber}
        pageLabel={source.pageLabel}
        documentTitle={source.documentTitle}
        box={chunk?.box ?? source.box}
        passageText={source.text}
      />
      {provenance && (
        <p className="provenance small" data-testid="citation-provenance">
          {provenance}
        </p>
      )}
      {problem && problem.code !== "not_found:chunk" && (
        <p className="muted small" role="status">
          {problem.message}
        </p>
      )}
      <PassageText text={source.text} />
    </aside>
  );
}
