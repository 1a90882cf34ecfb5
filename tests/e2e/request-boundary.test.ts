import { createHash } from "node:crypto";
import { stat } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTextPdf } from "../fixtures/builders/pdf";
import { testPassword } from "../support/api";
import { type StartedFolioServer, startFolioServer } from "../support/folio-server";
import { rawRequest } from "../support/security";
import { buildTestModels, testModelEnvironment } from "../support/test-models";

/**
 * SECURITY.md A5/A6 over HTTP against the production server: cross-site writes are refused before
 * they write anything, a foreign Host gets 421 on every path, Next.js's internal headers and
 * `.rsc` variants do not skip sign-in, and JSON routes take only JSON.
 */
const modelsDir = path.join(process.cwd(), "test-output", "models-request-boundary");
let server: StartedFolioServer;
let collectionId: string;
let employeeId: string;

beforeAll(async () => {
  const models = await buildTestModels(modelsDir);
  server = await startFolioServer(testModelEnvironment(models, modelsDir));
  collectionId = await server.admin.createCollection("boundary");
  employeeId = await server.admin.addUser("victim@example.com", "employee");
});

afterAll(async () => {
  await server?.stop();
});

const snapshot = async () => {
  const read = async (route: string) => (await server.admin.request(route)).text();
  return {
    collections: await read("/api/collections"),
    grants: await read("/api/admin/grants"),
    documents: await read(`/api/collections/${collectionId}/documents`),
    users: await read("/api/admin/users"),
    tokens: await read("/api/tokens"),
  };
};

describe("cross-site writes", () => {
  const evilOrigin = "http://evil.example";
  const headerVariants: Record<string, Record<string, string>> = {
    "Origin: evil": { origin: evilOrigin },
    "Sec-Fetch-Site: cross-site": { "sec-fetch-site": "cross-site" },
    both: { origin: evilOrigin, "sec-fetch-site": "cross-site" },
    "Sec-Fetch-Site: same-site (a sibling subdomain)": { "sec-fetch-site": "same-site" },
  };
  const contentTypes = ["text/plain", "application/x-www-form-urlencoded"];
  const targets = () => [
    {
      method: "POST",
      route: "/api/collections",
      json: { name: "planted-by-csrf" },
      form: "name=planted-by-csrf",
    },
    { method: "POST", route: "/api/ask", json: { question: "what is secret?" }, form: "question=what" },
    {
      method: "POST",
      route: `/api/collections/${collectionId}/documents?name=planted.pdf`,
      raw: Buffer.from(buildTextPdf({ pages: [["Planted by a cross-site form."]] })),
    },
    {
      method: "POST",
      route: "/api/auth/sign-in",
      json: { email: "admin@example.com", password: testPassword },
      form: `email=admin%40example.com&password=${encodeURIComponent(testPassword)}`,
    },
    {
      method: "PUT",
      route: "/api/admin/grants",
      json: { collectionId, grantee: { userId: employeeId }, permission: "curate" },
    },
    { method: "POST", route: "/api/tokens", json: { name: "planted" }, form: "name=planted" },
    { method: "POST", route: "/api/admin/users", json: { email: "planted@example.com", role: "admin" } },
    { method: "PATCH", route: `/api/admin/users/${employeeId}`, json: { role: "admin" } },
    { method: "POST", route: "/api/auth/sign-out-everywhere", json: {} },
  ];

  it("refuses every cross-site write with 403 and writes nothing (admin's cookie riding along)", async () => {
    const before = await snapshot();
    const outcomes: string[] = [];
    for (const target of targets()) {
      for (const [variant, headers] of Object.entries(headerVariants)) {
        for (const contentType of contentTypes) {
          const body =
            target.raw ?? (contentType === "text/plain" ? JSON.stringify(target.json) : target.form);
          const response = await server.admin.request(target.route, {
            method: target.method,
            headers: { ...headers, "content-type": contentType },
            body: body ?? JSON.stringify(target.json),
          });
          const text = await response.text();
          if (response.status !== 403 || !text.includes("forbidden:cross_site")) {
            outcomes.push(
              `${target.method} ${target.route} [${variant}, ${contentType}] → ${response.status} ${text}`,
            );
          }
          if (response.headers.getSetCookie().length > 0) outcomes.push(`${target.route} set a cookie`);
        }
      }
    }
    expect(outcomes).toEqual([]);
    expect(await snapshot()).toEqual(before);
    // The admin is still signed in: sign-out-everywhere was refused too.
    expect((await server.admin.request("/api/auth/me")).status).toBe(200);
  });

  it("takes a same-origin JSON write, from a browser page and from a non-browser client", async () => {
    const sameOrigin = await server.admin.request("/api/collections", {
      method: "POST",
      headers: {
        "content-type": "application/json",
        origin: server.baseUrl,
        "sec-fetch-site": "same-origin",
      },
      body: JSON.stringify({ name: "same-origin" }),
    });
    expect(sameOrigin.status).toBe(201);
    const originOnly = await server.admin.request("/api/collections", {
      method: "POST",
      headers: { "content-type": "application/json", origin: server.baseUrl },
      body: JSON.stringify({ name: "origin-only" }),
    });
    expect(originOnly.status).toBe(201);
    const script = await server.admin.sendJson("POST", "/api/collections", { name: "no-browser-headers" });
    expect(script.status).toBe(201);
  });
});

describe("a foreign Host (DNS rebinding)", () => {
  const assetPath = async () => {
    const page = await (await fetch(`${server.baseUrl}/`)).text();
    const asset = /\/_next\/static\/[^"'\s]+\.(?:js|css)/.exec(page)?.[0];
    if (!asset) throw new Error(`no static asset on the page: ${page.slice(0, 500)}`);
    return asset;
  };

  it("gets 421 on an API route, a page and a static asset, which answer on the real host", async () => {
    const paths = [
      "/api/collections",
      "/api/auth/options",
      "/",
      "/documents",
      await assetPath(),
      "/favicon.ico",
    ];
    for (const route of paths) {
      const foreign = await rawRequest(`${server.baseUrl}${route}`, {
        headers: { host: "attacker.example", cookie: server.admin.credentials.cookie ?? "" },
      });
      expect({ route, status: foreign.status }).toEqual({ route, status: 421 });
      expect(foreign.body).toContain("misdirected:host");
    }
    for (const route of ["/sign-in", await assetPath(), "/api/auth/options"]) {
      expect((await rawRequest(`${server.baseUrl}${route}`)).status).toBe(200);
    }
  });

  it.each(["attacker.example:3000", "localhost.attacker.example", "127.0.0.1.nip.io", "ATTACKER.EXAMPLE"])(
    "refuses Host %j on a page even with Next.js's internal subrequest header",
    async (host) => {
      for (const route of ["/", "/api/collections"]) {
        const response = await rawRequest(`${server.baseUrl}${route}`, {
          headers: { host, "x-middleware-subrequest": "proxy:proxy:proxy:proxy:proxy" },
        });
        expect(response.status).toBe(421);
      }
    },
  );
});

describe("Next.js internals do not skip sign-in (SECURITY.md A5)", () => {
  const subrequestValues = [
    "middleware",
    "proxy",
    "src/middleware",
    "src/proxy",
    "pages/_middleware",
    "middleware:middleware:middleware:middleware:middleware",
    "proxy:proxy:proxy:proxy:proxy",
    "src/middleware:src/middleware:src/middleware:src/middleware:src/middleware",
  ];

  it.each(subrequestValues)("x-middleware-subrequest: %s → 401 without a session", async (value) => {
    for (const route of ["/api/collections", "/api/admin/users", "/api/jobs"]) {
      const response = await fetch(`${server.baseUrl}${route}`, {
        headers: { "x-middleware-subrequest": value },
      });
      expect({ route, status: response.status }).toEqual({ route, status: 401 });
    }
  });

  it.each([
    ["/api/collections?_rsc=1", {}],
    ["/api/collections", { rsc: "1" }],
    ["/api/collections", { rsc: "1", "next-router-prefetch": "1" }],
    ["/api/collections", { "next-router-state-tree": "%5B%22%22%5D", rsc: "1" }],
    ["/api/collections", { "x-nextjs-data": "1" }],
    ["/api/collections", { "x-invoke-path": "/api/auth/options", "x-invoke-output": "/api/auth/options" }],
    ["/api/admin/users?_rsc=abc", { rsc: "1", "x-middleware-subrequest": "proxy" }],
  ])("%s with %j → 401", async (route, headers) => {
    const response = await fetch(`${server.baseUrl}${route}`, { headers });
    expect(response.status).toBe(401);
  });

  it.each(["/api/collections.rsc", "/api/admin/users.rsc", "/api/collections/.rsc", "/api/collections.json"])(
    "%s serves nothing without a session (401, or no such route or method)",
    async (route) => {
      const response = await fetch(`${server.baseUrl}${route}`, { headers: { rsc: "1" } });
      expect([401, 404, 405]).toContain(response.status);
      const text = await response.text();
      expect(text).not.toContain("boundary");
      expect(text).not.toContain("victim@example.com");
    },
  );
});

describe("the image optimizer as a proxy", () => {
  it.each(["/api/collections", "/api/admin/users", "/api/tokens"])(
    "does not relay %s with the caller's cookie",
    async (route) => {
      const response = await server.admin.request(`/_next/image?url=${encodeURIComponent(route)}&w=64&q=75`);
      const text = await response.text();
      expect(response.status).not.toBe(200);
      expect(text).not.toContain("boundary");
      expect(text).not.toContain("victim@example.com");
    },
  );
});

describe("JSON routes take only JSON", () => {
  const jsonRoutes = () => [
    { method: "POST", route: "/api/collections", body: { name: "typed" } },
    { method: "POST", route: "/api/search", body: { query: "anything" } },
    { method: "POST", route: "/api/ask", body: { question: "anything?" } },
    { method: "POST", route: "/api/tokens", body: { name: "typed" } },
    { method: "POST", route: "/api/admin/users", body: { email: "typed@example.com", role: "employee" } },
    { method: "POST", route: "/api/admin/groups", body: { name: "typed" } },
    {
      method: "PUT",
      route: "/api/admin/grants",
      body: { collectionId, grantee: { userId: employeeId }, permission: "read" },
    },
    { method: "PATCH", route: `/api/admin/users/${employeeId}`, body: { role: "auditor" } },
    {
      method: "POST",
      route: "/api/auth/sign-in",
      body: { email: "admin@example.com", password: testPassword },
    },
    { method: "POST", route: "/api/auth/link/inspect", body: { token: "fln_x" } },
  ];

  it.each([
    ["text/plain"],
    ["application/x-www-form-urlencoded"],
    ["multipart/form-data; boundary=x"],
    [undefined],
  ])("answers 415 to Content-Type %s and writes nothing", async (contentType) => {
    const before = await snapshot();
    for (const { method, route, body } of jsonRoutes()) {
      const response = await server.admin.request(route, {
        method,
        headers: contentType ? { "content-type": contentType } : {},
        // Bytes, not a string: fetch would label a string body text/plain by itself.
        body: Buffer.from(JSON.stringify(body)),
      });
      expect({ route, status: response.status }).toEqual({ route, status: 415 });
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe(
        "unsupported:content_type",
      );
    }
    expect(await snapshot()).toEqual(before);
  });
});

describe("uploads pass the request boundary whole", () => {
  // Next.js hands a proxy (middleware) a copy of the body cut at 10 MiB and then passes only that
  // copy on: an upload the proxy saw would be stored truncated and accepted as if complete.
  const elevenMiB = 11 * 1024 * 1024;
  const bigPdf = () => {
    const pdf = Buffer.from(buildTextPdf({ pages: [["A scan larger than ten mebibytes."]] }));
    // A PDF comment after %%EOF pads the file; the bytes count, the reader ignores them.
    return Buffer.concat([pdf, Buffer.from("\n%"), Buffer.alloc(elevenMiB, 0x20), Buffer.from("\n")]);
  };

  it("stores an upload over 10 MiB byte for byte (its sha256 and size are the file's)", async () => {
    const file = bigPdf();
    const response = await server.admin.upload(collectionId, "over-ten-mib.pdf", file);
    const accepted = (await response.json()) as { sha256: string };
    expect(response.status).toBe(202);
    expect(accepted.sha256).toBe(createHash("sha256").update(file).digest("hex"));
    const blob = path.join(server.dataDir, "blobs", accepted.sha256.slice(0, 2), accepted.sha256);
    expect((await stat(blob)).size).toBe(file.byteLength);
  });

  it("still answers 421 to a foreign Host on the upload route, storing nothing", async () => {
    const before = await snapshot();
    const response = await rawRequest(
      `${server.baseUrl}/api/collections/${collectionId}/documents?name=rebound.pdf`,
      {
        method: "POST",
        headers: {
          host: "attacker.example",
          cookie: server.admin.credentials.cookie ?? "",
          "content-type": "application/pdf",
        },
        body: Buffer.from(buildTextPdf({ pages: [["Sent through a rebound DNS name."]] })),
      },
    );
    expect(response.status).toBe(421);
    expect(response.body).toContain("misdirected:host");
    expect(await snapshot()).toEqual(before);
  });
});
