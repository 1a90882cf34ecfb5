import { type LogSettings, loadLogSettings } from "../config";

export type LogLevel = LogSettings["level"];
export type LogFields = Record<string, unknown>;

/**
 * Folio's log: one line an event, `{"time","level","msg",...fields}` as JSON or as readable text.
 * Callers pass ids, codes, counts and errors — never secrets, question texts or document text
 * (SECURITY.md); keys that usually hold such values are redacted as a second line of defence.
 */
export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger that adds `fields` (e.g. `{ scope: "ingest" }`) to every line. */
  child(fields: LogFields): Logger;
}

export interface LoggerOptions {
  format: "json" | "text";
  /** Lines below this level are dropped. @default "info" */
  level?: LogLevel;
  /** Where a finished line goes. @default stdout for debug/info, stderr for warn/error */
  write?: (line: string, level: LogLevel) => void;
  /** @default () => new Date() */
  now?: () => Date;
}

const severity: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Field names whose values are never written, whatever a caller passes. */
const redactedKey = /password|secret|authorization|cookie|api_?key|^(token|question|prompt|text|answer)$/i;

export function createLogger(options: LoggerOptions, bound: LogFields = {}): Logger {
  const minimum = severity[options.level ?? "info"];
  const write = options.write ?? writeToConsole;
  const now = options.now ?? (() => new Date());
  const emit = (level: LogLevel, message: string, fields: LogFields = {}) => {
    if (severity[level] < minimum) return;
    const record = { time: now().toISOString(), level, msg: message, ...sanitized({ ...bound, ...fields }) };
    write(options.format === "json" ? safeStringify(record) : asText(record), level);
  };
  return {
    debug: (message, fields) => emit("debug", message, fields),
    info: (message, fields) => emit("info", message, fields),
    warn: (message, fields) => emit("warn", message, fields),
    error: (message, fields) => emit("error", message, fields),
    child: (fields) => createLogger(options, { ...bound, ...fields }),
  };
}

const loggerKey = Symbol.for("folio.logger");

/**
 * The process's logger, configured by LOG_FORMAT and LOG_LEVEL. Unset LOG_FORMAT: text when
 * stdout is a terminal (a person reads it), JSON otherwise (Docker, systemd, Kubernetes collect it).
 */
export function getLogger(): Logger {
  const holder = globalThis as typeof globalThis & { [loggerKey]?: Logger };
  holder[loggerKey] ??= createLogger(defaultLoggerOptions());
  return holder[loggerKey];
}

export function defaultLoggerOptions(
  settings: LogSettings = loadLogSettings(),
  isTerminal = Boolean(process.stdout.isTTY),
): LoggerOptions {
  return { format: settings.format ?? (isTerminal ? "text" : "json"), level: settings.level };
}

function writeToConsole(line: string, level: LogLevel): void {
  (severity[level] >= severity.warn ? process.stderr : process.stdout).write(`${line}\n`);
}

function sanitized(fields: LogFields): LogFields {
  return Object.fromEntries(
    Object.entries(fields).map(([key, value]) => [
      key,
      redactedKey.test(key) ? "[redacted]" : serialized(value, key === "error" ? 1 : 0),
    ]),
  );
}

/**
 * Errors become plain objects (JSON.stringify would write `{}`), their causes included — without
 * the data errors carry: a failed query's bound values (drizzle writes `params: …` into the
 * message and so into the stack: questions, answers, passages, hashes), and any cause that is not
 * an Error (an OIDC library hands over the token response itself), of which only the keys are
 * written.
 */
function serialized(value: unknown, depth = 0): unknown {
  if (!(value instanceof Error)) {
    return depth > 0 && typeof value === "object" && value !== null ? summarized(value) : value;
  }
  const { code, category } = value as { code?: unknown; category?: unknown };
  const message = withoutQueryParameters(value.message);
  const frames = value.stack?.split("\n").filter((line) => /^\s+at /.test(line)) ?? [];
  return {
    name: value.name,
    message,
    ...(typeof code === "string" || typeof code === "number" ? { code } : {}),
    ...(typeof category === "string" ? { category } : {}),
    ...(value.stack ? { stack: [`${value.name}: ${message}`, ...frames].join("\n") } : {}),
    ...(value.cause !== undefined && depth < 3 ? { cause: serialized(value.cause, depth + 1) } : {}),
  };
}

function withoutQueryParameters(message: string): string {
  return message.replace(/\nparams: [\s\S]*$/, "\nparams: [not logged]");
}

function summarized(value: object): { type: string; keys: string[] } {
  return { type: Array.isArray(value) ? "array" : "object", keys: Object.keys(value).slice(0, 20) };
}

function safeStringify(record: LogFields): string {
  const seen = new WeakSet<object>();
  return JSON.stringify(record, (_key, value: unknown) => {
    if (typeof value === "bigint") return value.toString();
    if (typeof value === "object" && value !== null) {
      if (seen.has(value)) return "[circular]";
      seen.add(value);
    }
    return value;
  });
}

/** `2026-12-02T22:10:06.000Z INFO message key=value`, then any error stack on its own lines. */
function asText(record: LogFields): string {
  const { time, level, msg, ...fields } = record;
  const stacks: string[] = [];
  const pairs = Object.entries(fields).map(([key, value]) => {
    const stack = (value as { stack?: unknown } | null)?.stack;
    if (typeof stack === "string") {
      stacks.push(stack);
      return `${key}=${(value as { message?: unknown }).message}`;
    }
    return `${key}=${typeof value === "string" ? value : safeStringify(value as LogFields)}`;
  });
  const head = [time, String(level).toUpperCase(), msg, ...pairs].join(" ");
  return [head, ...stacks].join("\n");
}
