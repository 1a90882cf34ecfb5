import type { Executor } from "../../db/client";
import { getOwnedThread, listOwnedThreads, listThreadTurns } from "../../db/queries/threads";
import type { AnswerSourceRow } from "../../db/schema";
import { readableCollectionIds } from "../access/collection-access";
import { toSourceRef } from "../answer/pack-prompt";
import type { Actor } from "../domain/actor";
import type { SourceRef } from "../domain/answer-events";
import type { ClaimVerdict } from "../domain/claim-verdicts";
import { AppError } from "../errors";
import { readPassages } from "../retrieval/retrieve-context";
import type { VectorStore } from "../vector-store/vector-store";

export interface ThreadSummary {
  threadId: string;
  title: string;
  updatedAt: string;
}

export interface ThreadTurnView {
  answerId: string;
  question: string;
  answer: string;
  status: string;
  createdAt: string;
  /** The cited passages the reader may still open, numbered as the answer cites them. */
  citations: SourceRef[];
  /** The verdicts stored with the answer on its cited sentences. */
  claims: ClaimVerdict[];
  /** Markers the model wrote that named no source (dropped then); any other uncited marker is a passage no longer readable. */
  rejectedMarkers: number[];
}

export async function listThreads(db: Executor, actor: Actor): Promise<ThreadSummary[]> {
  const rows = await listOwnedThreads({ db, ownerId: actor.userId });
  return rows.map((row) => ({ threadId: row.id, title: row.title, updatedAt: row.updatedAt.toISOString() }));
}

/**
 * One of the caller's threads with its turns. A citation opens the passage exactly as the model
 * saw it (kept with the answer), on the version it came from, even after a new version or a
 * deletion — while the reader may still read its collection, and unless its text was erased.
 * Answers recorded before passages were kept fall back to the index, which holds only what is
 * current.
 */
export async function readThread(
  dependencies: { db: Executor; store: VectorStore },
  actor: Actor,
  threadId: string,
): Promise<{ thread: ThreadSummary; turns: ThreadTurnView[] }> {
  const { db } = dependencies;
  const thread = await getOwnedThread({ db, id: threadId, ownerId: actor.userId });
  if (!thread) throw new AppError("not_found:thread", { message: "No such conversation." });
  const turns = await listThreadTurns({ db, threadId: thread.id });
  const collectionIds = await readableCollectionIds(db, actor);
  const readable = new Set(collectionIds);
  const keptFor = (turn: (typeof turns)[number], marker: number) =>
    turn.sources.find((source) => source.n === marker);
  const cited = [
    ...new Set(
      turns.flatMap((turn) =>
        turn.citations
          .filter((citation) => !keptFor(turn, citation.marker))
          .map((citation) => citation.chunkId),
      ),
    ),
  ];
  const passages = new Map(
    (await readPassages(dependencies, collectionIds, cited)).map((passage) => [passage.chunkId, passage]),
  );
  return {
    thread: { threadId: thread.id, title: thread.title, updatedAt: thread.updatedAt.toISOString() },
    turns: turns.map((turn) => ({
      answerId: turn.answer.id,
      question: turn.answer.question,
      answer: turn.answer.answer,
      status: turn.answer.status,
      createdAt: turn.answer.createdAt.toISOString(),
      claims: (turn.answer.checks as { claims?: ClaimVerdict[] | null }).claims ?? [],
      rejectedMarkers: (turn.answer.checks as { rejectedMarkers?: number[] }).rejectedMarkers ?? [],
      citations: turn.citations.flatMap((citation) => {
        const kept = keptFor(turn, citation.marker);
        if (kept) {
          const isReadable =
            kept.text !== null && kept.collectionId !== null && readable.has(kept.collectionId);
          return isReadable ? [keptSourceRef(kept, kept.text ?? "")] : [];
        }
        const passage = passages.get(citation.chunkId);
        if (!passage) return [];
        return [toSourceRef(passage, citation.marker, citation.imageSha256)];
      }),
    })),
  };
}

function keptSourceRef(source: AnswerSourceRow, text: string): SourceRef {
  return {
    n: source.n,
    chunkId: source.chunkId,
    documentId: source.documentId,
    versionId: source.versionId,
    documentTitle: source.documentTitle,
    pageNumber: source.pageNumber,
    pageLabel: source.pageLabel ?? null,
    box: source.box as SourceRef["box"],
    kind: source.kind as SourceRef["kind"],
    text,
    contentHash: source.contentHash,
    imageSha256: source.imageSha256,
  };
}
