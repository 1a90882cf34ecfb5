/**
 * A passage as models read it: its heading path, then its text, so a passage under
 * "Risk factors › Liquidity" is found (embedder) and judged (reranker) as being about liquidity risk.
 */
export function passageTextOf(chunk: { headingPath: readonly string[]; text: string }): string {
  return chunk.headingPath.length > 0 ? `${chunk.headingPath.join(" › ")}\n${chunk.text}` : chunk.text;
}
