import { describe, expect, it } from "vitest";
import { parseDuration } from "../../lib/auth/api-tokens";
import { loadConfig } from "../../lib/config";
import {
  clearedSessionCookie,
  readCookie,
  sessionCookie,
  sessionCookieName,
} from "../../lib/http/session-cookie";

const token = `fst_${"a".repeat(43)}`;
const attributesOf = (cookie: string) => cookie.split("; ").slice(1);

describe("the session cookie", () => {
  it("over http: folio_session, HttpOnly, SameSite=Lax, Path=/, the absolute lifetime, no Secure", () => {
    const config = loadConfig({ SESSION_MAX_HOURS: "12" });
    expect(sessionCookieName(config)).toBe("folio_session");
    const cookie = sessionCookie(config, token);
    expect(cookie.startsWith(`folio_session=${token}; `)).toBe(true);
    expect(attributesOf(cookie).sort()).toEqual(["HttpOnly", "Max-Age=43200", "Path=/", "SameSite=Lax"]);
  });

  it("behind an https PUBLIC_URL: the __Host- prefix, Secure, and no Domain", () => {
    const config = loadConfig({ PUBLIC_URL: "https://folio.example.com" });
    expect(sessionCookieName(config)).toBe("__Host-folio_session");
    const cookie = sessionCookie(config, token);
    expect(cookie.startsWith(`__Host-folio_session=${token}; `)).toBe(true);
    expect(attributesOf(cookie).sort()).toEqual([
      "HttpOnly",
      "Max-Age=604800",
      "Path=/",
      "SameSite=Lax",
      "Secure",
    ]);
    expect(cookie.toLowerCase()).not.toContain("domain=");
  });

  it("an http PUBLIC_URL on another host still gets no Secure (it would never be sent back)", () => {
    const cookie = sessionCookie(loadConfig({ PUBLIC_URL: "http://folio.internal:8080" }), token);
    expect(attributesOf(cookie)).not.toContain("Secure");
  });

  it.each([
    ["http", {}, "folio_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"],
    [
      "https",
      { PUBLIC_URL: "https://folio.example.com" },
      "__Host-folio_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0; Secure",
    ],
  ])(
    "is cleared on sign-out (%s) with the same attributes and Max-Age=0",
    (_scheme, environment, expected) => {
      expect(clearedSessionCookie(loadConfig(environment))).toBe(expected);
    },
  );
});

describe("readCookie", () => {
  const request = (cookie?: string) =>
    new Request("http://localhost/", cookie ? { headers: { cookie } } : {});

  it.each([
    ["the only cookie", `folio_session=${token}`, token],
    ["among others, with spaces", `theme=dark;  folio_session=${token} ; lang=en`, token],
    ["not a name that merely ends with it", `xfolio_session=evil; folio_session=${token}`, token],
    ["the first when sent twice", `folio_session=first; folio_session=second`, "first"],
    ["a value containing '='", "folio_session=a=b", "a=b"],
    ["absent", "theme=dark", undefined],
    ["a cookie without '='", "folio_session", undefined],
    ["no Cookie header", undefined, undefined],
  ])("%s", (_case, header, expected) => {
    expect(readCookie(request(header), "folio_session")).toBe(expected);
  });

  it("never reads the unprefixed cookie when the __Host- one is expected", () => {
    expect(readCookie(request(`folio_session=${token}`), "__Host-folio_session")).toBeUndefined();
  });
});

describe("parseDuration", () => {
  it.each([
    ["30d", 30 * 86_400_000],
    ["12h", 12 * 3_600_000],
    ["90m", 90 * 60_000],
    ["2s", 2000],
    [" 5m ", 300_000],
    ["999999s", 999_999_000],
  ])("%j → %i ms", (text, expected) => {
    expect(parseDuration(text)).toBe(expected);
  });

  it.each(["", "5", "0s", "0d", "1w", "-1h", "1.5h", "1234567d", "12 h", "12H", "h"])(
    "refuses %j with invalid:request",
    (text) => {
      expect(() => parseDuration(text)).toThrow(expect.objectContaining({ code: "invalid:request" }));
    },
  );
});
