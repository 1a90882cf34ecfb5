import { randomUUID } from "node:crypto";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTextPdf } from "../fixtures/builders/pdf";
import { type FolioApi, folioApi, readEvents, signIn, testPassword } from "../support/api";
import { type StartedFolioServer, startFolioServer } from "../support/folio-server";
import { addSignedInUser, createTokenWithId } from "../support/security";
import { buildTestModels, testModelEnvironment } from "../support/test-models";

/**
 * Who may call what: every API route (rows) × every kind of caller (columns), each cell the exact
 * status the production server answers. Employees and the auditor hold a grant on the
 * "granted" collection only; the admin holds everything by role.
 */
const modelsDir = path.join(process.cwd(), "test-output", "models-role-route-matrix");

const callerNames = ["anonymous", "employee (read)", "employee (curate)", "auditor (read)", "admin"] as const;
type CallerName = (typeof callerNames)[number];

interface Caller {
  name: CallerName;
  api: FolioApi;
  email: string | undefined;
}

interface Fixtures {
  admin: FolioApi;
  baseUrl: string;
  granted: string;
  ungranted: string;
  grantedChunkId: string;
  ungrantedChunkId: string;
  grantedDocumentId: string;
  ungrantedDocumentId: string;
  /** An answer the read-grant employee asked, and its conversation. */
  readerAnswerId: string;
  readerThreadId: string;
  spareUserId: string;
  spareEmail: string;
  adminTokenId: string;
}

interface Row {
  route: string;
  /** Statuses in the order of `callerNames`. */
  expected: readonly [number, number, number, number, number];
  send(caller: Caller, fixtures: Fixtures): Promise<Response>;
}

const unique = () => randomUUID().slice(0, 8);
const uniquePdf = () => buildTextPdf({ pages: [[`Matrix document ${randomUUID()} about safety rules.`]] });

/** A fresh document (accepted, not necessarily ingested yet) in a collection, uploaded by the admin. */
async function freshVersion(
  fixtures: Fixtures,
  collectionId: string,
): Promise<{ documentId: string; versionId: string }> {
  const response = await fixtures.admin.upload(collectionId, `fresh-${unique()}.pdf`, uniquePdf());
  if (response.status !== 202) throw new Error(`upload: ${response.status} ${await response.text()}`);
  return (await response.json()) as { documentId: string; versionId: string };
}

async function freshDocument(fixtures: Fixtures, collectionId: string): Promise<string> {
  return (await freshVersion(fixtures, collectionId)).documentId;
}

/** A password for a version that is not waiting for one: curators get 409, others are refused first. */
async function unlockFresh(caller: Caller, fixtures: Fixtures, collectionId: string): Promise<Response> {
  const { documentId, versionId } = await freshVersion(fixtures, collectionId);
  return caller.api.sendJson("POST", `/api/documents/${documentId}/unlock`, { versionId, password: "guess" });
}

/** A golden question the admin adds to a collection, expecting one of its documents. */
async function freshGoldenQuestion(
  fixtures: Fixtures,
  collectionId: string,
  documentId: string,
): Promise<string> {
  const response = await fixtures.admin.sendJson(
    "POST",
    `/api/collections/${collectionId}/golden/questions`,
    {
      question: `Which rules apply? ${unique()}`,
      documentId,
    },
  );
  if (response.status !== 201)
    throw new Error(`golden question: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { question: { id: string } }).question.id;
}

const json = (method: string, route: string, body: unknown) => (caller: Caller) =>
  caller.api.sendJson(method, route, body);
const get = (route: string) => (caller: Caller) => caller.api.request(route);

const signedIn = (status: number) => [401, status, status, status, status] as const;
const adminOnly = (status: number) => [401, 403, 403, 403, status] as const;
const everyone = (status: number) => [status, status, status, status, status] as const;
/** The audit workspace: to anyone but an auditor it looks absent, like another person's answer. */
const auditorOnly = (status: number) => [401, 404, 404, status, 404] as const;

const rows: Row[] = [
  { route: "GET /api/auth/options", expected: everyone(200), send: get("/api/auth/options") },
  { route: "GET /api/auth/me", expected: signedIn(200), send: get("/api/auth/me") },
  {
    route: "POST /api/auth/sign-in",
    expected: everyone(200),
    send: (caller, fixtures) =>
      caller.api.sendJson("POST", "/api/auth/sign-in", {
        email: fixtures.spareEmail,
        password: testPassword,
      }),
  },
  {
    route: "POST /api/auth/link/inspect",
    expected: everyone(400),
    send: json("POST", "/api/auth/link/inspect", { token: `fln_${"x".repeat(43)}` }),
  },
  {
    route: "POST /api/auth/link/redeem",
    expected: everyone(400),
    send: json("POST", "/api/auth/link/redeem", { token: `fln_${"x".repeat(43)}`, password: testPassword }),
  },
  {
    route: "POST /api/auth/sign-out (a second session of the caller)",
    expected: everyone(204),
    send: async (caller, fixtures) => {
      const cookie = caller.email ? await signIn(fixtures.baseUrl, caller.email) : undefined;
      return folioApi(fixtures.baseUrl, { cookie }).request("/api/auth/sign-out", { method: "POST" });
    },
  },
  { route: "GET /api/admin/users", expected: adminOnly(200), send: get("/api/admin/users") },
  {
    route: "POST /api/admin/users",
    expected: adminOnly(201),
    send: json("POST", "/api/admin/users", { email: `new-${unique()}@example.com`, role: "employee" }),
  },
  {
    route: "PATCH /api/admin/users/:userId",
    expected: adminOnly(200),
    send: async (caller, fixtures) => {
      const userId = await fixtures.admin.addUser(`patched-${unique()}@example.com`, "employee");
      return caller.api.sendJson("PATCH", `/api/admin/users/${userId}`, { role: "auditor" });
    },
  },
  {
    route: "POST /api/admin/users/:userId/sign-in-link",
    expected: adminOnly(200),
    send: (caller, fixtures) =>
      caller.api.request(`/api/admin/users/${fixtures.spareUserId}/sign-in-link`, { method: "POST" }),
  },
  { route: "GET /api/admin/groups", expected: adminOnly(200), send: get("/api/admin/groups") },
  {
    route: "POST /api/admin/groups",
    expected: adminOnly(201),
    send: json("POST", "/api/admin/groups", { name: `group-${unique()}` }),
  },
  {
    route: "DELETE /api/admin/groups/:groupId",
    expected: adminOnly(204),
    send: async (caller, fixtures) => {
      const groupId = await fixtures.admin.createGroup(`doomed-${unique()}`);
      return caller.api.request(`/api/admin/groups/${groupId}`, { method: "DELETE" });
    },
  },
  {
    route: "POST /api/admin/groups/:groupId/members",
    expected: adminOnly(200),
    send: async (caller, fixtures) => {
      const groupId = await fixtures.admin.createGroup(`members-${unique()}`);
      return caller.api.sendJson("POST", `/api/admin/groups/${groupId}/members`, {
        userId: fixtures.spareUserId,
      });
    },
  },
  {
    route: "DELETE /api/admin/groups/:groupId/members",
    expected: adminOnly(200),
    send: async (caller, fixtures) => {
      const groupId = await fixtures.admin.createGroup(`leavers-${unique()}`);
      await fixtures.admin.addGroupMember(groupId, fixtures.spareUserId);
      return caller.api.sendJson("DELETE", `/api/admin/groups/${groupId}/members`, {
        userId: fixtures.spareUserId,
      });
    },
  },
  { route: "GET /api/admin/grants", expected: adminOnly(200), send: get("/api/admin/grants") },
  {
    route: "PUT /api/admin/grants",
    expected: adminOnly(200),
    send: (caller, fixtures) =>
      caller.api.sendJson("PUT", "/api/admin/grants", {
        collectionId: fixtures.ungranted,
        grantee: { userId: fixtures.spareUserId },
        permission: "read",
      }),
  },
  {
    route: "DELETE /api/admin/grants",
    expected: adminOnly(200),
    send: (caller, fixtures) =>
      caller.api.sendJson("DELETE", "/api/admin/grants", {
        collectionId: fixtures.ungranted,
        grantee: { userId: fixtures.spareUserId },
      }),
  },
  { route: "GET /api/tokens", expected: signedIn(200), send: get("/api/tokens") },
  {
    route: "POST /api/tokens",
    expected: signedIn(201),
    send: json("POST", "/api/tokens", { name: "matrix" }),
  },
  {
    route: "DELETE /api/tokens/:tokenId (own token)",
    expected: signedIn(204),
    send: async (caller, fixtures) => {
      const tokenId = caller.email
        ? (await createTokenWithId(caller.api, "own")).tokenId
        : fixtures.adminTokenId;
      return caller.api.request(`/api/tokens/${tokenId}`, { method: "DELETE" });
    },
  },
  {
    route: "DELETE /api/tokens/:tokenId (someone else's)",
    expected: [401, 404, 404, 404, 404],
    send: async (caller, fixtures) => {
      const other = folioApi(fixtures.baseUrl, {
        cookie: await signIn(fixtures.baseUrl, fixtures.spareEmail),
      });
      const { tokenId } = await createTokenWithId(other, "someone else's");
      return caller.api.request(`/api/tokens/${tokenId}`, { method: "DELETE" });
    },
  },
  { route: "GET /api/collections", expected: signedIn(200), send: get("/api/collections") },
  {
    route: "POST /api/collections",
    expected: adminOnly(201),
    send: json("POST", "/api/collections", { name: `collection-${unique()}` }),
  },
  {
    route: "DELETE /api/collections/:collectionId",
    expected: adminOnly(200),
    send: async (caller, fixtures) => {
      const collectionId = await fixtures.admin.createCollection(`doomed-${unique()}`);
      return caller.api.request(`/api/collections/${collectionId}`, { method: "DELETE" });
    },
  },
  {
    route: "GET /api/collections/:granted/documents",
    expected: signedIn(200),
    send: (caller, fixtures) => caller.api.request(`/api/collections/${fixtures.granted}/documents`),
  },
  {
    route: "GET /api/collections/:ungranted/documents",
    expected: [401, 404, 404, 404, 200],
    send: (caller, fixtures) => caller.api.request(`/api/collections/${fixtures.ungranted}/documents`),
  },
  {
    route: "GET /api/collections/:granted/golden",
    expected: signedIn(200),
    send: (caller, fixtures) => caller.api.request(`/api/collections/${fixtures.granted}/golden`),
  },
  {
    route: "GET /api/collections/:ungranted/golden",
    expected: [401, 404, 404, 404, 200],
    send: (caller, fixtures) => caller.api.request(`/api/collections/${fixtures.ungranted}/golden`),
  },
  {
    route: "POST /api/collections/:granted/golden/questions",
    expected: [401, 403, 201, 403, 201],
    send: (caller, fixtures) =>
      caller.api.sendJson("POST", `/api/collections/${fixtures.granted}/golden/questions`, {
        question: "What are the safety rules?",
        documentId: fixtures.grantedDocumentId,
      }),
  },
  {
    route: "POST /api/collections/:ungranted/golden/questions",
    expected: [401, 404, 404, 404, 201],
    send: (caller, fixtures) =>
      caller.api.sendJson("POST", `/api/collections/${fixtures.ungranted}/golden/questions`, {
        question: "What are the safety rules?",
        documentId: fixtures.ungrantedDocumentId,
      }),
  },
  {
    route: "PATCH /api/collections/:granted/golden/questions/:questionId",
    expected: [401, 403, 200, 403, 200],
    send: async (caller, fixtures) => {
      const questionId = await freshGoldenQuestion(fixtures, fixtures.granted, fixtures.grantedDocumentId);
      return caller.api.sendJson(
        "PATCH",
        `/api/collections/${fixtures.granted}/golden/questions/${questionId}`,
        {
          question: "Which helmets?",
          documentId: fixtures.grantedDocumentId,
          page: 1,
        },
      );
    },
  },
  {
    route: "DELETE /api/collections/:granted/golden/questions/:questionId",
    expected: [401, 403, 204, 403, 204],
    send: async (caller, fixtures) => {
      const questionId = await freshGoldenQuestion(fixtures, fixtures.granted, fixtures.grantedDocumentId);
      return caller.api.request(`/api/collections/${fixtures.granted}/golden/questions/${questionId}`, {
        method: "DELETE",
      });
    },
  },
  {
    route: "DELETE /api/collections/:ungranted/golden/questions/:questionId",
    expected: [401, 404, 404, 404, 204],
    send: async (caller, fixtures) => {
      const questionId = await freshGoldenQuestion(
        fixtures,
        fixtures.ungranted,
        fixtures.ungrantedDocumentId,
      );
      return caller.api.request(`/api/collections/${fixtures.ungranted}/golden/questions/${questionId}`, {
        method: "DELETE",
      });
    },
  },
  {
    route: "POST /api/collections/:granted/golden/runs",
    expected: [401, 403, 202, 403, 202],
    send: async (caller, fixtures) => {
      await freshGoldenQuestion(fixtures, fixtures.granted, fixtures.grantedDocumentId);
      return caller.api.request(`/api/collections/${fixtures.granted}/golden/runs`, { method: "POST" });
    },
  },
  {
    route: "POST /api/collections/:ungranted/golden/runs",
    expected: [401, 404, 404, 404, 202],
    send: async (caller, fixtures) => {
      await freshGoldenQuestion(fixtures, fixtures.ungranted, fixtures.ungrantedDocumentId);
      return caller.api.request(`/api/collections/${fixtures.ungranted}/golden/runs`, { method: "POST" });
    },
  },
  {
    route: "POST /api/collections/:granted/documents (upload)",
    expected: [401, 403, 202, 403, 202],
    send: (caller, fixtures) => caller.api.upload(fixtures.granted, `upload-${unique()}.pdf`, uniquePdf()),
  },
  {
    route: "POST /api/collections/:ungranted/documents (upload)",
    expected: [401, 404, 404, 404, 202],
    send: (caller, fixtures) => caller.api.upload(fixtures.ungranted, `upload-${unique()}.pdf`, uniquePdf()),
  },
  {
    route: "DELETE /api/documents/:documentId (granted)",
    expected: [401, 403, 200, 403, 200],
    send: async (caller, fixtures) => {
      const documentId = await freshDocument(fixtures, fixtures.granted);
      return caller.api.request(`/api/documents/${documentId}`, { method: "DELETE" });
    },
  },
  {
    route: "DELETE /api/documents/:documentId (ungranted)",
    expected: [401, 404, 404, 404, 200],
    send: async (caller, fixtures) => {
      const documentId = await freshDocument(fixtures, fixtures.ungranted);
      return caller.api.request(`/api/documents/${documentId}`, { method: "DELETE" });
    },
  },
  {
    route: "POST /api/documents/:documentId/unlock (granted)",
    expected: [401, 403, 409, 403, 409],
    send: (caller, fixtures) => unlockFresh(caller, fixtures, fixtures.granted),
  },
  {
    route: "POST /api/documents/:documentId/unlock (ungranted)",
    expected: [401, 404, 404, 404, 409],
    send: (caller, fixtures) => unlockFresh(caller, fixtures, fixtures.ungranted),
  },
  { route: "GET /api/jobs", expected: signedIn(200), send: get("/api/jobs") },
  {
    route: "POST /api/search",
    expected: signedIn(200),
    send: json("POST", "/api/search", { query: "safety rules" }),
  },
  {
    route: "POST /api/ask",
    expected: signedIn(200),
    send: (caller) => caller.api.ask({ question: "What are the safety rules?" }),
  },
  {
    route: "GET /api/chunks/:chunkId (granted)",
    expected: signedIn(200),
    send: (caller, fixtures) => caller.api.request(`/api/chunks/${fixtures.grantedChunkId}`),
  },
  {
    route: "GET /api/chunks/:chunkId (ungranted)",
    expected: [401, 404, 404, 404, 200],
    send: (caller, fixtures) => caller.api.request(`/api/chunks/${fixtures.ungrantedChunkId}`),
  },
  {
    route: "GET /api/chunks/:chunkId/figure (granted, not a figure)",
    expected: signedIn(404),
    send: (caller, fixtures) => caller.api.request(`/api/chunks/${fixtures.grantedChunkId}/figure`),
  },
  {
    route: "GET /api/chunks/:chunkId/figure (ungranted)",
    expected: signedIn(404),
    send: (caller, fixtures) => caller.api.request(`/api/chunks/${fixtures.ungrantedChunkId}/figure`),
  },
  {
    route: "GET /api/documents/:documentId/pages/:n/preview (granted)",
    expected: signedIn(200),
    send: (caller, fixtures) =>
      caller.api.request(`/api/documents/${fixtures.grantedDocumentId}/pages/1/preview?size=thumbnail`),
  },
  {
    route: "GET /api/documents/:documentId/pages/:n/preview (ungranted)",
    expected: [401, 404, 404, 404, 200],
    send: (caller, fixtures) =>
      caller.api.request(`/api/documents/${fixtures.ungrantedDocumentId}/pages/1/preview?size=thumbnail`),
  },
  {
    route: "GET /api/documents/:documentId/pages/:n (granted)",
    expected: signedIn(200),
    send: (caller, fixtures) => caller.api.request(`/api/documents/${fixtures.grantedDocumentId}/pages/1`),
  },
  {
    route: "GET /api/documents/:documentId/pages/:n (ungranted)",
    expected: [401, 404, 404, 404, 200],
    send: (caller, fixtures) => caller.api.request(`/api/documents/${fixtures.ungrantedDocumentId}/pages/1`),
  },
  {
    route: "GET /api/documents/:documentId/pages (granted)",
    expected: signedIn(200),
    send: (caller, fixtures) => caller.api.request(`/api/documents/${fixtures.grantedDocumentId}/pages`),
  },
  {
    route: "GET /api/documents/:documentId/pages (ungranted)",
    expected: [401, 404, 404, 404, 200],
    send: (caller, fixtures) => caller.api.request(`/api/documents/${fixtures.ungrantedDocumentId}/pages`),
  },
  {
    route: "GET /api/answers/:answerId (the read employee's)",
    expected: [401, 200, 404, 200, 404],
    send: (caller, fixtures) => caller.api.request(`/api/answers/${fixtures.readerAnswerId}`),
  },
  {
    route: "PUT /api/answers/:answerId/feedback (the read employee's)",
    expected: [401, 200, 404, 200, 404],
    send: (caller, fixtures) =>
      caller.api.sendJson("PUT", `/api/answers/${fixtures.readerAnswerId}/feedback`, { rating: 1 }),
  },
  {
    route: "GET /api/answers/:answerId/feedback (the read employee's)",
    expected: [401, 200, 404, 200, 404],
    send: (caller, fixtures) => caller.api.request(`/api/answers/${fixtures.readerAnswerId}/feedback`),
  },
  { route: "GET /api/audit/answers", expected: auditorOnly(200), send: get("/api/audit/answers?q=safety") },
  {
    route: "GET /api/audit/answers/:answerId",
    expected: auditorOnly(200),
    send: (caller, fixtures) => caller.api.request(`/api/audit/answers/${fixtures.readerAnswerId}`),
  },
  {
    route: "GET /api/audit/answers/:answerId/sources/:n/page",
    expected: auditorOnly(200),
    send: (caller, fixtures) =>
      caller.api.request(`/api/audit/answers/${fixtures.readerAnswerId}/sources/1/page`),
  },
  {
    route: "GET /api/audit/answers/:answerId/sources/:n/preview",
    expected: auditorOnly(200),
    send: (caller, fixtures) =>
      caller.api.request(`/api/audit/answers/${fixtures.readerAnswerId}/sources/1/preview?size=thumbnail`),
  },
  { route: "GET /api/audit/status", expected: auditorOnly(200), send: get("/api/audit/status") },
  {
    route: "POST /api/audit/export",
    expected: auditorOnly(200),
    send: (caller, fixtures) =>
      caller.api.sendJson("POST", "/api/audit/export", { answerIds: [fixtures.readerAnswerId] }),
  },
  { route: "GET /api/threads", expected: signedIn(200), send: get("/api/threads") },
  {
    route: "GET /api/threads/:threadId (the read employee's)",
    expected: [401, 200, 404, 404, 404],
    send: (caller, fixtures) => caller.api.request(`/api/threads/${fixtures.readerThreadId}`),
  },
  {
    route: "POST /api/ask (follow-up in the read employee's thread)",
    expected: [401, 200, 404, 404, 404],
    send: (caller, fixtures) =>
      caller.api.ask({ question: "And the other rules?", threadId: fixtures.readerThreadId }),
  },
  { route: "GET /api/status", expected: signedIn(200), send: get("/api/status") },
  // Last: it ends every session of the caller, the ones this table uses included.
  {
    route: "POST /api/auth/sign-out-everywhere",
    expected: signedIn(204),
    send: (caller) => caller.api.request("/api/auth/sign-out-everywhere", { method: "POST" }),
  },
];

let server: StartedFolioServer;
let callers: Caller[];
let fixtures: Fixtures;

beforeAll(async () => {
  const models = await buildTestModels(modelsDir);
  server = await startFolioServer(testModelEnvironment(models, modelsDir));
  const { admin } = server;
  const granted = await admin.createCollection("granted");
  const ungranted = await admin.createCollection("ungranted");
  for (const collectionId of [granted, ungranted]) {
    const pdf = buildTextPdf({ pages: [[`Safety rules of the ${collectionId} site: helmets on, always.`]] });
    const response = await admin.upload(collectionId, "rules.pdf", pdf);
    if (response.status !== 202) throw new Error(`upload: ${response.status}`);
  }
  const reader = await addSignedInUser(server, "reader@example.com", "employee");
  const curator = await addSignedInUser(server, "curator@example.com", "employee");
  const auditor = await addSignedInUser(server, "auditor@example.com", "auditor");
  await admin.grant(granted, { userId: reader.userId }, "read");
  await admin.grant(granted, { userId: curator.userId }, "curate");
  await admin.grant(granted, { userId: auditor.userId }, "read");
  const spareEmail = "spare@example.com";
  const spareUserId = await admin.addUser(spareEmail, "employee");
  for (const collectionId of [granted, ungranted]) await admin.waitForJobs(collectionId);

  const passageIn = async (collectionId: string) => {
    const response = await admin.search({ query: "safety rules helmets", collectionIds: [collectionId] });
    const { passages } = (await response.json()) as { passages: { chunkId: string; documentId: string }[] };
    if (!passages[0]) throw new Error("no passage");
    return passages[0];
  };
  const [grantedPassage, ungrantedPassage] = [await passageIn(granted), await passageIn(ungranted)];
  const events = await readEvents(await reader.api.ask({ question: "What are the safety rules?" }));
  const end = events.at(-1);
  if (end?.type !== "answer-end") throw new Error(`no answer: ${JSON.stringify(events)}`);

  fixtures = {
    admin,
    baseUrl: server.baseUrl,
    granted,
    ungranted,
    grantedChunkId: grantedPassage.chunkId,
    ungrantedChunkId: ungrantedPassage.chunkId,
    grantedDocumentId: grantedPassage.documentId,
    ungrantedDocumentId: ungrantedPassage.documentId,
    readerAnswerId: end.answerId,
    readerThreadId: events[0]?.type === "retrieval-end" ? events[0].threadId : "",
    spareUserId,
    spareEmail,
    adminTokenId: (await createTokenWithId(admin, "admin's")).tokenId,
  };
  callers = [
    { name: "anonymous", api: folioApi(server.baseUrl), email: undefined },
    { name: "employee (read)", api: reader.api, email: reader.email },
    { name: "employee (curate)", api: curator.api, email: curator.email },
    { name: "auditor (read)", api: auditor.api, email: auditor.email },
    { name: "admin", api: admin, email: "admin@example.com" },
  ];
});

afterAll(async () => {
  await server?.stop();
});

describe("role × route matrix", () => {
  it("answers every route with the expected status for every kind of caller", async () => {
    const actual: Record<string, number[]> = {};
    const expected: Record<string, number[]> = {};
    for (const row of rows) {
      expected[row.route] = [...row.expected];
      actual[row.route] = [];
      for (const caller of callers) {
        const response = await row.send(caller, fixtures);
        await response.arrayBuffer();
        actual[row.route]?.push(response.status);
      }
    }
    console.info(`[role-route-matrix]\n${markdownMatrix(actual, expected)}`);
    expect(actual).toEqual(expected);
  });
});

function markdownMatrix(actual: Record<string, number[]>, expected: Record<string, number[]>): string {
  const lines = [
    `| route | ${callerNames.join(" | ")} |`,
    `|---|${callerNames.map(() => "---").join("|")}|`,
    ...Object.entries(actual).map(([route, statuses]) => {
      const cells = statuses.map((status, index) => {
        const wanted = expected[route]?.[index];
        return status === wanted ? String(status) : `**${status}** (expected ${wanted})`;
      });
      return `| ${route} | ${cells.join(" | ")} |`;
    }),
  ];
  return lines.join("\n");
}
