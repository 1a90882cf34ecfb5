import type { DatabaseHandle } from "../../db/client";
import { PgliteLockedError } from "../../db/pglite-lock";
import { ConfigError, loadConfig } from "../../lib/config";
import { isAppError } from "../../lib/errors";
import { type AdminCommand, type AdminContext, UsageError } from "./admin-command";
import { auditCommands } from "./audit-commands";
import { grantCommands } from "./grant-commands";
import { groupCommands } from "./group-commands";
import { holdCommands, retentionCommands } from "./retention-commands";
import { tokenCommands } from "./token-commands";
import { usage } from "./usage";
import { userCommands } from "./user-commands";

/**
 * `npm run admin -- <command>`: users, groups, grants and API tokens from the terminal, through
 * the same lib functions as the web admin pages. Opens only the database, never the models.
 */
const exitCodes = { success: 0, failed: 1, usage: 2 } as const;

const commandGroups: Record<string, Record<string, AdminCommand>> = {
  user: userCommands,
  group: groupCommands,
  token: tokenCommands,
  audit: auditCommands,
  retention: retentionCommands,
  hold: holdCommands,
};
const topLevelCommands: Record<string, AdminCommand> = grantCommands;

/** The command named by the first one or two words, and the arguments after them. */
function findCommand(argv: string[]): { command: AdminCommand; args: string[] } {
  const [first = "", second = ""] = argv;
  const topLevel = Object.hasOwn(topLevelCommands, first) ? topLevelCommands[first] : undefined;
  if (topLevel) return { command: topLevel, args: argv.slice(1) };
  const group = Object.hasOwn(commandGroups, first) ? commandGroups[first] : undefined;
  if (!group) throw new UsageError(`Unknown command "${first}".`);
  const command = Object.hasOwn(group, second) ? group[second] : undefined;
  if (!command) {
    throw new UsageError(
      `${second ? `Unknown command "${first} ${second}"` : `"${first}" needs a command`}: ${Object.keys(group).join(", ")}.`,
    );
  }
  return { command, args: argv.slice(2) };
}

function databaseInUseMessage(error: PgliteLockedError): string {
  return [
    `The embedded database (${error.directory}) is in use by another Folio process (pid ${error.ownerPid}), usually the running Folio server.`,
    "PGlite allows one process at a time: stop the server, run this command, then start the server again —",
    "or make the change in the web UI's admin pages while it runs.",
    "With PostgreSQL (DATABASE_URL), admin commands work while the server runs.",
  ].join("\n");
}

/** How `runAdmin` meets the world: the process's, or a test's. */
export interface AdminIo {
  environment: Record<string, string | undefined>;
  out(line: string): void;
  err(line: string): void;
  /** Everything piped on stdin, or undefined when stdin is a terminal. */
  readStdin(): Promise<string | undefined>;
  /** An open database to use instead of opening one (tests run many commands on one). */
  database?: DatabaseHandle;
}

export async function runAdmin(argv: string[], io: AdminIo): Promise<number> {
  if (argv.length === 0) {
    io.err(usage);
    return exitCodes.usage;
  }
  if (argv.includes("--help") || argv.includes("-h")) {
    io.out(usage);
    return exitCodes.success;
  }
  let commandUsage: string | undefined;
  try {
    const { command, args } = findCommand(argv);
    commandUsage = command.usage;
    const work = command.parse(args);
    if (typeof work !== "function") {
      await work.offline({ print: io.out, readStdin: io.readStdin });
      return exitCodes.success;
    }
    const config = loadConfig(io.environment);
    // Imported here: usage errors and --help need neither PGlite nor the PostgreSQL driver.
    const { openDatabase } = await import("../../db/client");
    const database =
      io.database ??
      (await openDatabase({
        databaseUrl: config.databaseUrl,
        pgliteDir: config.pgliteDir,
        maxConnections: 2,
        migrate: config.databaseMigrate,
      }));
    const context: AdminContext = { db: database.db, config, print: io.out, readStdin: io.readStdin };
    try {
      await work(context);
    } finally {
      if (!io.database) await database.close();
    }
    return exitCodes.success;
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(error.message);
      io.err(
        commandUsage
          ? `Usage: npm run admin -- ${commandUsage}`
          : "See npm run admin -- --help for the commands.",
      );
      return exitCodes.usage;
    }
    if (error instanceof PgliteLockedError) io.err(databaseInUseMessage(error));
    else if (error instanceof ConfigError) io.err(error.message);
    else if (isAppError(error) && error.category !== "internal") io.err(error.message);
    else io.err(`Failed: ${error instanceof Error ? error.message : String(error)}`);
    return exitCodes.failed;
  }
}
