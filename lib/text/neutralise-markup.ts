/**
 * Untrusted text (document passages and titles, earlier answers) made safe to place in a prompt:
 * - `<source>` / `<sources>` tags, which fence the passages, cannot be opened or closed from
 *   inside;
 * - nothing that looks like a chat template's control token — `<start_of_turn>`, `<end_of_turn>`,
 *   Gemma 4's `<|turn>` / `<turn|>`, ChatML's `<|im_start|>`, `</s>`, llama.cpp's `<__media__>` —
 *   survives: servers and bindings that tokenize the rendered chat with special tokens enabled
 *   would read it as a real turn boundary, and a document could speak as the user or the model.
 * Each `<` that starts such a token becomes `‹`, which reads the same to a person and to a model.
 */
export function neutraliseMarkup(text: string): string {
  return text
    .replace(/<(\/?)(sources?|passage)\b/gi, "‹$1$2")
    .replace(/<(\/?\|?[A-Za-z_][\w.:-]{0,38}\|?)>/g, "‹$1>")
    .replace(/<\|/g, "‹|")
    .replace(/\|>/g, "|›");
}
