import { startAnswer } from "../../lib/answer/start-answer";
import { loadConfig } from "../../lib/config";
import { createFolio } from "../../lib/runtime";

/**
 * One Folio process answering one question (`<collectionId> <question>`), as the web server
 * does, on whatever database the environment names (PGlite included: this process owns it).
 * Fault tests kill it with SIGKILL part-way.
 */
const [collectionId = "", question = ""] = process.argv.slice(2);
const folio = await createFolio(loadConfig(), { log: () => {} });
await (await folio.generator()).countTokens("warm");
console.info("asking");
const events = await startAnswer(folio, {
  question,
  collectionIds: [collectionId],
  actor: "user:fault-test",
});
for await (const event of events) console.info(`event ${event.type}`);
await folio.close();
console.info("answered");
process.exit(0);
