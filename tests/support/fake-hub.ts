import { createHash } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A protocol peer for `/{repo}/resolve/{revision}/{path}` as the Hugging Face Hub answers it:
 * large (LFS) files carry their sha256 in `X-Linked-Etag`, missing files are 404. Only for tests.
 */
export async function startFakeHub(
  files: ReadonlyMap<string, Uint8Array>,
): Promise<{ endpoint: string; requests: string[]; close(): Promise<void> }> {
  const requests: string[] = [];
  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://hub");
    requests.push(url.pathname);
    const match = /^\/(.+?\/.+?)\/resolve\/[^/]+\/(.+)$/.exec(url.pathname);
    const content = match ? files.get(`${match[1]}/${decodeURIComponent(match[2] ?? "")}`) : undefined;
    if (!content) {
      response.writeHead(404, { "X-Error-Code": "EntryNotFound" }).end();
      return;
    }
    const isLfs = content.byteLength > 10_000;
    const sha256 = createHash("sha256").update(content).digest("hex");
    response.writeHead(200, {
      "Content-Length": content.byteLength,
      ...(isLfs
        ? { "X-Linked-Etag": `"${sha256}"`, "X-Linked-Size": content.byteLength }
        : { ETag: '"0123abcd"' }),
    });
    response.end(request.method === "HEAD" ? undefined : content);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
