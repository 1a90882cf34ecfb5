import { describe, expect, it } from "vitest";
import { loadLogSettings } from "../../lib/config";
import { AppError } from "../../lib/errors";
import {
  createLogger,
  defaultLoggerOptions,
  type LoggerOptions,
  type LogLevel,
} from "../../lib/observability/log";

const fixedTime = new Date("2026-12-02T22:10:06.000Z");

function capture(options: Partial<LoggerOptions> = {}) {
  const lines: { line: string; level: LogLevel }[] = [];
  const logger = createLogger({
    format: "json",
    now: () => fixedTime,
    write: (line, level) => lines.push({ line, level }),
    ...options,
  });
  return {
    logger,
    lines,
    parsed: () => lines.map(({ line }) => JSON.parse(line) as Record<string, unknown>),
  };
}

describe("createLogger", () => {
  it("writes one JSON object a line with time, level, msg and the fields", () => {
    const { logger, lines, parsed } = capture();
    logger.info("job finished", { jobId: "j1", pages: 3 });
    expect(lines).toHaveLength(1);
    expect(lines[0]?.line).not.toContain("\n");
    expect(parsed()[0]).toEqual({
      time: "2026-12-02T22:10:06.000Z",
      level: "info",
      msg: "job finished",
      jobId: "j1",
      pages: 3,
    });
  });

  it("drops lines below the configured level and passes the level to the writer", () => {
    const { logger, lines } = capture({ level: "warn" });
    logger.debug("noise");
    logger.info("chatter");
    logger.warn("careful");
    logger.error("broken");
    expect(lines.map(({ level }) => level)).toEqual(["warn", "error"]);
  });

  it("writes an error's name, message, code and cause instead of {}", () => {
    const { logger, parsed } = capture();
    const cause = new Error("connection refused");
    logger.error("[http] unavailable:database", {
      error: new AppError("unavailable:database", { message: "The database is unreachable.", cause }),
    });
    const error = parsed()[0]?.error as Record<string, unknown>;
    expect(error).toMatchObject({
      name: "AppError",
      message: "The database is unreachable.",
      code: "unavailable:database",
      cause: { name: "Error", message: "connection refused" },
    });
    expect(error.stack).toEqual(expect.stringContaining("AppError"));
  });

  it("never writes a failed query's bound values, in the message or the stack", async () => {
    const { DrizzleQueryError } = await import("drizzle-orm/errors");
    const { logger, lines } = capture();
    const failed = new DrizzleQueryError(
      "insert into answers (question, answer) values ($1, $2)",
      ["what is the CEO salary?", "SECRET DOC TEXT"],
      new Error("Connection terminated"),
    );
    logger.error("[answer] could not record", {
      error: new AppError("unavailable:database", { cause: failed }),
    });
    expect(lines[0]?.line).not.toContain("CEO salary");
    expect(lines[0]?.line).not.toContain("SECRET DOC TEXT");
    expect(lines[0]?.line).toContain("insert into answers");
    expect(lines[0]?.line).toContain("Connection terminated");
  });

  it("writes only the keys of a cause that is not an Error (e.g. a token response)", () => {
    const { logger, lines } = capture();
    const cause = { body: { access_token: "AT-SECRET", refresh_token: "RT-SECRET", scope: ["openid"] } };
    logger.warn("[oidc] sign-in failed", {
      code: "oidc_unavailable",
      error: new Error("bad response", { cause }),
    });
    logger.warn("[oidc] sign-in failed", { code: "oidc_unavailable", error: cause });
    for (const { line } of lines) {
      expect(line).not.toContain("AT-SECRET");
      expect(line).not.toContain("RT-SECRET");
      expect(line).toContain('"keys":["body"]');
    }
  });

  it.each([
    "password",
    "apiKey",
    "api_key",
    "authorization",
    "cookie",
    "token",
    "question",
    "text",
    "clientSecret",
  ])("never writes the value of a field named %s", (key) => {
    const { logger, lines } = capture();
    logger.info("something happened", { [key]: "s3cr3t-value" });
    expect(lines[0]?.line).not.toContain("s3cr3t-value");
    expect((JSON.parse(lines[0]?.line ?? "{}") as Record<string, unknown>)[key]).toBe("[redacted]");
  });

  it("keeps counts whose names merely mention tokens", () => {
    const { logger, parsed } = capture();
    logger.info("answered", { promptTokens: 120, questionSha256: "ab12" });
    expect(parsed()[0]).toMatchObject({ promptTokens: 120, questionSha256: "ab12" });
  });

  it("adds a child's fields to every line, the call's fields winning", () => {
    const { logger, parsed } = capture();
    const child = logger.child({ scope: "ingest", workerId: 7 });
    child.info("claimed", { jobId: "j2", workerId: 8 });
    expect(parsed()[0]).toMatchObject({ scope: "ingest", jobId: "j2", workerId: 8 });
  });

  it("survives circular fields", () => {
    const { logger, parsed } = capture();
    const loop: Record<string, unknown> = { name: "loop" };
    loop.self = loop;
    logger.warn("odd value", { loop });
    expect(parsed()[0]?.loop).toEqual({ name: "loop", self: "[circular]" });
  });

  it("writes readable text in text format, the stack on the following lines", () => {
    const { logger, lines } = capture({ format: "text" });
    logger.error("could not start", { code: "unavailable:database", error: new Error("boom") });
    const [head, ...rest] = (lines[0]?.line ?? "").split("\n");
    expect(head).toBe("2026-12-02T22:10:06.000Z ERROR could not start code=unavailable:database error=boom");
    expect(rest[0]).toBe("Error: boom");
  });
});

describe("defaultLoggerOptions", () => {
  it.each([
    { settings: { format: undefined, level: "info" as const }, isTerminal: true, format: "text" },
    { settings: { format: undefined, level: "info" as const }, isTerminal: false, format: "json" },
    { settings: { format: "json" as const, level: "info" as const }, isTerminal: true, format: "json" },
    { settings: { format: "text" as const, level: "info" as const }, isTerminal: false, format: "text" },
  ])(
    "LOG_FORMAT=$settings.format on a terminal=$isTerminal writes $format",
    ({ settings, isTerminal, format }) => {
      expect(defaultLoggerOptions(settings, isTerminal).format).toBe(format);
    },
  );
});

describe("loadLogSettings", () => {
  it("reads LOG_FORMAT and LOG_LEVEL", () => {
    expect(loadLogSettings({ LOG_FORMAT: "text", LOG_LEVEL: "debug" })).toEqual({
      format: "text",
      level: "debug",
    });
  });

  it("falls back to the defaults on an invalid value (loadConfig names it)", () => {
    expect(loadLogSettings({ LOG_FORMAT: "xml" })).toEqual({ format: undefined, level: "info" });
  });
});
