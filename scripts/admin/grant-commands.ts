import type { Grantee } from "../../db/queries/grants";
import { listGrants } from "../../db/queries/grants";
import { findCollection, findGroup, grantCollection, revokeCollection } from "../../lib/access/manage-access";
import { findUser } from "../../lib/auth/manage-users";
import {
  type AdminCommand,
  type AdminContext,
  cliActor,
  exactlyOne,
  parseCommandArgs,
} from "./admin-command";
import { formatTable } from "./format-table";

const granteeOptions = { user: { type: "string" }, group: { type: "string" } } as const;

/** `--user <email>` or `--group <name>` → the grantee's id and how to name it in a message. */
async function resolveGrantee(
  context: AdminContext,
  flags: { user?: string; group?: string },
): Promise<{ grantee: Grantee; label: string }> {
  if (flags.user !== undefined) {
    const user = await findUser(context.db, flags.user);
    return { grantee: { userId: user.id }, label: user.email };
  }
  const group = await findGroup(context.db, flags.group ?? "");
  return { grantee: { groupId: group.id }, label: `group ${group.name}` };
}

const grant: AdminCommand = {
  usage: "grant <collection name or id> (--user <email> | --group <name>) (--read | --curate)",
  parse(args) {
    const { values, positionals } = parseCommandArgs(
      args,
      { ...granteeOptions, read: { type: "boolean" }, curate: { type: "boolean" } },
      ["collection"],
    );
    exactlyOne({ user: values.user, group: values.group }, "who gets the grant");
    const permission = exactlyOne({ read: values.read, curate: values.curate }, "the permission");
    return async (context) => {
      const collection = await findCollection(context.db, positionals[0] ?? "");
      const { grantee, label } = await resolveGrantee(context, values);
      await grantCollection(context.db, cliActor, { collectionId: collection.id, grantee, permission });
      context.print(`Granted ${permission} on ${collection.name} to ${label}.`);
    };
  },
};

const revoke: AdminCommand = {
  usage: "revoke <collection name or id> (--user <email> | --group <name>)",
  parse(args) {
    const { values, positionals } = parseCommandArgs(args, granteeOptions, ["collection"]);
    exactlyOne({ user: values.user, group: values.group }, "whose grant to revoke");
    return async (context) => {
      const collection = await findCollection(context.db, positionals[0] ?? "");
      const { grantee, label } = await resolveGrantee(context, values);
      const revoked = await revokeCollection(context.db, cliActor, { collectionId: collection.id, grantee });
      context.print(
        revoked
          ? `Revoked ${label}'s grant on ${collection.name}; it ends with their next request.`
          : `${label} had no grant on ${collection.name}; nothing changed.`,
      );
    };
  },
};

const list: AdminCommand = {
  usage: "grants",
  parse(args) {
    parseCommandArgs(args, {}, []);
    return async (context) => {
      const grants = await listGrants({ db: context.db });
      const rows = grants.map((row) => [
        row.collectionName,
        row.userEmail ?? `group ${row.groupName}`,
        row.permission,
      ]);
      for (const line of formatTable(
        ["COLLECTION", "GRANTEE", "PERMISSION"],
        rows,
        "No grants (admins reach every collection without one).",
      )) {
        context.print(line);
      }
    };
  },
};

export const grantCommands = { grant, revoke, grants: list };
