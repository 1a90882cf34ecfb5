import { readPipedStdin } from "../lib/terminal/read-piped-stdin";
import { runExtract } from "./extract/run-extract";

/** `npm run extract -- <file>`: see scripts/extract/run-extract.ts. */
process.exitCode = await runExtract(process.argv.slice(2), {
  environment: process.env,
  out: (text) => process.stdout.write(text),
  err: (line) => console.error(line),
  readStdin: readPipedStdin,
});
