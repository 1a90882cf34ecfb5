import { randomBytes } from "node:crypto";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTextPdf } from "../fixtures/builders/pdf";
import { folioApi, readEvents } from "../support/api";
import { type StartedFolioServer, startFolioServer } from "../support/folio-server";
import { addSignedInUser, rawRequest } from "../support/security";
import { buildTestModels, testModelEnvironment } from "../support/test-models";

/**
 * What an operator's tooling sees of the production server: liveness and readiness probes
 * (public, from any Host, revealing no paths), the Prometheus endpoint (a bearer token or an
 * admin/auditor session), every response counted by status, and JSON log lines.
 */
const modelsDir = path.join(process.cwd(), "test-output", "models-operations");
const metricsToken = randomBytes(24).toString("hex");
/** How a kubelet or Prometheus addresses a pod: by its IP, which is in no ALLOWED_HOSTS. */
const podHost = "10.1.2.3:3000";
const question = "Where must hard helmets be worn near the cranes?";
let server: StartedFolioServer;

beforeAll(async () => {
  const models = await buildTestModels(modelsDir);
  server = await startFolioServer({
    ...testModelEnvironment(models, modelsDir),
    METRICS_TOKEN: metricsToken,
  });
});

afterAll(async () => {
  await server?.stop();
});

const scrape = async () => {
  const response = await fetch(`${server.baseUrl}/api/metrics`, {
    headers: { authorization: `Bearer ${metricsToken}` },
  });
  expect(response.status).toBe(200);
  return response.text();
};

/** The value of one sample (`name{labels} value`), 0 when absent. */
const sampleIn = (body: string, name: string, labels = "") => {
  const line = body.split("\n").find((candidate) => candidate.startsWith(`${name}${labels} `));
  return line ? Number(line.split(" ").at(-1)) : 0;
};

describe("/api/health", () => {
  it("answers 200 {status: ok} to anyone, from any Host, without a session", async () => {
    for (const headers of [{}, { host: podHost }] as Record<string, string>[]) {
      const response = await rawRequest(`${server.baseUrl}/api/health`, { headers });
      expect(response.status).toBe(200);
      expect(JSON.parse(response.body)).toEqual({ status: "ok" });
      expect(response.headers["cache-control"]).toBe("no-store");
    }
  });
});

describe("/api/ready", () => {
  it("answers 200 once the database, the chunk table and both models are ready, naming no path or version", async () => {
    const deadline = Date.now() + 60_000;
    let response = await rawRequest(`${server.baseUrl}/api/ready`, { headers: { host: podHost } });
    while (response.status !== 200 && Date.now() < deadline) {
      expect(response.status).toBe(503);
      await new Promise((resolve) => setTimeout(resolve, 250));
      response = await rawRequest(`${server.baseUrl}/api/ready`, { headers: { host: podHost } });
    }
    expect(JSON.parse(response.body)).toEqual({
      status: "ready",
      checks: { database: "ok", index: "ok", embedder: "ok", generator: "ok" },
    });
    expect(response.body).not.toMatch(/[/\\]|gguf|onnx|\d+\.\d+\.\d+/);
  });
});

describe("/api/metrics access", () => {
  it("lets in the metrics token from any Host, and admins and auditors on their own session or API token", async () => {
    const auditor = await addSignedInUser(server, "auditor@example.com", "auditor");
    const employee = await addSignedInUser(server, "employee@example.com", "employee");
    const adminToken = await server.admin.createToken("admin's scraper");
    const cookie = server.admin.credentials.cookie ?? "";
    const cases: [string, Record<string, string>, number][] = [
      ["a stranger", {}, 401],
      // Without the token, the request boundary applies first: a foreign Host is refused as such.
      ["a stranger from the pod's Host", { host: podHost }, 421],
      ["a wrong bearer token", { authorization: `Bearer ${randomBytes(24).toString("hex")}` }, 401],
      ["the metrics token", { authorization: `Bearer ${metricsToken}` }, 200],
      [
        "the metrics token from the pod's Host",
        { authorization: `Bearer ${metricsToken}`, host: podHost },
        200,
      ],
      ["an employee", { cookie: employee.cookie }, 403],
      ["an auditor", { cookie: auditor.cookie }, 200],
      ["an admin", { cookie }, 200],
      ["an admin's API token", { authorization: `Bearer ${adminToken}` }, 200],
      // A session is accepted only on Folio's own Host (DNS rebinding).
      ["an admin's cookie from a foreign Host", { cookie, host: "attacker.example" }, 421],
    ];
    const actual = [];
    for (const [name, headers] of cases) {
      const response = await rawRequest(`${server.baseUrl}/api/metrics`, { headers });
      actual.push([name, headers, response.status]);
      if (response.status !== 200) expect(response.body).not.toContain("folio_");
    }
    expect(actual).toEqual(cases);
  });
});

describe("what /api/metrics reports", () => {
  it("counts jobs by state, answers by outcome, time to first token, tokens and responses by status", async () => {
    const before = await scrape();
    const collectionId = await server.admin.createCollection("safety");
    const pdf = buildTextPdf({
      pages: [
        ["Protective equipment: hard helmets must be worn at all times in zone seven, near the cranes."],
      ],
    });
    expect((await server.admin.upload(collectionId, "handbook.pdf", pdf)).status).toBe(202);
    expect((await server.admin.waitForJobs(collectionId))[0]?.state).toBe("succeeded");
    const events = await readEvents(await server.admin.ask({ question }));
    expect(events.at(-1)?.type).toBe("answer-end");
    const anonymous = folioApi(server.baseUrl);
    for (let attempt = 0; attempt < 3; attempt += 1) {
      expect((await anonymous.request("/api/collections")).status).toBe(401);
    }
    expect(
      (await rawRequest(`${server.baseUrl}/api/collections`, { headers: { host: "evil.example" } })).status,
    ).toBe(421);

    // A response is counted when node finishes it, which may come a moment after the client read
    // its status (the body of a refused request is never read here): wait for the counts to settle.
    let after = await scrape();
    for (let attempt = 0; attempt < 50; attempt += 1) {
      const counted = (status: string) =>
        sampleIn(after, "folio_http_responses_total", `{status="${status}",area="api"}`) -
        sampleIn(before, "folio_http_responses_total", `{status="${status}",area="api"}`);
      if (counted("401") >= 3 && counted("421") >= 1 && counted("202") >= 1) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
      after = await scrape();
    }
    expect(after).toMatch(/^folio_ingest_jobs\{state="succeeded"\} 1$/m);
    expect(after).toMatch(/^folio_ingest_jobs\{state="queued"\} 0$/m);
    expect(after).toMatch(/^folio_ingest_pages_total \d+$/m);
    const delta = (name: string, labels = "") =>
      sampleIn(after, name, labels) - sampleIn(before, name, labels);
    expect(delta("folio_answers_total", '{outcome="answered"}')).toBe(1);
    expect(delta("folio_answer_time_to_first_token_seconds_count")).toBe(1);
    expect(delta("folio_answer_tokens_total")).toBe(
      events.filter((event) => event.type === "text-delta").length,
    );
    expect(delta("folio_http_responses_total", '{status="401",area="api"}')).toBeGreaterThanOrEqual(3);
    expect(delta("folio_http_responses_total", '{status="421",area="api"}')).toBe(1);
    expect(delta("folio_http_responses_total", '{status="202",area="api"}')).toBe(1);
    expect(after).toMatch(/^process_cpu_user_seconds_total \d/m);
    expect(after).toMatch(/^process_resident_memory_bytes \d/m);
  });
});

describe("the server's log", () => {
  it("is one JSON object a line when not on a terminal, and never holds a question", async () => {
    const lines = server
      .output()
      .split("\n")
      .filter((line) => line.startsWith("{"));
    const setup = lines
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .find((entry) => String(entry.msg).includes("Folio has no users yet"));
    expect(setup).toMatchObject({ level: "info", time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
    expect(server.output()).not.toContain(question);
  });
});

describe("/api/ready without the answering model", () => {
  let bare: StartedFolioServer;

  beforeAll(async () => {
    const models = await buildTestModels(modelsDir);
    bare = await startFolioServer({
      ...testModelEnvironment(models, modelsDir),
      GENERATOR_MODEL: "gemma-4-e2b-it",
    });
  });

  afterAll(async () => {
    await bare?.stop();
  });

  it("answers 503 with Retry-After, naming the missing model by code only", async () => {
    const response = await rawRequest(`${bare.baseUrl}/api/ready`, { headers: { host: podHost } });
    expect(response.status).toBe(503);
    expect(Number(response.headers["retry-after"])).toBeGreaterThan(0);
    const body = JSON.parse(response.body) as { status: string; checks: Record<string, string> };
    expect(body.status).toBe("not_ready");
    expect(body.checks).toMatchObject({ database: "ok", generator: "unavailable:generator_missing" });
    expect(response.body).not.toMatch(/[/\\]|gguf|gemma/i);
    // Liveness is not readiness: the process serves.
    expect((await fetch(`${bare.baseUrl}/api/health`)).status).toBe(200);
  });
});
