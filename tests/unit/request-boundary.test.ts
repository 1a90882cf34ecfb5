import { describe, expect, it } from "vitest";
import { loadConfig } from "../../lib/config";
import { isAppError } from "../../lib/errors";
import { checkRequestBoundary, clientAddress, isAllowedHost } from "../../lib/http/request-boundary";

const webOf = (environment: Record<string, string>) => loadConfig(environment).web;

/** The error code the boundary throws for a request, or "passes". */
function verdict(web: ReturnType<typeof webOf>, method: string, headers: Record<string, string>): string {
  try {
    checkRequestBoundary(new Request("http://folio.test/api/collections", { method, headers }), web);
    return "passes";
  } catch (error) {
    if (isAppError(error)) return error.code;
    throw error;
  }
}

describe("isAllowedHost", () => {
  const defaults = webOf({});
  const publicHttps = webOf({ PUBLIC_URL: "https://folio.example.com" });
  const publicWithPort = webOf({ PUBLIC_URL: "http://folio.example.com:8080" });
  const listed = webOf({ ALLOWED_HOSTS: "intranet.example, Docs.Example:8443 ,[2001:db8::7]" });
  const emptyList = webOf({ ALLOWED_HOSTS: " , " });

  it.each([
    ["loopback name, any port", defaults, "localhost:3000", true],
    ["loopback name, no port", defaults, "localhost", true],
    ["IPv4 loopback, another port", defaults, "127.0.0.1:65000", true],
    ["IPv6 loopback literal with port", defaults, "[::1]:3000", true],
    ["IPv6 loopback literal without port", defaults, "[::1]", true],
    ["the default PUBLIC_URL's host", defaults, "localhost:3000", true],
    ["a foreign name", defaults, "attacker.example", false],
    ["a foreign name with the loopback port", defaults, "attacker.example:3000", false],
    ["a name that starts with localhost", defaults, "localhost.attacker.example", false],
    ["an IP-in-DNS name", defaults, "127.0.0.1.nip.io", false],
    ["the unspecified address", defaults, "0.0.0.0:3000", false],
    ["an empty Host", defaults, "", false],
    ["a broken IPv6 literal", defaults, "[::1", false],
    ["an IPv6 address that is not loopback", defaults, "[2001:db8::7]:3000", false],
    ["PUBLIC_URL's host (https, default port)", publicHttps, "folio.example.com", true],
    ["PUBLIC_URL's host with an explicit port", publicHttps, "folio.example.com:443", true],
    ["a sibling of PUBLIC_URL's host", publicHttps, "evil.folio.example.com", false],
    ["loopback still answers with PUBLIC_URL set", publicHttps, "127.0.0.1:3000", true],
    ["PUBLIC_URL's host:port", publicWithPort, "folio.example.com:8080", true],
    ["PUBLIC_URL's host on another port", publicWithPort, "folio.example.com:9090", false],
    ["PUBLIC_URL's host without its port", publicWithPort, "folio.example.com", false],
    ["an ALLOWED_HOSTS name without port, any port", listed, "intranet.example:1234", true],
    ["an ALLOWED_HOSTS name without port, no port", listed, "intranet.example", true],
    ["an ALLOWED_HOSTS host:port (listed in capitals)", listed, "docs.example:8443", true],
    ["an ALLOWED_HOSTS host:port on another port", listed, "docs.example:8444", false],
    ["an ALLOWED_HOSTS host:port without port", listed, "docs.example", false],
    ["an ALLOWED_HOSTS IPv6 literal, with a port", listed, "[2001:db8::7]:3000", true],
    ["an ALLOWED_HOSTS IPv6 literal, without port", listed, "[2001:db8::7]", true],
    ["an unlisted name next to ALLOWED_HOSTS", listed, "other.example", false],
    ["an ALLOWED_HOSTS of only blanks adds nothing", emptyList, "attacker.example", false],
    ["an ALLOWED_HOSTS of only blanks keeps loopback", emptyList, "localhost:3000", true],
  ])("%s: %j → %s", (_case, web, host, expected) => {
    expect(isAllowedHost(host, web)).toBe(expected);
  });

  it("lists PUBLIC_URL's host and ALLOWED_HOSTS lower-cased, blanks dropped", () => {
    expect(listed.allowedHosts).toEqual([
      "localhost:3000",
      "intranet.example",
      "docs.example:8443",
      "[2001:db8::7]",
    ]);
    expect(emptyList.allowedHosts).toEqual(["localhost:3000"]);
  });
});

describe("checkRequestBoundary", () => {
  const web = webOf({ PUBLIC_URL: "https://folio.example.com" });
  const host = "folio.example.com";

  it.each([
    // Host comes first, for every method.
    ["GET", { host: "attacker.example" }, "misdirected:host"],
    ["POST", { host: "attacker.example", "sec-fetch-site": "same-origin" }, "misdirected:host"],
    ["GET", { host: "FOLIO.EXAMPLE.COM" }, "passes"],
    // Safe methods are never cross-site refused (they change nothing).
    ["GET", { host, "sec-fetch-site": "cross-site", origin: "http://evil.example" }, "passes"],
    ["HEAD", { host, "sec-fetch-site": "cross-site" }, "passes"],
    ["OPTIONS", { host, origin: "http://evil.example" }, "passes"],
    // Sec-Fetch-Site decides when a browser sent it.
    ["POST", { host, "sec-fetch-site": "same-origin" }, "passes"],
    ["POST", { host, "sec-fetch-site": "none" }, "passes"],
    ["POST", { host, "sec-fetch-site": "same-site" }, "forbidden:cross_site"],
    ["POST", { host, "sec-fetch-site": "cross-site" }, "forbidden:cross_site"],
    [
      "POST",
      { host, "sec-fetch-site": "cross-site", origin: "https://folio.example.com" },
      "forbidden:cross_site",
    ],
    ["DELETE", { host, "sec-fetch-site": "cross-site" }, "forbidden:cross_site"],
    ["PUT", { host, "sec-fetch-site": "same-site" }, "forbidden:cross_site"],
    ["PATCH", { host, "sec-fetch-site": "cross-site" }, "forbidden:cross_site"],
    // Without Sec-Fetch-Site, Origin must be Folio's own.
    ["POST", { host, origin: "https://folio.example.com" }, "passes"],
    ["POST", { host, origin: "HTTPS://FOLIO.EXAMPLE.COM" }, "passes"],
    ["POST", { host, origin: "http://evil.example" }, "forbidden:cross_site"],
    ["POST", { host, origin: "null" }, "forbidden:cross_site"],
    ["POST", { host, origin: "https://folio.example.com.evil.example" }, "forbidden:cross_site"],
    ["POST", { host, origin: "https://folio.example.com:8443" }, "forbidden:cross_site"],
    ["POST", { host, origin: "http://folio.example.com" }, "passes"], // http://<Host> (no proxy header)
    [
      "POST",
      { host, origin: "http://folio.example.com", "x-forwarded-proto": "https" },
      "forbidden:cross_site",
    ],
    ["POST", { host: "localhost:3000", origin: "http://localhost:3000" }, "passes"],
    ["POST", { host: "localhost:3000", origin: "http://localhost:4000" }, "forbidden:cross_site"],
    ["POST", { host: "localhost:3000", origin: "http://127.0.0.1:3000" }, "forbidden:cross_site"],
    // Neither header: not a browser page, so no visitor's cookies ride along.
    ["POST", { host }, "passes"],
  ])("%s %j → %s", (method, headers, expected) => {
    expect(verdict(web, method, headers)).toBe(expected);
  });
});

describe("clientAddress", () => {
  const request = (forwardedFor?: string) =>
    new Request(
      "http://localhost/",
      forwardedFor === undefined ? {} : { headers: { "x-forwarded-for": forwardedFor } },
    );

  it.each([
    [1, "203.0.113.9", "203.0.113.9"],
    [1, "198.51.100.1, 203.0.113.9", "203.0.113.9"], // a spoofed entry left of what the proxy appended
    [2, "198.51.100.1, 203.0.113.9", "198.51.100.1"],
    [2, "198.51.100.1, 203.0.113.9, 10.0.0.2", "203.0.113.9"],
    [3, "198.51.100.1, 10.0.0.2", "198.51.100.1"], // fewer entries than hops: the leftmost
    [1, " 203.0.113.9 ,, ", "203.0.113.9"],
    [1, "::1", "::1"],
    [1, "", "unknown"],
    [1, undefined, "unknown"],
  ])("%i trusted hop(s), X-Forwarded-For %j → %s", (hops, forwardedFor, expected) => {
    const web = webOf({ TRUSTED_PROXY_HOPS: String(hops) });
    expect(clientAddress(request(forwardedFor), web)).toBe(expected);
  });
});
