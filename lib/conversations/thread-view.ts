import type { Executor } from "../../db/client";
import { getOwnedThread, listOwnedThreads, listThreadTurns } from "../../db/queries/threads";
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
 * One of the caller's threads with its turns. Citations are read again with today's access: a
 * passage whose document was deleted, replaced or moved out of reach is left out.
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
  const cited = [...new Set(turns.flatMap((turn) => turn.citations.map((citation) => citation.chunkId)))];
  const passages = new Map(
    (await readPassages(dependencies, collectionIds, cited)).map((passage) => [passage.chunkId, passage]),
  );
  return {
    thread: { threadId: thread.id, title: thread.title, updatedAt: thread.updatedAt.toISOString() },
    turns: turns.map(({ answer, citations }) => ({
      answerId: answer.id,
      question: answer.question,
      answer: answer.answer,
      status: answer.status,
      createdAt: answer.createdAt.toISOString(),
      claims: (answer.checks as { claims?: ClaimVerdict[] | null }).claims ?? [],
      rejectedMarkers: (answer.checks as { rejectedMarkers?: number[] }).rejectedMarkers ?? [],
      citations: citations.flatMap((citation) => {
        const passage = passages.get(citation.chunkId);
        if (!passage) return [];
        return [toSourceRef(passage, citation.marker, citation.imageSha256)];
      }),
    })),
  };
}
