import { createReadStream } from "node:fs";

/** A line longer than `maxLineBytes`, not read to its end. */
export const lineTooLong = Symbol("line too long");

/**
 * The lines of a file (without `\n` or `\r\n`), then `lineTooLong` instead of a line over
 * `maxLineBytes`, after which nothing more is read. readline would buffer a line of any length
 * (and throw a RangeError past V8's string limit).
 */
export async function* readLines(
  file: string,
  maxLineBytes: number,
): AsyncGenerator<string | typeof lineTooLong> {
  const input = createReadStream(file);
  const decode = (pieces: Buffer[]) => {
    const text = Buffer.concat(pieces).toString("utf8");
    return text.endsWith("\r") ? text.slice(0, -1) : text;
  };
  try {
    let pieces: Buffer[] = [];
    let length = 0;
    for await (const chunk of input as AsyncIterable<Buffer>) {
      let start = 0;
      for (let end = chunk.indexOf(0x0a); end !== -1; end = chunk.indexOf(0x0a, start)) {
        if (length + end - start > maxLineBytes) {
          yield lineTooLong;
          return;
        }
        pieces.push(chunk.subarray(start, end));
        yield decode(pieces);
        pieces = [];
        length = 0;
        start = end + 1;
      }
      length += chunk.length - start;
      if (length > maxLineBytes) {
        yield lineTooLong;
        return;
      }
      if (start < chunk.length) pieces.push(chunk.subarray(start));
    }
    if (length > 0) yield decode(pieces);
  } finally {
    input.destroy();
  }
}
