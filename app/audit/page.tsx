import type { Metadata } from "next";
import { AuditChainBadge } from "../_components/audit-chain-badge";
import { type AuditSearchFields, searchFieldNames } from "../_components/audit-data";
import { AuditSearchView } from "../_components/audit-search-view";
import { requireUser } from "../_server/page-session";

export const metadata: Metadata = { title: "Audit · Folio" };

export default async function AuditPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  await requireUser("/audit", { roles: ["auditor"] });
  const query = await searchParams;
  const initial: Partial<AuditSearchFields> = {};
  for (const name of searchFieldNames) {
    const value = query[name];
    if (typeof value === "string") initial[name] = value.slice(0, 500);
  }
  return (
    <div className="page-stack">
      <h1>Audit</h1>
      <AuditChainBadge />
      <AuditSearchView initial={initial} />
    </div>
  );
}
