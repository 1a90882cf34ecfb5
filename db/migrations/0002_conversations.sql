CREATE TABLE "threads" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"owner_id" text NOT NULL,
	"title" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "answer_citations" ADD COLUMN "image_sha256" text;--> statement-breakpoint
ALTER TABLE "answers" ADD COLUMN "thread_id" uuid;--> statement-breakpoint
CREATE INDEX "threads_owner_updated_idx" ON "threads" USING btree ("owner_id","updated_at");--> statement-breakpoint
ALTER TABLE "answers" ADD CONSTRAINT "answers_thread_id_threads_id_fk" FOREIGN KEY ("thread_id") REFERENCES "public"."threads"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "answers_thread_idx" ON "answers" USING btree ("thread_id","created_at");