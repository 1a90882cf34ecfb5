import { randomUUID, sign } from "node:crypto";
import type { Database } from "../../db/client";
import { listEventHashes } from "../../db/queries/audit-events";
import {
  type AuditEventFilter,
  type ExportedAnswer,
  findMatchingSeqRange,
  getCheckpointBefore,
  getCheckpointFrom,
  listAnswerTexts,
  listCheckpointsBetween,
  listEventsMatching,
} from "../../db/queries/audit-export";
import type { AuditCheckpoint, AuditEvent } from "../../db/schema";
import { appendAuditEvent } from "./append-audit-event";
import {
  type AnswerLine,
  type CheckpointLine,
  type EventLine,
  type ExportFilters,
  type ExportHeader,
  exportHeaderStatement,
  type LinkLine,
} from "./ledger-export-format";
import { MerkleAccumulator } from "./merkle-accumulator";
import type { SigningKey } from "./signing-key";

export interface LedgerExportOptions {
  /** Events at or after this time. */
  from?: Date;
  /** Events before this time (exclusive). */
  to?: Date;
  /** Events naming this collection (subject `collection:<id>`, or the id in the payload). */
  collectionId?: string;
  /** Events about these answers (subject `answer:<id>`, or the id in the payload: feedback). */
  answerIds?: string[];
  /** Who exports: the actor of the `audit.export` event. */
  actor: string;
  /** Signs the header; its public key goes in the header for reference (verify with your own copy). */
  signingKey: SigningKey;
  /** @default 1000 events read per query */
  pageSize?: number;
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The ledger, or the part of it the filters select, as JSONL lines (without newlines) for an
 * auditor to verify offline (docs/audit-export.md). When the first line is pulled, an
 * `audit.export` event is appended in its own transaction, so the export is on record — and in
 * the file whenever it matches the filters itself. Events are read a page at a time: memory
 * stays flat at any ledger size.
 *
 * The file spans whole checkpoint spans: from the start of the span holding the first matching
 * event to the end of the span holding the last (or the export's own event past the last
 * checkpoint). Events of the span that do not match are `link` lines (seq and hashes only), so
 * the chain and the checkpoints still verify; the checkpoint before the span anchors it. Events
 * past the last checkpoint (the tail) are vouched for by the header's signature over their
 * Merkle root, as a checkpoint vouches for its span.
 */
export async function* exportLedger(db: Database, options: LedgerExportOptions): AsyncGenerator<string> {
  const filters: ExportFilters = {
    ...(options.from ? { from: options.from.toISOString() } : {}),
    ...(options.to ? { to: options.to.toISOString() } : {}),
    ...(options.collectionId !== undefined ? { collectionId: options.collectionId } : {}),
    ...(options.answerIds !== undefined ? { answerIds: [...options.answerIds] } : {}),
  };
  const exportId = randomUUID();
  const exportEvent = await db.transaction((tx) =>
    appendAuditEvent(tx, {
      actor: options.actor,
      action: "audit.export",
      subject: `export:${exportId}`,
      payload: filters,
    }),
  );
  const filter = filterOf(options);
  const pageSize = options.pageSize ?? 1_000;
  const span = await findSpan(db, filter, exportEvent.seq, pageSize);
  const unsignedHeader: Omit<ExportHeader, "signature"> = {
    type: "folio-ledger-export",
    version: 2,
    exportedAt: exportEvent.ts.toISOString(),
    exportId,
    exportSeq: exportEvent.seq,
    filters,
    publicKeyPem: options.signingKey.publicKeyPem,
    keyId: options.signingKey.keyId,
    span: span
      ? {
          fromSeq: span.fromSeq,
          toSeq: span.toSeq,
          headHash: span.headHash,
          tailFromSeq: span.tail?.fromSeq ?? null,
          tailMerkleRoot: span.tail?.merkleRoot ?? null,
        }
      : null,
  };
  const signature = sign(null, exportHeaderStatement(unsignedHeader), options.signingKey.privateKey);
  yield JSON.stringify({ ...unsignedHeader, signature: signature.toString("base64") });
  if (!span) return;
  if (span.anchor) yield JSON.stringify(checkpointLine(span.anchor));

  // A checkpoint written since the tail was measured is left out: the header signed that tail.
  const lastCheckpointSeq = span.tail ? span.tail.fromSeq - 1 : span.toSeq;
  // Pages by seq range, not LIMIT: the matching of a page is computed over the same range.
  for (let afterSeq = span.fromSeq - 1; afterSeq < span.toSeq; afterSeq += pageSize) {
    const pageToSeq = Math.min(afterSeq + pageSize, span.toSeq);
    const page = await listEventsMatching({ db, filter, afterSeq, toSeq: pageToSeq });
    const answerIds = page.filter(isExportedAnswer).map((event) => event.subject.slice("answer:".length));
    const texts = await listAnswerTexts({ db, ids: answerIds.filter((id) => uuidPattern.test(id)) });
    const checkpoints = await listCheckpointsBetween({
      db,
      fromSeq: afterSeq + 1,
      toSeq: Math.min(pageToSeq, lastCheckpointSeq),
    });
    let nextCheckpoint = 0;
    for (const event of page) {
      yield JSON.stringify(event.matches ? eventLine(event) : linkLine(event));
      const text = isExportedAnswer(event) ? texts.get(event.subject.slice("answer:".length)) : undefined;
      if (text) yield JSON.stringify(answerLine(event.seq, text));
      const checkpoint = checkpoints[nextCheckpoint];
      if (checkpoint?.seq === event.seq) {
        yield JSON.stringify(checkpointLine(checkpoint));
        nextCheckpoint += 1;
      }
    }
  }
}

function filterOf(options: LedgerExportOptions): AuditEventFilter {
  return {
    ...(options.from ? { from: options.from } : {}),
    ...(options.to ? { to: options.to } : {}),
    ...(options.collectionId !== undefined ? { collectionId: options.collectionId } : {}),
    ...(options.answerIds !== undefined ? { answerIds: options.answerIds } : {}),
  };
}

interface ExportSpan {
  fromSeq: number;
  toSeq: number;
  /** The hash of event `toSeq`. */
  headHash: string;
  /** The checkpoint whose span ends just before `fromSeq`; none when the span starts at #1. */
  anchor: AuditCheckpoint | undefined;
  /** The events after the last checkpoint, `fromSeq`…`toSeq` of the export; none when it ends at one. */
  tail: { fromSeq: number; merkleRoot: string } | undefined;
}

async function findSpan(
  db: Database,
  filter: AuditEventFilter,
  exportSeq: number,
  pageSize: number,
): Promise<ExportSpan | undefined> {
  const range = await findMatchingSeqRange({ db, filter, toSeq: exportSeq });
  if (!range) return undefined;
  const anchor = await getCheckpointBefore({ db, seq: range.first });
  const end = await getCheckpointFrom({ db, seq: range.last, toSeq: exportSeq });
  const toSeq = end?.seq ?? exportSeq;
  const [headHash] = await listEventHashes({ tx: db, fromSeq: toSeq, toSeq });
  if (headHash === undefined) throw new Error(`audit event #${toSeq} is missing`);
  const fromSeq = (anchor?.seq ?? 0) + 1;
  if (end) return { fromSeq, toSeq, headHash, anchor, tail: undefined };
  const lastCheckpoint = await getCheckpointBefore({ db, seq: toSeq + 1 });
  const tailFromSeq = (lastCheckpoint?.seq ?? 0) + 1;
  return { fromSeq, toSeq, headHash, anchor, tail: await measureTail(db, tailFromSeq, toSeq, pageSize) };
}

/** The Merkle root of the hashes of events `fromSeq`…`toSeq`, read a page at a time. */
async function measureTail(
  db: Database,
  fromSeq: number,
  toSeq: number,
  pageSize: number,
): Promise<{ fromSeq: number; merkleRoot: string }> {
  const tree = new MerkleAccumulator();
  for (let pageFromSeq = fromSeq; pageFromSeq <= toSeq; pageFromSeq += pageSize) {
    const pageToSeq = Math.min(pageFromSeq + pageSize - 1, toSeq);
    const hashes = await listEventHashes({ tx: db, fromSeq: pageFromSeq, toSeq: pageToSeq });
    if (hashes.length !== pageToSeq - pageFromSeq + 1)
      throw new Error(`audit events #${pageFromSeq}–#${pageToSeq} are not all there`);
    for (const hash of hashes) tree.add(hash);
  }
  return { fromSeq, merkleRoot: tree.root() };
}

const isExportedAnswer = (event: AuditEvent & { matches: boolean }) =>
  event.matches && event.action === "answer.create" && event.subject.startsWith("answer:");

const eventLine = (event: AuditEvent): EventLine => ({
  type: "event",
  seq: event.seq,
  ts: event.ts.toISOString(),
  actor: event.actor,
  action: event.action,
  subject: event.subject,
  payload: event.payload,
  prevHash: event.prevHash,
  hash: event.hash,
});

const linkLine = (event: AuditEvent): LinkLine => ({
  type: "link",
  seq: event.seq,
  prevHash: event.prevHash,
  hash: event.hash,
});

const checkpointLine = (checkpoint: AuditCheckpoint): CheckpointLine => ({
  type: "checkpoint",
  seq: checkpoint.seq,
  fromSeq: checkpoint.fromSeq,
  headHash: checkpoint.headHash,
  merkleRoot: checkpoint.merkleRoot,
  createdAt: checkpoint.createdAt.toISOString(),
  keyId: checkpoint.keyId,
  signature: checkpoint.signature,
});

const answerLine = (seq: number, text: ExportedAnswer): AnswerLine => ({
  type: "answer",
  seq,
  answerId: text.id,
  question: text.question,
  answer: text.answer,
  sources: text.sources,
});
