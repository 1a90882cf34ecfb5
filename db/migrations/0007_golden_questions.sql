CREATE TYPE "public"."golden_run_state" AS ENUM('queued', 'running', 'done', 'failed');--> statement-breakpoint
CREATE TYPE "public"."golden_run_trigger" AS ENUM('reindex', 'model_change', 'manual');--> statement-breakpoint
CREATE TABLE "golden_questions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"collection_id" uuid NOT NULL,
	"question" text NOT NULL,
	"expected_document_id" uuid NOT NULL,
	"expected_document_title" text NOT NULL,
	"expected_page" integer,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "golden_runs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"collection_id" uuid NOT NULL,
	"trigger" "golden_run_trigger" NOT NULL,
	"requested_by" text NOT NULL,
	"state" "golden_run_state" DEFAULT 'queued' NOT NULL,
	"requested_at" timestamp with time zone DEFAULT now() NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"lease_until" timestamp with time zone,
	"lease_token" uuid,
	"model_ids" jsonb,
	"k" integer,
	"depth" integer,
	"question_count" integer,
	"hit_count" integer,
	"recall_at_k" real,
	"recall_at_depth" real,
	"outcomes" jsonb,
	"previous_run_id" uuid,
	"is_alert" boolean DEFAULT false NOT NULL,
	"alert_drop" real,
	"error_code" text,
	"error_message" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "golden_questions" ADD CONSTRAINT "golden_questions_collection_id_collections_id_fk" FOREIGN KEY ("collection_id") REFERENCES "public"."collections"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "golden_runs" ADD CONSTRAINT "golden_runs_collection_id_collections_id_fk" FOREIGN KEY ("collection_id") REFERENCES "public"."collections"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "golden_questions_collection_idx" ON "golden_questions" USING btree ("collection_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "golden_runs_one_queued_unique" ON "golden_runs" USING btree ("collection_id") WHERE "golden_runs"."state" = 'queued';--> statement-breakpoint
CREATE INDEX "golden_runs_collection_idx" ON "golden_runs" USING btree ("collection_id","created_at");--> statement-breakpoint
CREATE INDEX "golden_runs_claim_idx" ON "golden_runs" USING btree ("state","created_at");