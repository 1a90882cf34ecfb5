import { readFile } from "node:fs/promises";
import type { Database } from "../../db/client";
import { getCollectionById } from "../../db/queries/collections";
import { findCollection } from "../../lib/access/manage-access";
import { writeCheckpoint } from "../../lib/audit/checkpoints";
import { exportLedger } from "../../lib/audit/export-ledger";
import type { ExpectedKey } from "../../lib/audit/ledger-checker";
import { loadOrCreateSigningKey, publicKeyFromPem } from "../../lib/audit/signing-key";
import { verifyLedger } from "../../lib/audit/verify-ledger";
import { type ExportVerification, verifyLedgerExportFile } from "../../lib/audit/verify-ledger-export";
import { AppError, isAppError } from "../../lib/errors";
import {
  type AdminCommand,
  type AdminContext,
  cliActor,
  parseCommandArgs,
  UsageError,
} from "./admin-command";

/** Reads the Ed25519 public key an auditor holds, saying plainly what is wrong with a bad file. */
async function readPublicKeyFile(file: string): Promise<ExpectedKey> {
  const pem = await readFile(file, "utf8").catch((error: NodeJS.ErrnoException) => {
    throw new AppError("invalid:audit", { message: `Cannot read the public key ${file} (${error.code}).` });
  });
  try {
    const { publicKey, keyId } = publicKeyFromPem(pem);
    return { key: publicKey, keyId };
  } catch (error) {
    throw new AppError("invalid:audit", {
      message: `${file} is not an Ed25519 public key in PEM form (-----BEGIN PUBLIC KEY-----), as npm run audit -- public-key prints it.`,
      cause: error,
    });
  }
}

/** The key checkpoints must be signed by: the file given, else this install's own signing key. */
async function expectedPublicKey(context: AdminContext, file: string | undefined) {
  if (file) return readPublicKeyFile(file);
  const pem = await readFile(context.config.auditKeyFile, "utf8").then(
    async () => (await loadOrCreateSigningKey(context.config.auditKeyFile)).publicKeyPem,
    () => undefined,
  );
  if (pem === undefined) return undefined;
  const { publicKey, keyId } = publicKeyFromPem(pem);
  return { key: publicKey, keyId };
}

const verify: AdminCommand = {
  usage:
    "audit verify [--public-key <file.pem>]  |  audit verify --file <export.jsonl> --public-key <file.pem>",
  parse(args) {
    const { values } = parseCommandArgs(
      args,
      { "public-key": { type: "string" }, file: { type: "string" } },
      [],
    );
    const exportFile = values.file;
    if (exportFile !== undefined) {
      const keyFile = values["public-key"];
      if (keyFile === undefined)
        throw new UsageError(
          "--file needs --public-key <file.pem>: your own copy of the key, not the file's.",
        );
      return { offline: (context) => verifyExportFile(context, exportFile, keyFile) };
    }
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

/** `verify --file`: an export checked on its own, no database opened (docs/audit-export.md). */
async function verifyExportFile(
  context: Pick<AdminContext, "print">,
  file: string,
  keyFile: string,
): Promise<void> {
  const publicKey = await readPublicKeyFile(keyFile);
  const result = await verifyLedgerExportFile(file, { publicKey }).catch((error: NodeJS.ErrnoException) => {
    if (isAppError(error) || !error.code) throw error;
    throw new AppError("invalid:audit", { message: `Cannot read ${file} (${error.code}).` });
  });
  const { problem } = result;
  if (problem) {
    throw new AppError("conflict:audit_chain", {
      message: `The export is broken at line ${problem.line}${problem.seq !== undefined ? `, event #${problem.seq}` : ""}: ${problem.reason}.`,
    });
  }
  for (const line of describeVerifiedExport(result)) context.print(line);
}

function describeVerifiedExport(result: ExportVerification): string[] {
  const { header, answers } = result;
  const span = header?.span;
  if (!header || !span) return ["The export is intact: no event matched its filters."];
  const count = (n: number, noun: string) => `${n.toLocaleString("en")} ${noun}${n === 1 ? "" : "s"}`;
  const events = (from: number, to: number) =>
    from === to ? `event #${from} is` : `events #${from}–#${to} are`;
  const signedUpTo = result.lastCheckpointSeq;
  const signed =
    signedUpTo === undefined
      ? `; ${events(span.fromSeq, span.toSeq)} signed by the export alone, not yet by a checkpoint`
      : signedUpTo === span.toSeq
        ? `, verified up to #${signedUpTo}`
        : `, verified up to #${signedUpTo}; events after #${signedUpTo} are signed by the export alone, not yet by a checkpoint`;
  const lines = [
    `The export is intact: ${count(result.events, "event")} #${span.fromSeq}–#${span.toSeq} (${result.eventsWithContents.toLocaleString("en")} with contents), ${count(result.checkpoints, "checkpoint")}${signed}.`,
  ];
  if (answers.checked + answers.notStored > 0) {
    lines.push(
      `Answers: ${count(answers.checked, "answer")} match the ledger's hashes (${count(answers.erasedPassages, "passage")} erased, hash kept); ${count(answers.notStored, "answer")} no longer stored.`,
    );
  }
  if (answers.missingPassages > 0) {
    const named = answers.missingExamples.map(({ answerId, n }) => `${answerId} [${n}]`).join(", ");
    lines.push(
      `Warning: ${count(answers.missingPassages, "passage")} the ledger records ${answers.missingPassages === 1 ? "is" : "are"} no longer kept with ${answers.missingPassages === 1 ? "its answer" : "their answers"} (rows removed): ${named}${answers.missingPassages > answers.missingExamples.length ? ", …" : ""}.`,
    );
  }
  lines.push(
    `Exported ${header.exportedAt} (event #${header.exportSeq}), filters ${JSON.stringify(header.filters)}, signed by key ${header.keyId}.`,
  );
  return lines;
}

/** `2026-03-01` (UTC; as `--to`, the whole day is included) or an ISO date-time (no zone: UTC). */
export function parseExportDate(text: string, flag: "from" | "to"): Date {
  const match = /^(\d{4}-\d{2}-\d{2})(?:(T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?)(Z|[+-]\d{2}:\d{2})?)?$/.exec(
    text,
  );
  const invalid = () =>
    new UsageError(
      `--${flag} takes an ISO date (2026-03-01) or date-time (2026-03-01T09:30:00Z), not "${text}".`,
    );
  if (!match) throw invalid();
  const [, day, time, zone] = match;
  const date = new Date(time === undefined ? `${day}T00:00:00Z` : zone === undefined ? `${text}Z` : text);
  if (Number.isNaN(date.getTime())) throw invalid();
  if (zone === undefined && date.toISOString().slice(0, 10) !== day) throw invalid(); // 2026-02-30
  if (flag === "to" && time === undefined) date.setUTCDate(date.getUTCDate() + 1);
  return date;
}

/** A collection by name or id; the id of a deleted collection still selects its events. */
async function resolveCollectionId(db: Database, nameOrId: string): Promise<string> {
  const isId = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(nameOrId);
  if (isId && !(await getCollectionById({ db, id: nameOrId }))) return nameOrId.toLowerCase();
  return (await findCollection(db, nameOrId)).id;
}

const exportCommand: AdminCommand = {
  usage: "audit export [--from <date>] [--to <date>] [--collection <name or id>] > ledger.jsonl",
  parse(args) {
    const { values } = parseCommandArgs(
      args,
      { from: { type: "string" }, to: { type: "string" }, collection: { type: "string" } },
      [],
    );
    const from = values.from === undefined ? undefined : parseExportDate(values.from, "from");
    const to = values.to === undefined ? undefined : parseExportDate(values.to, "to");
    if (from && to && from >= to) throw new UsageError("--from must come before --to.");
    return async (context) => {
      const collectionId =
        values.collection === undefined
          ? undefined
          : await resolveCollectionId(context.db, values.collection);
      const lines = exportLedger(context.db, {
        ...(from ? { from } : {}),
        ...(to ? { to } : {}),
        ...(collectionId ? { collectionId } : {}),
        actor: cliActor,
        signingKey: await loadOrCreateSigningKey(context.config.auditKeyFile),
      });
      for await (const line of lines) context.print(line);
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

export const auditCommands: Record<string, AdminCommand> = {
  verify,
  export: exportCommand,
  checkpoint,
  "public-key": publicKey,
};
