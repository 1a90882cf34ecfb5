import { describe, expect, it } from "vitest";
import { oidcProfileOf } from "../../lib/auth/oidc-profile";

describe("oidcProfileOf", () => {
  it("reads subject, email, verification, name and a list of groups", () => {
    expect(
      oidcProfileOf(
        {
          sub: "248289761001",
          email: " jane@example.com ",
          email_verified: true,
          name: "Jane Doe",
          groups: ["staff", 7, "finance"],
        },
        "groups",
      ),
    ).toEqual({
      subject: "248289761001",
      email: "jane@example.com",
      isEmailVerified: true,
      name: "Jane Doe",
      groups: ["staff", "finance"],
    });
  });

  it("takes a single string as one group, from the configured claim", () => {
    expect(oidcProfileOf({ sub: "s", roles: "readers" }, "roles").groups).toEqual(["readers"]);
    expect(oidcProfileOf({ sub: "s", groups: ["x"] }, "roles").groups).toEqual([]);
  });

  it.each([["true"], [1], [undefined], [false]])("counts email_verified %j as not verified", (value) => {
    expect(oidcProfileOf({ sub: "s", email: "a@b.c", email_verified: value }, "groups").isEmailVerified).toBe(
      false,
    );
  });

  it("treats a malformed email or a blank name as absent", () => {
    const profile = oidcProfileOf({ sub: "s", email: "not an email", name: "  " }, "groups");
    expect(profile.email).toBeUndefined();
    expect(profile.name).toBeUndefined();
  });
});
