import { listUsers } from "../../db/queries/users";
import type { User } from "../../db/schema";
import { addUser, changeUser, findUser } from "../../lib/auth/manage-users";
import { createSignInLink, signInLinkUrl } from "../../lib/auth/sign-in-links";
import { type Role, roles } from "../../lib/domain/actor";
import { AppError } from "../../lib/errors";
import {
  type AdminCommand,
  type AdminContext,
  cliActor,
  parseCommandArgs,
  UsageError,
} from "./admin-command";
import { formatTable, yesNo } from "./format-table";
import { readPasswordFromStdin } from "./read-password";

function parseRole(value: string | undefined): Role {
  if (!roles.includes(value as Role)) {
    throw new UsageError(`The role must be one of ${roles.join(", ")}${value ? `, not "${value}"` : ""}.`);
  }
  return value as Role;
}

/** The one-time sign-in link, valid 72 h; the token is in the fragment, never sent to a server. */
async function printSignInLink(context: AdminContext, user: User): Promise<void> {
  if (user.disabledAt) {
    throw new AppError("conflict:user", { message: `${user.email} is disabled; enable them first.` });
  }
  const token = await createSignInLink(context.db, user.id);
  context.print(`One-time sign-in link for ${user.email} (valid 72 hours, works once):`);
  context.print(signInLinkUrl(context.config.web.publicUrl, "sign_in", token));
}

const add: AdminCommand = {
  usage: "user add <email> --role <employee|admin|auditor> [--name <display name>] [--password-stdin]",
  parse(args) {
    const { values, positionals } = parseCommandArgs(
      args,
      { role: { type: "string" }, name: { type: "string" }, "password-stdin": { type: "boolean" } },
      ["email"],
    );
    const role = parseRole(values.role);
    return async (context) => {
      const password = values["password-stdin"] ? await readPasswordFromStdin(context) : undefined;
      const user = await addUser(context.db, cliActor, {
        email: positionals[0] ?? "",
        displayName: values.name,
        role,
        password,
      });
      context.print(`Added ${user.email} (${user.role}).`);
      if (!password) await printSignInLink(context, user);
    };
  },
};

const list: AdminCommand = {
  usage: "user list",
  parse(args) {
    parseCommandArgs(args, {}, []);
    return async (context) => {
      const users = await listUsers({ db: context.db });
      const rows = users.map((user) => [
        user.email,
        user.displayName,
        user.role,
        yesNo(user.disabledAt !== null),
        yesNo(user.passwordHash !== null),
      ]);
      for (const line of formatTable(["EMAIL", "NAME", "ROLE", "DISABLED", "PASSWORD"], rows, "No users.")) {
        context.print(line);
      }
    };
  },
};

function setDisabled(isDisabled: boolean): AdminCommand {
  return {
    usage: `user ${isDisabled ? "disable" : "enable"} <email>`,
    parse(args) {
      const { positionals } = parseCommandArgs(args, {}, ["email"]);
      return async (context) => {
        const user = await findUser(context.db, positionals[0] ?? "");
        await changeUser(context.db, cliActor, user.id, { isDisabled });
        context.print(
          isDisabled
            ? `Disabled ${user.email}: their sessions ended and their API tokens no longer work.`
            : `Enabled ${user.email}.`,
        );
      };
    },
  };
}

const role: AdminCommand = {
  usage: "user role <email> <employee|admin|auditor>",
  parse(args) {
    const { positionals } = parseCommandArgs(args, {}, ["email", "role"]);
    const newRole = parseRole(positionals[1]);
    return async (context) => {
      const user = await findUser(context.db, positionals[0] ?? "");
      await changeUser(context.db, cliActor, user.id, { role: newRole });
      context.print(`${user.email} is now ${newRole} (was ${user.role}).`);
    };
  },
};

const link: AdminCommand = {
  usage: "user link <email>",
  parse(args) {
    const { positionals } = parseCommandArgs(args, {}, ["email"]);
    return async (context) => printSignInLink(context, await findUser(context.db, positionals[0] ?? ""));
  },
};

export const userCommands: Record<string, AdminCommand> = {
  add,
  list,
  disable: setDisabled(true),
  enable: setDisabled(false),
  role,
  link,
};
