import { exportForAudit } from "../../../../lib/answers/export-for-audit";
import { toHttpResponse } from "../../../../lib/http/error-response";
import { readJson } from "../../../../lib/http/read-json";
import { getLogger } from "../../../../lib/observability/log";
import { authorize } from "../../../_server/authorize";
import { toSearchFilters } from "../schema";
import { exportBodySchema } from "./schema";

/** A body of up to 10,000 answer ids fits in this. */
const maxBodyBytes = 512 * 1024;

/**
 * Auditors only (anyone else: 404). Streams a ledger export (JSONL, one line per item) of the
 * chosen answers or of an answer search, as a download; the export itself is recorded in the ledger.
 */
export async function POST(request: Request): Promise<Response> {
  try {
    const { folio, actor } = await authorize(request);
    const body = await readJson(request, exportBodySchema, maxBodyBytes);
    const { firstLine, rest } = await exportForAudit(folio, actor, {
      ...(body.answerIds ? { answerIds: body.answerIds } : {}),
      filters: toSearchFilters(body),
    });
    const encoder = new TextEncoder();
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        if (firstLine !== undefined) controller.enqueue(encoder.encode(`${firstLine}\n`));
      },
      async pull(controller) {
        try {
          const next = await rest.next();
          if (next.done) controller.close();
          else controller.enqueue(encoder.encode(`${next.value}\n`));
        } catch (error) {
          getLogger().error("[audit export] stopped", { error });
          controller.error(error);
        }
      },
      async cancel() {
        await rest.return(undefined);
      },
    });
    const fileName = `folio-ledger-${new Date().toISOString().replace(/[:.]/g, "-")}.jsonl`;
    return new Response(stream, {
      headers: {
        "content-type": "application/jsonl; charset=utf-8",
        "content-disposition": `attachment; filename="${fileName}"`,
        "cache-control": "no-store",
        "x-content-type-options": "nosniff",
      },
    });
  } catch (error) {
    return toHttpResponse(error);
  }
}
