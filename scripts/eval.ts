import { runEval } from "./eval/run-eval";

/** `npm run eval -- --beir <dir> | --financebench <dir> …`: see scripts/eval/run-eval.ts. */
process.exit(
  await runEval(process.argv.slice(2), {
    environment: process.env,
    err: (line) => console.error(line),
  }),
);
