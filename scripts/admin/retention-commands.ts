import { listCollections } from "../../db/queries/collections";
import { findCollection } from "../../lib/access/manage-access";
import { findUser } from "../../lib/auth/manage-users";
import { createHold, listHolds, releaseHold } from "../../lib/retention/legal-holds";
import { type PurgeReport, purgeRetention } from "../../lib/retention/purge-retention";
import { describePurge } from "../../lib/retention/purge-schedule";
import { maxRetentionDays, setRetention } from "../../lib/retention/retention-policy";
import {
  type AdminCommand,
  type AdminContext,
  cliActor,
  exactlyOne,
  parseCommandArgs,
  UsageError,
} from "./admin-command";
import { formatTable, formatTime } from "./format-table";

/** `N` days or `off` (keep for good); undefined when the flag was not given. */
function parseDays(value: string | undefined, flag: string): number | null | undefined {
  if (value === undefined) return undefined;
  if (value === "off") return null;
  const days = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!(days >= 1 && days <= maxRetentionDays)) {
    throw new UsageError(`--${flag} takes a number of days from 1 to ${maxRetentionDays}, or off.`);
  }
  return days;
}

const describeDays = (days: number | null) => (days === null ? "keep" : `${days} days`);

const set: AdminCommand = {
  usage: "retention set <collection> [--answers-days <N|off>] [--documents-days <N|off>]",
  parse(args) {
    const { values, positionals } = parseCommandArgs(
      args,
      { "answers-days": { type: "string" }, "documents-days": { type: "string" } },
      ["collection"],
    );
    const answerRetentionDays = parseDays(values["answers-days"], "answers-days");
    const documentRetentionDays = parseDays(values["documents-days"], "documents-days");
    if (answerRetentionDays === undefined && documentRetentionDays === undefined) {
      throw new UsageError("Give --answers-days, --documents-days or both.");
    }
    return async (context) => {
      const collection = await findCollection(context.db, positionals[0] ?? "");
      const changed = await setRetention(context.db, cliActor, {
        collectionId: collection.id,
        changes: {
          ...(answerRetentionDays !== undefined ? { answerRetentionDays } : {}),
          ...(documentRetentionDays !== undefined ? { documentRetentionDays } : {}),
        },
      });
      context.print(
        `${changed.name}: answers ${describeDays(changed.answerRetentionDays)}, documents ${describeDays(changed.documentRetentionDays)}.`,
      );
    };
  },
};

const show: AdminCommand = {
  usage: "retention show",
  parse(args) {
    parseCommandArgs(args, {}, []);
    return async (context) => {
      const collections = await listCollections({ db: context.db });
      const activeHolds = (await listHolds(context.db)).filter(({ hold }) => hold.releasedAt === null);
      const rows = collections.map((collection) => [
        collection.name,
        describeDays(collection.answerRetentionDays),
        describeDays(collection.documentRetentionDays),
        activeHolds.some(({ hold }) => hold.collectionId === collection.id) ? "yes" : "no",
      ]);
      for (const line of formatTable(
        ["COLLECTION", "ANSWERS", "DOCUMENTS", "HELD"],
        rows,
        "No collections.",
      )) {
        context.print(line);
      }
      const userHolds = activeHolds.filter(({ hold }) => hold.userId !== null);
      if (userHolds.length > 0) {
        context.print(`Answers of ${userHolds.map(({ userEmail }) => userEmail).join(", ")} are held.`);
      }
      context.print(
        `Purged every ${context.config.retentionPurgeHours} hours (RETENTION_PURGE_HOURS) where the ingest worker runs.`,
      );
    };
  },
};

/** At most this many documents are named; the rest are counted. */
const maxListedDocuments = 50;

const purge: AdminCommand = {
  usage: "retention purge [--dry-run]",
  parse(args) {
    const { values } = parseCommandArgs(args, { "dry-run": { type: "boolean" } }, []);
    const isDryRun = values["dry-run"] === true;
    return async (context) => {
      // Loaded here: the index and storage modules are heavy, and the other commands need none.
      const { openDeletionParts } = await import("../../lib/runtime");
      const parts = openDeletionParts(context.config);
      let report: PurgeReport;
      try {
        report = await purgeRetention(
          { db: context.db, deletion: async () => ({ db: context.db, ...parts }) },
          { actor: cliActor, isDryRun },
        );
      } finally {
        await parts.close();
      }
      await printPurge(context, report);
    };
  },
};

async function printPurge(context: AdminContext, report: PurgeReport): Promise<void> {
  const summary = describePurge(report);
  if (!summary) {
    context.print("Nothing is past its retention.");
    return;
  }
  context.print(`${summary.charAt(0).toUpperCase()}${summary.slice(1)}.`);
  const names = new Map((await listCollections({ db: context.db })).map((row) => [row.id, row.name]));
  const documentLines = (heading: string, documents: Array<{ title: string; collectionId: string }>) => {
    if (documents.length === 0) return;
    context.print(heading);
    for (const document of documents.slice(0, maxListedDocuments)) {
      context.print(`  ${document.title} (${names.get(document.collectionId) ?? document.collectionId})`);
    }
    if (documents.length > maxListedDocuments) {
      context.print(`  … and ${documents.length - maxListedDocuments} more`);
    }
  };
  documentLines(report.isDryRun ? "Documents to purge:" : "Documents purged:", report.documentsPurged);
  documentLines("Documents held back (legal hold on their collection):", report.heldDocuments);
  const byCollection = report.heldAnswers.filter((answer) => answer.isCollectionHeld).length;
  const byUser = report.heldAnswers.filter((answer) => answer.isUserHeld && !answer.isCollectionHeld).length;
  if (report.heldAnswers.length > 0) {
    context.print(
      `Answers held back: ${byCollection} by a hold on a collection they drew on, ${byUser} by a hold on the asker.`,
    );
  }
  for (const failed of report.failedDocuments) {
    context.print(`Failed to delete ${failed.title}: ${failed.message}`);
  }
  if (report.isDryRun) context.print("Dry run: nothing was changed.");
  if (report.failedDocuments.length > 0) {
    throw new Error(
      `${report.failedDocuments.length} document(s) could not be deleted; the next purge tries again.`,
    );
  }
}

export const retentionCommands: Record<string, AdminCommand> = { set, show, purge };

const add: AdminCommand = {
  usage: "hold add (--collection <name or id> | --user <email>) --reason <text>",
  parse(args) {
    const { values } = parseCommandArgs(
      args,
      { collection: { type: "string" }, user: { type: "string" }, reason: { type: "string" } },
      [],
    );
    exactlyOne({ collection: values.collection, user: values.user }, "what to hold");
    const reason = values.reason?.trim();
    if (!reason) throw new UsageError("Give --reason <text>: why the hold is placed (e.g. a case number).");
    return async (context) => {
      const target =
        values.collection !== undefined
          ? await findCollection(context.db, values.collection).then((found) => ({
              target: { collectionId: found.id },
              label: `collection ${found.name}`,
            }))
          : await findUser(context.db, values.user ?? "").then((found) => ({
              target: { userId: found.id },
              label: `the answers of ${found.email}`,
            }));
      const hold = await createHold(context.db, cliActor, { target: target.target, reason });
      context.print(
        `Legal hold ${hold.id} placed on ${target.label}: nothing it covers is purged or deleted.`,
      );
    };
  },
};

const release: AdminCommand = {
  usage: "hold release <id>",
  parse(args) {
    const { positionals } = parseCommandArgs(args, {}, ["id"]);
    const id = positionals[0] ?? "";
    if (!/^[0-9a-f-]{36}$/i.test(id)) throw new UsageError(`"${id}" is not a hold id (see hold list).`);
    return async (context) => {
      await releaseHold(context.db, cliActor, id.toLowerCase());
      context.print(`Released legal hold ${id}; the next purge applies retention to what it covered.`);
    };
  },
};

const list: AdminCommand = {
  usage: "hold list",
  parse(args) {
    parseCommandArgs(args, {}, []);
    return async (context) => {
      const rows = (await listHolds(context.db)).map(({ hold, collectionName, userEmail }) => [
        hold.id,
        hold.collectionId ? `collection ${collectionName}` : `user ${userEmail}`,
        hold.reason,
        hold.createdBy,
        formatTime(hold.createdAt),
        formatTime(hold.releasedAt),
      ]);
      for (const line of formatTable(
        ["ID", "HOLDS", "REASON", "BY", "SINCE", "RELEASED"],
        rows,
        "No legal holds.",
      )) {
        context.print(line);
      }
    };
  },
};

export const holdCommands: Record<string, AdminCommand> = { add, release, list };
