import type { Database, Executor } from "../../db/client";
import { getDocumentById, getVersionWithDocument } from "../../db/queries/documents";
import {
  deleteGoldenQuestion,
  type GoldenQuestionFields,
  getGoldenQuestion,
  insertGoldenQuestion,
  updateGoldenQuestion,
} from "../../db/queries/golden-questions";
import type { GoldenQuestion } from "../../db/schema";
import { appendAuditEvent } from "../audit/append-audit-event";
import type { ChangeActor } from "../auth/manage-users";
import { AppError } from "../errors";
import { sha256Hex } from "../text/sha256-hex";

/**
 * Golden questions of a collection: added, changed and removed by its curators, each change
 * recorded in the audit log in the same transaction. Authorization (curate on the collection)
 * is the caller's; the expected document must belong to the same collection.
 */
export interface GoldenQuestionInput {
  question: string;
  documentId: string;
  /** 1-based; null or absent: any page of the document. */
  page?: number | null;
}

export async function addGoldenQuestion(
  db: Database,
  actor: ChangeActor,
  input: GoldenQuestionInput & { collectionId: string },
): Promise<GoldenQuestion> {
  return db.transaction(async (tx) => {
    const fields = await checkedFields(tx, input.collectionId, input);
    const question = await insertGoldenQuestion({
      db: tx,
      collectionId: input.collectionId,
      createdBy: actor,
      fields,
    });
    await appendAuditEvent(tx, {
      actor,
      action: "golden_question.create",
      subject: `golden_question:${question.id}`,
      payload: eventPayload(question),
    });
    return question;
  });
}

export async function editGoldenQuestion(
  db: Database,
  actor: ChangeActor,
  input: GoldenQuestionInput & { collectionId: string; questionId: string },
): Promise<GoldenQuestion> {
  return db.transaction(async (tx) => {
    const before = await getGoldenQuestion({
      db: tx,
      collectionId: input.collectionId,
      id: input.questionId,
    });
    if (!before) throw new AppError("not_found:golden_question", { message: "No such golden question." });
    const fields = await checkedFields(tx, input.collectionId, input);
    const question = await updateGoldenQuestion({
      db: tx,
      collectionId: input.collectionId,
      id: input.questionId,
      fields,
    });
    if (!question) throw new AppError("not_found:golden_question", { message: "No such golden question." });
    await appendAuditEvent(tx, {
      actor,
      action: "golden_question.update",
      subject: `golden_question:${question.id}`,
      payload: { ...eventPayload(question), previous: eventPayload(before) },
    });
    return question;
  });
}

export async function removeGoldenQuestion(
  db: Database,
  actor: ChangeActor,
  input: { collectionId: string; questionId: string },
): Promise<void> {
  await db.transaction(async (tx) => {
    const question = await deleteGoldenQuestion({
      db: tx,
      collectionId: input.collectionId,
      id: input.questionId,
    });
    if (!question) throw new AppError("not_found:golden_question", { message: "No such golden question." });
    await appendAuditEvent(tx, {
      actor,
      action: "golden_question.delete",
      subject: `golden_question:${question.id}`,
      payload: eventPayload(question),
    });
  });
}

/** What the ledger keeps of a question: its text only as sha256, like every question Folio records. */
function eventPayload(question: GoldenQuestion) {
  return {
    questionId: question.id,
    collectionId: question.collectionId,
    questionSha256: sha256Hex(question.question),
    expectedDocumentId: question.expectedDocumentId,
    expectedPage: question.expectedPage,
  };
}

export const maxGoldenQuestionLength = 2000;

/**
 * The stored fields, after checking the expected document is in this collection (one elsewhere
 * looks absent) and the page exists in the version it serves, when that is known.
 */
async function checkedFields(
  tx: Executor,
  collectionId: string,
  input: GoldenQuestionInput,
): Promise<GoldenQuestionFields> {
  const question = input.question.trim();
  if (question === "" || question.length > maxGoldenQuestionLength) {
    throw new AppError("invalid:golden_question", {
      message: `A golden question needs its text (at most ${maxGoldenQuestionLength} characters).`,
    });
  }
  const document = await getDocumentById({ db: tx, id: input.documentId });
  if (!document || document.collectionId !== collectionId) {
    throw new AppError("not_found:document", { message: "No such document in this collection." });
  }
  const page = input.page ?? null;
  if (page !== null) {
    const served = document.currentVersionId
      ? await getVersionWithDocument({ db: tx, versionId: document.currentVersionId })
      : undefined;
    const pageCount = served?.version.pageCount ?? null;
    if (!Number.isInteger(page) || page < 1 || (pageCount !== null && page > pageCount)) {
      throw new AppError("invalid:page_number", {
        message:
          pageCount === null
            ? "The page must be a whole number from 1."
            : `${document.title} has ${pageCount} page${pageCount === 1 ? "" : "s"}; choose one of them or any page.`,
      });
    }
  }
  return {
    question,
    expectedDocumentId: document.id,
    expectedDocumentTitle: document.title,
    expectedPage: page,
  };
}
