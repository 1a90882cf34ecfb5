import { readPipedStdin } from "../lib/terminal/read-piped-stdin";
import { runAdmin } from "./admin/run-admin";

/** `npm run admin -- <command>`: see scripts/admin/run-admin.ts and docs/admin-cli.md. */

process.exitCode = await runAdmin(process.argv.slice(2), {
  environment: process.env,
  out: (line) => console.log(line),
  err: (line) => console.error(line),
  readStdin: readPipedStdin,
});
