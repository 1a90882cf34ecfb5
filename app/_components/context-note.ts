import type { AnswerEvent } from "../../lib/domain/answer-events";

type RetrievalEnd = Extract<AnswerEvent, { type: "retrieval-end" }>;

const plural = (count: number, one: string, many: string) =>
  `${count.toLocaleString()} ${count === 1 ? one : many}`;

const asTextReasons = {
  no_vision_model: "no vision model",
  image_cap: "image limit reached",
  no_room: "no room left for the image",
  image_missing: "image file missing",
} as const;

/**
 * What was sent to the model, in one line: "38,112 of 131,072 tokens · 6 documents · 2 images ·
 * retrieval 27 ms"; figures that went as text say so and why.
 */
export function describeContext(event: RetrievalEnd): string {
  const parts = [
    `${event.promptTokens.toLocaleString()} of ${event.budgetTokens.toLocaleString()} tokens`,
    plural(event.documentCount, "document", "documents") +
      (event.contextMode === "whole_documents"
        ? " (whole)"
        : ` · ${plural(event.sources.length, "passage", "passages")}`),
  ];
  if (event.images.sent > 0) parts.push(plural(event.images.sent, "image", "images"));
  if (event.images.asText > 0) {
    const why = event.images.reason ? ` (${asTextReasons[event.images.reason]})` : "";
    parts.push(`${plural(event.images.asText, "figure", "figures")} as text${why}`);
  }
  parts.push(`retrieval ${Math.round(event.retrievalMs)} ms`);
  return parts.join(" · ");
}
