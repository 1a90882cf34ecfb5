CREATE TABLE "answer_feedback" (
	"answer_id" uuid NOT NULL,
	"user_id" text NOT NULL,
	"rating" integer NOT NULL,
	"comment" text DEFAULT '' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "answer_feedback_answer_id_user_id_pk" PRIMARY KEY("answer_id","user_id"),
	CONSTRAINT "answer_feedback_rating" CHECK ("answer_feedback"."rating" in (-1, 1))
);
--> statement-breakpoint
CREATE TABLE "answer_sources" (
	"answer_id" uuid NOT NULL,
	"n" integer NOT NULL,
	"chunk_id" text NOT NULL,
	"document_id" uuid NOT NULL,
	"version_id" uuid NOT NULL,
	"collection_id" uuid,
	"document_title" text NOT NULL,
	"page_number" integer NOT NULL,
	"box" jsonb,
	"kind" text NOT NULL,
	"text" text,
	"content_hash" text NOT NULL,
	"image_sha256" text,
	"erased_at" timestamp with time zone,
	CONSTRAINT "answer_sources_answer_id_n_pk" PRIMARY KEY("answer_id","n")
);
--> statement-breakpoint
CREATE TABLE "legal_holds" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"collection_id" uuid,
	"user_id" uuid,
	"reason" text NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"released_at" timestamp with time zone,
	CONSTRAINT "legal_holds_one_target" CHECK (("legal_holds"."collection_id" IS NULL) <> ("legal_holds"."user_id" IS NULL))
);
--> statement-breakpoint
ALTER TABLE "collections" ADD COLUMN "answer_retention_days" integer;--> statement-breakpoint
ALTER TABLE "collections" ADD COLUMN "document_retention_days" integer;--> statement-breakpoint
ALTER TABLE "answer_feedback" ADD CONSTRAINT "answer_feedback_answer_id_answers_id_fk" FOREIGN KEY ("answer_id") REFERENCES "public"."answers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "answer_sources" ADD CONSTRAINT "answer_sources_answer_id_answers_id_fk" FOREIGN KEY ("answer_id") REFERENCES "public"."answers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "legal_holds" ADD CONSTRAINT "legal_holds_collection_id_collections_id_fk" FOREIGN KEY ("collection_id") REFERENCES "public"."collections"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "legal_holds" ADD CONSTRAINT "legal_holds_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "answer_sources_document_idx" ON "answer_sources" USING btree ("document_id");--> statement-breakpoint
CREATE INDEX "answers_created_idx" ON "answers" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "answers_actor_created_idx" ON "answers" USING btree ("actor","created_at");