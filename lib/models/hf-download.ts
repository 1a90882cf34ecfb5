import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import path from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as NodeReadableStream } from "node:stream/web";
import { AppError } from "../errors";

/**
 * Downloads one file of a Hugging Face repository the way `huggingface_hub` does
 * (`src/huggingface_hub/file_download.py`, `get_hf_file_metadata`):
 *
 * - `GET {endpoint}/{repo}/resolve/{revision}/{path}` (HF_ENDPOINT convention, so mirrors work).
 * - The Hub answers LFS files with a 302 to a CDN and puts the file's sha256 in `X-Linked-Etag`
 *   (falling back to `ETag`) and its size in `X-Linked-Size` on that first response; the CDN's own
 *   ETag is not a sha256 and is ignored. Small non-LFS files (JSON, vocab) get a same-origin 307
 *   to `/api/resolve-cache/…` and an `ETag` that is the git blob sha1 (`sha1("blob <size>\0" +
 *   bytes)`), not a sha256 of the file: there is nothing to compare our sha256 with, and
 *   huggingface_hub itself only compares hashes when the etag looks like a sha256. Those files are
 *   still hashed and recorded, and TLS protects them in transit.
 * - The token goes only to the endpoint's origin: a redirect to another host (the CDN, whose URL is
 *   signed) is followed without `Authorization`, like huggingface_hub's `headers.pop("authorization")`.
 *
 * Downloads do not resume: an interrupted download restarts from zero (the `.part` file is
 * deleted on every failure, so a half-written file is never mistaken for a model).
 */
export interface DownloadRepoFileOptions {
  /** e.g. `https://huggingface.co` (no trailing slash). */
  endpoint: string;
  token?: string;
  /** `owner/name` */
  repo: string;
  revision: string;
  /** Path inside the repository, `/`-separated. */
  path: string;
  /** Absolute local path; written as `<destination>.part` then renamed. */
  destination: string;
  signal?: AbortSignal;
  /** Called as bytes arrive; `totalBytes` is undefined when the server does not say. */
  onProgress?: (receivedBytes: number, totalBytes: number | undefined) => void;
}

export interface DownloadedRepoFile {
  sha256: string;
  bytes: number;
  /** True when the Hub announced a sha256 for the file and the bytes matched it. */
  isVerified: boolean;
  /** The commit the revision resolved to (`X-Repo-Commit`), when the Hub sent it. */
  commit: string | undefined;
}

export interface RepoFileMetadata {
  /** sha256 announced by the Hub (LFS files only). */
  sha256: string | undefined;
  bytes: number | undefined;
  commit: string | undefined;
}

const maxRedirects = 10;
const sha256Pattern = /^[0-9a-f]{64}$/;
const userAgent = "folio-models/0.1 (+https://huggingface.co/docs/huggingface_hub)";

export function buildResolveUrl(
  options: Pick<DownloadRepoFileOptions, "endpoint" | "repo" | "revision" | "path">,
): string {
  const encodedPath = options.path.split("/").map(encodeURIComponent).join("/");
  return `${options.endpoint.replace(/\/+$/, "")}/${options.repo}/resolve/${encodeURIComponent(options.revision)}/${encodedPath}`;
}

/** `W/"abc"` or `"abc"` → `abc` (huggingface_hub `_normalize_etag`). */
function normalizeEtag(value: string | null): string | undefined {
  if (!value) return undefined;
  return value.replace(/^W\//, "").replace(/^"|"$/g, "").toLowerCase();
}

function parseByteCount(value: string | null): number | undefined {
  if (value === null || !/^\d+$/.test(value)) return undefined;
  return Number(value);
}

/** The sha256 the Hub vouches for: only headers from the Hub's own origin count, first response first. */
function readAnnouncedMetadata(hubResponses: Headers[]): RepoFileMetadata {
  let sha256: string | undefined;
  let bytes: number | undefined;
  let commit: string | undefined;
  for (const headers of hubResponses) {
    const etag = normalizeEtag(headers.get("x-linked-etag") ?? headers.get("etag"));
    if (sha256 === undefined && etag !== undefined && sha256Pattern.test(etag)) sha256 = etag;
    bytes ??= parseByteCount(headers.get("x-linked-size"));
    commit ??= headers.get("x-repo-commit") ?? undefined;
  }
  return { sha256, bytes, commit };
}

interface FileRequest {
  endpoint: string;
  token: string | undefined;
  repo: string;
  revision: string;
  path: string;
  destination?: string;
  signal: AbortSignal | undefined;
}

function describeNetworkCause(error: unknown): string {
  const cause =
    error instanceof Error ? (error.cause as { code?: string; message?: string } | undefined) : undefined;
  return cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
}

function downloadFailed(
  request: FileRequest,
  message: string,
  cause?: unknown,
  retryAfterSeconds?: number,
): AppError {
  return new AppError("unavailable:model_download_failed", {
    message,
    cause,
    details: { repo: request.repo, revision: request.revision, path: request.path },
    ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
  });
}

function unreachable(request: FileRequest, url: string, error: unknown): AppError {
  const target = request.destination ?? `MODELS_DIR/${request.path}`;
  return downloadFailed(
    request,
    `Could not reach ${new URL(url).origin} to download ${request.repo}/${request.path} (${describeNetworkCause(error)}). ` +
      "No network is reachable from this machine, or HF_ENDPOINT is wrong. To install the model by hand, " +
      `download ${buildResolveUrl(request)} on a machine with internet access and copy it to ${target} ` +
      "(files keep their repository paths under MODELS_DIR), then check with `npm run models -- list`.",
    error,
  );
}

function errorForStatus(request: FileRequest, response: Response, url: string): AppError {
  const status = response.status;
  const errorCode = response.headers.get("x-error-code") ?? undefined;
  const details = {
    repo: request.repo,
    revision: request.revision,
    path: request.path,
    status,
    ...(errorCode ? { hubErrorCode: errorCode } : {}),
  };
  if (status === 401 || status === 403) {
    const tokenAdvice = request.token
      ? "HF_TOKEN is set but was refused: check that it is valid and that this account accepted the licence"
      : "accept its licence on the model page while logged in, create a read token and set HF_TOKEN=<token>";
    return new AppError("forbidden:model_access_denied", {
      message:
        `Hugging Face refused access to ${request.repo} (HTTP ${status}${errorCode ? `, ${errorCode}` : ""}). ` +
        `The repository may be gated or private: ${tokenAdvice} (${request.endpoint}/${request.repo}). ` +
        "The Hub also answers 401 for a repository that does not exist, so check the name.",
      details,
    });
  }
  if (status === 404) {
    const what =
      errorCode === "RepoNotFound"
        ? `the repository ${request.repo} does not exist`
        : errorCode === "RevisionNotFound"
          ? `${request.repo} has no revision "${request.revision}"`
          : `${request.repo}@${request.revision} has no file ${request.path}`;
    return new AppError("not_found:model_file", {
      message: `Not found on Hugging Face: ${what} (${url}).`,
      details,
    });
  }
  const retryAfterSeconds = parseByteCount(response.headers.get("retry-after"));
  return downloadFailed(
    request,
    `Hugging Face answered HTTP ${status} for ${request.repo}/${request.path}; try again later.`,
    undefined,
    retryAfterSeconds,
  );
}

/**
 * Follows redirects by hand so the token is sent only to the endpoint's origin.
 * `stopAtOtherOrigin` is for metadata requests, which must not touch the CDN.
 */
async function requestFollowingRedirects(
  request: FileRequest,
  method: "GET" | "HEAD",
  stopAtOtherOrigin: boolean,
): Promise<{ response: Response; url: string; hubResponses: Headers[] }> {
  const hubOrigin = new URL(request.endpoint).origin;
  const hubResponses: Headers[] = [];
  let current = new URL(buildResolveUrl(request));
  for (let hop = 0; hop <= maxRedirects; hop++) {
    const isHub = current.origin === hubOrigin;
    const headers: Record<string, string> = { "Accept-Encoding": "identity", "User-Agent": userAgent };
    if (request.token && isHub) headers.Authorization = `Bearer ${request.token}`;
    let response: Response;
    try {
      response = await fetch(current, { method, headers, redirect: "manual", signal: request.signal });
    } catch (error) {
      if (request.signal?.aborted) throw error;
      throw unreachable(request, current.href, error);
    }
    if (isHub) hubResponses.push(response.headers);
    const location = response.headers.get("location");
    if (response.status >= 300 && response.status < 400 && location) {
      await response.body?.cancel();
      const next = new URL(location, current);
      if (next.protocol !== "https:" && next.protocol !== "http:") {
        throw downloadFailed(request, `Refusing a redirect to ${next.protocol} for ${request.path}.`);
      }
      if (stopAtOtherOrigin && next.origin !== hubOrigin)
        return { response, url: current.href, hubResponses };
      current = next;
      continue;
    }
    return { response, url: current.href, hubResponses };
  }
  throw downloadFailed(request, `Too many redirects while downloading ${request.repo}/${request.path}.`);
}

/**
 * What the Hub says about a file without downloading it (HEAD on the Hub's origin only).
 * Used to check a file already on disk against the sha256 the Hub announces.
 */
export async function fetchRepoFileMetadata(
  options: Omit<DownloadRepoFileOptions, "destination" | "onProgress">,
): Promise<RepoFileMetadata> {
  const request: FileRequest = { ...options, token: options.token, signal: options.signal };
  const { response, url, hubResponses } = await requestFollowingRedirects(request, "HEAD", true);
  const isRedirect = response.status >= 300 && response.status < 400;
  if (!response.ok && !isRedirect) throw errorForStatus(request, response, url);
  const announced = readAnnouncedMetadata(hubResponses);
  return { ...announced, bytes: announced.bytes ?? parseByteCount(response.headers.get("content-length")) };
}

export async function downloadRepoFile(options: DownloadRepoFileOptions): Promise<DownloadedRepoFile> {
  const request: FileRequest = { ...options, token: options.token, signal: options.signal };
  const { response, url, hubResponses } = await requestFollowingRedirects(request, "GET", false);
  if (!response.ok || !response.body) {
    await response.body?.cancel();
    throw errorForStatus(request, response, url);
  }
  const announced = readAnnouncedMetadata(hubResponses);
  const totalBytes = announced.bytes ?? parseByteCount(response.headers.get("content-length"));

  const partPath = `${options.destination}.part`;
  await mkdir(path.dirname(options.destination), { recursive: true });
  const hash = createHash("sha256");
  let receivedBytes = 0;
  options.onProgress?.(0, totalBytes);
  const hashing = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      receivedBytes += chunk.length;
      options.onProgress?.(receivedBytes, totalBytes);
      callback(null, chunk);
    },
  });
  try {
    await pipeline(
      Readable.fromWeb(response.body as unknown as NodeReadableStream<Uint8Array>),
      hashing,
      createWriteStream(partPath),
      { signal: options.signal },
    );
  } catch (error) {
    await rm(partPath, { force: true });
    if (options.signal?.aborted) throw error;
    throw downloadFailed(
      request,
      `The download of ${options.repo}/${options.path} broke off after ${receivedBytes} bytes (${describeNetworkCause(error)}); run the command again.`,
      error,
    );
  }

  const sha256 = hash.digest("hex");
  if (totalBytes !== undefined && receivedBytes !== totalBytes) {
    await rm(partPath, { force: true });
    throw downloadFailed(
      request,
      `The download of ${options.repo}/${options.path} is incomplete: ${receivedBytes} of ${totalBytes} bytes; run the command again.`,
    );
  }
  if (announced.sha256 !== undefined && announced.sha256 !== sha256) {
    await rm(partPath, { force: true });
    // `unavailable`, not `internal`: the bytes were damaged or replaced between the Hub and us
    // (proxy, mirror, CDN); nothing in Folio is broken and a later retry can succeed.
    throw new AppError("unavailable:model_checksum_mismatch", {
      message:
        `The sha256 of ${options.repo}/${options.path} is ${sha256}, but Hugging Face announced ${announced.sha256}. ` +
        "The file was deleted. A proxy or mirror may have altered it; try again, or check HF_ENDPOINT.",
      details: {
        repo: options.repo,
        path: options.path,
        expectedSha256: announced.sha256,
        actualSha256: sha256,
      },
    });
  }
  await rename(partPath, options.destination);
  return {
    sha256,
    bytes: receivedBytes,
    isVerified: announced.sha256 !== undefined,
    commit: announced.commit,
  };
}
