/**
 * Runs one `npm run audit -- …` command in this process, exactly as scripts/admin.ts does, and
 * prints `AUDIT_PROBE {json}`: its exit code, how long it took (opening the database included)
 * and this process's peak resident memory — the audit bench runs each command as a child, so
 * the figure is the command's own. `tsx scripts/bench/audit-probe.ts <output file | -> <args…>`
 * (`-`: the command's output is kept only to be reported).
 */
import { closeSync, openSync, writeSync } from "node:fs";
import { runAdmin } from "../admin/run-admin";

const [output = "-", ...args] = process.argv.slice(2);
const file = output === "-" ? undefined : openSync(output, "w");
const printed: string[] = [];
let buffer = "";
const flush = () => {
  if (file !== undefined && buffer !== "") writeSync(file, buffer);
  buffer = "";
};

// After the imports: what the admin CLI's code costs before the command does anything.
const startRssMb = Math.round(process.memoryUsage().rss / 1024 ** 2);
const startedAt = performance.now();
const code = await runAdmin(args, {
  environment: process.env,
  out: (line) => {
    if (file === undefined) printed.push(line);
    else {
      buffer += `${line}\n`;
      if (buffer.length >= 1 << 16) flush();
    }
  },
  err: (line) => printed.push(line),
  readStdin: async () => undefined,
});
flush();
if (file !== undefined) closeSync(file);
const ms = Math.round(performance.now() - startedAt);
console.log(
  `AUDIT_PROBE ${JSON.stringify({ code, ms, startRssMb, peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024), printed })}`,
);
