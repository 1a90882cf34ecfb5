import { verifyLedger } from "../../lib/audit/verify-ledger";
import { AppError } from "../../lib/errors";
import { type AdminCommand, parseCommandArgs } from "./admin-command";

const verify: AdminCommand = {
  usage: "audit verify",
  parse(args) {
    parseCommandArgs(args, {}, []);
    return async (context) => {
      const result = await verifyLedger(context.db, {
        onProgress: (checked) => {
          if (checked % 100_000 === 0) context.print(`… ${checked.toLocaleString("en")} events checked`);
        },
      });
      if (!result.isIntact) {
        throw new AppError("conflict:audit_chain", {
          message:
            `The audit ledger is broken at event #${result.firstBadSeq}: ${result.reason}.` +
            (result.head.seq > 0 ? ` Events #1–#${result.head.seq} are intact.` : ""),
        });
      }
      context.print(
        result.checkedEvents === 0
          ? "The audit ledger is empty."
          : `The audit ledger is intact: ${result.checkedEvents.toLocaleString("en")} events, head #${result.head.seq} ${result.head.hash}.`,
      );
    };
  },
};

export const auditCommands: Record<string, AdminCommand> = { verify };
