import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  real,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";

const createdAt = () => timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow();

export const roleEnum = pgEnum("role", ["employee", "admin", "auditor"]);

export const users = pgTable("users", {
  id: uuid("id").primaryKey().defaultRandom(),
  email: text("email").notNull().unique(),
  displayName: text("display_name").notNull(),
  role: roleEnum("role").notNull().default("employee"),
  createdAt: createdAt(),
});

export const collections = pgTable("collections", {
  id: uuid("id").primaryKey().defaultRandom(),
  name: text("name").notNull().unique(),
  description: text("description").notNull().default(""),
  createdAt: createdAt(),
});

/** A document is a named thing in a collection; its content lives in versions. */
export const documents = pgTable(
  "documents",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    collectionId: uuid("collection_id")
      .notNull()
      .references(() => collections.id, { onDelete: "cascade" }),
    /** Display name, sanitised from the uploaded file name. Never used as a path. */
    title: text("title").notNull(),
    createdAt: createdAt(),
  },
  (table) => [uniqueIndex("documents_collection_title_unique").on(table.collectionId, table.title)],
);

export const versionStatusEnum = pgEnum("version_status", ["queued", "processing", "indexed", "failed"]);

export const documentVersions = pgTable(
  "document_versions",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    documentId: uuid("document_id")
      .notNull()
      .references(() => documents.id, { onDelete: "cascade" }),
    sha256: text("sha256").notNull(),
    byteSize: bigint("byte_size", { mode: "number" }).notNull(),
    mediaType: text("media_type").notNull(),
    /** The name the uploader gave, sanitised; the blob itself is stored by sha256. */
    originalFilename: text("original_filename").notNull(),
    status: versionStatusEnum("status").notNull().default("queued"),
    pageCount: integer("page_count"),
    chunkCount: integer("chunk_count"),
    /** LanceDB table version right after this version's chunks were written. */
    lanceVersion: bigint("lance_version", { mode: "number" }),
    embedderId: text("embedder_id"),
    errorCode: text("error_code"),
    errorMessage: text("error_message"),
    createdAt: createdAt(),
    indexedAt: timestamp("indexed_at", { withTimezone: true, mode: "date" }),
  },
  (table) => [uniqueIndex("document_versions_document_sha256_unique").on(table.documentId, table.sha256)],
);

export const jobStateEnum = pgEnum("job_state", ["queued", "running", "succeeded", "failed"]);

/** One durable job per document version; a lease lets a crashed worker's job be taken over. */
export const ingestJobs = pgTable(
  "ingest_jobs",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    versionId: uuid("version_id")
      .notNull()
      .unique()
      .references(() => documentVersions.id, { onDelete: "cascade" }),
    state: jobStateEnum("state").notNull().default("queued"),
    stage: text("stage").notNull().default("queued"),
    /** 0..1 within the whole job. */
    progress: real("progress").notNull().default(0),
    attempts: integer("attempts").notNull().default(0),
    leaseUntil: timestamp("lease_until", { withTimezone: true, mode: "date" }),
    errorCode: text("error_code"),
    errorMessage: text("error_message"),
    createdAt: createdAt(),
    updatedAt: timestamp("updated_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    finishedAt: timestamp("finished_at", { withTimezone: true, mode: "date" }),
  },
  (table) => [index("ingest_jobs_claim_idx").on(table.state, table.createdAt)],
);

export const answerStatusEnum = pgEnum("answer_status", ["complete", "error"]);

export const answers = pgTable("answers", {
  id: uuid("id").primaryKey().defaultRandom(),
  actor: text("actor").notNull(),
  question: text("question").notNull(),
  /** The collections the asker was allowed to read at the moment of the question. */
  collectionIds: uuid("collection_ids").array().notNull().default(sql`'{}'::uuid[]`),
  answer: text("answer").notNull(),
  status: answerStatusEnum("status").notNull(),
  errorCode: text("error_code"),
  generatorId: text("generator_id"),
  modelSha256: text("model_sha256"),
  promptHash: text("prompt_hash"),
  /** Citation checks (rejected markers …) and timings; shape in lib/answer. */
  checks: jsonb("checks").notNull().default({}),
  metrics: jsonb("metrics").notNull().default({}),
  createdAt: createdAt(),
});

export const answerCitations = pgTable(
  "answer_citations",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    answerId: uuid("answer_id")
      .notNull()
      .references(() => answers.id, { onDelete: "cascade" }),
    marker: integer("marker").notNull(),
    chunkId: text("chunk_id").notNull(),
    documentId: uuid("document_id").notNull(),
    versionId: uuid("version_id").notNull(),
    pageNumber: integer("page_number").notNull(),
    contentHash: text("content_hash").notNull(),
    isSupported: boolean("is_supported"),
  },
  (table) => [uniqueIndex("answer_citations_answer_marker_unique").on(table.answerId, table.marker)],
);

/**
 * Append-only, hash-chained audit log. `payload` is the canonical JSON text that was hashed
 * (kept as text, not jsonb, so the stored bytes are exactly the hashed bytes).
 */
export const auditEvents = pgTable("audit_events", {
  /** 1, 2, 3 … without gaps, assigned under a table lock (a sequence could leave gaps). */
  seq: bigint("seq", { mode: "number" }).primaryKey(),
  ts: timestamp("ts", { withTimezone: true, mode: "date" }).notNull(),
  actor: text("actor").notNull(),
  action: text("action").notNull(),
  subject: text("subject").notNull(),
  payload: text("payload").notNull(),
  prevHash: text("prev_hash").notNull(),
  hash: text("hash").notNull().unique(),
});

export type User = typeof users.$inferSelect;
export type Collection = typeof collections.$inferSelect;
export type DocumentRow = typeof documents.$inferSelect;
export type DocumentVersion = typeof documentVersions.$inferSelect;
export type IngestJob = typeof ingestJobs.$inferSelect;
export type AnswerRow = typeof answers.$inferSelect;
export type AnswerCitationRow = typeof answerCitations.$inferSelect;
export type AuditEvent = typeof auditEvents.$inferSelect;
