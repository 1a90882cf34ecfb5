import { describe, expect, it } from "vitest";
import { safeNextPath } from "../../lib/http/safe-next-path";

describe("safeNextPath", () => {
  it.each([
    ["/documents", "/documents"],
    ["/admin/access?tab=1#x", "/admin/access?tab=1#x"],
    ["/", "/"],
  ])("keeps the path on this site %s", (next, expected) => {
    expect(safeNextPath(next)).toBe(expected);
  });

  it.each([
    ["//evil.example/", "protocol-relative URL"],
    ["/\\evil.example", "backslash browsers read as a slash"],
    ["/\t/evil.example", "tab browsers drop, leaving //"],
    ["/\n/evil.example", "newline browsers drop"],
    ["https://evil.example/", "absolute URL"],
    ["javascript:alert(1)", "script URL"],
    ["documents", "relative path without a slash"],
    ["", "empty"],
    [undefined, "absent"],
  ])("sends %j home (%s)", (next, _reason) => {
    expect(safeNextPath(next)).toBe("/");
  });

  it("takes the first of repeated parameters", () => {
    expect(safeNextPath(["/account", "//evil.example"])).toBe("/account");
  });
});
