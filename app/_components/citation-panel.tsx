"use client";

import type { SourceRef } from "../../lib/domain/answer-events";

/** What a citation opens: the document, the page, and the passage the model was shown. */
export function CitationPanel({ source, onClose }: { source: SourceRef; onClose: () => void }) {
  return (
    <aside className="citation-panel" data-testid="citation-panel" aria-label="Cited passage">
      <header>
        <span className="marker">[{source.n}]</span>
        <div>
          <div className="document-title" data-testid="citation-title">
            {source.documentTitle}
          </div>
          <div className="page" data-testid="citation-page">
            Page {source.pageNumber}
          </div>
        </div>
        <button type="button" className="close" onClick={onClose} aria-label="Close">
          ×
        </button>
      </header>
      <blockquote data-testid="citation-passage">{source.text}</blockquote>
    </aside>
  );
}
