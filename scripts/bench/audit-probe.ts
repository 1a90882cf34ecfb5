/**
 * Runs one `npm run audit -- …` command in this process, exactly as scripts/admin.ts does, and
 * prints `AUDIT_PROBE {json}`: its exit code, how long it took (opening the database included)
 * and resident memory — at the start, at its peak while the command ran, and the process's peak —
 * the audit bench runs each command as a child, so the figures are the command's own. `tsx scripts/bench/audit-probe.ts <output file | -> <args…>`
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

// After the imports: what the admin CLI's code costs before the command does anything. Then the
// command's own peak, sampled (the process's maxRSS also holds transient peaks of loading the code).
const rssMb = () => Math.round(process.memoryUsage().rss / 1024 ** 2);
const startRssMb = rssMb();
let commandPeakRssMb = startRssMb;
const sampler = setInterval(() => {
  commandPeakRssMb = Math.max(commandPeakRssMb, rssMb());
}, 20);
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
const ms = Math.round(performance.now() - startedAt);
clearInterval(sampler);
commandPeakRssMb = Math.max(commandPeakRssMb, rssMb());
flush();
if (file !== undefined) closeSync(file);
console.log(
  `AUDIT_PROBE ${JSON.stringify({ code, ms, startRssMb, commandPeakRssMb, processPeakRssMb: Math.round(process.resourceUsage().maxRSS / 1024), printed })}`,
);
