import type { AnswerEvent } from "../../lib/domain/answer-events";

/** How a client proves who it is: a session cookie (`folio_session=…`) or an API token. */
export interface Credentials {
  cookie?: string;
  token?: string;
}

/** A thin client over Folio's HTTP API, as any integrator would write it. */
export function folioApi(baseUrl: string, credentials: Credentials = {}) {
  const auth = (): Record<string, string> => ({
    ...(credentials.cookie ? { cookie: credentials.cookie } : {}),
    ...(credentials.token ? { authorization: `Bearer ${credentials.token}` } : {}),
  });
  const request = (path: string, init: RequestInit = {}) =>
    fetch(`${baseUrl}${path}`, {
      ...init,
      headers: { ...auth(), ...(init.headers as Record<string, string>) },
    });
  const sendJson = (method: string, path: string, body: unknown) =>
    request(path, { method, headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  const expectOk = async <T>(response: Response, what: string): Promise<T> => {
    if (!response.ok) throw new Error(`${what}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  };
  return {
    baseUrl,
    credentials,
    request,
    sendJson,
    async createCollection(name: string): Promise<string> {
      const body = await expectOk<{ collection: { id: string } }>(
        await sendJson("POST", "/api/collections", { name }),
        "createCollection",
      );
      return body.collection.id;
    },
    upload(
      collectionId: string,
      fileName: string,
      data: Uint8Array,
      options: { headers?: Record<string, string>; query?: Record<string, string> } = {},
    ): Promise<Response> {
      const query = new URLSearchParams({ name: fileName, ...options.query });
      return request(`/api/collections/${collectionId}/documents?${query}`, {
        method: "POST",
        headers: { "content-type": "application/octet-stream", ...options.headers },
        body: Buffer.from(data),
      });
    },
    async jobs(collectionId: string) {
      return (
        await expectOk<{ jobs: JobView[] }>(await request(`/api/jobs?collectionId=${collectionId}`), "jobs")
      ).jobs;
    },
    /** Polls until no job of the collection is queued or running. */
    async waitForJobs(collectionId: string, timeoutMs = 120_000): Promise<JobView[]> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const jobs = await this.jobs(collectionId);
        if (jobs.every((job) => job.state === "succeeded" || job.state === "failed")) return jobs;
        if (Date.now() > deadline) throw new Error(`jobs still running: ${JSON.stringify(jobs)}`);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    },
    /** Waits for the collection's jobs and throws, naming them, unless every one succeeded. */
    async waitForIndexed(collectionId: string, timeoutMs?: number): Promise<JobView[]> {
      const jobs = await this.waitForJobs(collectionId, timeoutMs);
      if (!jobs.every((job) => job.state === "succeeded")) throw new Error(`ingest: ${JSON.stringify(jobs)}`);
      return jobs;
    },
    ask(body: unknown, options: { signal?: AbortSignal } = {}): Promise<Response> {
      return request("/api/ask", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
        ...(options.signal ? { signal: options.signal } : {}),
      });
    },
    search(body: unknown): Promise<Response> {
      return sendJson("POST", "/api/search", body);
    },
    async answer(answerId: string) {
      return expectOk<{
        answer: { answer: string; status: string };
        citations: unknown[];
        audit: { payload: string; hash: string };
      }>(await request(`/api/answers/${answerId}`), "answer");
    },
    /** Admin: adds a user with a password; returns the new user's id. */
    async addUser(
      email: string,
      role: "employee" | "admin" | "auditor",
      password = testPassword,
    ): Promise<string> {
      const body = await expectOk<{ user: { userId: string } }>(
        await sendJson("POST", "/api/admin/users", { email, role, password }),
        "addUser",
      );
      return body.user.userId;
    },
    async createGroup(name: string): Promise<string> {
      const body = await expectOk<{ group: { id: string } }>(
        await sendJson("POST", "/api/admin/groups", { name }),
        "createGroup",
      );
      return body.group.id;
    },
    async addGroupMember(groupId: string, userId: string): Promise<void> {
      await expectOk(
        await sendJson("POST", `/api/admin/groups/${groupId}/members`, { userId }),
        "addGroupMember",
      );
    },
    async grant(
      collectionId: string,
      grantee: { userId: string } | { groupId: string },
      permission: "read" | "curate" = "read",
    ): Promise<void> {
      await expectOk(
        await sendJson("PUT", "/api/admin/grants", { collectionId, grantee, permission }),
        "grant",
      );
    },
    async revoke(collectionId: string, grantee: { userId: string } | { groupId: string }): Promise<void> {
      await expectOk(await sendJson("DELETE", "/api/admin/grants", { collectionId, grantee }), "revoke");
    },
    async createToken(name = "test", expiresIn?: string): Promise<string> {
      const body = await expectOk<{ token: string }>(
        await sendJson("POST", "/api/tokens", { name, expiresIn }),
        "createToken",
      );
      return body.token;
    },
  };
}

export type FolioApi = ReturnType<typeof folioApi>;

/** Every test account's password (≥ 12 characters, as the policy asks). */
export const testPassword = "correct horse battery staple";

/** Signs in with email and password; returns the session cookie (`name=value`). */
export async function signIn(baseUrl: string, email: string, password = testPassword): Promise<string> {
  const response = await fetch(`${baseUrl}/api/auth/sign-in`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email, password }),
  });
  if (!response.ok) throw new Error(`sign-in ${email}: ${response.status} ${await response.text()}`);
  return sessionCookieOf(response);
}

/** The `name=value` part of the session cookie a response sets. */
export function sessionCookieOf(response: Response): string {
  const header = response.headers.getSetCookie().find((cookie) => cookie.includes("folio_session="));
  if (!header) throw new Error("no session cookie in the response");
  return header.split(";")[0] ?? "";
}

/** Redeems the one-time setup link an empty install prints, creating the first admin. */
export async function setUpFirstAdmin(
  baseUrl: string,
  setupToken: string,
  email = "admin@example.com",
): Promise<string> {
  const response = await fetch(`${baseUrl}/api/auth/link/redeem`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ token: setupToken, email, displayName: "First Admin", password: testPassword }),
  });
  if (!response.ok) throw new Error(`setup: ${response.status} ${await response.text()}`);
  return sessionCookieOf(response);
}

/** The setup token in what `npm start` / `next start` printed, if any. */
export function setupTokenIn(output: string): string | undefined {
  return /\/setup#(fln_[A-Za-z0-9_-]{43})/.exec(output)?.[1];
}

export interface JobView {
  jobId: string;
  documentTitle: string;
  state: "queued" | "running" | "succeeded" | "failed";
  errorCode: string | null;
  errorMessage: string | null;
  pageCount: number | null;
  chunkCount: number | null;
}

/** Parses a server-sent event stream of `data: <json>` frames into AnswerEvents. */
export async function readEvents(response: Response): Promise<AnswerEvent[]> {
  const text = await response.text();
  return text
    .split("\n\n")
    .map((frame) => frame.trim())
    .filter((frame) => frame.startsWith("data: "))
    .map((frame) => JSON.parse(frame.slice(6)) as AnswerEvent);
}
