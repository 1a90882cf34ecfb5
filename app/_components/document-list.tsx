"use client";

import { useCallback, useEffect, useState } from "react";
import { type ApiProblem, asProblem, callApi } from "./api-client";
import { formatDate } from "./labels";
import { ConfirmDialog } from "./modal-dialog";
import { ProblemNotice } from "./problem-notice";
import { UnlockDialog } from "./unlock-dialog";

/** A failed version that only needs its password to be read. */
function needsPassword(version: VersionRow | undefined): version is VersionRow {
  return (
    version?.status === "failed" &&
    (version.errorCode === "invalid:pdf_encrypted" || version.errorCode === "invalid:pdf_wrong_password")
  );
}

/** One version as GET /api/collections/:id/documents returns it. */
interface VersionRow {
  documentId: string;
  title: string;
  versionId: string;
  isCurrent: boolean;
  status: "queued" | "processing" | "indexed" | "failed";
  pageCount: number | null;
  chunkCount: number | null;
  errorCode: string | null;
  errorMessage: string | null;
  createdAt: string;
}

interface NumberedVersion extends VersionRow {
  /** 1 for the first upload of the document, 2 for the next… */
  number: number;
}

interface DocumentEntry {
  documentId: string;
  title: string;
  /** The version search and answers use; undefined until one has been indexed. */
  current: NumberedVersion | undefined;
  /** The newest version, when it is newer than the current one (still indexing, or failed). */
  pending: NumberedVersion | undefined;
  versionCount: number;
}

const statusLabels: Record<VersionRow["status"], string> = {
  queued: "Queued",
  processing: "Indexing",
  indexed: "Indexed",
  failed: "Failed",
};

const statusClasses: Record<VersionRow["status"], string> = {
  queued: "state",
  processing: "state state-running",
  indexed: "state state-succeeded",
  failed: "state state-failed",
};

/**
 * The first page, small, beside the title; a frame with the file's extension when there is no
 * picture of it (text and Office documents, not indexed yet, password-protected).
 */
function DocumentThumbnail({
  documentId,
  versionId,
  title,
}: {
  documentId: string;
  versionId: string | undefined;
  title: string;
}) {
  const [hasFailed, setHasFailed] = useState(false);
  if (!versionId || hasFailed) {
    const extension = /\.([a-z0-9]{1,5})$/i.exec(title)?.[1]?.toUpperCase() ?? "";
    return (
      <span
        className="document-thumbnail document-thumbnail-missing"
        data-testid="document-thumbnail-missing"
      >
        {extension}
      </span>
    );
  }
  const query = new URLSearchParams({ size: "thumbnail", version: versionId });
  return (
    // biome-ignore lint/performance/noImgElement: a same-origin PNG behind the access check
    <img
      className="document-thumbnail"
      data-testid="document-thumbnail"
      src={`/api/documents/${documentId}/pages/1/preview?${query}`}
      alt=""
      loading="lazy"
      onError={() => setHasFailed(true)}
    />
  );
}

function documentsOf(versions: VersionRow[]): DocumentEntry[] {
  const byDocument = new Map<string, VersionRow[]>();
  for (const version of versions) {
    byDocument.set(version.documentId, [...(byDocument.get(version.documentId) ?? []), version]);
  }
  const entries = [...byDocument.values()].map((rows): DocumentEntry => {
    const numbered = [...rows]
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt))
      .map((row, index) => ({ ...row, number: index + 1 }));
    const current = numbered.find((row) => row.isCurrent);
    const newest = numbered.at(-1);
    return {
      documentId: rows[0]?.documentId ?? "",
      title: rows[0]?.title ?? "",
      current,
      pending: newest && newest !== current && newest.number > (current?.number ?? 0) ? newest : undefined,
      versionCount: numbered.length,
    };
  });
  return entries.sort((a, b) => a.title.localeCompare(b.title));
}

/**
 * The documents of a collection with the state of their current version; polls every second while
 * a version is being indexed. Curators get a Delete button (the server checks again).
 */
export function DocumentList({
  collectionId,
  canCurate,
  refreshKey,
  onChanged,
}: {
  collectionId: string;
  canCurate: boolean;
  refreshKey: number;
  /** After a deletion or a password given, so the upload activity follows. */
  onChanged: () => void;
}) {
  const [versions, setVersions] = useState<VersionRow[]>([]);
  const [isLoaded, setIsLoaded] = useState(false);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [deleting, setDeleting] = useState<DocumentEntry | null>(null);
  const [isDeleting, setIsDeleting] = useState(false);
  const [status, setStatus] = useState("");
  const [unlocking, setUnlocking] = useState<{ documentId: string; versionId: string; title: string } | null>(
    null,
  );
  const [pollKey, setPollKey] = useState(0);

  // biome-ignore lint/correctness/useExhaustiveDependencies: a new refreshKey (an upload or a deletion) restarts polling at once.
  useEffect(() => {
    let isCancelled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      let isActive = false;
      try {
        const body = await callApi<{ documents: VersionRow[] }>(
          "GET",
          `/api/collections/${collectionId}/documents`,
        );
        if (isCancelled) return;
        setVersions(body.documents);
        setIsLoaded(true);
        isActive = body.documents.some((row) => row.status === "queued" || row.status === "processing");
      } catch (error) {
        if (isCancelled) return;
        setProblem(asProblem(error));
      }
      timer = setTimeout(poll, isActive ? 1000 : 5000);
    };
    void poll();
    return () => {
      isCancelled = true;
      clearTimeout(timer);
    };
  }, [collectionId, refreshKey, pollKey]);

  const remove = useCallback(
    async (entry: DocumentEntry) => {
      setIsDeleting(true);
      setProblem(null);
      try {
        await callApi("DELETE", `/api/documents/${entry.documentId}`);
        setStatus(`${entry.title} deleted.`);
        setVersions((current) => current.filter((row) => row.documentId !== entry.documentId));
        onChanged();
      } catch (error) {
        setProblem(asProblem(error));
      } finally {
        setIsDeleting(false);
        setDeleting(null);
      }
    },
    [onChanged],
  );

  const entries = documentsOf(versions);

  return (
    <section className="panel" aria-labelledby="documents-heading">
      <h2 id="documents-heading">Documents</h2>
      <p className="sr-only" role="status" aria-live="polite">
        {status}
      </p>
      {problem && <ProblemNotice problem={problem} />}
      {isLoaded && entries.length === 0 && <p className="muted">No documents in this collection yet.</p>}
      {entries.length > 0 && (
        <table className="data-table" data-testid="documents">
          <thead>
            <tr>
              <th scope="col">Title</th>
              <th scope="col">Status</th>
              <th scope="col" className="numeric">
                Pages
              </th>
              <th scope="col" className="numeric">
                Passages
              </th>
              <th scope="col">Version</th>
              {canCurate && (
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              )}
            </tr>
          </thead>
          <tbody>
            {entries.map((entry) => {
              const shown = entry.current ?? entry.pending;
              return (
                <tr key={entry.documentId} data-testid="document-row" data-title={entry.title}>
                  <td className="title">
                    <span className="title-with-thumbnail">
                      <DocumentThumbnail
                        documentId={entry.documentId}
                        versionId={entry.current?.versionId}
                        title={entry.title}
                      />
                      <span>{entry.title}</span>
                    </span>
                  </td>
                  <td>
                    {shown && (
                      <span className={statusClasses[shown.status]} data-testid="document-status">
                        {statusLabels[shown.status]}
                      </span>
                    )}
                    {entry.current && entry.pending && (
                      <div className="muted small" data-testid="document-pending">
                        v{entry.pending.number}: {statusLabels[entry.pending.status].toLowerCase()}
                        {entry.pending.status === "failed" && entry.pending.errorMessage
                          ? ` — ${entry.pending.errorMessage}`
                          : ""}
                      </div>
                    )}
                    {!entry.current && shown?.status === "failed" && shown.errorMessage && (
                      <div className="error-text">{shown.errorMessage}</div>
                    )}
                    {canCurate && needsPassword(entry.pending ?? entry.current) && (
                      <button
                        type="button"
                        className="secondary small-button unlock-button"
                        data-testid="document-unlock"
                        onClick={() => {
                          const version = entry.pending ?? entry.current;
                          if (version) {
                            setUnlocking({
                              documentId: entry.documentId,
                              versionId: version.versionId,
                              title: entry.title,
                            });
                          }
                        }}
                      >
                        Enter password<span className="sr-only"> for {entry.title}</span>
                      </button>
                    )}
                  </td>
                  <td className="numeric">{entry.current?.pageCount ?? "—"}</td>
                  <td className="numeric">{entry.current?.chunkCount ?? "—"}</td>
                  <td>
                    {entry.current ? (
                      <>
                        <span data-testid="document-version">v{entry.current.number}</span>{" "}
                        <span className="muted small">{formatDate(entry.current.createdAt)}</span>
                      </>
                    ) : (
                      <span className="muted">—</span>
                    )}
                  </td>
                  {canCurate && (
                    <td className="actions">
                      <button
                        type="button"
                        className="danger-outline small-button"
                        onClick={() => setDeleting(entry)}
                        data-testid="document-delete"
                      >
                        Delete<span className="sr-only"> {entry.title}</span>
                      </button>
                    </td>
                  )}
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      <UnlockDialog
        target={unlocking}
        onClose={() => setUnlocking(null)}
        onUnlocked={() => {
          setStatus(`${unlocking?.title ?? "The document"} is being read again with its password.`);
          setUnlocking(null);
          setPollKey((key) => key + 1);
          onChanged();
        }}
      />
      <ConfirmDialog
        isOpen={deleting !== null}
        title={`Delete “${deleting?.title ?? ""}”?`}
        confirmLabel="Delete document"
        isBusy={isDeleting}
        onConfirm={() => deleting && void remove(deleting)}
        onCancel={() => setDeleting(null)}
      >
        <p>
          All {deleting?.versionCount ?? 0} version(s) and their passages are removed; nobody can search or
          cite it any more. Answers already given keep their audit record.
        </p>
      </ConfirmDialog>
    </section>
  );
}
