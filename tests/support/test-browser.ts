import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { request as httpsRequest } from "node:https";

export interface BrowserResponse {
  url: URL;
  status: number;
  headers: IncomingHttpHeaders;
  /** The raw Set-Cookie lines, to check their attributes. */
  setCookies: string[];
  /** The redirect target, resolved against `url`. */
  location: URL | undefined;
  body: string;
}

interface StoredCookie {
  origin: string;
  name: string;
  value: string;
  path: string;
}

/**
 * What a browser does for a redirect-based sign-in, without a browser: one request at a time,
 * cookies kept per origin and path (expired ones dropped), HTML forms read and submitted. Plain
 * node:http(s) rather than fetch, so the test process can trust the test IdP's self-signed
 * certificate (`ca`) without NODE_EXTRA_CA_CERTS, which Node reads only at start.
 */
export class TestBrowser {
  private cookies: StoredCookie[] = [];

  constructor(private readonly ca: string) {}

  async request(
    target: string | URL,
    init: { method?: "GET" | "POST"; form?: Record<string, string>; cookieHeader?: string } = {},
  ): Promise<BrowserResponse> {
    const url = new URL(target);
    const body = init.form ? new URLSearchParams(init.form).toString() : undefined;
    const headers: Record<string, string> = { accept: "text/html,application/json" };
    const cookieHeader = init.cookieHeader ?? this.cookieHeaderFor(url);
    if (cookieHeader) headers.cookie = cookieHeader;
    if (body !== undefined) {
      headers["content-type"] = "application/x-www-form-urlencoded";
      headers["content-length"] = String(Buffer.byteLength(body));
    }
    const response = await send(
      url,
      { method: init.method ?? (body ? "POST" : "GET"), headers, ca: this.ca },
      body,
    );
    const setCookies = response.headers["set-cookie"] ?? [];
    for (const line of setCookies) this.store(url, line);
    const location = response.headers.location ? new URL(response.headers.location, url) : undefined;
    return {
      url,
      status: response.status,
      headers: response.headers,
      setCookies,
      location,
      body: response.body,
    };
  }

  /** The `Cookie` header this browser would send to `url`. */
  cookieHeaderFor(url: URL): string {
    return this.cookies
      .filter((cookie) => cookie.origin === url.origin && pathMatches(url.pathname, cookie.path))
      .map((cookie) => `${cookie.name}=${cookie.value}`)
      .join("; ");
  }

  cookieValue(url: URL, name: string): string | undefined {
    return this.cookies.find(
      (cookie) =>
        cookie.origin === url.origin && cookie.name === name && pathMatches(url.pathname, cookie.path),
    )?.value;
  }

  private store(url: URL, line: string): void {
    const [pair = "", ...attributes] = line.split(";").map((part) => part.trim());
    const separator = pair.indexOf("=");
    const name = pair.slice(0, separator);
    const value = pair.slice(separator + 1);
    let cookiePath = url.pathname.slice(0, url.pathname.lastIndexOf("/")) || "/";
    let isExpired = false;
    for (const attribute of attributes) {
      const [key = "", attributeValue = ""] = attribute.split("=");
      const lower = key.toLowerCase();
      if (lower === "path") cookiePath = attributeValue;
      if (lower === "max-age" && Number(attributeValue) <= 0) isExpired = true;
      if (lower === "expires" && Date.parse(attributeValue) < Date.now()) isExpired = true;
    }
    this.cookies = this.cookies.filter(
      (cookie) => !(cookie.origin === url.origin && cookie.name === name && cookie.path === cookiePath),
    );
    if (!isExpired) this.cookies.push({ origin: url.origin, name, value, path: cookiePath });
  }
}

/** The single form on an HTML page: its resolved action and its hidden inputs. */
export function formOn(response: BrowserResponse): { action: URL; fields: Record<string, string> } {
  const action = /<form[^>]*action="([^"]+)"/.exec(response.body)?.[1];
  if (!action) throw new Error(`no form at ${response.url}: ${response.body.slice(0, 500)}`);
  const fields: Record<string, string> = {};
  for (const match of response.body.matchAll(
    /<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"/g,
  )) {
    if (match[1]) fields[match[1]] = match[2] ?? "";
  }
  return { action: new URL(action.replaceAll("&amp;", "&"), response.url), fields };
}

function pathMatches(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true;
  if (!requestPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith("/") || requestPath[cookiePath.length] === "/";
}

function send(
  url: URL,
  options: { method: string; headers: Record<string, string>; ca: string },
  body: string | undefined,
): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  const requestFunction = url.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const outgoing = requestFunction(
      url,
      { method: options.method, headers: options.headers, ca: options.ca, timeout: 30_000 },
      (incoming) => {
        const pieces: Buffer[] = [];
        incoming.on("data", (piece: Buffer) => pieces.push(piece));
        incoming.on("end", () =>
          resolve({
            status: incoming.statusCode ?? 0,
            headers: incoming.headers,
            body: Buffer.concat(pieces).toString("utf8"),
          }),
        );
        incoming.on("error", reject);
      },
    );
    outgoing.on("timeout", () => outgoing.destroy(new Error(`timeout: ${url}`)));
    outgoing.on("error", reject);
    outgoing.end(body);
  });
}
