"use client";

import { useEffect, useRef } from "react";
import { pageNameOf } from "../../lib/domain/page-text";
import type { AuditedSourceView } from "./audit-data";
import { HashCheckBadge, LedgerCheckBadge } from "./audit-hash-badge";
import { formatDate } from "./labels";
import { PageView } from "./page-view";
import { PassageText } from "./passage-text";

export const deletedDocumentNote = "Document deleted: the passage text kept with the answer is shown.";

/** Where the cited version stands now. */
export function versionNote(source: AuditedSourceView): string {
  if (!source.version.exists) return "Document deleted";
  const state = source.version.status === "indexed" ? "" : ` (${source.version.status})`;
  return source.document.isCurrentVersion
    ? `Current version${state}`
    : `Replaced by a newer version since${state}`;
}

/**
 * One passage of the answer as the auditor checks it: the page of the version the model was shown
 * with the passage outlined (or why it cannot be shown), its hashes and their checks, and the
 * text exactly as sent. Takes focus when another passage is opened.
 */
export function AuditSourcePanel({
  answerId,
  source,
  shouldTakeFocus,
}: {
  answerId: string;
  source: AuditedSourceView;
  /** False for the passage opened with the page: focus stays where the reader is. */
  shouldTakeFocus: boolean;
}) {
  const panelRef = useRef<HTMLElement>(null);

  // biome-ignore lint/correctness/useExhaustiveDependencies: focus moves when another passage opens
  useEffect(() => {
    if (shouldTakeFocus) panelRef.current?.focus();
  }, [source.n]);

  return (
    <aside
      ref={panelRef}
      tabIndex={-1}
      className="citation-panel audit-source-panel"
      data-testid="audit-source-panel"
      aria-labelledby="audit-source-title"
    >
      <header>
        <span className="marker">[{source.n}]</span>
        <div>
          <h2 className="document-title" id="audit-source-title">
            {source.documentTitle}
          </h2>
          <div className="page">
            {pageNameOf(source, { capitalized: true })} · {source.kind} · {versionNote(source)}
          </div>
        </div>
      </header>
      {source.version.exists ? (
        <PageView
          documentId={source.documentId}
          versionId={source.versionId}
          pageNumber={source.pageNumber}
          pageLabel={source.pageLabel}
          documentTitle={source.documentTitle}
          box={source.box}
          {...(source.text === null ? {} : { passageText: source.text })}
          pageInfoUrl={`/api/audit/answers/${answerId}/sources/${source.n}/page`}
        />
      ) : (
        <p className="page-view-problem small" data-testid="audit-document-deleted">
          {deletedDocumentNote}
        </p>
      )}
      <h3 className="small-heading">Passage as sent to the model</h3>
      {source.text === null ? (
        <p className="note" data-testid="audit-passage-erased">
          The text was erased{source.erasedAt ? ` on ${formatDate(source.erasedAt)}` : ""}; its sha256 (below)
          remains.
        </p>
      ) : (
        <PassageText text={source.text} />
      )}
      <dl className="facts audit-facts small">
        <dt>Checks</dt>
        <dd className="check-list">
          <HashCheckBadge check={source.hashCheck} />
          <LedgerCheckBadge check={source.ledgerCheck} />
        </dd>
        <dt>Content sha256</dt>
        <dd>
          <code className="hash">{source.contentHash}</code>
        </dd>
        <dt>Version</dt>
        <dd>
          <code className="hash">{source.versionId}</code>
          {source.version.exists && (
            <>
              <br />
              file sha256 <code className="hash">{source.version.sha256}</code>
            </>
          )}
        </dd>
        {source.imageSha256 && (
          <>
            <dt>Image sent</dt>
            <dd data-testid="audit-image-sha256">
              sha256 <code className="hash">{source.imageSha256}</code>
            </dd>
          </>
        )}
      </dl>
    </aside>
  );
}
