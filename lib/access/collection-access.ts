import type { Executor } from "../../db/client";
import { getCollectionById, listCollections } from "../../db/queries/collections";
import { getDocumentById } from "../../db/queries/documents";
import { listGrantsReachingUser } from "../../db/queries/grants";
import type { Collection, DocumentRow } from "../../db/schema";
import type { Actor, GrantPermission, Role } from "../domain/actor";
import { AppError } from "../errors";

/**
 * The one access decision of Folio: which collections the caller may read, and which they may
 * curate (upload to, delete from). Decided from the database on every request — a revoked grant,
 * a removed group membership or a disabled account counts from the very next request.
 *
 * - admin: every collection, read and curate (admins create collections and grant them).
 * - employee, auditor: the collections granted to them or to a group they are in; `curate`
 *   includes `read`. (An auditor also reads everyone's answers and the audit record — not
 *   documents they were not granted.)
 */
export interface CollectionAccess {
  readonly readable: ReadonlySet<string>;
  readonly curatable: ReadonlySet<string>;
}

export async function collectionAccessOf(db: Executor, actor: Actor): Promise<CollectionAccess> {
  if (actor.role === "admin") {
    const all = new Set((await listCollections({ db })).map((collection) => collection.id));
    return { readable: all, curatable: all };
  }
  const grants = await listGrantsReachingUser({ db, userId: actor.userId });
  return {
    readable: new Set(grants.map((grant) => grant.collectionId)),
    curatable: new Set(
      grants.filter((grant) => grant.permission === "curate").map((grant) => grant.collectionId),
    ),
  };
}

/**
 * The collections a request may search: all readable ones, or the subset the client asked for.
 * Ids the caller may not read are dropped silently, never added — an unknown id and a forbidden
 * one look the same.
 */
export async function readableCollectionIds(
  db: Executor,
  actor: Actor,
  requested?: readonly string[],
): Promise<string[]> {
  const { readable } = await collectionAccessOf(db, actor);
  if (!requested) return [...readable];
  return [...new Set(requested)].filter((id) => readable.has(id));
}

/**
 * The collection, if the caller holds `permission` on it. A collection they cannot even read is
 * reported exactly like one that does not exist (404); one they read but may not curate is 403.
 */
export async function requireCollection(
  db: Executor,
  actor: Actor,
  { collectionId, permission }: { collectionId: string; permission: GrantPermission },
): Promise<Collection> {
  const access = await collectionAccessOf(db, actor);
  const collection = access.readable.has(collectionId)
    ? await getCollectionById({ db, id: collectionId })
    : undefined;
  if (!collection) throw new AppError("not_found:collection", { message: "No such collection." });
  if (permission === "curate" && !access.curatable.has(collectionId)) {
    throw new AppError("forbidden:grant", {
      message: "You may read this collection but not change it; ask an admin for curate access.",
    });
  }
  return collection;
}

/** The document, if the caller holds `permission` on its collection; unreadable looks like absent. */
export async function requireDocument(
  db: Executor,
  actor: Actor,
  { documentId, permission }: { documentId: string; permission: GrantPermission },
): Promise<DocumentRow> {
  const document = await getDocumentById({ db, id: documentId });
  const access = await collectionAccessOf(db, actor);
  if (!document || !access.readable.has(document.collectionId)) {
    throw new AppError("not_found:document", { message: "No such document." });
  }
  if (permission === "curate" && !access.curatable.has(document.collectionId)) {
    throw new AppError("forbidden:grant", {
      message: "You may read this collection but not change it; ask an admin for curate access.",
    });
  }
  return document;
}

export function requireRole(actor: Actor, allowed: readonly Role[]): void {
  if (!allowed.includes(actor.role)) {
    throw new AppError("forbidden:role", { message: `This needs the ${allowed.join(" or ")} role.` });
  }
}
