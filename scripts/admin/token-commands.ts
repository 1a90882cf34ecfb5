import { listApiTokens } from "../../db/queries/api-tokens";
import { issueApiToken, parseDuration, revokeApiTokenRecorded } from "../../lib/auth/api-tokens";
import { findUser } from "../../lib/auth/manage-users";
import { type AdminCommand, cliActor, parseCommandArgs, UsageError } from "./admin-command";
import { formatTable, formatTime } from "./format-table";

const create: AdminCommand = {
  usage: "token create --user <email> [--name <label>] [--expires <30d|12h|90m>]",
  parse(args) {
    const { values } = parseCommandArgs(
      args,
      { user: { type: "string" }, name: { type: "string" }, expires: { type: "string" } },
      [],
    );
    if (!values.user) throw new UsageError("Missing --user <email>: whom the token acts for.");
    const email = values.user;
    const name = values.name?.trim() || "cli";
    if (name.length > 100) throw new UsageError("A token's --name is at most 100 characters.");
    return async (context) => {
      const expiresInMs = values.expires === undefined ? undefined : parseDuration(values.expires);
      const user = await findUser(context.db, email);
      const { token, record } = await issueApiToken(context.db, cliActor, { user, name, expiresInMs });
      const expiry = record.expiresAt ? `expires ${formatTime(record.expiresAt)}` : "does not expire";
      context.print(`API token "${name}" for ${user.email} (${user.role}), ${expiry}, id ${record.id}.`);
      context.print("It is shown only now; the last line is the token:");
      // Alone on the last line, so `… | tail -1` captures it.
      context.print(token);
    };
  },
};

const list: AdminCommand = {
  usage: "token list [--user <email>]",
  parse(args) {
    const { values } = parseCommandArgs(args, { user: { type: "string" } }, []);
    return async (context) => {
      const userId = values.user === undefined ? undefined : (await findUser(context.db, values.user)).id;
      const rows = (await listApiTokens({ db: context.db, userId })).map(({ token, email }) => [
        token.id,
        token.prefix,
        token.name,
        email,
        formatTime(token.createdAt),
        formatTime(token.expiresAt),
        formatTime(token.revokedAt),
        formatTime(token.lastUsedAt),
      ]);
      const headers = ["ID", "PREFIX", "NAME", "USER", "CREATED", "EXPIRES", "REVOKED", "LAST USED"];
      for (const line of formatTable(headers, rows, "No API tokens.")) context.print(line);
    };
  },
};

const revoke: AdminCommand = {
  usage: "token revoke <id or prefix>",
  parse(args) {
    const { positionals } = parseCommandArgs(args, {}, ["id or prefix"]);
    return async (context) => {
      const revoked = await revokeApiTokenRecorded(context.db, cliActor, {
        idOrPrefix: positionals[0] ?? "",
      });
      context.print(`Revoked API token ${revoked.prefix} ("${revoked.name}"); it stops working at once.`);
    };
  },
};

export const tokenCommands: Record<string, AdminCommand> = { create, list, revoke };
