import { afterEach, describe, expect, it } from "vitest";
import { AppError } from "../../lib/errors";
import { toHttpResponse } from "../../lib/http/error-response";
import { createLogger, type LogLevel } from "../../lib/observability/log";
import { asStorageError } from "../../lib/storage/blob-store";

const loggerKey = Symbol.for("folio.logger");
const holder = globalThis as unknown as Record<symbol, unknown>;
const previous = holder[loggerKey];

afterEach(() => {
  holder[loggerKey] = previous;
});

function captureLogs() {
  const lines: { line: string; level: LogLevel }[] = [];
  holder[loggerKey] = createLogger({ format: "json", write: (line, level) => lines.push({ line, level }) });
  return lines;
}

describe("toHttpResponse", () => {
  it("answers a full disk with 507 and a plain message, and logs the cause for the operator", async () => {
    const lines = captureLogs();
    const enospc = Object.assign(
      new Error("ENOSPC: no space left on device, write '/srv/folio/blobs/.incoming/x'"),
      {
        code: "ENOSPC",
      },
    );
    const response = toHttpResponse(asStorageError(enospc));
    expect(response.status).toBe(507);
    const body = await response.text();
    expect(JSON.parse(body)).toMatchObject({
      error: {
        code: "insufficient_storage:storage_full",
        message: expect.stringContaining("storage is full"),
      },
    });
    expect(body).not.toContain("/srv/folio");
    expect(
      lines
        .filter(({ level }) => level === "error")
        .map(({ line }) => line)
        .join("\n"),
    ).toContain("ENOSPC");
  });

  it("answers a collection over its quota with 413 and logs nothing (the client's to fix)", async () => {
    const lines = captureLogs();
    const response = toHttpResponse(new AppError("too_large:collection_quota", { message: "full" }));
    expect(response.status).toBe(413);
    expect(lines).toEqual([]);
  });
});
