import { runAdmin } from "./admin/run-admin";

/** `npm run admin -- <command>`: see scripts/admin/run-admin.ts and docs/admin-cli.md. */
async function readPipedStdin(): Promise<string | undefined> {
  if (process.stdin.isTTY) return undefined;
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

process.exitCode = await runAdmin(process.argv.slice(2), {
  environment: process.env,
  out: (line) => console.log(line),
  err: (line) => console.error(line),
  readStdin: readPipedStdin,
});
