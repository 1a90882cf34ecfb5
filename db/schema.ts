import { sql } from "drizzle-orm";
import {
  bigint,
  bigserial,
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  primaryKey,
  real,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";

const createdAt = () => timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow();

export const roleEnum = pgEnum("role", ["employee", "admin", "auditor"]);

/** People who sign in. `email` is stored lower-case; it is the sign-in name. */
export const users = pgTable("users", {
  id: uuid("id").primaryKey().defaultRandom(),
  email: text("email").notNull().unique(),
  displayName: text("display_name").notNull(),
  role: roleEnum("role").notNull().default("employee"),
  /** argon2id (PHC string); null for accounts that sign in only by OIDC or a one-time link. */
  passwordHash: text("password_hash"),
  /** Set: the account can no longer sign in, and its sessions and tokens stop working at once. */
  disabledAt: timestamp("disabled_at", { withTimezone: true, mode: "date" }),
  createdAt: createdAt(),
});

/** Server-side sessions; the cookie holds a random token, the table only its sha256. */
export const sessions = pgTable(
  "sessions",
  {
    idHash: text("id_hash").primaryKey(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    method: text("method").notNull(),
    createdAt: createdAt(),
    lastSeenAt: timestamp("last_seen_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    /** Absolute end, whatever the activity. */
    expiresAt: timestamp("expires_at", { withTimezone: true, mode: "date" }).notNull(),
  },
  (table) => [index("sessions_user_idx").on(table.userId)],
);

/** Bearer tokens for scripts: shown once, stored as sha256, revocable. */
export const apiTokens = pgTable(
  "api_tokens",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    tokenHash: text("token_hash").notNull().unique(),
    /** The first characters of the token, to recognise it in a list. */
    prefix: text("prefix").notNull(),
    createdAt: createdAt(),
    expiresAt: timestamp("expires_at", { withTimezone: true, mode: "date" }),
    revokedAt: timestamp("revoked_at", { withTimezone: true, mode: "date" }),
    lastUsedAt: timestamp("last_used_at", { withTimezone: true, mode: "date" }),
  },
  (table) => [index("api_tokens_user_idx").on(table.userId)],
);

export const signInLinkPurposeEnum = pgEnum("sign_in_link_purpose", ["setup", "sign_in"]);

/**
 * One-time links: `setup` creates the first admin on an empty install; `sign_in` lets a user
 * added without a password in (and choose one). Stored as sha256; used once.
 */
export const signInLinks = pgTable("sign_in_links", {
  id: uuid("id").primaryKey().defaultRandom(),
  tokenHash: text("token_hash").notNull().unique(),
  purpose: signInLinkPurposeEnum("purpose").notNull(),
  userId: uuid("user_id").references(() => users.id, { onDelete: "cascade" }),
  createdAt: createdAt(),
  expiresAt: timestamp("expires_at", { withTimezone: true, mode: "date" }).notNull(),
  usedAt: timestamp("used_at", { withTimezone: true, mode: "date" }),
});

/** Which OIDC subject is which Folio user. */
export const oidcIdentities = pgTable(
  "oidc_identities",
  {
    issuer: text("issuer").notNull(),
    subject: text("subject").notNull(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    createdAt: createdAt(),
  },
  (table) => [primaryKey({ columns: [table.issuer, table.subject] })],
);

/** An OIDC sign-in under way: PKCE verifier and nonce, keyed by the state the browser carries. */
export const oidcFlows = pgTable("oidc_flows", {
  stateHash: text("state_hash").primaryKey(),
  codeVerifier: text("code_verifier").notNull(),
  nonce: text("nonce").notNull(),
  returnTo: text("return_to").notNull(),
  expiresAt: timestamp("expires_at", { withTimezone: true, mode: "date" }).notNull(),
});

/** Failed sign-ins, counted per account and per address for the rate limit. */
export const signInFailures = pgTable(
  "sign_in_failures",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    accountKey: text("account_key").notNull(),
    addressKey: text("address_key").notNull(),
    at: timestamp("at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (table) => [
    index("sign_in_failures_account_idx").on(table.accountKey, table.at),
    index("sign_in_failures_address_idx").on(table.addressKey, table.at),
  ],
);

export const groups = pgTable("groups", {
  id: uuid("id").primaryKey().defaultRandom(),
  name: text("name").notNull().unique(),
  /** The value of the OIDC group claim that means membership; members are synced at each OIDC sign-in. */
  oidcGroup: text("oidc_group").unique(),
  createdAt: createdAt(),
});

export const groupMembers = pgTable(
  "group_members",
  {
    groupId: uuid("group_id")
      .notNull()
      .references(() => groups.id, { onDelete: "cascade" }),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    createdAt: createdAt(),
  },
  (table) => [
    primaryKey({ columns: [table.groupId, table.userId] }),
    index("group_members_user_idx").on(table.userId),
  ],
);

export const collections = pgTable("collections", {
  id: uuid("id").primaryKey().defaultRandom(),
  name: text("name").notNull().unique(),
  description: text("description").notNull().default(""),
  /** Questions and answers drawing on this collection are purged this many days after they were asked; null keeps them. */
  answerRetentionDays: integer("answer_retention_days"),
  /** Documents are purged this many days after upload; null keeps them. */
  documentRetentionDays: integer("document_retention_days"),
  createdAt: createdAt(),
});

export const grantPermissionEnum = pgEnum("grant_permission", ["read", "curate"]);

/** `read` or `curate` (read + upload + delete documents) on a collection, to one user or one group. */
export const collectionGrants = pgTable(
  "collection_grants",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    collectionId: uuid("collection_id")
      .notNull()
      .references(() => collections.id, { onDelete: "cascade" }),
    userId: uuid("user_id").references(() => users.id, { onDelete: "cascade" }),
    groupId: uuid("group_id").references(() => groups.id, { onDelete: "cascade" }),
    permission: grantPermissionEnum("permission").notNull(),
    createdAt: createdAt(),
  },
  (table) => [
    check("collection_grants_one_grantee", sql`(${table.userId} IS NULL) <> (${table.groupId} IS NULL)`),
    uniqueIndex("collection_grants_user_unique").on(table.collectionId, table.userId),
    uniqueIndex("collection_grants_group_unique").on(table.collectionId, table.groupId),
    index("collection_grants_user_idx").on(table.userId),
    index("collection_grants_group_idx").on(table.groupId),
  ],
);

/**
 * A document is a named thing in a collection; its content lives in versions. Titles may repeat
 * (an upload never replaces another document silently: the uploader chooses).
 */
export const documents = pgTable(
  "documents",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    collectionId: uuid("collection_id")
      .notNull()
      .references(() => collections.id, { onDelete: "cascade" }),
    /** Display name, sanitised from the uploaded file name. Never used as a path. */
    title: text("title").notNull(),
    /** The version retrieval serves: the newest one that finished indexing; null until one has. */
    currentVersionId: uuid("current_version_id"),
    createdAt: createdAt(),
  },
  (table) => [index("documents_collection_title_idx").on(table.collectionId, table.title)],
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
    /**
     * New at each claim: only the worker holding this token may renew, report on, finish or
     * release the job, so a worker whose lease expired (and was taken over) cannot overwrite it.
     */
    leaseToken: uuid("lease_token"),
    errorCode: text("error_code"),
    errorMessage: text("error_message"),
    createdAt: createdAt(),
    updatedAt: timestamp("updated_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    finishedAt: timestamp("finished_at", { withTimezone: true, mode: "date" }),
  },
  (table) => [index("ingest_jobs_claim_idx").on(table.state, table.createdAt)],
);

export const answerStatusEnum = pgEnum("answer_status", ["complete", "error"]);

/** A conversation: one person's questions that follow on from each other. Private to its owner. */
export const threads = pgTable(
  "threads",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    /** The asker (`answers.actor`): only they see the thread. */
    ownerId: text("owner_id").notNull(),
    /** The first question, shortened. */
    title: text("title").notNull(),
    createdAt: createdAt(),
    updatedAt: timestamp("updated_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (table) => [index("threads_owner_updated_idx").on(table.ownerId, table.updatedAt)],
);

export const answers = pgTable(
  "answers",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    actor: text("actor").notNull(),
    /** The conversation the question belongs to; an answer outlives its thread (audit). */
    threadId: uuid("thread_id").references(() => threads.id, { onDelete: "set null" }),
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
  },
  (table) => [
    index("answers_thread_idx").on(table.threadId, table.createdAt),
    index("answers_created_idx").on(table.createdAt),
    index("answers_actor_created_idx").on(table.actor, table.createdAt),
  ],
);

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
    /** A figure the model was shown as an image: sha256 of the image's bytes. */
    imageSha256: text("image_sha256"),
    isSupported: boolean("is_supported"),
  },
  (table) => [uniqueIndex("answer_citations_answer_marker_unique").on(table.answerId, table.marker)],
);

/**
 * Every passage an answer's prompt held, kept with the answer: the auditor sees exactly what the
 * model saw after the document changed or went away. `text` is null once the content was erased
 * (a deletion that had to remove it, a retention purge): the hash stays.
 */
export const answerSources = pgTable(
  "answer_sources",
  {
    answerId: uuid("answer_id")
      .notNull()
      .references(() => answers.id, { onDelete: "cascade" }),
    n: integer("n").notNull(),
    chunkId: text("chunk_id").notNull(),
    documentId: uuid("document_id").notNull(),
    versionId: uuid("version_id").notNull(),
    collectionId: uuid("collection_id"),
    documentTitle: text("document_title").notNull(),
    pageNumber: integer("page_number").notNull(),
    /** "Slide 3", "Sheet: Revenue", a section heading; null for PDF and image pages. */
    pageLabel: text("page_label"),
    box: jsonb("box"),
    kind: text("kind").notNull(),
    text: text("text"),
    contentHash: text("content_hash").notNull(),
    imageSha256: text("image_sha256"),
    erasedAt: timestamp("erased_at", { withTimezone: true, mode: "date" }),
  },
  (table) => [
    primaryKey({ columns: [table.answerId, table.n] }),
    index("answer_sources_document_idx").on(table.documentId),
  ],
);

/** A reader's thumbs up (1) or down (-1) on an answer, with an optional comment; one per reader, latest wins. */
export const answerFeedback = pgTable(
  "answer_feedback",
  {
    answerId: uuid("answer_id")
      .notNull()
      .references(() => answers.id, { onDelete: "cascade" }),
    userId: text("user_id").notNull(),
    rating: integer("rating").notNull(),
    comment: text("comment").notNull().default(""),
    createdAt: createdAt(),
  },
  (table) => [
    primaryKey({ columns: [table.answerId, table.userId] }),
    check("answer_feedback_rating", sql`${table.rating} in (-1, 1)`),
  ],
);

/** Blocks retention purges of a collection's documents and answers, or of a user's answers, until released. */
export const legalHolds = pgTable(
  "legal_holds",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    collectionId: uuid("collection_id").references(() => collections.id, { onDelete: "cascade" }),
    userId: uuid("user_id").references(() => users.id, { onDelete: "cascade" }),
    reason: text("reason").notNull(),
    createdBy: text("created_by").notNull(),
    createdAt: createdAt(),
    releasedAt: timestamp("released_at", { withTimezone: true, mode: "date" }),
  },
  (table) => [
    check("legal_holds_one_target", sql`(${table.collectionId} IS NULL) <> (${table.userId} IS NULL)`),
  ],
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

/**
 * A signed statement about the ledger: events `fromSeq`…`seq` have this Merkle root and the chain
 * head at `seq` is `headHash`. Signed with Ed25519 by a key kept outside the database, so cutting
 * the tail or rewriting the whole chain with fresh hashes no longer passes verification.
 */
export const auditCheckpoints = pgTable("audit_checkpoints", {
  seq: bigint("seq", { mode: "number" }).primaryKey(),
  fromSeq: bigint("from_seq", { mode: "number" }).notNull(),
  headHash: text("head_hash").notNull(),
  merkleRoot: text("merkle_root").notNull(),
  createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull(),
  /** sha256 of the signing key's public key (SPKI DER), hex. */
  keyId: text("key_id").notNull(),
  /** Base64 Ed25519 signature over the checkpoint's statement (lib/audit/checkpoints.ts). */
  signature: text("signature").notNull(),
});

/**
 * A curator's test of retrieval in one collection: a question and the document (optionally the
 * page) that should answer it. The expected document is kept by id without a foreign key, with
 * its title as it was when chosen: deleting the document must make the question miss (and the
 * recall drop), not silently remove the question.
 */
export const goldenQuestions = pgTable(
  "golden_questions",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    collectionId: uuid("collection_id")
      .notNull()
      .references(() => collections.id, { onDelete: "cascade" }),
    question: text("question").notNull(),
    expectedDocumentId: uuid("expected_document_id").notNull(),
    expectedDocumentTitle: text("expected_document_title").notNull(),
    /** 1-based; null: any page of the document counts. */
    expectedPage: integer("expected_page"),
    createdBy: text("created_by").notNull(),
    createdAt: createdAt(),
    updatedAt: timestamp("updated_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (table) => [index("golden_questions_collection_idx").on(table.collectionId, table.createdAt)],
);

export const goldenRunTriggerEnum = pgEnum("golden_run_trigger", ["reindex", "model_change", "manual"]);
export const goldenRunStateEnum = pgEnum("golden_run_state", ["queued", "running", "done", "failed"]);

/** The models a golden run retrieved with (`embedder`, `reranker` or null). */
export type GoldenModelIds = { embedder: string; reranker: string | null };

/** What one golden question found in a run. `rank` is 1-based among the passages; null: not found. */
export interface GoldenOutcome {
  questionId: string;
  /** sha256 of the question's text when it ran: an edited question is a new question to compare. */
  questionSha256: string;
  expectedDocumentId: string;
  expectedPage: number | null;
  rank: number | null;
  /** The passage that matched. */
  chunkId: string | null;
  versionId: string | null;
  pageNumber: number | null;
  /** What the document calls that page ("Slide 3"), when not "page N"; absent in runs before page labels. */
  pageLabel?: string | null;
  /** [x0, y0, x1, y1] in page units, as chunks carry it. */
  box: readonly [number, number, number, number] | null;
}

/**
 * One evaluation of a collection's golden questions. Triggers enqueue a `queued` row (at most one
 * per collection: the partial unique index); the process running the ingest worker claims it
 * with a lease, like an ingest job, and records the figures.
 */
export const goldenRuns = pgTable(
  "golden_runs",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    collectionId: uuid("collection_id")
      .notNull()
      .references(() => collections.id, { onDelete: "cascade" }),
    trigger: goldenRunTriggerEnum("trigger").notNull(),
    /** A user id for `manual`; `system` otherwise. */
    requestedBy: text("requested_by").notNull(),
    state: goldenRunStateEnum("state").notNull().default("queued"),
    /** The last trigger that asked for this run: a re-index run waits a quiet period after it. */
    requestedAt: timestamp("requested_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    attempts: integer("attempts").notNull().default(0),
    leaseUntil: timestamp("lease_until", { withTimezone: true, mode: "date" }),
    leaseToken: uuid("lease_token"),
    modelIds: jsonb("model_ids").$type<GoldenModelIds>(),
    /** Recall is measured at this many passages (GOLDEN_K), and also at `depth`. */
    k: integer("k"),
    depth: integer("depth"),
    questionCount: integer("question_count"),
    hitCount: integer("hit_count"),
    recallAtK: real("recall_at_k"),
    recallAtDepth: real("recall_at_depth"),
    outcomes: jsonb("outcomes").$type<GoldenOutcome[]>(),
    /** The previous completed run this one was compared with, and the drop that raised the alert. */
    previousRunId: uuid("previous_run_id"),
    isAlert: boolean("is_alert").notNull().default(false),
    alertDrop: real("alert_drop"),
    errorCode: text("error_code"),
    errorMessage: text("error_message"),
    createdAt: createdAt(),
    startedAt: timestamp("started_at", { withTimezone: true, mode: "date" }),
    finishedAt: timestamp("finished_at", { withTimezone: true, mode: "date" }),
  },
  (table) => [
    uniqueIndex("golden_runs_one_queued_unique").on(table.collectionId).where(sql`${table.state} = 'queued'`),
    index("golden_runs_collection_idx").on(table.collectionId, table.createdAt),
    index("golden_runs_claim_idx").on(table.state, table.createdAt),
  ],
);

export type GoldenQuestion = typeof goldenQuestions.$inferSelect;
export type GoldenRun = typeof goldenRuns.$inferSelect;

export type AuditCheckpoint = typeof auditCheckpoints.$inferSelect;

export type User = typeof users.$inferSelect;
export type Session = typeof sessions.$inferSelect;
export type ApiToken = typeof apiTokens.$inferSelect;
export type Group = typeof groups.$inferSelect;
export type CollectionGrant = typeof collectionGrants.$inferSelect;
export type Collection = typeof collections.$inferSelect;
export type DocumentRow = typeof documents.$inferSelect;
export type DocumentVersion = typeof documentVersions.$inferSelect;
export type IngestJob = typeof ingestJobs.$inferSelect;
export type AnswerRow = typeof answers.$inferSelect;
export type AnswerCitationRow = typeof answerCitations.$inferSelect;
export type AuditEvent = typeof auditEvents.$inferSelect;
export type AnswerSourceRow = typeof answerSources.$inferSelect;
export type AnswerFeedbackRow = typeof answerFeedback.$inferSelect;
export type LegalHold = typeof legalHolds.$inferSelect;
