import type { AnswerEvent } from "../../lib/domain/answer-events";

/** A thin client over Folio's HTTP API, as any integrator would write it. */
export function folioApi(baseUrl: string) {
  const json = async <T>(response: Response): Promise<T> => (await response.json()) as T;
  return {
    async createCollection(name: string): Promise<string> {
      const response = await fetch(`${baseUrl}/api/collections`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ name }),
      });
      if (!response.ok) throw new Error(`createCollection: ${response.status} ${await response.text()}`);
      return (await json<{ collection: { id: string } }>(response)).collection.id;
    },
    upload(
      collectionId: string,
      fileName: string,
      data: Uint8Array,
      headers: Record<string, string> = {},
    ): Promise<Response> {
      return fetch(
        `${baseUrl}/api/collections/${collectionId}/documents?name=${encodeURIComponent(fileName)}`,
        {
          method: "POST",
          headers: { "content-type": "application/octet-stream", ...headers },
          body: Buffer.from(data),
        },
      );
    },
    async jobs(collectionId: string) {
      const response = await fetch(`${baseUrl}/api/jobs?collectionId=${collectionId}`);
      return (await json<{ jobs: JobView[] }>(response)).jobs;
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
    ask(body: unknown): Promise<Response> {
      return fetch(`${baseUrl}/api/ask`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    },
    search(body: unknown): Promise<Response> {
      return fetch(`${baseUrl}/api/search`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    },
    async answer(answerId: string) {
      const response = await fetch(`${baseUrl}/api/answers/${answerId}`);
      return json<{
        answer: { answer: string; status: string };
        citations: unknown[];
        audit: { payload: string; hash: string };
      }>(response);
    },
  };
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
