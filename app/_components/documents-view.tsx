"use client";

import { type FormEvent, useCallback, useEffect, useRef, useState } from "react";
import { supportedTypesDescription, uploadAcceptAttribute } from "../../lib/domain/media-types";
import {
  type ApiProblem,
  asProblem,
  type CollectionSummary,
  callApi,
  fetchCollections,
  networkProblem,
  problemOf,
} from "./api-client";
import { DocumentList } from "./document-list";
import { JobList } from "./job-list";
import { ModelStatusBanner } from "./model-status-banner";
import { type ConflictChoice, type NameConflict, NameConflictDialog } from "./name-conflict-dialog";
import { ProblemNotice } from "./problem-notice";

interface UploadNote {
  key: number;
  fileName: string;
  text: string;
  isError: boolean;
}

/** Sends one file; `choice` answers a name conflict the server reported on an earlier try. */
async function sendFile(
  collectionId: string,
  file: File,
  password: string,
  choice?: ConflictChoice,
): Promise<Response> {
  const query = new URLSearchParams({ name: file.name });
  if (choice?.kind === "replace") query.set("replace", choice.documentId);
  if (choice?.kind === "keep_both") query.set("keepBoth", "true");
  return fetch(`/api/collections/${collectionId}/documents?${query}`, {
    method: "POST",
    headers: {
      "content-type": "application/octet-stream",
      // Percent-encoded, so any password survives HTTP headers; only PDFs use it.
      ...(password ? { "x-pdf-password": encodeURIComponent(password) } : {}),
    },
    body: file,
  });
}

export function DocumentsView({ isAdmin }: { isAdmin: boolean }) {
  const [collections, setCollections] = useState<CollectionSummary[] | null>(null);
  const [collectionId, setCollectionId] = useState<string>("");
  const [newName, setNewName] = useState("");
  const [files, setFiles] = useState<File[]>([]);
  const [pdfPassword, setPdfPassword] = useState("");
  const [notes, setNotes] = useState<UploadNote[]>([]);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [isUploading, setIsUploading] = useState(false);
  const [refreshKey, setRefreshKey] = useState(0);
  const [conflict, setConflict] = useState<NameConflict | null>(null);
  const conflictAnswer = useRef<((choice: ConflictChoice) => void) | null>(null);
  const fileInputRef = useRef<HTMLInputElement>(null);
  const isUploadingRef = useRef(false);

  const reload = useCallback(async () => {
    try {
      const list = await fetchCollections();
      setCollections(list);
      setCollectionId((current) =>
        list.some((collection) => collection.id === current) ? current : (list[0]?.id ?? ""),
      );
    } catch (error) {
      setProblem(asProblem(error));
    }
  }, []);
  useEffect(() => {
    void reload();
  }, [reload]);

  const selected = collections?.find((collection) => collection.id === collectionId);
  const canCurate = selected?.permission === "curate";

  async function createCollection(event: FormEvent) {
    event.preventDefault();
    setProblem(null);
    try {
      const { collection } = await callApi<{ collection: CollectionSummary }>("POST", "/api/collections", {
        name: newName,
      });
      setNewName("");
      await reload();
      setCollectionId(collection.id);
    } catch (error) {
      setProblem(asProblem(error));
    }
  }

  /** Opens the conflict dialog and waits for the user's answer. */
  function askAboutConflict(fileName: string, problemFound: ApiProblem): Promise<ConflictChoice> {
    const documents = (problemFound.details?.documents ?? []) as NameConflict["documents"];
    return new Promise((resolve) => {
      conflictAnswer.current = resolve;
      setConflict({ fileName, documents });
    });
  }

  function answerConflict(choice: ConflictChoice) {
    const resolve = conflictAnswer.current;
    conflictAnswer.current = null;
    setConflict(null);
    resolve?.(choice);
  }

  async function uploadOne(file: File): Promise<Omit<UploadNote, "key">> {
    let choice: ConflictChoice | undefined;
    for (;;) {
      const response = await sendFile(collectionId, file, pdfPassword, choice).catch(
        (error: unknown) => error,
      );
      if (!(response instanceof Response)) {
        return { fileName: file.name, text: networkProblem(response).message, isError: true };
      }
      if (response.ok) {
        const body = (await response.json()) as { isDuplicate: boolean; title: string };
        const text = body.isDuplicate
          ? "Already in this collection (same content)."
          : choice?.kind === "replace"
            ? `Queued as a new version of ${body.title}.`
            : body.title === file.name
              ? "Queued for indexing."
              : `Queued for indexing as ${body.title}.`;
        return { fileName: file.name, text, isError: false };
      }
      const failure = await problemOf(response);
      if (failure.code !== "conflict:document_name" || choice) {
        return { fileName: file.name, text: failure.message, isError: true };
      }
      const answer = await askAboutConflict(file.name, failure);
      if (answer.kind === "cancel") {
        return { fileName: file.name, text: "Not uploaded: cancelled.", isError: false };
      }
      choice = answer;
    }
  }

  async function upload(event: FormEvent) {
    event.preventDefault();
    // The button stays focusable while busy (aria-disabled), so a ref guards against a second run.
    if (!collectionId || files.length === 0 || isUploadingRef.current) return;
    isUploadingRef.current = true;
    setIsUploading(true);
    setNotes([]);
    const results: UploadNote[] = [];
    for (const [index, file] of files.entries()) {
      results.push({ key: index, ...(await uploadOne(file)) });
      setNotes([...results]);
      setRefreshKey((key) => key + 1);
    }
    setFiles([]);
    setPdfPassword("");
    if (fileInputRef.current) fileInputRef.current.value = "";
    isUploadingRef.current = false;
    setIsUploading(false);
  }

  return (
    <div className="documents-layout">
      <section className="panel" aria-labelledby="collections-heading">
        <ModelStatusBanner />
        <h1 id="collections-heading">Collections</h1>
        {isAdmin && (
          <form onSubmit={createCollection} className="inline-form">
            <label htmlFor="new-collection-name" className="sr-only">
              New collection name
            </label>
            <input
              id="new-collection-name"
              data-testid="new-collection-name"
              value={newName}
              onChange={(event) => setNewName(event.target.value)}
              placeholder="New collection name"
              maxLength={100}
            />
            <button type="submit" data-testid="create-collection" disabled={!newName.trim()}>
              Create
            </button>
          </form>
        )}
        {problem && <ProblemNotice problem={problem} />}
        {collections?.length === 0 && (
          <p className="muted" data-testid="no-collections">
            {isAdmin
              ? "No collections yet: create one above."
              : "No collections are shared with you yet. Ask an admin for access."}
          </p>
        )}
        {collections && collections.length > 0 && (
          <div className="collection-choice">
            <label htmlFor="collection-select">Collection</label>
            <div className="inline-controls">
              <select
                id="collection-select"
                data-testid="collection-select"
                value={collectionId}
                onChange={(event) => setCollectionId(event.target.value)}
              >
                {collections.map((collection) => (
                  <option key={collection.id} value={collection.id}>
                    {collection.name}
                  </option>
                ))}
              </select>
              {selected && (
                <span className={`permission permission-${selected.permission}`} data-testid="permission">
                  {selected.permission === "curate" ? "Curate" : "Read only"}
                </span>
              )}
            </div>
            {selected && (
              <a
                className="quality-link small"
                href={`/collections/${selected.id}/quality`}
                data-testid="quality-link"
              >
                Retrieval quality: golden questions and recall
              </a>
            )}
          </div>
        )}
        {selected && canCurate && (
          <form onSubmit={upload} className="upload-form" data-testid="upload-form">
            <label htmlFor="file-input">Files to add to {selected.name}</label>
            <p className="muted small" id="file-input-hint">
              {supportedTypesDescription} files. Scans and screenshots are read by OCR.
            </p>
            <input
              id="file-input"
              ref={fileInputRef}
              data-testid="file-input"
              type="file"
              accept={uploadAcceptAttribute}
              aria-describedby="file-input-hint"
              multiple
              onChange={(event) => setFiles([...(event.target.files ?? [])])}
            />
            <details className="pdf-password">
              <summary>Password-protected PDF?</summary>
              <label htmlFor="pdf-password">Password to open the PDFs in this upload</label>
              <input
                id="pdf-password"
                data-testid="pdf-password"
                type="password"
                autoComplete="off"
                value={pdfPassword}
                onChange={(event) => setPdfPassword(event.target.value)}
                maxLength={1024}
              />
              <p className="muted small">Used to read them once; Folio does not store it.</p>
            </details>
            <button
              type="submit"
              data-testid="upload"
              aria-disabled={isUploading || files.length === 0}
              className={isUploading || files.length === 0 ? "is-disabled" : undefined}
            >
              {isUploading
                ? "Uploading…"
                : `Upload ${files.length || ""} file${files.length === 1 ? "" : "s"}`}
            </button>
          </form>
        )}
        {selected && !canCurate && (
          <p className="note" data-testid="read-only-note">
            You can read this collection; ask an admin to upload.
          </p>
        )}
        <div aria-live="polite">
          {notes.length > 0 && (
            <ul className="upload-notes" data-testid="upload-notes">
              {notes.map((note) => (
                <li key={note.key} className={note.isError ? "error" : ""}>
                  <strong>{note.fileName}</strong>: {note.text}
                </li>
              ))}
            </ul>
          )}
        </div>
      </section>
      <div className="page-stack">
        {selected && (
          <DocumentList
            key={`documents-${selected.id}`}
            collectionId={selected.id}
            canCurate={canCurate}
            refreshKey={refreshKey}
            onChanged={() => setRefreshKey((key) => key + 1)}
          />
        )}
        {selected && (
          <JobList key={`jobs-${selected.id}`} collectionId={selected.id} refreshKey={refreshKey} />
        )}
      </div>
      <NameConflictDialog conflict={conflict} onAnswer={answerConflict} />
    </div>
  );
}
