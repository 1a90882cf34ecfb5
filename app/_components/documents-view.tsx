"use client";

import { type FormEvent, useCallback, useEffect, useState } from "react";
import { type ApiProblem, type CollectionSummary, fetchCollections, problemOf } from "./api-client";
import { JobList } from "./job-list";
import { ModelStatusBanner } from "./model-status-banner";
import { ProblemNotice } from "./problem-notice";

interface UploadNote {
  fileName: string;
  text: string;
  isError: boolean;
}

export function DocumentsView() {
  const [collections, setCollections] = useState<CollectionSummary[]>([]);
  const [collectionId, setCollectionId] = useState<string>("");
  const [newName, setNewName] = useState("");
  const [files, setFiles] = useState<File[]>([]);
  const [notes, setNotes] = useState<UploadNote[]>([]);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [isUploading, setIsUploading] = useState(false);
  const [refreshKey, setRefreshKey] = useState(0);

  const reload = useCallback(async () => {
    try {
      const list = await fetchCollections();
      setCollections(list);
      setCollectionId((current) => current || list[0]?.id || "");
    } catch (error) {
      setProblem(error as ApiProblem);
    }
  }, []);
  useEffect(() => {
    void reload();
  }, [reload]);

  async function createCollection(event: FormEvent) {
    event.preventDefault();
    setProblem(null);
    const response = await fetch("/api/collections", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: newName }),
    });
    if (!response.ok) {
      setProblem(await problemOf(response));
      return;
    }
    const { collection } = (await response.json()) as { collection: CollectionSummary };
    setNewName("");
    await reload();
    setCollectionId(collection.id);
  }

  async function upload(event: FormEvent) {
    event.preventDefault();
    if (!collectionId || files.length === 0) return;
    setIsUploading(true);
    const results: UploadNote[] = [];
    for (const file of files) {
      const response = await fetch(
        `/api/collections/${collectionId}/documents?name=${encodeURIComponent(file.name)}`,
        { method: "POST", headers: { "content-type": "application/octet-stream" }, body: file },
      ).catch(() => null);
      if (!response) {
        results.push({ fileName: file.name, text: "The connection failed.", isError: true });
      } else if (!response.ok) {
        const failure = await problemOf(response);
        results.push({ fileName: file.name, text: failure.message, isError: true });
      } else {
        const body = (await response.json()) as { isDuplicate: boolean };
        results.push({
          fileName: file.name,
          text: body.isDuplicate ? "Already in this collection." : "Queued for indexing.",
          isError: false,
        });
      }
      setNotes([...results]);
      setRefreshKey((key) => key + 1);
    }
    setFiles([]);
    setIsUploading(false);
  }

  return (
    <div className="documents-layout">
      <section className="panel">
        <ModelStatusBanner />
        <h1>Collections</h1>
        <form onSubmit={createCollection} className="inline-form">
          <input
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
        {problem && <ProblemNotice problem={problem} />}
        {collections.length > 0 && (
          <form onSubmit={upload} className="upload-form">
            <label>
              Collection{" "}
              <select
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
            </label>
            <input
              data-testid="file-input"
              type="file"
              accept="application/pdf,.pdf"
              multiple
              onChange={(event) => setFiles([...(event.target.files ?? [])])}
            />
            <button type="submit" data-testid="upload" disabled={isUploading || files.length === 0}>
              {isUploading
                ? "Uploading…"
                : `Upload ${files.length || ""} PDF${files.length === 1 ? "" : "s"}`}
            </button>
          </form>
        )}
        {notes.length > 0 && (
          <ul className="upload-notes" data-testid="upload-notes">
            {notes.map((note) => (
              <li key={note.fileName} className={note.isError ? "error" : ""}>
                <strong>{note.fileName}</strong>: {note.text}
              </li>
            ))}
          </ul>
        )}
      </section>
      {collectionId && <JobList collectionId={collectionId} refreshKey={refreshKey} />}
    </div>
  );
}
