import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../db/client";
import { listAuditEvents } from "../../db/queries/audit-events";
import {
  addCollection,
  createGroup,
  grantCollection,
  removeGroup,
  revokeCollection,
  setGroupMembership,
} from "../../lib/access/manage-access";
import { startAnswer } from "../../lib/answer/start-answer";
import { verifyLedger } from "../../lib/audit/verify-ledger";
import { issueApiToken, revokeApiTokenRecorded } from "../../lib/auth/api-tokens";
import { addUser, changeUser, findUser } from "../../lib/auth/manage-users";
import type { OidcProfile } from "../../lib/auth/oidc-profile";
import { signInOidcIdentity } from "../../lib/auth/oidc-sign-in";
import { signInWithPassword } from "../../lib/auth/password-sign-in";
import { endAllSessions, endSession } from "../../lib/auth/sessions";
import { createSetupLinkIfNoUsers, createSignInLink, redeemSignInLink } from "../../lib/auth/sign-in-links";
import { deleteDocuments } from "../../lib/documents/delete-documents";
import {
  addGoldenQuestion,
  editGoldenQuestion,
  removeGoldenQuestion,
} from "../../lib/golden/manage-golden-questions";
import { sha256Hex } from "../../lib/text/sha256-hex";
import { buildEncryptedPdf, buildTextPdf } from "../fixtures/builders/pdf";
import { testPassword } from "../support/api";
import { bytesOf, createTestFolio, drainQueue, type TestFolio } from "../support/test-runtime";

/**
 * Every change to who may read what, and every answer, leaves its event in the ledger — driven
 * through the same lib functions the routes and CLIs call, on a real database — and no event
 * carries a password, a token or any other secret the test handled. The ledger still verifies.
 */
interface LedgerEvent {
  seq: number;
  actor: string;
  action: string;
  subject: string;
  payload: Record<string, unknown>;
  rawPayload: string;
}

const policy = { idleMinutes: 60, maxHours: 24 };
const address = "203.0.113.7";
const issuer = "https://idp.example.com";
/** Every secret the test hands to Folio: none may appear in any event. */
const secrets = new Set<string>([testPassword]);

let folio: TestFolio;
let db: Database;
let lastSeq = 0;
let adminId: string;
let collectionId: string;

beforeAll(async () => {
  folio = await createTestFolio();
  db = folio.database.db;
});
afterAll(async () => folio?.close());

/** The events appended since the previous call. */
async function newEvents(): Promise<LedgerEvent[]> {
  const rows = await listAuditEvents({ db, afterSeq: lastSeq, limit: 10_000 });
  lastSeq = rows.at(-1)?.seq ?? lastSeq;
  return rows.map((row) => ({
    seq: row.seq,
    actor: row.actor,
    action: row.action,
    subject: row.subject,
    payload: JSON.parse(row.payload) as Record<string, unknown>,
    rawPayload: row.payload,
  }));
}

function only(events: LedgerEvent[], action: string): LedgerEvent {
  const matching = events.filter((event) => event.action === action);
  expect(matching, `${action} in ${events.map((event) => event.action).join(", ")}`).toHaveLength(1);
  return matching[0] as LedgerEvent;
}

function profile(subject: string, overrides: Partial<OidcProfile> = {}): OidcProfile {
  return {
    subject,
    email: `${subject}@example.com`,
    isEmailVerified: true,
    name: `Person ${subject}`,
    groups: [],
    ...overrides,
  };
}

describe("the audit ledger", () => {
  it("records the setup link, the first admin and their sign-in through it", async () => {
    const token = await createSetupLinkIfNoUsers(db);
    if (!token) throw new Error("an empty install must offer a setup link");
    secrets.add(token);
    const link = only(await newEvents(), "sign_in_link.create");
    expect(link).toMatchObject({ actor: "system", payload: { purpose: "setup", userId: null } });
    expect(link.subject).toMatch(/^sign_in_link:[0-9a-f-]{36}$/);

    const { user, token: session } = await redeemSignInLink(db, {
      token,
      email: "Admin@Example.com",
      password: testPassword,
      policy,
      address,
    });
    secrets.add(session);
    adminId = user.id;
    const events = await newEvents();
    expect(events.map((event) => event.action)).toEqual(["user.create", "auth.sign_in"]);
    expect(only(events, "auth.sign_in")).toMatchObject({
      actor: adminId,
      subject: `user:${adminId}`,
      payload: { method: "link", linkPurpose: "setup", linkId: link.subject.slice(13), address },
    });
  });

  it("records password sign-ins and every refused one with its reason, never the password typed", async () => {
    const ann = await addUser(db, adminId, {
      email: "ann@example.com",
      role: "employee",
      password: testPassword,
    });
    expect(only(await newEvents(), "user.create")).toMatchObject({
      actor: adminId,
      subject: `user:${ann.id}`,
    });

    const signedIn = await signInWithPassword(db, {
      email: "ANN@example.com",
      password: testPassword,
      address,
      policy,
    });
    secrets.add(signedIn.token);
    expect(only(await newEvents(), "auth.sign_in")).toMatchObject({
      actor: ann.id,
      subject: `user:${ann.id}`,
      payload: { method: "password", address },
    });

    const attempts = [
      { email: "ann@example.com", password: "wrong horse battery staple", reason: "wrong_password" },
      { email: "  Nobody@Example.COM ", password: "another wrong guess", reason: "unknown_account" },
      // A password typed into the email field must not reach the ledger.
      { email: "Tr0ub4dor&3-in-the-email-box", password: "typed-password-9", reason: "unknown_account" },
    ];
    for (const attempt of attempts) {
      secrets.add(attempt.password);
      await expect(signInWithPassword(db, { ...attempt, address, policy })).rejects.toMatchObject({
        code: "unauthorized:credentials",
      });
    }
    const failures = (await newEvents()).filter((event) => event.action === "auth.sign_in_failed");
    expect(failures.map((event) => [event.actor, event.subject, event.payload])).toEqual([
      [
        "anonymous",
        `user:${ann.id}`,
        { method: "password", reason: "wrong_password", email: "ann@example.com", userId: ann.id, address },
      ],
      [
        "anonymous",
        "user:unknown",
        { method: "password", reason: "unknown_account", email: "nobody@example.com", address },
      ],
      ["anonymous", "user:unknown", { method: "password", reason: "unknown_account", email: null, address }],
    ]);
    for (const failure of failures) expect(failure.rawPayload.toLowerCase()).not.toContain("tr0ub4dor");

    await changeUser(db, adminId, ann.id, { isDisabled: true });
    const disabled = only(await newEvents(), "user.update");
    expect(disabled).toMatchObject({ actor: adminId, payload: { disabled: true, role: null } });
    await expect(
      signInWithPassword(db, { email: "ann@example.com", password: testPassword, address, policy }),
    ).rejects.toThrow();
    expect(only(await newEvents(), "auth.sign_in_failed").payload).toMatchObject({
      reason: "account_disabled",
    });
    await changeUser(db, adminId, ann.id, { isDisabled: false, role: "auditor" });
    expect(only(await newEvents(), "user.update").payload).toMatchObject({
      disabled: false,
      role: "auditor",
    });
  });

  it("records signing out of one session and out of every session, once each", async () => {
    const bob = await addUser(db, adminId, {
      email: "bob@example.com",
      role: "employee",
      password: testPassword,
    });
    const sessions = [];
    for (let index = 0; index < 3; index += 1) {
      sessions.push(
        await signInWithPassword(db, { email: "bob@example.com", password: testPassword, address, policy }),
      );
    }
    for (const session of sessions) secrets.add(session.token);
    await newEvents();

    await endSession(db, sessions[0]?.token ?? "");
    await endSession(db, sessions[0]?.token ?? ""); // already ended: nothing changes, nothing recorded
    expect(only(await newEvents(), "auth.sign_out")).toMatchObject({
      actor: bob.id,
      subject: `user:${bob.id}`,
      payload: { scope: "session", method: "password", endedSessions: 1 },
    });
    expect(await endAllSessions(db, bob.id)).toBe(2);
    expect(await endAllSessions(db, bob.id)).toBe(0);
    expect(only(await newEvents(), "auth.sign_out")).toMatchObject({
      actor: bob.id,
      payload: { scope: "everywhere", endedSessions: 2 },
    });
  });

  it("records a sign-in link, the password chosen through it, the sign-in, and a link for a disabled account", async () => {
    const cid = await addUser(db, adminId, { email: "cid@example.com", role: "employee" });
    const token = await createSignInLink(db, cid.id, adminId);
    secrets.add(token);
    const created = only(await newEvents(), "sign_in_link.create");
    expect(created).toMatchObject({ actor: adminId, payload: { purpose: "sign_in", userId: cid.id } });

    const session = await redeemSignInLink(db, { token, password: "a password cid chose", policy, address });
    secrets.add("a password cid chose").add(session.token);
    const events = await newEvents();
    expect(only(events, "user.update")).toMatchObject({
      actor: cid.id,
      payload: { passwordChanged: true, via: "sign_in_link" },
    });
    expect(only(events, "auth.sign_in").payload).toMatchObject({ method: "link", linkPurpose: "sign_in" });

    await changeUser(db, adminId, cid.id, { isDisabled: true });
    const late = await createSignInLink(db, cid.id, adminId);
    secrets.add(late);
    await newEvents();
    await expect(redeemSignInLink(db, { token: late, policy, address })).rejects.toMatchObject({
      code: "invalid:link",
    });
    expect(only(await newEvents(), "auth.sign_in_failed")).toMatchObject({
      actor: "anonymous",
      subject: `user:${cid.id}`,
      payload: { method: "link", reason: "account_disabled", email: "cid@example.com" },
    });
  });

  it("records collections, groups, memberships and grants, each carrying the collection ids it concerns", async () => {
    const created = await addCollection(db, adminId, { name: "Handbooks" });
    collectionId = created.collection.id;
    expect(only(await newEvents(), "collection.create")).toMatchObject({
      actor: adminId,
      subject: `collection:${collectionId}`,
      payload: { collectionId, name: "Handbooks" },
    });
    expect((await addCollection(db, adminId, { name: "Handbooks" })).isNew).toBe(false);
    expect(await newEvents()).toEqual([]);

    const dan = await addUser(db, adminId, { email: "dan@example.com", role: "employee" });
    const group = await createGroup(db, adminId, { name: "Staff", oidcGroup: "staff" });
    await grantCollection(db, adminId, { collectionId, grantee: { groupId: group.id }, permission: "read" });
    await grantCollection(db, adminId, { collectionId, grantee: { userId: dan.id }, permission: "curate" });
    await setGroupMembership(db, adminId, { groupId: group.id, userId: dan.id, isMember: true });
    await setGroupMembership(db, adminId, { groupId: group.id, userId: dan.id, isMember: false });
    await revokeCollection(db, adminId, { collectionId, grantee: { userId: dan.id } });
    const events = await newEvents();
    expect(events.map((event) => event.action)).toEqual([
      "user.create",
      "group.create",
      "grant.set",
      "grant.set",
      "group.member_add",
      "group.member_remove",
      "grant.revoke",
    ]);
    for (const event of events.filter((item) => item.action.startsWith("grant."))) {
      expect(event.payload.collectionId).toBe(collectionId);
    }
    for (const action of ["group.member_add", "group.member_remove"]) {
      expect(only(events, action)).toMatchObject({
        subject: `group:${group.id}`,
        payload: { userId: dan.id, collectionIds: [collectionId] },
      });
    }

    // OIDC: a sign-in joins the mapped group (with the collections it opens) and is recorded.
    const { user: eve, token } = await signInOidcIdentity(db, {
      issuer,
      profile: profile("eve", { groups: ["staff"] }),
      autoCreateUsers: true,
      policy,
      address,
    });
    secrets.add(token);
    const oidcEvents = await newEvents();
    expect(oidcEvents.map((event) => event.action)).toEqual([
      "user.create",
      "group.member_add",
      "auth.sign_in",
    ]);
    expect(only(oidcEvents, "group.member_add").payload).toMatchObject({
      userId: eve.id,
      via: "oidc",
      collectionIds: [collectionId],
    });
    expect(only(oidcEvents, "auth.sign_in")).toMatchObject({
      actor: eve.id,
      payload: { method: "oidc", issuer, address },
    });

    await removeGroup(db, adminId, group.id);
    expect(only(await newEvents(), "group.delete").payload).toMatchObject({ collectionIds: [collectionId] });
  });

  it("records OIDC refusals of a person the IdP vouched for", async () => {
    await expect(
      signInOidcIdentity(db, { issuer, profile: profile("fay"), autoCreateUsers: false, policy, address }),
    ).rejects.toMatchObject({ code: "forbidden:no_account" });
    await expect(
      signInOidcIdentity(db, {
        issuer,
        profile: profile("ann", { isEmailVerified: false }),
        autoCreateUsers: true,
        policy,
      }),
    ).rejects.toMatchObject({ code: "conflict:email_unverified" });
    const failures = await newEvents();
    expect(
      failures.map((event) => [event.action, event.actor, event.payload.reason, event.payload.email]),
    ).toEqual([
      ["auth.sign_in_failed", "anonymous", "no_account", "fay@example.com"],
      ["auth.sign_in_failed", "anonymous", "email_unverified", "ann@example.com"],
    ]);
    expect(failures[0]?.payload).toMatchObject({ method: "oidc", issuer, oidcSubject: "fay", address });
    expect(failures[1]?.subject).toMatch(/^user:[0-9a-f-]{36}$/);
  });

  it("records API tokens issued and revoked", async () => {
    const admin = await findUser(db, adminId);
    const { token, record } = await issueApiToken(db, adminId, { user: admin, name: "script" });
    secrets.add(token);
    await revokeApiTokenRecorded(db, adminId, { idOrPrefix: record.id });
    const events = await newEvents();
    expect(events.map((event) => [event.action, event.subject])).toEqual([
      ["token.create", `token:${record.id}`],
      ["token.revoke", `token:${record.id}`],
    ]);
  });

  it("records uploads, new versions, indexing, failures and deletion, each with its collection", async () => {
    const upload = (fileName: string, data: Uint8Array, extra: Record<string, unknown> = {}) =>
      folio.ingest.accept({ actor: adminId, collectionId, fileName, body: bytesOf(data), ...extra });
    const first = buildTextPdf({ pages: [["Hard hats are worn on every site."]] });
    const accepted = await upload("safety.pdf", first);
    const uploaded = only(await newEvents(), "document.upload");
    expect(uploaded).toMatchObject({
      actor: adminId,
      subject: `document:${accepted.documentId}`,
      payload: {
        documentId: accepted.documentId,
        versionId: accepted.versionId,
        collectionId,
        title: "safety.pdf",
        sha256: accepted.sha256,
        byteSize: first.byteLength,
        mediaType: "application/pdf",
      },
    });
    expect((await upload("safety.pdf", first)).isDuplicate).toBe(true);
    expect(await newEvents()).toEqual([]);

    const second = await upload(
      "safety-v2.pdf",
      buildTextPdf({ pages: [["Hard hats and boots are worn on every site."]] }),
      { onNameConflict: { kind: "replace", documentId: accepted.documentId } },
    );
    expect(only(await newEvents(), "version.create")).toMatchObject({
      actor: adminId,
      subject: `version:${second.versionId}`,
      payload: {
        documentId: accepted.documentId,
        versionId: second.versionId,
        collectionId,
        title: "safety.pdf",
      },
    });

    secrets.add("pdf-open-sesame");
    const locked = await upload(
      "locked.pdf",
      buildEncryptedPdf({ pages: [["Locked."]], userPassword: "pdf-open-sesame" }),
    );
    await newEvents();
    await drainQueue(folio);
    const results = await newEvents();
    expect(results.map((event) => [event.action, event.actor, event.subject])).toEqual([
      ["version.indexed", "system", `version:${accepted.versionId}`],
      ["version.indexed", "system", `version:${second.versionId}`],
      ["version.failed", "system", `version:${locked.versionId}`],
    ]);
    expect(results[1]?.payload).toMatchObject({
      versionId: second.versionId,
      documentId: accepted.documentId,
      collectionId,
      pageCount: 1,
      isServed: true,
    });
    expect(results[1]?.payload.chunkCount).toBeGreaterThan(0);
    expect(results[2]?.payload).toMatchObject({
      documentId: locked.documentId,
      collectionId,
      errorCode: "invalid:pdf_encrypted",
    });

    await deleteDocuments(
      { db, store: await folio.store(), blobs: folio.blobs, derived: folio.derived },
      { actor: adminId, target: { documentId: locked.documentId } },
    );
    const deleted = only(await newEvents(), "document.delete");
    expect(deleted.payload.documents).toEqual([
      expect.objectContaining({ documentId: locked.documentId, collectionId }),
    ]);
  });

  it("records an answer by the hashes of its question and text, never the text", async () => {
    const question = "What is worn on every site?";
    for await (const _event of await startAnswer(folio, {
      question,
      collectionIds: [collectionId],
      actor: adminId,
    })) {
      // drain the stream: the answer is recorded when it ends
    }
    const answer = only(await newEvents(), "answer.create");
    expect(answer.actor).toBe(adminId);
    expect(answer.payload).toMatchObject({ collectionIds: [collectionId] });
    expect(answer.payload.questionSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(answer.rawPayload).not.toContain(question);
  });

  it("records golden questions added, changed and removed by the hash of their text, with their collection", async () => {
    const { documentId } = await folio.ingest.accept({
      actor: adminId,
      collectionId,
      fileName: "boots.pdf",
      body: bytesOf(buildTextPdf({ pages: [["Steel-capped boots are worn in the warehouse."]] })),
    });
    await drainQueue(folio);
    await newEvents();
    const texts = ["Which boots are worn in the warehouse?", "Where are steel-capped boots worn?"];
    const added = await addGoldenQuestion(db, adminId, {
      collectionId,
      question: texts[0] ?? "",
      documentId,
    });
    await editGoldenQuestion(db, adminId, {
      collectionId,
      questionId: added.id,
      question: texts[1] ?? "",
      documentId,
      page: 1,
    });
    await removeGoldenQuestion(db, adminId, { collectionId, questionId: added.id });
    const events = await newEvents();
    const subject = `golden_question:${added.id}`;
    expect(events.map((event) => [event.action, event.actor, event.subject])).toEqual([
      ["golden_question.create", adminId, subject],
      ["golden_question.update", adminId, subject],
      ["golden_question.delete", adminId, subject],
    ]);
    expect(events[1]?.payload).toMatchObject({
      collectionId,
      expectedDocumentId: documentId,
      expectedPage: 1,
      questionSha256: sha256Hex(texts[1] ?? ""),
      previous: { expectedPage: null, questionSha256: sha256Hex(texts[0] ?? "") },
    });
    for (const event of events) {
      expect(event.payload.collectionId).toBe(collectionId);
      for (const text of texts) expect(event.rawPayload).not.toContain(text);
    }
  });

  it("holds no secret in any event, and still verifies from the first event to the last", async () => {
    const events = (await listAuditEvents({ db, limit: 10_000 })).map((row) => row.payload);
    expect(events.length).toBeGreaterThan(40);
    for (const payload of events) {
      for (const secret of secrets) {
        expect(payload).not.toContain(secret);
        expect(payload).not.toContain(sha256Hex(secret)); // a stored token hash names its token
      }
      expect(payload).not.toMatch(/"(password|passwordHash|token|tokenHash|secret|idHash)":/i);
      expect(payload).not.toMatch(/\$argon2|fst_|fln_|fol_/);
    }
    expect(await verifyLedger(db)).toMatchObject({ isIntact: true, checkedEvents: events.length });
  });
});
