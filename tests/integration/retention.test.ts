import { randomUUID } from "node:crypto";
import { count, eq, inArray, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { insertAnswer } from "../../db/queries/answers";
import { listAuditEvents } from "../../db/queries/audit-events";
import { createCollection, getCollectionById } from "../../db/queries/collections";
import { createThread } from "../../db/queries/threads";
import {
  answerCitations,
  answerFeedback,
  answerSources,
  answers,
  auditEvents,
  documents,
  documentVersions,
  threads,
} from "../../db/schema";
import { verifyLedger } from "../../lib/audit/verify-ledger";
import { addUser } from "../../lib/auth/manage-users";
import { deleteDocuments } from "../../lib/documents/delete-documents";
import { createHold, releaseHold } from "../../lib/retention/legal-holds";
import { type PurgeOptions, purgeRetention } from "../../lib/retention/purge-retention";
import { createPurgeSchedule } from "../../lib/retention/purge-schedule";
import { setRetention } from "../../lib/retention/retention-policy";
import { sha256Hex } from "../../lib/text/sha256-hex";
import { LanceDbStore } from "../../lib/vector-store/lancedb-store";
import { buildTextPdf } from "../fixtures/builders/pdf";
import { runAdminInProcess } from "../support/admin-cli";
import { storedBlobs, uploadTo } from "../support/instrumented-folio";
import { createTestFolio, drainQueue, type TestFolio } from "../support/test-runtime";

/**
 * Retention and legal hold on real parts (PGlite or PostgreSQL, LanceDB, blobs on disk). The
 * tests share one install; each makes its own collections, and ages its rows with a direct UPDATE
 * of created_at (answers and document versions are not append-only). A purge is global, so each
 * test checks what happened to its own rows.
 */
let folio: TestFolio;

beforeAll(async () => {
  folio = await createTestFolio();
  console.info(`retention runs on ${folio.database.driver}`);
});

afterAll(async () => {
  await folio?.close();
});

const db = () => folio.database.db;

async function newCollection(
  name: string,
  retention: { answerRetentionDays?: number; documentRetentionDays?: number } = {},
) {
  const { collection } = await createCollection({ db: db(), name });
  if (Object.keys(retention).length > 0) {
    await setRetention(db(), "tester", { collectionId: collection.id, changes: retention });
  }
  return collection.id;
}

/** Uploads and indexes a one-page PDF; returns its document id. */
async function indexedDocument(collectionId: string, text: string): Promise<string> {
  const accepted = await uploadTo(folio, collectionId)(
    `${text.slice(0, 12)}.pdf`,
    buildTextPdf({ pages: [[text]] }),
  );
  await drainQueue(folio);
  return accepted.documentId;
}

interface SourceSpec {
  documentId: string;
  collectionId: string;
  text: string;
}

/** An answer as recorded after a question, `ageDays` old, with a citation and feedback. */
async function recordAnswer(input: {
  actor: string;
  collectionIds: string[];
  sources?: SourceSpec[];
  ageDays: number;
  threadId?: string;
  question?: string;
}): Promise<string> {
  const id = randomUUID();
  const sources = input.sources ?? [];
  await db().transaction(async (tx) => {
    await insertAnswer({
      tx,
      answer: {
        id,
        actor: input.actor,
        threadId: input.threadId ?? null,
        question: input.question ?? `question ${id}`,
        collectionIds: input.collectionIds,
        answer: "An answer [1].",
        status: "complete",
      },
      citations: sources.slice(0, 1).map((source) => ({
        marker: 1,
        chunkId: `chunk-${source.documentId}`,
        documentId: source.documentId,
        versionId: randomUUID(),
        pageNumber: 1,
        contentHash: sha256Hex(source.text),
      })),
      sources: sources.map((source, index) => ({
        n: index + 1,
        chunkId: `chunk-${source.documentId}-${index}`,
        documentId: source.documentId,
        versionId: randomUUID(),
        collectionId: source.collectionId,
        documentTitle: "a document",
        pageNumber: 1,
        kind: "text",
        text: source.text,
        contentHash: sha256Hex(source.text),
      })),
    });
    await tx.insert(answerFeedback).values({ answerId: id, userId: input.actor, rating: 1 });
  });
  await db().execute(
    sql`update answers set created_at = now() - make_interval(days => ${input.ageDays}) where id = ${id}`,
  );
  return id;
}

async function ageDocument(documentId: string, days: number) {
  await db().execute(
    sql`update document_versions set created_at = now() - make_interval(days => ${days}) where document_id = ${documentId}`,
  );
}

async function existingAnswers(ids: string[]): Promise<string[]> {
  const rows = await db().select({ id: answers.id }).from(answers).where(inArray(answers.id, ids));
  return rows.map((row) => row.id).sort();
}

const purgeDependencies = () => ({
  db: db(),
  deletion: async () => ({
    db: db(),
    store: await folio.store(),
    blobs: folio.blobs,
    derived: folio.derived,
  }),
});

function purge(options: Partial<PurgeOptions> = {}) {
  return purgeRetention(purgeDependencies(), { actor: "tester", ...options });
}

async function newUser(email: string): Promise<string> {
  return (await addUser(db(), "tester", { email, role: "employee" })).id;
}

describe("answer retention", () => {
  it("purges an answer once the shortest retention of the collections it drew on has passed, with its citations, sources and feedback", async () => {
    const short = await newCollection("answers-30", { answerRetentionDays: 30 });
    const long = await newCollection("answers-365", { answerRetentionDays: 365 });
    const forever = await newCollection("answers-kept");
    const asker = randomUUID();
    const source = (collectionId: string) => ({ documentId: randomUUID(), collectionId, text: "a passage" });

    const drewOnBoth = await recordAnswer({
      actor: asker,
      collectionIds: [short, long],
      sources: [source(short), source(long)],
      ageDays: 31,
    });
    const tooYoung = await recordAnswer({
      actor: asker,
      collectionIds: [short],
      sources: [source(short)],
      ageDays: 29,
    });
    const drewOnLongOnly = await recordAnswer({
      // could read the short one, but no passage came from it
      actor: asker,
      collectionIds: [short, long],
      sources: [source(long)],
      ageDays: 100,
    });
    const noPassages = await recordAnswer({ actor: asker, collectionIds: [short, forever], ageDays: 31 });
    const keptForGood = await recordAnswer({
      actor: asker,
      collectionIds: [forever],
      sources: [source(forever)],
      ageDays: 5000,
    });

    const report = await purge();
    expect(report.answersPurged).toEqual(expect.arrayContaining([drewOnBoth, noPassages]));
    const mine = [drewOnBoth, tooYoung, drewOnLongOnly, noPassages, keptForGood];
    expect(await existingAnswers(mine)).toEqual([tooYoung, drewOnLongOnly, keptForGood].sort());
    for (const table of [answerCitations, answerSources, answerFeedback]) {
      const [left] = await db()
        .select({ n: count() })
        .from(table)
        .where(inArray(table.answerId, [drewOnBoth, noPassages]));
      expect(left?.n).toBe(0);
    }
  });

  it("keeps answers under a hold on a collection they drew on or on the asker, and purges them once released", async () => {
    const held = await newCollection("answers-held", { answerRetentionDays: 10 });
    const open = await newCollection("answers-open", { answerRetentionDays: 10 });
    const heldUser = await newUser("held@example.com");
    const otherUser = await newUser("free@example.com");
    const fromHeld = await recordAnswer({
      actor: otherUser,
      collectionIds: [held, open],
      sources: [{ documentId: randomUUID(), collectionId: held, text: "held passage" }],
      ageDays: 20,
    });
    const drewOnOpenOnly = await recordAnswer({
      // could read the held collection, but drew on the open one alone
      actor: otherUser,
      collectionIds: [held, open],
      sources: [{ documentId: randomUUID(), collectionId: open, text: "open passage" }],
      ageDays: 20,
    });
    const byHeldUser = await recordAnswer({ actor: heldUser, collectionIds: [open], ageDays: 20 });
    const free = await recordAnswer({ actor: otherUser, collectionIds: [open], ageDays: 20 });
    const collectionHold = await createHold(db(), "tester", {
      target: { collectionId: held },
      reason: "case 12-345",
    });
    const userHold = await createHold(db(), "tester", {
      target: { userId: heldUser },
      reason: "case 12-346",
    });

    const report = await purge();
    expect(report.answersPurged).toEqual(expect.arrayContaining([free, drewOnOpenOnly]));
    expect(report.heldAnswers).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: fromHeld, isCollectionHeld: true, isUserHeld: false }),
        expect.objectContaining({ id: byHeldUser, isCollectionHeld: false, isUserHeld: true }),
      ]),
    );
    expect(await existingAnswers([fromHeld, byHeldUser, free, drewOnOpenOnly])).toEqual(
      [fromHeld, byHeldUser].sort(),
    );

    await releaseHold(db(), "tester", collectionHold.id);
    await releaseHold(db(), "tester", userHold.id);
    await expect(releaseHold(db(), "tester", userHold.id)).rejects.toMatchObject({
      code: "not_found:legal_hold",
    });
    expect((await purge()).answersPurged).toEqual(expect.arrayContaining([fromHeld, byHeldUser]));
    expect(await existingAnswers([fromHeld, byHeldUser])).toEqual([]);
  });

  it("removes a thread the purge left empty and retitles one whose first question went", async () => {
    const collectionId = await newCollection("answers-threads", { answerRetentionDays: 7 });
    const asker = randomUUID();
    const emptied = await createThread({ db: db(), ownerId: asker, title: "Old question" });
    await recordAnswer({ actor: asker, collectionIds: [collectionId], ageDays: 8, threadId: emptied.id });
    const kept = await createThread({ db: db(), ownerId: asker, title: "First question" });
    await recordAnswer({
      actor: asker,
      collectionIds: [collectionId],
      ageDays: 9,
      threadId: kept.id,
      question: "First question",
    });
    await recordAnswer({
      actor: asker,
      collectionIds: [collectionId],
      ageDays: 1,
      threadId: kept.id,
      question: "A follow-up that stays",
    });

    await purge();
    const left = await db()
      .select({ id: threads.id, title: threads.title })
      .from(threads)
      .where(inArray(threads.id, [emptied.id, kept.id]));
    expect(left).toEqual([{ id: kept.id, title: "A follow-up that stays" }]);
  });
});

describe("document retention and erasure", () => {
  it("deletes a document past retention with its index rows and original, and erases its passages from the answers that stay", async () => {
    const collectionId = await newCollection("documents-90", { documentRetentionDays: 90 });
    const text = "The cold store is inspected every spring.";
    const old = await indexedDocument(collectionId, text);
    const recent = await indexedDocument(collectionId, "The loading bay closes at six.");
    await ageDocument(old, 91);
    await ageDocument(recent, 89);
    const store = (await folio.store()) as LanceDbStore;
    expect(await store.countChunks({ documentId: old })).toBeGreaterThan(0);
    const [version] = await db().select().from(documentVersions).where(eq(documentVersions.documentId, old));
    expect(await storedBlobs(folio)).toContain(version?.sha256);
    const answerId = await recordAnswer({
      actor: randomUUID(),
      collectionIds: [collectionId],
      sources: [
        { documentId: old, collectionId, text },
        { documentId: recent, collectionId, text: "The loading bay closes at six." },
      ],
      ageDays: 200,
    });

    const report = await purge();
    expect(report.documentsPurged).toContainEqual({
      documentId: old,
      collectionId,
      title: expect.any(String),
    });
    expect(report.documentsPurged.map((document) => document.documentId)).not.toContain(recent);
    expect(report.erasedPassages).toBeGreaterThanOrEqual(1);
    const remaining = await db()
      .select({ id: documents.id })
      .from(documents)
      .where(eq(documents.collectionId, collectionId));
    expect(remaining).toEqual([{ id: recent }]);
    expect(await store.countChunks({ documentId: old })).toBe(0);
    expect(await storedBlobs(folio)).not.toContain(version?.sha256);

    expect(await existingAnswers([answerId])).toEqual([answerId]);
    const sources = await db()
      .select()
      .from(answerSources)
      .where(eq(answerSources.answerId, answerId))
      .orderBy(answerSources.n);
    expect(sources[0]).toMatchObject({ documentId: old, text: null, contentHash: sha256Hex(text) });
    expect(sources[0]?.erasedAt).toBeInstanceOf(Date);
    expect(sources[1]).toMatchObject({
      documentId: recent,
      text: "The loading bay closes at six.",
      erasedAt: null,
    });

    const deletion = (await listAuditEvents({ db: db(), limit: 100_000 })).find(
      (event) => event.action === "document.delete" && event.subject === `document:${old}`,
    );
    expect(JSON.parse(deletion?.payload ?? "{}")).toMatchObject({
      erase: true,
      erasedPassages: 1,
      reason: "retention",
    });
  });

  it("keeps passages on a plain deletion and erases them on a deletion with erase, of a document or a collection", async () => {
    const collectionId = await newCollection("erase-on-delete");
    const source = (documentId: string, text: string) => ({ documentId, collectionId, text });
    const plain = await indexedDocument(collectionId, "Plain deletion keeps this passage.");
    const erased = await indexedDocument(collectionId, "Erasure removes this passage.");
    const answerId = await recordAnswer({
      actor: randomUUID(),
      collectionIds: [collectionId],
      sources: [
        source(plain, "Plain deletion keeps this passage."),
        source(erased, "Erasure removes this passage."),
      ],
      ageDays: 0,
    });
    const parts = { db: db(), store: await folio.store(), blobs: folio.blobs, derived: folio.derived };
    const textOf = async () =>
      (
        await db()
          .select()
          .from(answerSources)
          .where(eq(answerSources.answerId, answerId))
          .orderBy(answerSources.n)
      ).map((row) => row.text);

    expect(
      await deleteDocuments(parts, { actor: "tester", target: { documentId: plain } }),
    ).not.toHaveProperty("erasedPassages");
    expect(await textOf()).toEqual(["Plain deletion keeps this passage.", "Erasure removes this passage."]);
    expect(
      await deleteDocuments(parts, { actor: "tester", target: { documentId: erased }, erase: true }),
    ).toMatchObject({ documentCount: 1, erasedPassages: 1 });
    expect(await textOf()).toEqual(["Plain deletion keeps this passage.", null]);

    // The collection's erasure reaches passages of documents deleted earlier without it too.
    expect(
      await deleteDocuments(parts, { actor: "tester", target: { collectionId }, erase: true }),
    ).toMatchObject({ documentCount: 0, erasedPassages: 1 });
    expect(await textOf()).toEqual([null, null]);
    const event = (await listAuditEvents({ db: db(), limit: 100_000 })).find(
      (candidate) =>
        candidate.subject === `collection:${collectionId}` && candidate.action === "collection.delete",
    );
    expect(JSON.parse(event?.payload ?? "{}")).toMatchObject({ erase: true, erasedPassages: 1 });
  });

  it("keeps the passages in the answers of a user under a legal hold when a document's content is erased", async () => {
    const collectionId = await newCollection("erase-under-user-hold");
    const documentId = await indexedDocument(collectionId, "Held users keep this passage.");
    const heldUser = await newUser("held-reader@example.com");
    const source = { documentId, collectionId, text: "Held users keep this passage." };
    const heldAnswer = await recordAnswer({
      actor: heldUser,
      collectionIds: [collectionId],
      sources: [source],
      ageDays: 0,
    });
    const otherAnswer = await recordAnswer({
      actor: randomUUID(),
      collectionIds: [collectionId],
      sources: [source],
      ageDays: 0,
    });
    await createHold(db(), "tester", { target: { userId: heldUser }, reason: "case 12" });
    const parts = { db: db(), store: await folio.store(), blobs: folio.blobs, derived: folio.derived };
    expect(
      await deleteDocuments(parts, { actor: "tester", target: { documentId }, erase: true }),
    ).toMatchObject({ erasedPassages: 1 });
    const textOf = async (answerId: string) =>
      (await db().select().from(answerSources).where(eq(answerSources.answerId, answerId)))[0]?.text;
    expect(await textOf(heldAnswer)).toBe("Held users keep this passage.");
    expect(await textOf(otherAnswer)).toBeNull();
  });

  it("keeps the passages in answers that drew on a held collection when another collection's document is erased", async () => {
    const heldCollection = await newCollection("held-for-erasure");
    const otherCollection = await newCollection("erased-elsewhere");
    const heldDocument = await indexedDocument(heldCollection, "Held collection passage.");
    const otherDocument = await indexedDocument(otherCollection, "Other collection passage.");
    const answerId = await recordAnswer({
      actor: randomUUID(),
      collectionIds: [heldCollection, otherCollection],
      sources: [
        { documentId: heldDocument, collectionId: heldCollection, text: "Held collection passage." },
        { documentId: otherDocument, collectionId: otherCollection, text: "Other collection passage." },
      ],
      ageDays: 0,
    });
    await createHold(db(), "tester", { target: { collectionId: heldCollection }, reason: "case 13" });
    const parts = { db: db(), store: await folio.store(), blobs: folio.blobs, derived: folio.derived };
    expect(
      await deleteDocuments(parts, { actor: "tester", target: { documentId: otherDocument }, erase: true }),
    ).toMatchObject({ erasedPassages: 0 });
    const texts = await db()
      .select()
      .from(answerSources)
      .where(eq(answerSources.answerId, answerId))
      .orderBy(answerSources.n);
    expect(texts.map((row) => row.text)).toEqual(["Held collection passage.", "Other collection passage."]);
  });

  it("keeps a held collection's documents past retention and refuses deleting them or the collection", async () => {
    const collectionId = await newCollection("documents-held", { documentRetentionDays: 1 });
    const documentId = await indexedDocument(collectionId, "Held documents stay where they are.");
    await ageDocument(documentId, 30);
    const hold = await createHold(db(), "tester", { target: { collectionId }, reason: "litigation 77" });

    const report = await purge();
    expect(report.heldDocuments).toContainEqual(expect.objectContaining({ documentId, collectionId }));
    expect(report.documentsPurged.map((document) => document.documentId)).not.toContain(documentId);

    const parts = { db: db(), store: await folio.store(), blobs: folio.blobs, derived: folio.derived };
    for (const target of [{ documentId }, { collectionId }]) {
      await expect(deleteDocuments(parts, { actor: "tester", target })).rejects.toMatchObject({
        code: "conflict:legal_hold",
        message: expect.stringContaining(hold.id),
      });
    }
    expect(await getCollectionById({ db: db(), id: collectionId })).toBeDefined();
    expect(await ((await folio.store()) as LanceDbStore).countChunks({ documentId })).toBeGreaterThan(0);

    await releaseHold(db(), "tester", hold.id);
    expect((await purge()).documentsPurged.map((document) => document.documentId)).toContain(documentId);
  });
});

describe("the purge itself", () => {
  it("is recorded as retention.purge with what it purged and held back, and the ledger still verifies", async () => {
    const collectionId = await newCollection("purge-event", {
      answerRetentionDays: 3,
      documentRetentionDays: 3,
    });
    const documentId = await indexedDocument(collectionId, "This record is due for disposal.");
    await ageDocument(documentId, 4);
    const heldUser = await newUser("purge-held@example.com");
    const purged = await recordAnswer({ actor: randomUUID(), collectionIds: [collectionId], ageDays: 4 });
    const held = await recordAnswer({ actor: heldUser, collectionIds: [collectionId], ageDays: 4 });
    await createHold(db(), "tester", { target: { userId: heldUser }, reason: "audit 2027" });

    const report = await purge({ actor: "system" });
    expect(report.eventSeqs).toHaveLength(1);
    const [event] = await db()
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.seq, report.eventSeqs[0] ?? 0));
    expect(event).toMatchObject({ actor: "system", action: "retention.purge" });
    const payload = JSON.parse(event?.payload ?? "{}");
    expect(payload.answersPurged).toContain(purged);
    expect(payload.answersPurged).not.toContain(held);
    expect(payload.documentsPurged).toContainEqual({ documentId, collectionId });
    expect(payload.heldBack.answers).toBeGreaterThanOrEqual(1);
    expect(payload.collectionIds).toContain(collectionId);
    expect(typeof payload.erasedPassages).toBe("number");

    expect(await verifyLedger(db())).toMatchObject({ isIntact: true });
  });

  it("splits a large purge into events that each carry their own answers", async () => {
    const collectionId = await newCollection("purge-batches", { answerRetentionDays: 1 });
    const ids = [];
    for (let index = 0; index < 5; index += 1) {
      ids.push(await recordAnswer({ actor: randomUUID(), collectionIds: [collectionId], ageDays: 2 }));
    }
    const report = await purge({ answersPerEvent: 2 });
    expect(report.eventSeqs.length).toBeGreaterThanOrEqual(3);
    const events = await db().select().from(auditEvents).where(inArray(auditEvents.seq, report.eventSeqs));
    const listed = events.flatMap((event) => JSON.parse(event.payload).answersPurged as string[]);
    expect(listed.sort()).toEqual([...report.answersPurged].sort());
    expect(listed).toEqual(expect.arrayContaining(ids));
  });

  it("changes nothing on a dry run, yet reports what it would purge and hold back", async () => {
    const collectionId = await newCollection("dry-run", { answerRetentionDays: 2, documentRetentionDays: 2 });
    const documentId = await indexedDocument(collectionId, "A dry run leaves this alone.");
    await ageDocument(documentId, 3);
    const answerId = await recordAnswer({
      actor: randomUUID(),
      collectionIds: [collectionId],
      sources: [{ documentId, collectionId, text: "A dry run leaves this alone." }],
      ageDays: 3,
    });
    const snapshot = async () => ({
      answers: (await db().select({ n: count() }).from(answers))[0]?.n,
      documents: (await db().select({ n: count() }).from(documents))[0]?.n,
      erased: (
        await db()
          .select({ n: count() })
          .from(answerSources)
          .where(sql`${answerSources.erasedAt} is not null`)
      )[0]?.n,
      events: (await db().select({ n: count() }).from(auditEvents))[0]?.n,
    });
    const before = await snapshot();

    const report = await purge({ isDryRun: true });
    expect(report).toMatchObject({ isDryRun: true, eventSeqs: [] });
    expect(report.answersPurged).toContain(answerId);
    expect(report.documentsPurged.map((document) => document.documentId)).toContain(documentId);
    expect(report.erasedPassages).toBeGreaterThanOrEqual(1);
    expect(await snapshot()).toEqual(before);
  });
});

describe("the purge schedule", () => {
  it("purges as the actor system on its timer, logs what it did and waits for a purge under way when stopped", async () => {
    const collectionId = await newCollection("scheduled", { answerRetentionDays: 1 });
    const answerId = await recordAnswer({ actor: randomUUID(), collectionIds: [collectionId], ageDays: 2 });
    const lines: string[] = [];
    const schedule = createPurgeSchedule({
      ...purgeDependencies(),
      intervalHours: 24,
      firstRunDelayMs: 0,
      log: (line) => lines.push(line),
    });
    schedule.start();
    await vi.waitFor(() => expect(lines.some((line) => line.startsWith("[retention] purged"))).toBe(true), {
      timeout: 10_000,
    });
    await schedule.stop();
    expect(await existingAnswers([answerId])).toEqual([]);
    const event = (await listAuditEvents({ db: db(), limit: 100_000 })).findLast(
      (candidate) => candidate.action === "retention.purge",
    );
    expect(event?.actor).toBe("system");
    expect(JSON.parse(event?.payload ?? "{}").answersPurged).toContain(answerId);
  });
});

describe("admin commands", () => {
  const admin = (args: string[]) =>
    runAdminInProcess({ DATA_DIR: folio.dataDir }, args, { database: folio.database });

  it("sets retention, places a hold and shows a dry run of the purge", async () => {
    const collectionId = await newCollection("cli-retention");
    const set = await admin([
      "retention",
      "set",
      "cli-retention",
      "--answers-days",
      "30",
      "--documents-days",
      "off",
    ]);
    expect(set).toMatchObject({ code: 0, stdout: "cli-retention: answers 30 days, documents keep.\n" });
    expect(await getCollectionById({ db: db(), id: collectionId })).toMatchObject({
      answerRetentionDays: 30,
      documentRetentionDays: null,
    });
    const setEvent = (await listAuditEvents({ db: db(), limit: 100_000 })).findLast(
      (event) => event.action === "retention.set",
    );
    expect(setEvent).toMatchObject({ actor: "cli", subject: `collection:${collectionId}` });
    expect(JSON.parse(setEvent?.payload ?? "{}")).toMatchObject({
      collectionId,
      answerRetentionDays: 30,
      documentRetentionDays: null,
      previous: { answerRetentionDays: null, documentRetentionDays: null },
    });
    expect((await admin(["retention", "set", "cli-retention", "--answers-days", "0"])).code).toBe(2);
    expect((await admin(["retention", "set", "cli-retention"])).code).toBe(2);

    const hold = await admin(["hold", "add", "--collection", "cli-retention", "--reason", "case 9"]);
    expect(hold.code).toBe(0);
    expect(hold.stdout).toMatch(/^Legal hold [0-9a-f-]{36} placed on collection cli-retention/);
    expect((await admin(["hold", "add", "--collection", "cli-retention"])).code).toBe(2);
    const list = await admin(["hold", "list"]);
    expect(list.stdout).toContain("collection cli-retention");
    expect(list.stdout).toContain("case 9");
    expect((await admin(["retention", "show"])).stdout).toMatch(/cli-retention\s+30 days\s+keep\s+yes/);

    await recordAnswer({ actor: randomUUID(), collectionIds: [collectionId], ageDays: 31 });
    const answerCount = async () => (await db().select({ n: count() }).from(answers))[0]?.n;
    const before = await answerCount();
    const dryRun = await admin(["retention", "purge", "--dry-run"]);
    expect(dryRun.code).toBe(0);
    expect(dryRun.stdout).toMatch(/^Would purge \d+ answers? and \d+ documents?/);
    expect(dryRun.stdout).toMatch(/Answers held back: [1-9]\d* by a hold on a collection/);
    expect(dryRun.stdout).toContain("Dry run: nothing was changed.");
    expect(await answerCount()).toBe(before);
  });

  it("purges from the command line: a document past retention goes with its index rows", async () => {
    const collectionId = await newCollection("cli-documents", { documentRetentionDays: 1 });
    const documentId = await indexedDocument(collectionId, "The command line purges this record.");
    await ageDocument(documentId, 2);

    const purged = await admin(["retention", "purge"]);
    expect(purged).toMatchObject({ code: 0, stderr: "" });
    expect(purged.stdout).toMatch(/^Purged \d+ answers? and [1-9]\d* documents?/);
    expect(purged.stdout).toMatch(/Documents purged:\n(.*\n)* {2}The command.*\(cli-documents\)/);
    const remaining = await db().select().from(documents).where(eq(documents.id, documentId));
    expect(remaining).toEqual([]);
    // Read through a handle opened now: the test's own handle was opened before another
    // process (here, the command) rewrote the table, and LanceDB does not refresh it.
    const fresh = await LanceDbStore.create({ uri: folio.config.lanceUri, dims: (await folio.store()).dims });
    try {
      expect(await fresh.countChunks({ documentId })).toBe(0);
    } finally {
      await fresh.close();
    }
  });
});
