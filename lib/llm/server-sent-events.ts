/** Longest event accepted: a server that never ends a line cannot grow memory without bound. */
const maxEventBytes = 1024 * 1024;

/**
 * The `data` of each event of a `text/event-stream` body, in order (multi-line data joined with
 * "\n"); comments and other fields are skipped.
 */
export async function* readServerSentEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffer = "";
  let dataLines: string[] = [];
  const reader = body.getReader();
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      if (buffer.length > maxEventBytes) throw new Error("an event longer than 1 MB");
      let newline = buffer.search(/\r?\n/);
      while (newline >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(buffer[newline] === "\r" ? newline + 2 : newline + 1);
        if (line === "") {
          if (dataLines.length > 0) yield dataLines.join("\n");
          dataLines = [];
        } else if (line.startsWith("data:")) {
          dataLines.push(line.slice(line.startsWith("data: ") ? 6 : 5));
        }
        newline = buffer.search(/\r?\n/);
      }
    }
  } finally {
    // Stopped early (the answer was aborted, or broke off): let the connection go.
    await reader.cancel().catch(() => {});
  }
  const rest = buffer + decoder.decode();
  if (rest.startsWith("data:")) dataLines.push(rest.slice(rest.startsWith("data: ") ? 6 : 5));
  if (dataLines.length > 0) yield dataLines.join("\n");
}
