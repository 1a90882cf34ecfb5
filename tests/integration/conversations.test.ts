import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCollection } from "../../db/queries/collections";
import { startAnswer } from "../../lib/answer/start-answer";
import { loadThreadContext, threadTitle } from "../../lib/conversations/thread-context";
import { listThreads, readThread } from "../../lib/conversations/thread-view";
import { deleteDocuments } from "../../lib/documents/delete-documents";
import type { Actor } from "../../lib/domain/actor";
import type { AnswerEvent } from "../../lib/domain/answer-events";
import { textOf } from "../../lib/llm/generator";
import { LlamaCppGenerator } from "../../lib/llm/llama-cpp-generator";
import { buildTextPdf } from "../fixtures/builders/pdf";
import { recordingGenerator } from "../support/recording-generator";
import { expectedAnswerText } from "../support/test-models";
import { bytesOf, createTestFolio, drainQueue, type TestFolio } from "../support/test-runtime";

/** Follow-up questions in a thread, through the real pipeline and the real tiny model. */

const handbook = buildTextPdf({
  pages: [
    ["Protective equipment: hard helmets must be worn at all times in zone seven, where cranes operate."],
    ["Inspections: the site manager inspects every helmet on Mondays and replaces cracked ones."],
  ],
});
const canteen = buildTextPdf({ pages: [["The canteen serves soup and bread from noon until two."]] });

let folio: TestFolio;
let generator: ReturnType<typeof recordingGenerator>;
let collectionId: string;
// An admin reads every collection, so no grants are needed; threads are private by owner alone.
const asker: Actor = {
  userId: "asker",
  email: "a@example.com",
  displayName: "A",
  role: "admin",
  via: "session",
};

beforeAll(async () => {
  folio = await createTestFolio({
    environment: { ANSWER_PREFILL_TOKENS_PER_SECOND: "100000", CHUNK_MAX_TOKENS: "40" },
    overrides: async (models) => {
      generator = recordingGenerator(
        await LlamaCppGenerator.create({
          modelPath: models.generatorPath,
          modelSha256: "f".repeat(64),
          contextTokens: 4096,
          threads: 1,
        }),
      );
      return { generator };
    },
  });
  collectionId = (await createCollection({ db: folio.database.db, name: "site" })).collection.id;
  for (const [fileName, pdf] of [
    ["handbook.pdf", handbook],
    ["canteen.pdf", canteen],
  ] as const) {
    await folio.ingest.accept({ collectionId, fileName, body: bytesOf(pdf) });
  }
  await drainQueue(folio);
});
afterAll(async () => folio?.close());

async function ask(question: string, threadId?: string, owner = asker.userId): Promise<AnswerEvent[]> {
  const thread = await loadThreadContext(folio.database.db, { ownerId: owner, threadId });
  const events: AnswerEvent[] = [];
  for await (const event of await startAnswer(folio, {
    question,
    thread,
    collectionIds: [collectionId],
    actor: owner,
  })) {
    events.push(event);
  }
  return events;
}

const threadIdOf = (events: AnswerEvent[]) => {
  const first = events[0];
  if (first?.type !== "retrieval-end") throw new Error(`no retrieval-end: ${JSON.stringify(events)}`);
  return first.threadId;
};

describe("conversations", () => {
  it("gives a follow-up the thread: earlier turns as history, markers out, earlier sources still there", async () => {
    const first = await ask("Where must hard helmets be worn?");
    const threadId = threadIdOf(first);
    expect(first.at(-1)).toMatchObject({ type: "answer-end" });

    generator.requests.length = 0;
    const second = await ask("Who inspects them?", threadId);
    expect(threadIdOf(second)).toBe(threadId);
    const [request] = generator.requests;
    if (!request) throw new Error("the model was not asked");
    const messages = request.messages.map((message) => ({ role: message.role, text: textOf(message) }));
    expect(messages.slice(0, 2)).toEqual([
      { role: "user", text: "Where must hard helmets be worn?" },
      // The scripted answer cites [1], [2] and [42]: none of them survive into the history.
      { role: "assistant", text: expectedAnswerText.replace(/\s*\[\d+\]/g, "") },
    ]);
    const last = messages.at(-1)?.text ?? "";
    expect(last).toContain("Question: Who inspects them?");
    expect(last).toContain("site manager inspects every helmet");
    expect(last).toContain("hard helmets must be worn");

    const view = await readThread({ db: folio.database.db, store: await folio.store() }, asker, threadId);
    expect(view.thread.title).toBe("Where must hard helmets be worn?");
    expect(view.turns.map((turn) => turn.question)).toEqual([
      "Where must hard helmets be worn?",
      "Who inspects them?",
    ]);
    expect(view.turns[0]?.citations.map((citation) => citation.n)).toEqual([1, 2]);
    expect((await listThreads(folio.database.db, asker)).map((thread) => thread.threadId)).toContain(
      threadId,
    );
  });

  it("leaves out of the history a turn whose passages the asker can no longer read", async () => {
    const threadId = threadIdOf(await ask("Where must hard helmets be worn?"));
    const kitchen = (await createCollection({ db: folio.database.db, name: "kitchen" })).collection.id;
    const menu = buildTextPdf({ pages: [["The kitchen opens at eleven and closes at three."]] });
    await folio.ingest.accept({ collectionId: kitchen, fileName: "menu.pdf", body: bytesOf(menu) });
    await drainQueue(folio);

    // As if the grant on "site" had been revoked: the follow-up may read the kitchen only.
    generator.requests.length = 0;
    const thread = await loadThreadContext(folio.database.db, { ownerId: asker.userId, threadId });
    expect(thread.earlier).toHaveLength(1);
    for await (const _event of await startAnswer(folio, {
      question: "When does the kitchen open?",
      thread,
      collectionIds: [kitchen],
      actor: asker.userId,
    })) {
      // drain
    }
    const [request] = generator.requests;
    expect(request?.messages).toHaveLength(1);
    expect(textOf(request?.messages[0] ?? { role: "user", content: "" })).not.toContain("helmet");
  });

  it("keeps threads private to the person who asked", async () => {
    const threadId = threadIdOf(await ask("Where is soup served?"));
    await expect(ask("And bread?", threadId, "someone-else")).rejects.toMatchObject({
      code: "not_found:thread",
    });
    const stranger: Actor = { ...asker, userId: "someone-else" };
    await expect(
      readThread({ db: folio.database.db, store: await folio.store() }, stranger, threadId),
    ).rejects.toMatchObject({ code: "not_found:thread" });
    expect(await listThreads(folio.database.db, stranger)).toEqual([]);
  });

  // Last: it replaces, then deletes, the handbook.
  it("opens an earlier answer's passages as the model saw them after a new version, and after a deletion", async () => {
    const threadId = threadIdOf(await ask("Where must hard helmets be worn?"));
    const store = await folio.store();
    const citationsNow = async () =>
      (await readThread({ db: folio.database.db, store }, asker, threadId)).turns[0]?.citations ?? [];
    const before = await citationsNow();
    const handbookId = before.find((citation) => citation.documentTitle === "handbook.pdf")?.documentId;
    if (!handbookId) throw new Error(`the answer cites no handbook passage: ${JSON.stringify(before)}`);

    const revised = buildTextPdf({ pages: [["From now on helmets are optional everywhere."]] });
    await folio.ingest.accept({
      collectionId,
      fileName: "handbook.pdf",
      body: bytesOf(revised),
      onNameConflict: { kind: "replace", documentId: handbookId },
    });
    await drainQueue(folio);
    expect(await citationsNow()).toEqual(before);

    await deleteDocuments(
      { db: folio.database.db, store, blobs: folio.blobs, derived: folio.derived },
      { actor: asker.userId, target: { documentId: handbookId } },
    );
    expect(await citationsNow()).toEqual(before);
  });

  it("titles a thread with its first question, shortened at a word", () => {
    expect(threadTitle("  What   is\nthis? ")).toBe("What is this?");
    const long = threadTitle(`${"word ".repeat(40)}end`);
    expect(long.length).toBeLessThanOrEqual(81);
    expect(long.endsWith("word…")).toBe(true);
  });
});
