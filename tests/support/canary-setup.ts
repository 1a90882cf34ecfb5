import { randomBytes } from "node:crypto";
import type { AnswerEvent } from "../../lib/domain/answer-events";
import { buildTextPdf } from "../fixtures/builders/pdf";
import { type Credentials, type FolioApi, folioApi, readEvents, signIn } from "./api";
import type { StartedFolioServer } from "./folio-server";
import {
  addSignedInUser,
  canaryString,
  createTokenWithId,
  forgedSessionCookie,
  type TestUser,
} from "./security";

/** Everything a leak would reveal: if any of these comes back to a prober, the canary leaked. */
export interface CanarySecrets {
  /** The `CANARY-<hex>` strings written in the canary PDFs. */
  strings: string[];
  /** Words that occur only in the canary PDFs (and in probers' questions: never echoed back). */
  words: string[];
  titles: string[];
  collectionId: string;
  documentIds: string[];
  versionIds: string[];
  jobIds: string[];
  chunkIds: string[];
  /** The secret reader's answers (and the revoked employee's, from before the revocation). */
  answerIds: string[];
  /** A group holding read on the canary collection, with the secret reader in it. */
  groupId: string;
}

/** A caller who must not see the canary collection, however they try. */
export interface Prober {
  name: string;
  api: FolioApi;
  /** Signed in and able to read the public collection: asks and searches really retrieve. */
  isSignedIn: boolean;
  /** Auditors read any answer by id, by design: that one route is left out for them. */
  isAuditor?: boolean;
  /** A collection this prober curates, for `replace=<canary document>` uploads. */
  curatedCollectionId?: string;
}

export interface CanaryWorld {
  secrets: CanarySecrets;
  secretReader: TestUser;
  publicCollectionId: string;
  probers: Prober[];
  /** Ids of the users whose accounts a prober might try to change. */
  userIds: { secretReader: string; probers: string[] };
}

const hex = (bytes: number) => randomBytes(bytes).toString("hex");

/** A made-up word that occurs nowhere but in the canary PDFs (letters only, so FTS keeps it whole). */
function canaryWord(): string {
  return `zq${[...randomBytes(6)].map((byte) => String.fromCharCode(97 + (byte % 26))).join("")}`;
}

function canaryPdf(canary: string, words: string[]) {
  const [first, second] = words;
  return buildTextPdf({
    pages: [
      [
        `Restricted memo ${canary}. The ${first} programme is confidential and known only to its readers.`,
        `Budget line ${canary}: the ${second} initiative receives the reserve funds this year.`,
      ],
      [`Appendix ${canary}. Contacts for ${first} and ${second} are listed in the vault register.`],
    ],
  });
}

const publicPdf = buildTextPdf({
  pages: [
    [
      "Welcome to the company handbook. The cafeteria opens at nine and visitors sign in at the front desk.",
      "Confidential documents, budget questions, programme initiatives and memos go to the right team.",
    ],
    ["Reserve parking spaces are listed at reception. The vault register is kept by security."],
  ],
});

async function expectStatus(response: Response, status: number, what: string): Promise<Response> {
  if (response.status !== status) {
    throw new Error(`${what}: expected ${status}, got ${response.status} ${await response.text()}`);
  }
  return response;
}

async function askEvents(api: FolioApi, body: unknown): Promise<AnswerEvent[]> {
  return readEvents(await expectStatus(await api.ask(body), 200, "ask"));
}

async function searchTexts(api: FolioApi, body: unknown): Promise<string[]> {
  const response = await expectStatus(await api.search(body), 200, "search");
  return ((await response.json()) as { passages: { text: string }[] }).passages.map(
    (passage) => passage.text,
  );
}

/** Fails setup unless the credentials really see the canary: a probe with blind credentials proves nothing. */
async function expectSeesCanary(api: FolioApi, canary: string, who: string): Promise<void> {
  const texts = await searchTexts(api, { query: canary, mode: "text" });
  if (!texts.some((text) => text.includes(canary))) {
    throw new Error(`${who} should see ${canary} before the test`);
  }
}

/**
 * Builds the world of the canary probe through the admin API: a canary collection of three PDFs,
 * a secret reader who asks about it, a public collection every signed-in prober reads (so their
 * asks and searches really retrieve and run the model), and the probers — each of the ways a
 * caller can be outside the canary: another employee (by cookie and by API token), an employee of
 * another group, a revoked grant, an auditor without a grant (cookie and token), a disabled
 * account (its cookie and token), an expired and a revoked token, a signed-out and a forged
 * cookie, the secret reader's live session id under another cookie name or as a Bearer token, and
 * no credentials at all. Credentials that once worked are checked to see the canary first.
 */
export async function setUpCanaryWorld(server: StartedFolioServer): Promise<CanaryWorld> {
  const { admin, baseUrl } = server;
  const run = hex(3);
  const strings = [canaryString(), canaryString(), canaryString()];
  const words = strings.flatMap(() => [canaryWord(), canaryWord()]);
  const titles = strings.map((_, index) => `restricted-${hex(6)}-${index}.pdf`);

  const canaryId = await admin.createCollection(`canary-${run}`);
  const publicId = await admin.createCollection(`public-${run}`);
  const ownId = await admin.createCollection(`own-${run}`);
  const teamId = await admin.createCollection(`team-${run}`);

  const uploads = [
    ...strings.map((canary, index) => ({
      collectionId: canaryId,
      title: titles[index] as string,
      data: canaryPdf(canary, words.slice(index * 2, index * 2 + 2)),
    })),
    { collectionId: publicId, title: "handbook.pdf", data: publicPdf },
  ];
  for (const upload of uploads) {
    await expectStatus(await admin.upload(upload.collectionId, upload.title, upload.data), 202, "upload");
  }
  for (const collectionId of [canaryId, publicId]) {
    await admin.waitForIndexed(collectionId);
  }
  const canaryJobs = await admin.jobs(canaryId);
  const listing = (await (
    await expectStatus(await admin.request(`/api/collections/${canaryId}/documents`), 200, "documents")
  ).json()) as { documents: { documentId: string; versionId: string }[] };

  const user = (name: string, role: "employee" | "auditor" = "employee") =>
    addSignedInUser(server, `${name}-${run}@example.com`, role);
  const secretReader = await user("secret-reader");
  const otherEmployee = await user("other-employee");
  const groupEmployee = await user("group-employee");
  const revokedEmployee = await user("revoked-employee");
  const disabledUser = await user("disabled-user");
  const auditor = await user("auditor", "auditor");

  const canaryGroup = await admin.createGroup(`canary-readers-${run}`);
  await admin.addGroupMember(canaryGroup, secretReader.userId);
  await admin.grant(canaryId, { groupId: canaryGroup });
  const teamGroup = await admin.createGroup(`team-${run}`);
  await admin.addGroupMember(teamGroup, groupEmployee.userId);
  await admin.grant(teamId, { groupId: teamGroup });
  for (const person of [secretReader, otherEmployee, groupEmployee, revokedEmployee, disabledUser, auditor]) {
    await admin.grant(publicId, { userId: person.userId });
  }
  await admin.grant(ownId, { userId: otherEmployee.userId }, "curate");
  for (const person of [revokedEmployee, disabledUser])
    await admin.grant(canaryId, { userId: person.userId });

  // The secret reader asks; what their answers and sources carry is what others must never get.
  const canaryDocumentIds = new Set(listing.documents.map((document) => document.documentId));
  const answerIds: string[] = [];
  const chunkIds = new Set<string>();
  const addIfCanary = (passage: { chunkId: string; documentId: string }) => {
    if (canaryDocumentIds.has(passage.documentId)) chunkIds.add(passage.chunkId);
  };
  const askAndCollect = async (api: FolioApi, question: string) => {
    const events = await askEvents(api, { question });
    for (const event of events) {
      if (event.type === "retrieval-end") for (const source of event.sources) addIfCanary(source);
      if (event.type === "answer-end") answerIds.push(event.answerId);
    }
    const sourcesText = JSON.stringify(events.find((event) => event.type === "retrieval-end"));
    if (!strings.some((canary) => sourcesText.includes(canary))) {
      throw new Error(`the canary should be retrieved for "${question}": ${sourcesText}`);
    }
  };
  for (const [index, canary] of strings.entries()) {
    await askAndCollect(secretReader.api, `What does ${canary} say about the ${words[index * 2]} programme?`);
  }
  const allCanaryPassages = await expectStatus(
    await secretReader.api.search({ query: "memo budget appendix", collectionIds: [canaryId], limit: 100 }),
    200,
    "search",
  );
  const canaryPassages = (await allCanaryPassages.json()) as {
    passages: { chunkId: string; documentId: string }[];
  };
  for (const passage of canaryPassages.passages) addIfCanary(passage);

  // A grant that existed and was revoked: the answer given meanwhile must go dark with it.
  await askAndCollect(revokedEmployee.api, `Tell me about ${strings[0]} and the ${words[0]} programme.`);
  await admin.revoke(canaryId, { userId: revokedEmployee.userId });

  // Credentials that worked (checked) and then stopped: disabled account, expired / revoked token, signed out.
  const disabledToken = await createTokenWithId(disabledUser.api, "before-disabling");
  await expectSeesCanary(folioApi(baseUrl, { token: disabledToken.token }), strings[0] as string, "disabled");
  await expectSeesCanary(disabledUser.api, strings[0] as string, "disabled");
  await expectStatus(
    await admin.sendJson("PATCH", `/api/admin/users/${disabledUser.userId}`, { disabled: true }),
    200,
    "disable",
  );

  const expiring = await createTokenWithId(secretReader.api, "short-lived", "2s");
  const expiresAtMs = Date.now() + 2000;
  await expectSeesCanary(
    folioApi(baseUrl, { token: expiring.token }),
    strings[1] as string,
    "expiring token",
  );
  const revokedToken = await createTokenWithId(secretReader.api, "to-revoke");
  await expectSeesCanary(folioApi(baseUrl, { token: revokedToken.token }), strings[1] as string, "token");
  await expectStatus(
    await secretReader.api.request(`/api/tokens/${revokedToken.tokenId}`, { method: "DELETE" }),
    204,
    "revoke token",
  );
  const signedOutCookie = await signIn(baseUrl, secretReader.email);
  await expectSeesCanary(folioApi(baseUrl, { cookie: signedOutCookie }), strings[2] as string, "session");
  await expectStatus(
    await folioApi(baseUrl, { cookie: signedOutCookie }).request("/api/auth/sign-out", { method: "POST" }),
    204,
    "sign-out",
  );

  const otherToken = await createTokenWithId(otherEmployee.api, "other-employee-token");
  const auditorToken = await createTokenWithId(auditor.api, "auditor-token");
  const waitMs = expiresAtMs + 500 - Date.now();
  if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));

  const prober = (name: string, credentials: Credentials, extra: Partial<Prober> = {}): Prober => ({
    name,
    api: folioApi(baseUrl, credentials),
    isSignedIn: false,
    ...extra,
  });
  return {
    secrets: {
      strings,
      words,
      titles,
      collectionId: canaryId,
      documentIds: listing.documents.map((document) => document.documentId),
      versionIds: listing.documents.map((document) => document.versionId),
      jobIds: canaryJobs.map((job) => job.jobId),
      chunkIds: [...chunkIds],
      answerIds,
      groupId: canaryGroup,
    },
    secretReader,
    publicCollectionId: publicId,
    probers: [
      prober(
        "other employee",
        { cookie: otherEmployee.cookie },
        { isSignedIn: true, curatedCollectionId: ownId },
      ),
      prober(
        "other employee (API token)",
        { token: otherToken.token },
        { isSignedIn: true, curatedCollectionId: ownId },
      ),
      prober("employee of another group", { cookie: groupEmployee.cookie }, { isSignedIn: true }),
      prober("employee whose grant was revoked", { cookie: revokedEmployee.cookie }, { isSignedIn: true }),
      prober("auditor without a grant", { cookie: auditor.cookie }, { isSignedIn: true, isAuditor: true }),
      prober(
        "auditor without a grant (API token)",
        { token: auditorToken.token },
        {
          isSignedIn: true,
          isAuditor: true,
        },
      ),
      prober("disabled user (session cookie)", { cookie: disabledUser.cookie }),
      prober("disabled user (API token)", { token: disabledToken.token }),
      prober("expired API token", { token: expiring.token }),
      prober("revoked API token", { token: revokedToken.token }),
      prober("signed-out session cookie", { cookie: signedOutCookie }),
      prober("forged session cookie", { cookie: forgedSessionCookie() }),
      prober("secret reader's live session id under another cookie name", {
        cookie: `__Host-${secretReader.cookie}`,
      }),
      prober("secret reader's live session id as a Bearer token", {
        token: secretReader.cookie.split("=")[1] ?? "",
      }),
      prober("no credentials", {}),
    ],
    userIds: {
      secretReader: secretReader.userId,
      probers: [otherEmployee, groupEmployee, revokedEmployee, disabledUser, auditor].map(
        (person) => person.userId,
      ),
    },
  };
}
