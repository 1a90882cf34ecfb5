import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { QualityView } from "../../../_components/quality-view";
import { requireUser } from "../../../_server/page-session";

export const metadata: Metadata = { title: "Retrieval quality · Folio" };

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Golden questions and recall of one collection; the API decides who sees and changes what. */
export default async function QualityPage({ params }: { params: Promise<{ collectionId: string }> }) {
  const { collectionId } = await params;
  if (!uuidPattern.test(collectionId)) notFound();
  await requireUser(`/collections/${collectionId}/quality`);
  return <QualityView collectionId={collectionId} />;
}
