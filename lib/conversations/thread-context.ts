import type { Executor } from "../../db/client";
import { getOwnedThread, listThreadTurns } from "../../db/queries/threads";
import { AppError } from "../errors";
import type { ChatMessage } from "../llm/generator";
import type { RetrievedPassage } from "../retrieval/retrieve-context";
import { neutraliseMarkup } from "../text/neutralise-markup";

/** An earlier question of the thread and what was answered. */
export interface EarlierTurn {
  question: string;
  answer: string;
  /** The passages its answer cited, in marker order. */
  citedChunkIds: string[];
}

/** Where a question belongs: a new thread (`id` null) or an existing one, with its last turns. */
export interface ThreadContext {
  id: string | null;
  earlier: EarlierTurn[];
}

/** Turns of history given to the model and to retrieval; older ones are left out. */
const maxEarlierTurns = 4;

/**
 * The caller's thread and its last complete turns. Another person's thread, or one that does not
 * exist, is `not_found:thread` — threads are private to the person who asked.
 */
export async function loadThreadContext(
  db: Executor,
  input: { ownerId: string; threadId: string | undefined },
): Promise<ThreadContext> {
  if (!input.threadId) return { id: null, earlier: [] };
  const thread = await getOwnedThread({ db, id: input.threadId, ownerId: input.ownerId });
  if (!thread) throw new AppError("not_found:thread", { message: "No such conversation." });
  const turns = await listThreadTurns({ db, threadId: thread.id, limit: maxEarlierTurns * 2 });
  const earlier = turns
    .filter((turn) => turn.answer.status === "complete")
    .slice(-maxEarlierTurns)
    .map((turn) => ({
      question: turn.answer.question,
      answer: turn.answer.answer,
      citedChunkIds: [...new Set(turn.citations.map((citation) => citation.chunkId))],
    }));
  return { id: thread.id, earlier };
}

/**
 * The follow-up rewritten for retrieval: the previous question carries the subject a short
 * follow-up leaves out ("and in 2023?", "who signed it?"). Searched beside the question alone, so
 * that a change of subject still finds its own passages first.
 */
export function followUpQuery(earlier: readonly EarlierTurn[], question: string): string | null {
  const previous = earlier.at(-1);
  return previous ? `${previous.question}\n${question}` : null;
}

/** Two rankings as one: alternating, best first, each passage once. */
export function interleaveRankings(
  first: readonly RetrievedPassage[],
  second: readonly RetrievedPassage[],
): RetrievedPassage[] {
  const merged: RetrievedPassage[] = [];
  const seen = new Set<string>();
  for (let index = 0; index < Math.max(first.length, second.length); index += 1) {
    for (const passage of [first[index], second[index]]) {
      if (!passage || seen.has(passage.chunkId)) continue;
      seen.add(passage.chunkId);
      merged.push(passage);
    }
  }
  return merged;
}

/**
 * Earlier turns as chat history, newest last. Citation markers are taken out of earlier answers:
 * they numbered sources of another prompt, and the model must cite only this prompt's sources.
 */
export function historyMessages(earlier: readonly EarlierTurn[]): ChatMessage[] {
  return earlier.flatMap((turn): ChatMessage[] => [
    { role: "user", content: neutraliseMarkup(turn.question) },
    { role: "assistant", content: neutraliseMarkup(turn.answer.replace(/\s*\[\d{1,4}\]/g, "").trim()) },
  ]);
}

/** A thread's title: its first question, shortened at a word. */
export function threadTitle(question: string): string {
  const oneLine = question.replace(/\s+/g, " ").trim();
  if (oneLine.length <= 80) return oneLine;
  const cut = oneLine.slice(0, 80);
  return `${cut.slice(0, Math.max(cut.lastIndexOf(" "), 40))}…`;
}
