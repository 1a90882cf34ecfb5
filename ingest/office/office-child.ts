/**
 * The child side of the Office reader (office-reader.ts): reads one document on request and
 * streams its pages over IPC (office-protocol.ts), under a V8 heap cap and an OS memory limit.
 * It gets a bare environment. Never import this module: it starts listening as soon as it loads.
 */
import { isAppError } from "../../lib/errors";
import { type OfficeChildMessage, officeFailureCodes, officeReadRequestSchema } from "./office-protocol";
import { readOfficeDocument } from "./read-office-document";

function send(message: OfficeChildMessage): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!process.send) {
      reject(new Error("office-child must be started with an IPC channel"));
      return;
    }
    process.send(message, undefined, {}, (error) => (error ? reject(error) : resolve()));
  });
}

async function handle(raw: unknown): Promise<void> {
  const request = officeReadRequestSchema.parse(raw);
  try {
    const { pageCount, title, pages, hasMacros } = await read(request);
    await send({ type: "opened", pageCount, title, hasMacros });
    for (const page of pages) await send({ type: "page", page: page as never });
    await send({ type: "done" });
  } catch (error) {
    const code = isAppError(error) ? error.code : "internal:office_reader";
    const isKnown = (officeFailureCodes as readonly string[]).includes(code);
    await send({
      type: "failed",
      code: isKnown ? (code as (typeof officeFailureCodes)[number]) : "internal:office_reader",
      message: (isKnown && isAppError(error) ? error.message : "The Office reader failed.").slice(0, 2000),
    });
    if (!isKnown) process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  }
}

async function read(request: { filePath: string; mediaType: string; maxUncompressedBytes: number }) {
  const content = await readOfficeDocument(request, { maxUncompressedBytes: request.maxUncompressedBytes });
  return { ...content, pageCount: content.pages.length };
}

process.on("message", (raw) => {
  handle(raw).catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  });
});
process.on("disconnect", () => process.exit(0));
await send({ type: "ready" });
