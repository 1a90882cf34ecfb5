/**
 * Next.js calls this once when the server starts: open the database (migrations), start the
 * in-process ingest worker so queued jobs resume without waiting for a first request.
 */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { getFolio } = await import("./app/_server/folio");
  await getFolio();
}
