/** Next.js calls this once when the server starts; Folio's start-up is Node.js-only. */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { startServer } = await import("./app/_server/start-server");
  startServer();
}
