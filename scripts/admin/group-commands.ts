import { listGroupsWithMembers } from "../../db/queries/groups";
import { createGroup, findGroup, removeGroup, setGroupMembership } from "../../lib/access/manage-access";
import { findUser } from "../../lib/auth/manage-users";
import { type AdminCommand, cliActor, parseCommandArgs } from "./admin-command";
import { formatTable } from "./format-table";

const add: AdminCommand = {
  usage: "group add <name> [--oidc-group <claim value>]",
  parse(args) {
    const { values, positionals } = parseCommandArgs(args, { "oidc-group": { type: "string" } }, ["name"]);
    return async (context) => {
      const group = await createGroup(context.db, cliActor, {
        name: positionals[0] ?? "",
        oidcGroup: values["oidc-group"],
      });
      context.print(
        `Added group ${group.name}${group.oidcGroup ? ` (members: whoever signs in with "${group.oidcGroup}" in their groups claim)` : ""}.`,
      );
    };
  },
};

const list: AdminCommand = {
  usage: "group list",
  parse(args) {
    parseCommandArgs(args, {}, []);
    return async (context) => {
      const groups = await listGroupsWithMembers({ db: context.db });
      const rows = groups.map((group) => [
        group.name,
        group.oidcGroup ?? "-",
        group.members.map((member) => member.email).join(", ") || "-",
      ]);
      for (const line of formatTable(["NAME", "OIDC GROUP", "MEMBERS"], rows, "No groups.")) {
        context.print(line);
      }
    };
  },
};

const remove: AdminCommand = {
  usage: "group remove <name>",
  parse(args) {
    const { positionals } = parseCommandArgs(args, {}, ["name"]);
    return async (context) => {
      const group = await findGroup(context.db, positionals[0] ?? "");
      await removeGroup(context.db, cliActor, group.id);
      context.print(`Removed group ${group.name}; its members lost the grants it gave them.`);
    };
  },
};

function membership(isMember: boolean): AdminCommand {
  return {
    usage: `group ${isMember ? "add-member" : "remove-member"} <group> <email>`,
    parse(args) {
      const { positionals } = parseCommandArgs(args, {}, ["group", "email"]);
      return async (context) => {
        const group = await findGroup(context.db, positionals[0] ?? "");
        const user = await findUser(context.db, positionals[1] ?? "");
        const changed = await setGroupMembership(context.db, cliActor, {
          groupId: group.id,
          userId: user.id,
          isMember,
        });
        const verb = isMember ? "added to" : "removed from";
        context.print(
          changed
            ? `${user.email} ${verb} ${group.name}.`
            : `${user.email} was ${isMember ? "already" : "not"} a member of ${group.name}; nothing changed.`,
        );
        if (changed && group.oidcGroup) {
          // Single sign-on sets membership of mapped groups from the claim at every sign-in.
          context.print(
            `Note: ${group.name} follows the "${group.oidcGroup}" OIDC group; this lasts until ${user.email} next signs in with single sign-on.`,
          );
        }
      };
    },
  };
}

export const groupCommands: Record<string, AdminCommand> = {
  add,
  list,
  remove,
  "add-member": membership(true),
  "remove-member": membership(false),
};
