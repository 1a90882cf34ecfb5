import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { type FolioApi, folioApi, signIn, testPassword } from "../../tests/support/api";
import { startFolioServer } from "../../tests/support/folio-server";
import { buildTestModels } from "../../tests/support/test-models";
import { ensureNextBuild } from "../next-build";
import { createBenchModelEnvironment } from "./bench-folio";
import { computeMedian, computePercentile, roundTo } from "./statistics";
import { printTable } from "./table";

/** Requests per route and run; sign-ins per run (each verifies an argon2id hash). */
const requestsPerRoute = 300;
const signInsPerRun = 30;

/** A small organisation, so the access decision has real rows to join: users, groups, grants. */
const organisation = { users: 40, groups: 10, collections: 60, groupsPerUser: 3 };

interface AuthRun {
  signInMs: number[];
  byRoute: Record<string, number[]>;
}

/**
 * What sign-in and the per-request access check cost, over HTTP against the production server
 * (PGlite, or PostgreSQL when DATABASE_URL is set). Three GETs are timed, interleaved:
 * `/api/auth/options` (the request boundary only), `/api/auth/me` (+ the session lookup) and
 * `/api/collections` (+ the access decision and the listing); the same with an API token. The
 * differences between them are what the access check adds to a request.
 */
export async function runAuthBench(runs: number): Promise<Record<string, unknown>> {
  console.log(`\n[auth] production build ${await ensureNextBuild()}`);
  const modelsDir = await mkdtemp(path.join(tmpdir(), "folio-bench-auth-"));
  const models = await buildTestModels(modelsDir);
  const server = await startFolioServer(createBenchModelEnvironment(models, modelsDir));
  try {
    const employee = await buildOrganisation(server.admin);
    const token = await folioApi(server.baseUrl, {
      cookie: await signIn(server.baseUrl, employee),
    }).createToken();
    const results: AuthRun[] = [];
    for (let run = 1; run <= runs; run += 1) {
      results.push(await measureRun(server.baseUrl, employee, token));
      console.log(`[auth] run ${run}/${runs} done`);
    }
    return report(results, runs);
  } finally {
    await server.stop();
    await rm(modelsDir, { recursive: true, force: true });
  }
}

/** Returns the email of an employee who is in several groups and sees a share of the collections. */
async function buildOrganisation(admin: FolioApi): Promise<string> {
  const collectionIds: string[] = [];
  for (let index = 0; index < organisation.collections; index += 1) {
    collectionIds.push(await admin.createCollection(`bench-collection-${index}`));
  }
  const groupIds: string[] = [];
  for (let index = 0; index < organisation.groups; index += 1) {
    const groupId = await admin.createGroup(`bench-group-${index}`);
    groupIds.push(groupId);
    for (const collectionId of collectionIds.filter(
      (_, position) => position % organisation.groups === index,
    )) {
      await admin.grant(collectionId, { groupId }, "read");
    }
  }
  let firstEmail = "";
  for (let index = 0; index < organisation.users; index += 1) {
    const email = `bench-user-${index}@example.com`;
    const userId = await admin.addUser(email, "employee", testPassword);
    for (let group = 0; group < organisation.groupsPerUser; group += 1) {
      await admin.addGroupMember(groupIds[(index + group) % groupIds.length] ?? "", userId);
    }
    await admin.grant(collectionIds[index % collectionIds.length] ?? "", { userId }, "curate");
    firstEmail ||= email;
  }
  return firstEmail;
}

async function measureRun(baseUrl: string, email: string, token: string): Promise<AuthRun> {
  const signInMs: number[] = [];
  let cookie = "";
  for (let attempt = 0; attempt < signInsPerRun; attempt += 1) {
    const startedAt = performance.now();
    cookie = await signIn(baseUrl, email);
    signInMs.push(performance.now() - startedAt);
  }
  const routes: Array<[string, string, Record<string, string>]> = [
    ["boundary only: GET /api/auth/options", "/api/auth/options", {}],
    ["+ session: GET /api/auth/me", "/api/auth/me", { cookie }],
    ["+ access decision: GET /api/collections", "/api/collections", { cookie }],
    [
      "token + access decision: GET /api/collections",
      "/api/collections",
      { authorization: `Bearer ${token}` },
    ],
  ];
  const byRoute: Record<string, number[]> = Object.fromEntries(routes.map(([name]) => [name, []]));
  for (let round = 0; round < requestsPerRoute; round += 1) {
    for (const [name, route, headers] of routes) {
      const startedAt = performance.now();
      const response = await fetch(`${baseUrl}${route}`, { headers });
      await response.arrayBuffer();
      if (!response.ok) throw new Error(`${route}: ${response.status}`);
      byRoute[name]?.push(performance.now() - startedAt);
    }
  }
  return { signInMs, byRoute };
}

function report(results: AuthRun[], runs: number): Record<string, unknown> {
  const medianOf = (pick: (run: AuthRun) => number) => roundTo(computeMedian(results.map(pick)), 2);
  const signIn = {
    p50Ms: medianOf((run) => computePercentile(run.signInMs, 0.5)),
    p95Ms: medianOf((run) => computePercentile(run.signInMs, 0.95)),
  };
  const names = Object.keys(results[0]?.byRoute ?? {});
  const routes = Object.fromEntries(
    names.map((name) => [
      name,
      {
        p50Ms: medianOf((run) => computePercentile(run.byRoute[name] ?? [], 0.5)),
        p95Ms: medianOf((run) => computePercentile(run.byRoute[name] ?? [], 0.95)),
      },
    ]),
  );
  printTable(
    `Sign-in and access check — production server over HTTP, ${organisation.users} users, ${organisation.groups} groups, ${organisation.collections} collections; median of ${runs} runs`,
    ["request", "p50 ms", "p95 ms"],
    [
      ["POST /api/auth/sign-in (argon2id verify + new session)", signIn.p50Ms, signIn.p95Ms],
      ...names.map((name) => [name, routes[name]?.p50Ms ?? null, routes[name]?.p95Ms ?? null]),
    ],
  );
  return { signIn, routes, organisation, requestsPerRoute, signInsPerRun, runs };
}
