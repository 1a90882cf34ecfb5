/**
 * Liveness: 200 while this process serves HTTP. It opens nothing (no database, no model), so a
 * slow dependency never gets a healthy process restarted; /api/ready says whether it can work.
 */
export function GET(): Response {
  return Response.json({ status: "ok" }, { headers: { "cache-control": "no-store" } });
}
