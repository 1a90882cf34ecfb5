import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { AuditAnswerView } from "../../../_components/audit-answer-view";
import { AuditChainBadge } from "../../../_components/audit-chain-badge";
import { requireUser } from "../../../_server/page-session";

export const metadata: Metadata = { title: "Answer · Audit · Folio" };

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export default async function AuditAnswerPage({ params }: { params: Promise<{ answerId: string }> }) {
  const { answerId } = await params;
  if (!uuidPattern.test(answerId)) notFound();
  await requireUser(`/audit/answers/${answerId}`, { roles: ["auditor"] });
  return (
    <div className="page-stack">
      <AuditChainBadge />
      <AuditAnswerView answerId={answerId} />
    </div>
  );
}
