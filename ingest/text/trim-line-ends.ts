/*
 * Trimming without a regular expression anchored at the end: `/\s+$/` and `/[ \t]+$/m` try every
 * start position inside a run of whitespace and scan it to its end before failing, so a line of
 * 200,000 spaces between two letters took over a minute (of the web server's event loop, for a
 * file read in process). These loops are linear.
 */

/** The text without trailing spaces and tabs on any line. */
export function trimLineEnds(text: string): string {
  return text
    .split("\n")
    .map((line) => {
      let end = line.length;
      while (end > 0 && (line[end - 1] === " " || line[end - 1] === "\t")) end--;
      return line.slice(0, end);
    })
    .join("\n");
}

/** The text without leading line breaks and without trailing whitespace. */
export function trimBlankEdges(text: string): string {
  let start = 0;
  while (text[start] === "\n") start++;
  return text.slice(start).trimEnd();
}
