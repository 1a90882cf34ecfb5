import { describe, expect, it } from "vitest";
import { loadConfig } from "../../lib/config";

describe("upload limit settings", () => {
  it("default to no collection quota, a 256 MiB free-disk reserve and a 60-minute .incoming sweep", () => {
    expect(loadConfig({}).limits).toMatchObject({
      collectionQuotaBytes: 0,
      minFreeDiskBytes: 256 * 1024 * 1024,
      incomingMaxAgeMinutes: 60,
    });
  });

  it("take byte counts and minutes from the environment; 0 turns the quota and the reserve off", () => {
    const { limits } = loadConfig({
      COLLECTION_QUOTA_BYTES: "5000000000",
      MIN_FREE_DISK_BYTES: "0",
      INCOMING_MAX_AGE_MINUTES: "15",
    });
    expect(limits).toMatchObject({
      collectionQuotaBytes: 5_000_000_000,
      minFreeDiskBytes: 0,
      incomingMaxAgeMinutes: 15,
    });
  });

  it.each([
    ["COLLECTION_QUOTA_BYTES", "-1"],
    ["MIN_FREE_DISK_BYTES", "lots"],
    ["INCOMING_MAX_AGE_MINUTES", "0"],
  ])("refuses %s=%s naming the variable", (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(name);
  });
});
