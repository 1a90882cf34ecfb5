import { asc, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCollection } from "../../db/queries/collections";
import { upsertGrant } from "../../db/queries/grants";
import { insertUser } from "../../db/queries/users";
import { auditEvents } from "../../db/schema";
import { canReadAnswer } from "../../lib/access/answer-access";
import { startAnswer } from "../../lib/answer/start-answer";
import { auditAnswer } from "../../lib/answers/audit-answer";
import { auditedSourcePage } from "../../lib/answers/audited-source-page";
import { exportForAudit } from "../../lib/answers/export-for-audit";
import { giveFeedback, readOwnFeedback } from "../../lib/answers/feedback";
import { type AnswerSearchFilters, searchAnswersForAudit } from "../../lib/answers/search-answers";
import { appendAuditEvent } from "../../lib/audit/append-audit-event";
import { ledgerStatus, ledgerStatusCacheMs } from "../../lib/audit/ledger-status";
import { verifyLedger } from "../../lib/audit/verify-ledger";
import { deleteDocuments } from "../../lib/documents/delete-documents";
import type { Actor, Role } from "../../lib/domain/actor";
import type { AnswerEvent } from "../../lib/domain/answer-events";
import { sha256Hex } from "../../lib/text/sha256-hex";
import { buildTextPdf } from "../fixtures/builders/pdf";
import { bytesOf, createTestFolio, drainQueue, type TestFolio } from "../support/test-runtime";

/**
 * The auditor's workspace at the lib level, on real parts: answers asked through the real pipeline
 * (tiny models), searched, opened with their passages checked against their hashes and the ledger,
 * a tampered and an erased passage, a deleted document, feedback and its ledger event.
 */
let folio: TestFolio;
let auditor: Actor;
let alice: Actor;
let bob: Actor;
let handbookCollection: string;
let canteenCollection: string;
let handbookDocument: string;
/** Answer ids, in the order they were asked. */
const asked: { aliceHelmets: string; bobCanteen: string; aliceInspections: string } = {
  aliceHelmets: "",
  bobCanteen: "",
  aliceInspections: "",
};
let betweenFirstAndSecond: Date;

async function addPerson(email: string, role: Role): Promise<Actor> {
  const user = await insertUser({
    tx: folio.database.db,
    user: { email, displayName: email.split("@")[0] ?? email, role },
  });
  if (!user) throw new Error("no user");
  return { userId: user.id, email: user.email, displayName: user.displayName, role, via: "session" };
}

async function ask(actor: Actor, question: string, collectionId: string): Promise<string> {
  const events: AnswerEvent[] = [];
  for await (const event of await startAnswer(folio, {
    question,
    collectionIds: [collectionId],
    actor: actor.userId,
  })) {
    events.push(event);
  }
  const end = events.at(-1);
  if (end?.type !== "answer-end") throw new Error(`no answer: ${JSON.stringify(events)}`);
  return end.answerId;
}

const search = async (filters: AnswerSearchFilters, cursor?: string, limit?: number) =>
  searchAnswersForAudit(folio.database.db, auditor, {
    filters,
    ...(cursor ? { cursor } : {}),
    ...(limit ? { limit } : {}),
  });
const idsOf = (page: { answers: { answerId: string }[] }) => page.answers.map((answer) => answer.answerId);

beforeAll(async () => {
  folio = await createTestFolio({ environment: { ANSWER_PREFILL_TOKENS_PER_SECOND: "100000" } });
  const { db } = folio.database;
  auditor = await addPerson("audra@example.com", "auditor");
  alice = await addPerson("alice@example.com", "employee");
  bob = await addPerson("bob@example.com", "employee");
  handbookCollection = (await createCollection({ db, name: "site" })).collection.id;
  canteenCollection = (await createCollection({ db, name: "canteen" })).collection.id;
  for (const person of [alice, bob]) {
    for (const collectionId of [handbookCollection, canteenCollection]) {
      await upsertGrant({ db, collectionId, grantee: { userId: person.userId }, permission: "read" });
    }
  }
  const handbook = buildTextPdf({
    pages: [
      ["Protective equipment: hard helmets must be worn at all times in zone seven, where cranes operate."],
      ["Inspections: the site manager inspects every helmet on Mondays and replaces cracked ones."],
    ],
  });
  const menu = buildTextPdf({
    pages: [["The canteen serves soup and bread from noon until two (100% organic_)."]],
  });
  const accepted = await folio.ingest.accept({
    collectionId: handbookCollection,
    fileName: "handbook.pdf",
    body: bytesOf(handbook),
  });
  handbookDocument = accepted.documentId;
  await folio.ingest.accept({ collectionId: canteenCollection, fileName: "menu.pdf", body: bytesOf(menu) });
  await drainQueue(folio);

  asked.aliceHelmets = await ask(alice, "Where must hard helmets be worn?", handbookCollection);
  betweenFirstAndSecond = new Date();
  asked.bobCanteen = await ask(bob, "When does the canteen serve 100% soup_?", canteenCollection);
  asked.aliceInspections = await ask(alice, "Who inspects the helmets?", handbookCollection);
});

afterAll(async () => folio?.close());

describe("searchAnswersForAudit", () => {
  it("lists everyone's answers newest first, with asker, status, claim and feedback summaries", async () => {
    const page = await search({});
    expect(idsOf(page)).toEqual([asked.aliceInspections, asked.bobCanteen, asked.aliceHelmets]);
    const [newest] = page.answers;
    expect(newest).toMatchObject({
      askerEmail: "alice@example.com",
      question: "Who inspects the helmets?",
      status: "complete",
      feedback: { up: 0, down: 0, comments: 0 },
    });
    expect(Object.keys(newest?.claims ?? {}).sort()).toEqual(["supported", "unsupported", "weak"]);
    expect(page.nextCursor).toBeNull();
  });

  it("filters by asker, date range, collection, document and text, all together", async () => {
    expect(idsOf(await search({ person: "BOB@" }))).toEqual([asked.bobCanteen]);
    expect(idsOf(await search({ person: "alice" }))).toEqual([asked.aliceInspections, asked.aliceHelmets]);
    expect(idsOf(await search({ from: betweenFirstAndSecond }))).toEqual([
      asked.aliceInspections,
      asked.bobCanteen,
    ]);
    expect(idsOf(await search({ to: betweenFirstAndSecond }))).toEqual([asked.aliceHelmets]);
    expect(idsOf(await search({ collectionId: canteenCollection }))).toEqual([asked.bobCanteen]);
    expect(idsOf(await search({ documentId: handbookDocument }))).toEqual([
      asked.aliceInspections,
      asked.aliceHelmets,
    ]);
    expect(idsOf(await search({ collectionName: "CANT" }))).toEqual([asked.bobCanteen]);
    expect(idsOf(await search({ documentTitle: "handbook" }))).toEqual([
      asked.aliceInspections,
      asked.aliceHelmets,
    ]);
    expect(idsOf(await search({ text: "INSPECTS" }))).toEqual([asked.aliceInspections]);
    expect(idsOf(await search({ person: "alice", from: betweenFirstAndSecond, text: "helmet" }))).toEqual([
      asked.aliceInspections,
    ]);
  });

  it("matches % and _ in the text literally", async () => {
    expect(idsOf(await search({ text: "100% soup_" }))).toEqual([asked.bobCanteen]);
    expect(idsOf(await search({ text: "%" }))).toEqual([asked.bobCanteen]);
    expect(idsOf(await search({ text: "h_lmets" }))).toEqual([]);
  });

  it("pages with a cursor without repeating or skipping an answer, and refuses a forged cursor", async () => {
    const first = await search({}, undefined, 2);
    expect(idsOf(first)).toEqual([asked.aliceInspections, asked.bobCanteen]);
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = await search({}, first.nextCursor ?? "", 2);
    expect(idsOf(second)).toEqual([asked.aliceHelmets]);
    expect(second.nextCursor).toBeNull();
    await expect(search({}, "bm90IGEgY3Vyc29y")).rejects.toMatchObject({ code: "invalid:request" });
  });
});

describe("auditAnswer", () => {
  it("shows the passages exactly as sent, each matching its hash and the ledger, with model and parameters", async () => {
    const audit = await auditAnswer(folio.database.db, auditor, asked.aliceHelmets);
    expect(audit.asker).toMatchObject({ userId: alice.userId, email: "alice@example.com" });
    expect(audit.question).toBe("Where must hard helmets be worn?");
    expect(audit.sources.length).toBeGreaterThan(0);
    for (const source of audit.sources) {
      expect(source.text).toEqual(expect.any(String));
      expect(source.contentHash).toBe(sha256Hex(source.text ?? ""));
      expect(source).toMatchObject({
        hashCheck: "match",
        ledgerCheck: "match",
        documentId: handbookDocument,
        collectionId: handbookCollection,
        version: { exists: true, status: "indexed" },
        document: { exists: true, isCurrentVersion: true },
      });
    }
    expect(audit.citations.length).toBeGreaterThan(0);
    expect(audit.sources.filter((source) => source.isCited).map((source) => source.n)).toEqual(
      audit.citations.map((citation) => citation.n),
    );
    expect(audit.ledger).toMatchObject({
      isHashValid: true,
      question: "match",
      answer: "match",
      promptHash: "match",
    });
    expect(audit.promptHash).toMatch(/^[0-9a-f]{64}$/);
    expect(audit.model.generatorId).toEqual(expect.any(String));
    expect(audit.parameters).toMatchObject({ maxTokens: expect.any(Number) });
  });

  it("shows a passage whose stored text was changed as a mismatch, and an erased one as erased", async () => {
    const { db } = folio.database;
    await db.execute(
      sql`UPDATE answer_sources SET text = text || ' (edited)' WHERE answer_id = ${asked.aliceInspections} AND n = 1`,
    );
    await db.execute(
      sql`UPDATE answer_sources SET text = NULL, erased_at = now() WHERE answer_id = ${asked.aliceInspections} AND n <> 1`,
    );
    await db.execute(sql`UPDATE answers SET answer = answer || '!' WHERE id = ${asked.aliceInspections}`);
    const audit = await auditAnswer(db, auditor, asked.aliceInspections);
    const [tampered, ...erased] = audit.sources;
    expect(tampered).toMatchObject({ n: 1, hashCheck: "mismatch", ledgerCheck: "match" });
    expect(erased.length).toBeGreaterThan(0);
    for (const source of erased) {
      expect(source).toMatchObject({ text: null, hashCheck: "erased", ledgerCheck: "match" });
      expect(source.erasedAt).toBeInstanceOf(Date);
    }
    expect(audit.ledger).toMatchObject({ question: "match", answer: "mismatch" });
  });

  it("names a passage moved to another page or removed, and an event appended later for the same answer", async () => {
    const { db } = folio.database;
    const answerId = await ask(bob, "When does the canteen serve soup?", canteenCollection);
    await db.execute(
      sql`UPDATE answer_sources SET page_number = page_number + 1 WHERE answer_id = ${answerId} AND n = 1`,
    );
    const moved = await auditAnswer(db, auditor, answerId);
    expect(moved.sources[0]).toMatchObject({ n: 1, hashCheck: "match", ledgerCheck: "mismatch" });

    await db.execute(sql`DELETE FROM answer_sources WHERE answer_id = ${answerId} AND n = 1`);
    await db.transaction((tx) =>
      appendAuditEvent(tx, {
        actor: bob.userId,
        action: "answer.create",
        subject: `answer:${answerId}`,
        payload: {},
      }),
    );
    const removed = await auditAnswer(db, auditor, answerId);
    expect(removed.missingSources).toEqual([1]);
    expect(removed.ledger?.laterEventSeqs).toHaveLength(1);
    expect(removed.ledger).toMatchObject({ question: "match", answer: "match" });
  });

  it("serves the cited version's page, and says the document was deleted once it is", async () => {
    const page = await auditedSourcePage(folio, auditor, {
      answerId: asked.bobCanteen,
      n: 1,
      size: "thumbnail",
    });
    expect(page.content).toMatchObject({
      kind: "image",
      geometry: { pageNumber: 1, pageCount: 1, unit: "pt" },
      filePath: expect.stringMatching(/\.png$/),
    });

    const before = await auditAnswer(folio.database.db, auditor, asked.bobCanteen);
    const documentId = before.sources[0]?.documentId ?? "";
    await deleteDocuments(
      { db: folio.database.db, store: await folio.store(), blobs: folio.blobs, derived: folio.derived },
      { actor: "tester", target: { documentId } },
    );
    const after = await auditAnswer(folio.database.db, auditor, asked.bobCanteen);
    expect(after.sources[0]).toMatchObject({
      hashCheck: "match",
      version: { exists: false },
      document: { exists: false, title: null },
    });
    await expect(
      auditedSourcePage(folio, auditor, { answerId: asked.bobCanteen, n: 1, size: "thumbnail" }),
    ).rejects.toMatchObject({
      code: "not_found:version",
      message: expect.stringMatching(/^Document deleted/),
    });
  });
});

describe("who reads what", () => {
  it("lets an auditor read everyone's answers and an employee only their own", async () => {
    const { db } = folio.database;
    const answer = { actor: alice.userId, collectionIds: [handbookCollection] };
    expect(await canReadAnswer(db, auditor, answer)).toBe(true);
    expect(await canReadAnswer(db, alice, answer)).toBe(true);
    expect(await canReadAnswer(db, bob, answer)).toBe(false);
    await expect(readOwnFeedback(db, bob, asked.aliceHelmets)).rejects.toMatchObject({
      code: "not_found:answer",
    });
    await expect(giveFeedback(db, bob, asked.aliceHelmets, { rating: 1 })).rejects.toMatchObject({
      code: "not_found:answer",
    });
  });

  it("hides the whole workspace from anyone but an auditor, as if absent", async () => {
    const { db } = folio.database;
    for (const actor of [alice, { ...alice, role: "admin" as const }]) {
      await expect(searchAnswersForAudit(db, actor, { filters: {} })).rejects.toMatchObject({
        code: "not_found:audit",
      });
      await expect(auditAnswer(db, actor, asked.aliceHelmets)).rejects.toMatchObject({
        code: "not_found:audit",
      });
      await expect(
        auditedSourcePage(folio, actor, { answerId: asked.aliceHelmets, n: 1, size: "thumbnail" }),
      ).rejects.toMatchObject({ code: "not_found:audit" });
    }
  });
});

describe("feedback", () => {
  it("keeps one rating per reader (the latest), each with a feedback.create event holding the comment's hash", async () => {
    const { db } = folio.database;
    await giveFeedback(db, alice, asked.aliceHelmets, { rating: 1, comment: "Clear." });
    const replaced = await giveFeedback(db, alice, asked.aliceHelmets, {
      rating: -1,
      comment: "Wrong zone.",
    });
    expect(replaced).toMatchObject({ rating: -1, comment: "Wrong zone." });
    expect(await readOwnFeedback(db, alice, asked.aliceHelmets)).toMatchObject({ rating: -1 });
    await giveFeedback(db, auditor, asked.aliceHelmets, { rating: 1 });

    const audit = await auditAnswer(db, auditor, asked.aliceHelmets);
    expect(audit.feedback.map(({ email, rating, comment }) => ({ email, rating, comment }))).toEqual([
      { email: "alice@example.com", rating: -1, comment: "Wrong zone." },
      { email: "audra@example.com", rating: 1, comment: "" },
    ]);
    expect((await search({ person: "alice", to: betweenFirstAndSecond })).answers[0]?.feedback).toEqual({
      up: 1,
      down: 1,
      comments: 1,
    });

    const rows = await db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.action, "feedback.create"))
      .orderBy(asc(auditEvents.seq));
    expect(rows.map((row) => row.subject)).toEqual([
      `feedback:${asked.aliceHelmets}:${alice.userId}`,
      `feedback:${asked.aliceHelmets}:${alice.userId}`,
      `feedback:${asked.aliceHelmets}:${auditor.userId}`,
    ]);
    expect(JSON.parse(rows[1]?.payload ?? "{}")).toEqual({
      answerId: asked.aliceHelmets,
      rating: -1,
      commentSha256: sha256Hex("Wrong zone."),
      collectionIds: [handbookCollection],
    });
    expect((await verifyLedger(db)).isIntact).toBe(true);
  });
});

describe("exportForAudit", () => {
  async function linesOf(request: Parameters<typeof exportForAudit>[2]) {
    const { firstLine, rest } = await exportForAudit(folio, auditor, request);
    const lines = [firstLine ?? ""];
    for await (const line of rest) lines.push(line);
    return lines.map((line) => JSON.parse(line) as { type: string; subject?: string; action?: string });
  }
  const answerEvents = (lines: { type: string; subject?: string; action?: string }[]) =>
    lines
      .filter((line) => line.type === "event" && line.action === "answer.create")
      .map((line) => line.subject);

  it("exports chosen answers, or the answers a search by person matches, and records the export", async () => {
    const chosen = await linesOf({ answerIds: [asked.bobCanteen], filters: {} });
    expect(chosen[0]?.type).toBe("folio-ledger-export");
    expect(answerEvents(chosen)).toEqual([`answer:${asked.bobCanteen}`]);
    const byPerson = await linesOf({ filters: { person: "alice" } });
    expect(answerEvents(byPerson).sort()).toEqual(
      [`answer:${asked.aliceHelmets}`, `answer:${asked.aliceInspections}`].sort(),
    );
    const exports = await folio.database.db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.action, "audit.export"));
    expect(exports.map((event) => event.actor)).toEqual([auditor.userId, auditor.userId]);
    await expect(exportForAudit(folio, alice, { filters: {} })).rejects.toMatchObject({
      code: "not_found:audit",
    });
  });
});

describe("ledgerStatus", () => {
  it("reports the verified head, remembers it for 30 s, then names the first bad event", async () => {
    const { db } = folio.database;
    const nowMs = Date.now();
    const intact = await ledgerStatus(folio, { nowMs });
    expect(intact).toMatchObject({ isIntact: true, firstBad: null });
    expect(intact.head.seq).toBe(intact.checkedEvents);
    expect(intact.head.seq).toBeGreaterThan(3);

    await db.execute(sql`ALTER TABLE audit_events DISABLE TRIGGER USER`);
    try {
      await db.execute(sql`UPDATE audit_events SET actor = 'someone else' WHERE seq = 2`);
    } finally {
      await db.execute(sql`ALTER TABLE audit_events ENABLE TRIGGER USER`);
    }
    expect(await ledgerStatus(folio, { nowMs: nowMs + 1_000 })).toBe(intact);
    const broken = await ledgerStatus(folio, { nowMs: nowMs + ledgerStatusCacheMs + 1 });
    expect(broken).toMatchObject({ isIntact: false, head: { seq: 1 }, firstBad: { seq: 2 } });
    expect(broken.firstBad?.reason).toContain("hash");
  });
});
