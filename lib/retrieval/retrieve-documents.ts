import type { SearchMode } from "../vector-store/vector-store";
import { type DocumentHit, fuseByDocument } from "./fuse-by-document";
import {
  defaultRerankCandidates,
  type RetrievalDependencies,
  type RetrievedPassage,
  retrieveContext,
} from "./retrieve-context";

export interface DocumentRetrievalRequest {
  question: string;
  /** The collections the asker may read. Required. */
  collectionIds: readonly string[];
  /** Documents wanted, best first. */
  documentLimit: number;
  mode?: SearchMode;
}

/** Passages fetched per wanted document at first; the fetch doubles while documents are missing. */
const initialPassagesPerDocument = 4;
/** The deepest fetch, in passages per wanted document. */
const maxPassagesPerDocument = 64;

/**
 * The `documentLimit` best documents for a question, each ranked by its best passage
 * (fuse-by-document.ts), through the same retrieval answers use (`retrieveContext`: the store's
 * search, checked against the database). Passages are fetched until that many distinct documents
 * are found or the store has no more. With a reranker, its order of the first RERANK_CANDIDATES
 * passages ranks the documents they belong to, and the rest follow in the store's order — as an
 * answer sees them, and still deep enough for recall at `documentLimit`.
 */
export async function retrieveDocuments(
  dependencies: RetrievalDependencies,
  request: DocumentRetrievalRequest,
): Promise<DocumentHit<RetrievedPassage>[]> {
  const search = { question: request.question, collectionIds: request.collectionIds, mode: request.mode };
  const storeOrder = { ...dependencies, reranker: null };
  let limit = request.documentLimit * initialPassagesPerDocument;
  let passages = await retrieveContext(storeOrder, { ...search, limit });
  while (
    fuseByDocument(passages).length < request.documentLimit &&
    passages.length >= limit &&
    limit < request.documentLimit * maxPassagesPerDocument
  ) {
    limit *= 2;
    passages = await retrieveContext(storeOrder, { ...search, limit });
  }
  if (dependencies.reranker) {
    const candidates = dependencies.rerankCandidates ?? defaultRerankCandidates;
    const reranked = await retrieveContext(dependencies, { ...search, limit: candidates });
    passages = [...reranked, ...passages];
  }
  return fuseByDocument(passages).slice(0, request.documentLimit);
}
