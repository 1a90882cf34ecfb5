import { z } from "zod";
import { canonicalJson } from "./hash-chain";

/**
 * The lines of a ledger export (JSONL, docs/audit-export.md). The file is untrusted input to the
 * offline verifier: every line is parsed with these schemas before anything is checked.
 */
const hex64 = z.string().regex(/^[0-9a-f]{64}$/, "expected 64 hex digits");
const seq = z.number().int().positive();
const isoTime = z.string().refine((text) => {
  const time = new Date(text);
  return !Number.isNaN(time.getTime()) && time.toISOString() === text;
}, "expected an ISO 8601 time as toISOString() writes it");

export const exportFiltersSchema = z
  .object({
    from: isoTime.optional(),
    to: isoTime.optional(),
    collectionId: z.string().optional(),
    answerIds: z.array(z.string()).optional(),
  })
  .strict();
export type ExportFilters = z.infer<typeof exportFiltersSchema>;

export const exportHeaderSchema = z
  .object({
    type: z.literal("folio-ledger-export"),
    version: z.literal(2, {
      error:
        "expected 2: version 1 did not sign the events after the last checkpoint, export the ledger again",
    }),
    exportedAt: isoTime,
    /** The `audit.export` event that records this export: subject `export:<exportId>`. */
    exportId: z.string(),
    exportSeq: seq,
    filters: exportFiltersSchema,
    publicKeyPem: z.string(),
    keyId: hex64,
    /** Events `fromSeq`…`toSeq` are in the file (as `event` or `link` lines); null when nothing matched. */
    span: z
      .object({
        fromSeq: seq,
        toSeq: seq,
        headHash: hex64,
        /**
         * The tail: events `tailFromSeq`…`toSeq`, after the last checkpoint (null, both, when the
         * span ends at a checkpoint). `tailMerkleRoot` is the Merkle root of their hashes, as a
         * checkpoint's: the header's signature vouches for every event and link line of the tail.
         */
        tailFromSeq: seq.nullable(),
        tailMerkleRoot: hex64.nullable(),
      })
      .strict()
      .refine(
        (span) => (span.tailFromSeq === null) === (span.tailMerkleRoot === null),
        "tailFromSeq and tailMerkleRoot are null together",
      )
      .nullable(),
    /** Ed25519 over `exportHeaderStatement(header)`, base64: filters, span, tail and all; nothing in it can change unseen. */
    signature: z.string(),
  })
  .strict();
export type ExportHeader = z.infer<typeof exportHeaderSchema>;

export const eventLineSchema = z
  .object({
    type: z.literal("event"),
    seq,
    ts: isoTime,
    actor: z.string(),
    action: z.string(),
    subject: z.string(),
    /** The canonical JSON text exactly as stored and hashed. */
    payload: z.string(),
    prevHash: hex64,
    hash: hex64,
  })
  .strict();
export type EventLine = z.infer<typeof eventLineSchema>;

export const linkLineSchema = z
  .object({ type: z.literal("link"), seq, prevHash: hex64, hash: hex64 })
  .strict();
export type LinkLine = z.infer<typeof linkLineSchema>;

export const checkpointLineSchema = z
  .object({
    type: z.literal("checkpoint"),
    seq,
    fromSeq: seq,
    headHash: hex64,
    merkleRoot: hex64,
    createdAt: isoTime,
    keyId: hex64,
    signature: z.string(),
  })
  .strict();
export type CheckpointLine = z.infer<typeof checkpointLineSchema>;

export const answerSourceLineSchema = z
  .object({
    n: z.number().int(),
    chunkId: z.string(),
    documentId: z.string(),
    versionId: z.string(),
    pageNumber: z.number().int(),
    /** "Slide 3", "Sheet: Revenue", a section heading; absent in exports made before labels. */
    pageLabel: z.string().nullable().optional(),
    /** Null once the passage was erased; `contentHash` stays. */
    text: z.string().nullable(),
    contentHash: hex64,
    imageSha256: z.string().nullable(),
  })
  .strict();

export const answerLineSchema = z
  .object({
    type: z.literal("answer"),
    /** The `answer.create` event this line gives the texts of: always the line just before. */
    seq,
    answerId: z.string(),
    question: z.string(),
    answer: z.string(),
    sources: z.array(answerSourceLineSchema),
  })
  .strict();
export type AnswerLine = z.infer<typeof answerLineSchema>;

export const exportLineSchema = z.discriminatedUnion("type", [
  exportHeaderSchema,
  eventLineSchema,
  linkLineSchema,
  checkpointLineSchema,
  answerLineSchema,
]);
export type ExportLine = z.infer<typeof exportLineSchema>;

/** Exactly what the header's signature covers: the header without its signature, canonical JSON. */
export function exportHeaderStatement(header: Omit<ExportHeader, "signature">): Buffer {
  const { signature: _signature, ...unsigned } = header as ExportHeader;
  return Buffer.from(canonicalJson(unsigned));
}

/**
 * What an `answer.create` payload says about the texts (lib/answer/record-answer.ts): read
 * leniently, since older events may lack fields (they are then not checked, and reported).
 */
export const answerPayloadSchema = z.object({
  answerId: z.string().optional(),
  questionSha256: z.string().optional(),
  answerSha256: z.string().optional(),
  chunks: z
    .array(
      z.object({
        n: z.number(),
        chunkId: z.string().optional(),
        documentId: z.string().optional(),
        versionId: z.string().optional(),
        pageNumber: z.number().optional(),
        pageLabel: z.string().optional(),
        contentHash: z.string().optional(),
        imageSha256: z.string().optional(),
      }),
    )
    .optional(),
});
