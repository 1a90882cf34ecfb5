import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import type { Database } from "../db/client";
import { findDocumentsByTitle } from "../db/queries/documents";
import { getJobById } from "../db/queries/ingest-jobs";
import { addCollection } from "../lib/access/manage-access";
import { loadConfig } from "../lib/config";
import { asAppError } from "../lib/errors";
import { createFolio, type Folio } from "../lib/runtime";
import { createProgressBar } from "../lib/terminal/progress-bar";
import type { NameConflictChoice } from "./accept-upload";
import { sanitizeFileName } from "./sanitize-file-name";

const usage = `Usage: npm run ingest -- <file.pdf…> --collection <name>

Uploads PDFs into a collection (created if missing) and indexes them, with a progress bar.
A file named like a document already in the collection becomes a new version of it.
Uses the same configuration as the app (DATA_DIR, DATABASE_URL, MODELS_DIR, …).`;

/** Who the audit log says made the changes: the command line has no signed-in user. */
const cliActor = "cli";

interface FileOutcome {
  file: string;
  status: "indexed" | "duplicate" | "failed";
  detail: string;
}

/** How a file became part of the collection, when it did not simply add a new document. */
type Placement = { as: "new_version" | "kept_both"; title: string };

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { collection: { type: "string", short: "c" }, help: { type: "boolean", short: "h" } },
  });
  if (values.help || positionals.length === 0 || !values.collection) {
    console.error(usage);
    return values.help ? 0 : 2;
  }
  const folio = await createFolio(loadConfig(), { log: () => {} });
  const { db } = folio.database;
  try {
    const { collection } = await addCollection(db, cliActor, { name: values.collection });
    const outcomes: FileOutcome[] = [];
    const pending = new Map<string, string>();
    const placements = new Map<string, Placement>();
    const touchedDocumentIds = new Set<string>();
    for (const file of positionals) {
      try {
        const fileName = path.basename(file);
        const choice = await chooseForName(db, collection.id, fileName, touchedDocumentIds);
        const accepted = await folio.ingest.accept({
          actor: cliActor,
          collectionId: collection.id,
          fileName,
          body: createReadStream(file),
          declaredBytes: (await stat(file)).size,
          onNameConflict: choice,
        });
        touchedDocumentIds.add(accepted.documentId);
        if (accepted.isDuplicate) {
          outcomes.push({ file, status: "duplicate", detail: "already in the collection" });
        } else if (choice.kind === "replace") {
          placements.set(file, { as: "new_version", title: accepted.title });
        } else if (accepted.title !== sanitizeFileName(fileName)) {
          placements.set(file, { as: "kept_both", title: accepted.title });
        }
        pending.set(accepted.jobId, file);
      } catch (error) {
        const appError = asAppError(error);
        outcomes.push({ file, status: "failed", detail: `${appError.code}: ${appError.message}` });
      }
    }
    await processJobs(folio, pending, outcomes);
    printSummary(outcomes, collection.name, placements);
    return outcomes.some((outcome) => outcome.status === "failed") ? 1 : 0;
  } finally {
    await folio.close();
  }
}

/**
 * The CLI user names each file explicitly, so a file named like exactly one document of the
 * collection is a new version of it: running the command again after editing a file updates
 * that document. A name an earlier file of this same run took is kept as a separate document
 * (`report (2).pdf`: `a/report.pdf b/report.pdf` means two files). Several documents of that name
 * leave the choice to the user: the upload is refused (409) and reported.
 */
async function chooseForName(
  db: Database,
  collectionId: string,
  fileName: string,
  touchedDocumentIds: ReadonlySet<string>,
): Promise<NameConflictChoice> {
  const namesakes = await findDocumentsByTitle({ db, collectionId, titles: [sanitizeFileName(fileName)] });
  if (namesakes.some((document) => touchedDocumentIds.has(document.id))) return { kind: "keep_both" };
  const [only] = namesakes;
  return only && namesakes.length === 1 ? { kind: "replace", documentId: only.id } : { kind: "ask" };
}

/** Runs the queue until every job of this invocation has finished, showing progress over files. */
async function processJobs(
  folio: Folio,
  pending: Map<string, string>,
  outcomes: FileOutcome[],
): Promise<void> {
  const { db } = folio.database;
  const total = pending.size;
  if (total === 0) return;
  const bar = createProgressBar({ total, title: "Indexing" });
  let finished = 0;
  while (pending.size > 0) {
    const ticker = setInterval(async () => {
      for (const [jobId, file] of pending) {
        const job = await getJobById({ db, id: jobId }).catch(() => undefined);
        if (job?.state === "running")
          bar.update(finished + job.progress, `${path.basename(file)} (${job.stage})`);
      }
    }, 200);
    const result = await folio.ingest.worker.runOnce().finally(() => clearInterval(ticker));
    if (!result) {
      // Nothing runnable right now: our remaining jobs are waiting out a retry delay.
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    for (const [jobId, file] of pending) {
      const job = await getJobById({ db, id: jobId });
      if (!job || job.state === "queued" || job.state === "running") continue;
      pending.delete(jobId);
      finished += 1;
      if (outcomes.some((outcome) => outcome.file === file)) continue;
      outcomes.push(
        job.state === "succeeded"
          ? { file, status: "indexed", detail: "" }
          : { file, status: "failed", detail: `${job.errorCode}: ${job.errorMessage}` },
      );
    }
    bar.update(finished);
  }
  bar.finish();
}

function printSummary(
  outcomes: FileOutcome[],
  collectionName: string,
  placements: ReadonlyMap<string, Placement>,
): void {
  const count = (status: FileOutcome["status"]) =>
    outcomes.filter((outcome) => outcome.status === status).length;
  console.log(
    `\nCollection "${collectionName}": ${count("indexed")} indexed, ${count("duplicate")} already present, ${count("failed")} failed.`,
  );
  for (const [file, placement] of placements) {
    console.log(
      placement.as === "new_version"
        ? `  ↻ ${file} — new version of "${placement.title}"`
        : `  + ${file} — kept as "${placement.title}" (an earlier file of this run has its name)`,
    );
  }
  for (const outcome of outcomes.filter((item) => item.status === "failed")) {
    console.log(`  ✗ ${outcome.file} — ${outcome.detail}`);
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    const appError = asAppError(error);
    console.error(
      appError.category === "internal"
        ? error instanceof Error
          ? error.message
          : String(error)
        : appError.message,
    );
    if (appError.details?.command) console.error(`Fix: ${appError.details.command}`);
    process.exit(1);
  },
);
