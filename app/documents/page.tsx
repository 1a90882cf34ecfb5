import type { Metadata } from "next";
import { DocumentsView } from "../_components/documents-view";
import { requireUser } from "../_server/page-session";

export const metadata: Metadata = { title: "Documents · Folio" };

export default async function DocumentsPage() {
  const user = await requireUser("/documents");
  return <DocumentsView isAdmin={user.role === "admin"} />;
}
