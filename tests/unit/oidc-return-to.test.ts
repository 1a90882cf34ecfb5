import { describe, expect, it } from "vitest";
import { safeReturnTo } from "../../lib/auth/oidc-return-to";

const publicUrl = "https://folio.example.com";

describe("safeReturnTo", () => {
  it.each([
    ["/", "/"],
    ["/ask", "/ask"],
    ["/documents?collection=abc#page-2", "/documents?collection=abc#page-2"],
    ["/a/../b", "/b"],
  ])("keeps the same-site path %j", (value, expected) => {
    expect(safeReturnTo(value, publicUrl)).toBe(expected);
  });

  it.each([
    null,
    undefined,
    "",
    "ask",
    "//evil.example",
    "//evil.example/path",
    "/\\evil.example",
    "\\\\evil.example",
    "https://evil.example/",
    "javascript:alert(1)",
    "/\t/evil.example",
    "/\n/evil.example",
    "/ /evil.example",
    "/\\/evil.example",
    `/${"a".repeat(3000)}`,
  ])("turns %j into /", (value) => {
    expect(safeReturnTo(value, publicUrl)).toBe("/");
  });
});
