import { listApiTokens, revokeApiToken } from "../../db/queries/api-tokens";
import { appendAuditEvent } from "../../lib/audit/append-audit-event";
import { createApiToken, parseDuration } from "../../lib/auth/api-tokens";
import { findUser } from "../../lib/auth/manage-users";
import { AppError } from "../../lib/errors";
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
      if (user.disabledAt) {
        throw new AppError("conflict:user", { message: `${user.email} is disabled; enable them first.` });
      }
      const { token, record } = await context.db.transaction(async (tx) => {
        const created = await createApiToken(tx, { userId: user.id, name, expiresInMs });
        await appendAuditEvent(tx, {
          actor: cliActor,
          action: "token.create",
          subject: `token:${created.record.id}`,
          payload: { userId: user.id, name, expiresAt: created.record.expiresAt },
        });
        return created;
      });
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
      const revoked = await context.db.transaction(async (tx) => {
        const row = await revokeApiToken({ db: tx, idOrPrefix: positionals[0] ?? "" });
        if (!row) {
          throw new AppError("not_found:token", {
            message: `No live API token ${positionals[0]} (see npm run admin -- token list).`,
          });
        }
        await appendAuditEvent(tx, {
          actor: cliActor,
          action: "token.revoke",
          subject: `token:${row.id}`,
          payload: { userId: row.userId, name: row.name },
        });
        return row;
      });
      context.print(`Revoked API token ${revoked.prefix} ("${revoked.name}"); it stops working at once.`);
    };
  },
};

export const tokenCommands: Record<string, AdminCommand> = { create, list, revoke };
