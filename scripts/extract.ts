import { runExtract } from "./extract/run-extract";

/** `npm run extract -- <file>`: see scripts/extract/run-extract.ts. */
async function readPipedStdin(): Promise<string | undefined> {
  if (process.stdin.isTTY) return undefined;
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

process.exitCode = await runExtract(process.argv.slice(2), {
  environment: process.env,
  out: (text) => process.stdout.write(text),
  err: (line) => console.error(line),
  readStdin: readPipedStdin,
});
