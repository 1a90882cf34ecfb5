/**
 * pdfjs-dist's legacy build (the one made for Node) bundles core-js, which on Node 20 replaces
 * `Array.prototype.push`, `JSON.parse` and `JSON.stringify` with JavaScript versions, for edge
 * cases pdf.js never meets (arrays of 2³² elements, `JSON.rawJSON`). Every push in pdf.js and in
 * Folio then runs as interpreted code: 15–25 % of a page's text extraction, and every IPC message
 * is serialised by the slow stringify. Imported before pdf.js, this module keeps the natives;
 * `restoreNativeBuiltins()` puts them back once pdf.js has loaded.
 */
const natives = { push: Array.prototype.push, parse: JSON.parse, stringify: JSON.stringify };

export function restoreNativeBuiltins(): void {
  Array.prototype.push = natives.push;
  JSON.parse = natives.parse;
  JSON.stringify = natives.stringify;
}
