import type { AnswerRefusal, ClaimVerdict } from "./claim-verdicts";
import type { BoundingBox } from "./geometry";

/** A passage the model was shown, numbered as the model sees it (`[n]`). */
export interface SourceRef {
  n: number;
  chunkId: string;
  documentId: string;
  versionId: string;
  documentTitle: string;
  pageNumber: number;
  /**
   * What the document calls the page, when not "page N": "Slide 3", "Sheet: Revenue", a section
   * heading of a text document. Null for PDF and image pages (and answers recorded before labels).
   */
  pageLabel: string | null;
  box: BoundingBox | null;
  /** Running text, a table, or a figure (its caption and the text read in it). */
  kind: "text" | "table" | "figure";
  /** The passage text exactly as sent to the model. */
  text: string;
  contentHash: string;
  /** A figure sent as an image beside its text: sha256 of the image file; else null. */
  imageSha256: string | null;
}

/** How the figures among the sources reached the model. */
export interface PromptImages {
  /** Figures the model saw as images. */
  sent: number;
  /** Figures given as their caption and OCR text only: no vision model, over the cap, no room left in the budget, or no file. */
  asText: number;
  /** Why figures went as text, when some did. */
  reason: "no_vision_model" | "image_cap" | "no_room" | "image_missing" | null;
}

export interface Citation {
  n: number;
  source: SourceRef;
}

/** The typed stream of one answer; the route only turns these into server-sent events. */
export type AnswerEvent =
  | {
      type: "retrieval-end";
      /** The conversation this answer belongs to: send it with a follow-up question. */
      threadId: string;
      sources: SourceRef[];
      retrievalMs: number;
      /** Prompt size in the answering model's tokens, and the most the window leaves for it. */
      promptTokens: number;
      budgetTokens: number;
      /** Whole documents (they all fit), or the best passages with their neighbours. */
      contextMode: "whole_documents" | "passages_with_neighbours";
      documentCount: number;
      images: PromptImages;
    }
  | { type: "text-delta"; text: string }
  | { type: "citation"; citation: Citation }
  /** After the text: a verdict on every sentence that cites a source, and the time the checks took. */
  | { type: "claims"; claims: ClaimVerdict[]; checkMs: number }
  | {
      type: "answer-end";
      answerId: string;
      /** Markers the model wrote that name no source it was given: dropped and recorded. */
      rejectedMarkers: number[];
      auditSeq: number;
      firstTokenMs: number | null;
      totalMs: number;
      /** Set when the model was not asked: nothing retrieved, or too little evidence. */
      refusal: AnswerRefusal | null;
    }
  | { type: "error"; code: string; message: string; answerId?: string };

export type AnswerEventType = AnswerEvent["type"];
