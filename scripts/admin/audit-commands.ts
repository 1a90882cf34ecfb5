import { readFile } from "node:fs/promises";
import { writeCheckpoint } from "../../lib/audit/checkpoints";
import { loadOrCreateSigningKey, publicKeyFromPem } from "../../lib/audit/signing-key";
import { verifyLedger } from "../../lib/audit/verify-ledger";
import { AppError } from "../../lib/errors";
import { type AdminCommand, type AdminContext, parseCommandArgs } from "./admin-command";

/** The key checkpoints must be signed by: the file given, else this install's own signing key. */
async function expectedPublicKey(context: AdminContext, file: string | undefined) {
  const pem = file
    ? await readFile(file, "utf8")
    : await readFile(context.config.auditKeyFile, "utf8").then(
        async () => (await loadOrCreateSigningKey(context.config.auditKeyFile)).publicKeyPem,
        () => undefined,
      );
  if (pem === undefined) return undefined;
  const { publicKey, keyId } = publicKeyFromPem(pem);
  return { key: publicKey, keyId };
}

const verify: AdminCommand = {
  usage: "audit verify [--public-key <file.pem>]",
  parse(args) {
    const { values } = parseCommandArgs(args, { "public-key": { type: "string" } }, []);
    return async (context) => {
      const publicKey = await expectedPublicKey(context, values["public-key"]);
      const result = await verifyLedger(context.db, {
        ...(publicKey ? { publicKey } : {}),
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
      const checkpoints = result.lastCheckpoint
        ? `${result.checkpoints} signed checkpoint${result.checkpoints === 1 ? "" : "s"}, the last at #${result.lastCheckpoint.seq} (${result.lastCheckpoint.createdAt.toISOString()})`
        : "no signed checkpoint yet";
      context.print(
        result.checkedEvents === 0
          ? "The audit ledger is empty."
          : `The audit ledger is intact: ${result.checkedEvents.toLocaleString("en")} events, head #${result.head.seq} ${result.head.hash}; ${checkpoints}.`,
      );
      if (!publicKey)
        context.print("No public key: checkpoint signatures were not checked (--public-key <file.pem>).");
    };
  },
};

const checkpoint: AdminCommand = {
  usage: "audit checkpoint",
  parse(args) {
    parseCommandArgs(args, {}, []);
    return async (context) => {
      const written = await writeCheckpoint(
        context.db,
        await loadOrCreateSigningKey(context.config.auditKeyFile),
      );
      context.print(
        written
          ? `Signed checkpoint #${written.seq} over events #${written.fromSeq}–#${written.seq}.`
          : "Nothing to sign: no event since the last checkpoint.",
      );
    };
  },
};

const publicKey: AdminCommand = {
  usage: "audit public-key",
  parse(args) {
    parseCommandArgs(args, {}, []);
    return async (context) => {
      context.print((await loadOrCreateSigningKey(context.config.auditKeyFile)).publicKeyPem.trimEnd());
    };
  },
};

export const auditCommands: Record<string, AdminCommand> = { verify, checkpoint, "public-key": publicKey };
