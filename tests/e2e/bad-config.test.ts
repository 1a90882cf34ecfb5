import { expect, it } from "vitest";
import { spawnFolioServer } from "../support/folio-server";

it("refuses to start with an invalid setting, naming the variable", async () => {
  const server = await spawnFolioServer({ MAX_UPLOAD_BYTES: "lots" }, { usePostgres: false });
  try {
    const exitCode = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => resolve(null), 60_000);
      server.child.once("exit", (code) => {
        clearTimeout(timer);
        resolve(code);
      });
    });
    expect(exitCode).not.toBe(0);
    expect(exitCode).not.toBeNull();
    expect(server.output()).toContain("MAX_UPLOAD_BYTES");
  } finally {
    await server.stop();
  }
});
