import type { Database } from "../../db/client";
import { listCollections } from "../../db/queries/collections";
import { AppError } from "../errors";

/**
 * Until sign-in exists (a later issue), Folio runs in single-user mode: the local user may read
 * every collection. Every route asks this function, at the moment of the request, which
 * collections the actor may read; retrieval and citation lookups take its answer as a required
 * argument, so the day grants arrive only this function changes.
 */
export const localActor = "local-user";

export async function readableCollectionIds({
  db,
  requested,
}: {
  db: Database;
  actor: string;
  /** A client may narrow the scope; ids it may not read are silently dropped, never added. */
  requested?: readonly string[];
}): Promise<string[]> {
  const readable = (await listCollections({ db })).map((collection) => collection.id);
  if (!requested) return readable;
  const wanted = new Set(requested);
  return readable.filter((id) => wanted.has(id));
}

/** A collection the actor may not read is reported exactly like one that does not exist. */
export async function requireReadableCollection({
  db,
  actor,
  collectionId,
}: {
  db: Database;
  actor: string;
  collectionId: string;
}): Promise<void> {
  const [readable] = await readableCollectionIds({ db, actor, requested: [collectionId] });
  if (!readable)
    throw new AppError("not_found:collection", {
      message: "No such collection.",
    });
}
