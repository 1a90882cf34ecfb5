import { randomUUID } from "node:crypto";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTextPdf } from "../fixtures/builders/pdf";
import type { FolioApi } from "../support/api";
import { type CanaryWorld, type Prober, setUpCanaryWorld } from "../support/canary-setup";
import { type StartedFolioServer, startFolioServer } from "../support/folio-server";
import { mapWithConcurrency, randomChunkId, readWholeResponse, secretsIn } from "../support/security";
import { buildTestModels, testModelEnvironment } from "../support/test-models";

/**
 * SECURITY.md A1–A3: a canary collection nobody outside it may see, probed over HTTP by every
 * kind of outsider through every route that returns content, with every id an insider could
 * copy to them. Not one canary string or id may come back, in any body or header.
 */
const modelsDir = path.join(process.cwd(), "test-output", "models-leak-probe");
/** @default 8 — enough to interleave requests without starving a 2-core machine. */
const concurrency = 8;
/** Search queries per prober, each sent with three filters (none, the canary only, public + canary). */
const searchQueriesPerProber = 8;
/** Questions per prober and filter; unfiltered and mixed ones run the model over the public collection. */
const questionsPerProber = 4;
/**
 * Random ids guessed per prober and kind (answer, document, collection, chunk): fewer for signed-in
 * probers, whose guesses reach the database and the index and cost ~3× more.
 */
const guessesPerKind = { signedIn: 8, signedOut: 20 };

let server: StartedFolioServer;
let world: CanaryWorld;

beforeAll(async () => {
  const models = await buildTestModels(modelsDir);
  server = await startFolioServer(testModelEnvironment(models, modelsDir));
  world = await setUpCanaryWorld(server);
});

afterAll(async () => {
  await server?.stop();
});

interface Attempt {
  prober: Prober;
  route: string;
  /** Runs the answering model (an ask that retrieves something). */
  isModelAsk?: boolean;
  send(api: FolioApi): Promise<Response>;
}

function attemptsFor(prober: Prober, world: CanaryWorld): Attempt[] {
  const { secrets, publicCollectionId } = world;
  const canary = secrets.collectionId;
  const attempts: Attempt[] = [];
  const add = (route: string, send: Attempt["send"], isModelAsk = false) =>
    attempts.push({ prober, route, send, isModelAsk });
  const json = (method: string, route: string, body: unknown) =>
    add(`${method} ${route}`, (api) => api.sendJson(method, route, body));
  const get = (route: string) => add(`GET ${route}`, (api) => api.request(route));
  const remove = (route: string) => add(`DELETE ${route}`, (api) => api.request(route, { method: "DELETE" }));
  const newPdf = () => buildTextPdf({ pages: [[`Probe upload ${randomUUID()}`]] });

  get("/api/collections");
  add("POST upload to the canary collection", (api) => api.upload(canary, "probe.pdf", newPdf()));
  add("POST upload replacing a canary document", (api) =>
    api.upload(canary, "probe.pdf", newPdf(), { query: { replace: secrets.documentIds[0] as string } }),
  );
  if (prober.curatedCollectionId) {
    const own = prober.curatedCollectionId;
    for (const documentId of secrets.documentIds) {
      add("POST upload into an own collection replacing a canary document", (api) =>
        api.upload(own, "probe.pdf", newPdf(), { query: { replace: documentId } }),
      );
    }
  }
  get("/api/jobs");
  get(`/api/jobs?collectionId=${canary}`);
  get("/api/status");
  get("/api/auth/me");
  get("/api/tokens");
  json("POST", "/api/tokens", { name: "probe" });

  // Interleaved, so that any prefix of the list quotes every kind of canary text.
  const queries = [
    ...secrets.strings.flatMap((string, index) => [
      string,
      secrets.titles[index] as string,
      `${string} ${secrets.words[index * 2]} restricted memo`,
      secrets.words[index * 2 + 1] as string,
    ]),
    "restricted memo budget line appendix vault register",
  ];
  for (let index = 0; index < searchQueriesPerProber; index++) {
    const query = queries[index % queries.length] as string;
    const mode = (["hybrid", "text", "vector"] as const)[index % 3];
    json("POST", "/api/search", { query, mode, limit: 100 });
    json("POST", "/api/search", { query, mode, collectionIds: [canary] });
    json("POST", "/api/search", { query, mode, collectionIds: [publicCollectionId, canary, randomUUID()] });
  }
  for (let index = 0; index < questionsPerProber; index++) {
    const canaryText = secrets.strings[index % secrets.strings.length] as string;
    const question = `Quote the memo ${canaryText} about the ${secrets.words[index]} programme word for word.`;
    const ask = (collectionIds: string[] | undefined, runsModel: boolean) =>
      add("POST /api/ask", (api) => api.ask({ question, collectionIds }), runsModel && prober.isSignedIn);
    ask(undefined, true);
    ask([canary], false);
    ask([canary, publicCollectionId], true);
  }
  for (const chunkId of secrets.chunkIds) {
    get(`/api/chunks/${chunkId}`);
    get(`/api/chunks/${chunkId}/figure`);
  }
  // Every copied id on every route that takes an id of that shape: the right one and the confused ones.
  const copiedIds = [
    canary,
    ...secrets.documentIds,
    ...secrets.versionIds,
    ...secrets.jobIds,
    ...secrets.answerIds,
  ];
  for (const id of copiedIds) {
    get(`/api/collections/${id}/documents`);
    remove(`/api/documents/${id}`);
    get(`/api/documents/${id}/pages`);
    get(`/api/documents/${id}/pages/1`);
    get(`/api/documents/${id}/pages/1/preview`);
    const isAnswerReadByRole = prober.isAuditor && secrets.answerIds.includes(id);
    if (!isAnswerReadByRole) get(`/api/answers/${id}`);
  }
  remove(`/api/collections/${canary}`);

  // Admin routes: each would open the canary if it let a non-admin through.
  get("/api/admin/users");
  get("/api/admin/groups");
  get("/api/admin/grants");
  json("PUT", "/api/admin/grants", {
    collectionId: canary,
    grantee: { userId: randomUUID() },
    permission: "read",
  });
  for (const userId of world.userIds.probers) {
    json("PUT", "/api/admin/grants", { collectionId: canary, grantee: { userId }, permission: "curate" });
    json("PATCH", `/api/admin/users/${userId}`, { role: "admin" });
    json("POST", `/api/admin/groups/${secrets.groupId}/members`, { userId });
  }
  json("DELETE", "/api/admin/grants", { collectionId: canary, grantee: { groupId: secrets.groupId } });
  json("PATCH", `/api/admin/users/${world.userIds.secretReader}`, { disabled: true });
  json("POST", `/api/admin/users/${world.userIds.secretReader}/sign-in-link`, {});
  json("POST", "/api/admin/users", { email: `probe-${randomUUID()}@example.com`, role: "admin" });
  json("POST", "/api/collections", { name: `probe-${randomUUID()}` });

  // Guessing: ids of the right shape that name nothing.
  for (let index = 0; index < guessesPerKind[prober.isSignedIn ? "signedIn" : "signedOut"]; index++) {
    get(`/api/answers/${randomUUID()}`);
    get(`/api/chunks/${randomChunkId()}`);
    get(`/api/collections/${randomUUID()}/documents`);
    remove(`/api/documents/${randomUUID()}`);
  }
  return attempts;
}

describe("canary leak probe", () => {
  it("returns no canary string or id to any caller outside the canary collection, on any route", async () => {
    const { secrets } = world;
    const secretValues = [
      ...secrets.strings,
      ...secrets.words,
      ...secrets.titles,
      secrets.collectionId,
      ...secrets.documentIds,
      ...secrets.versionIds,
      ...secrets.jobIds,
      ...secrets.chunkIds,
      ...secrets.answerIds,
    ];
    expect(secrets.chunkIds.length).toBeGreaterThanOrEqual(3);
    expect(secrets.answerIds).toHaveLength(4);

    const attempts = world.probers.flatMap((prober) => attemptsFor(prober, world));
    const leaks: string[] = [];
    const statusCounts = new Map<string, Map<number, number>>();
    let passagesSeen = 0;
    await mapWithConcurrency(attempts, concurrency, async (attempt) => {
      const response = await attempt.send(attempt.prober.api);
      const { status, text } = await readWholeResponse(response);
      const counts = statusCounts.get(attempt.prober.name) ?? new Map<number, number>();
      statusCounts.set(attempt.prober.name, counts.set(status, (counts.get(status) ?? 0) + 1));
      if (attempt.route === "POST /api/search" && status === 200) {
        passagesSeen += (JSON.parse(text.slice(text.indexOf("\n\n") + 2)) as { passages: unknown[] }).passages
          .length;
      }
      // A page image carries the canary as pixels, not text: any image served to a prober is a leak.
      if (status === 200 && /\/pages\/\d+(\/preview)?$|\/figure$/.test(attempt.route)) {
        leaks.push(`${attempt.prober.name} ${attempt.route} (${status}): an image of a canary page`);
      }
      const found = secretsIn(text, secretValues);
      if (found.length > 0)
        leaks.push(`${attempt.prober.name} ${attempt.route} (${status}): ${found.join(", ")}`);
    });

    const modelAsks = attempts.filter((attempt) => attempt.isModelAsk).length;
    console.info(
      `[leak-probe] ${world.probers.length} callers, ${attempts.length} attempts ` +
        `(${modelAsks} asks ran the model over the public collection), ${leaks.length} leaks; ` +
        `${passagesSeen} public passages returned to probers' searches`,
    );
    for (const [name, counts] of statusCounts) {
      const summary = [...counts].sort(([a], [b]) => a - b).map(([status, count]) => `${status}×${count}`);
      console.info(`[leak-probe]   ${name}: ${summary.join(" ")}`);
    }
    expect(leaks).toEqual([]);
    expect(attempts.length).toBeGreaterThanOrEqual(2500);
    // The probers' searches did run retrieval (over the public collection): the probe was not blind.
    expect(passagesSeen).toBeGreaterThan(0);
  });

  it("deleted, changed and granted nothing while probed", async () => {
    const { admin } = server;
    const { secrets } = world;
    const listing = (await (
      await admin.request(`/api/collections/${secrets.collectionId}/documents`)
    ).json()) as {
      documents: { documentId: string; versionId: string }[];
    };
    expect(listing.documents.map((document) => document.versionId).sort()).toEqual(
      [...secrets.versionIds].sort(),
    );
    const grants = (await (await admin.request("/api/admin/grants")).json()) as {
      grants: { collectionId: string; userId: string | null; groupId: string | null; permission: string }[];
    };
    const canaryGrantees = grants.grants
      .filter((grant) => grant.collectionId === secrets.collectionId)
      .map((grant) => ({ userId: grant.userId, groupId: grant.groupId, permission: grant.permission }));
    expect(canaryGrantees).toEqual(
      expect.arrayContaining([
        { userId: null, groupId: secrets.groupId, permission: "read" },
        { userId: world.userIds.probers[3], groupId: null, permission: "read" },
      ]),
    );
    expect(canaryGrantees).toHaveLength(2);
    const users = (await (await admin.request("/api/admin/users")).json()) as {
      users: { userId: string; role: string; isDisabled: boolean }[];
    };
    expect(users.users.filter((user) => user.role === "admin")).toHaveLength(1);
    expect(users.users.find((user) => user.userId === world.userIds.secretReader)?.isDisabled).toBe(false);
    const groups = (await (await admin.request("/api/admin/groups")).json()) as {
      groups: { id: string; members: { userId: string }[] }[];
    };
    expect(
      groups.groups.find((group) => group.id === secrets.groupId)?.members.map((member) => member.userId),
    ).toEqual([world.userIds.secretReader]);
    // The secret reader still finds every canary, and reads their answers.
    const search = await world.secretReader.api.search({
      query: secrets.strings.join(" "),
      mode: "text",
      limit: 100,
    });
    const text = await search.text();
    for (const canary of secrets.strings) expect(text).toContain(canary);
    for (const answerId of secrets.answerIds.slice(0, 3)) {
      expect((await world.secretReader.api.request(`/api/answers/${answerId}`)).status).toBe(200);
    }
  });

  it("lets an auditor read the secret reader's answer by id — by design, and left out of the probe", async () => {
    const auditor = world.probers.find((prober) => prober.isAuditor);
    const response = await auditor?.api.request(`/api/answers/${world.secrets.answerIds[0]}`);
    expect(response?.status).toBe(200);
  });
});
