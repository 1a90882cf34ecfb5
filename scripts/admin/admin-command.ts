import { type ParseArgsConfig, parseArgs } from "node:util";
import type { Database } from "../../db/client";
import type { FolioConfig } from "../../lib/config";

/** What a command runs with: the database alone (no models), the configuration, and its I/O. */
export interface AdminContext {
  db: Database;
  config: FolioConfig;
  print(line: string): void;
  /** Everything piped on stdin, or undefined when stdin is a terminal. */
  readStdin(): Promise<string | undefined>;
}

export interface AdminCommand {
  /** `user add <email> --role …`, printed with a usage error. */
  usage: string;
  /**
   * Checks the arguments before the database opens (a typo costs nothing and needs no lock) and
   * returns the work to do. Throws UsageError.
   */
  parse(args: string[]): ((context: AdminContext) => Promise<void>) | OfflineWork;
}

/** Work that needs no database (verifying an exported file on an auditor's machine): none is opened. */
export interface OfflineWork {
  offline(context: Pick<AdminContext, "print" | "readStdin">): Promise<void>;
}

/** Wrong arguments: exit 2 with the command's usage, nothing changed. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** The audit actor of every change made from the command line. */
export const cliActor = "cli";

/** `parseArgs` in strict mode, with exactly the positionals named (their names go in the message). */
type OptionsConfig = NonNullable<ParseArgsConfig["options"]>;

export function parseCommandArgs<Options extends OptionsConfig>(
  args: string[],
  options: Options,
  positionalNames: readonly string[],
) {
  let parsed: ReturnType<typeof parseArgs<{ args: string[]; options: Options; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const missing = positionalNames.slice(parsed.positionals.length);
  if (missing.length > 0) throw new UsageError(`Missing ${missing.map((name) => `<${name}>`).join(" ")}.`);
  const extra = parsed.positionals.slice(positionalNames.length);
  if (extra.length > 0) throw new UsageError(`Unexpected argument ${extra.map((a) => `"${a}"`).join(" ")}.`);
  return parsed;
}

/** Exactly one of several flags, e.g. `--read` or `--curate`. */
export function exactlyOne<Name extends string>(flags: Record<Name, unknown>, description: string): Name {
  const given = (Object.keys(flags) as Name[]).filter(
    (name) => flags[name] !== undefined && flags[name] !== false,
  );
  if (given.length !== 1) {
    const names = Object.keys(flags).map((name) => `--${name}`);
    throw new UsageError(
      `Give ${description}: ${names.join(" or ")}${given.length > 1 ? ", not both" : ""}.`,
    );
  }
  return given[0] as Name;
}
