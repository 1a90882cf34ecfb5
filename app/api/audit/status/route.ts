import { requireAuditor } from "../../../../lib/answers/require-auditor";
import { ledgerStatus } from "../../../../lib/audit/ledger-status";
import { toHttpResponse } from "../../../../lib/http/error-response";
import { authorize } from "../../../_server/authorize";

/**
 * Auditors only (anyone else: 404). How far the ledger verifies (head seq and hash, the last
 * signed checkpoint) or the first bad event and why; checked at most every 30 s per process.
 */
export async function GET(request: Request): Promise<Response> {
  try {
    const { folio, actor } = await authorize(request);
    requireAuditor(actor);
    return Response.json({ status: await ledgerStatus(folio) }, { headers: { "cache-control": "no-store" } });
  } catch (error) {
    return toHttpResponse(error);
  }
}
