/** @default the longest path kept; anything longer returns to "/". */
const maxReturnToLength = 2048;

/**
 * Where to send the browser after sign-in: only a path on Folio itself, so a crafted sign-in
 * link cannot bounce a freshly signed-in user to another site (open redirect). A value must start
 * with one "/" (not "//" or "/\", which browsers read as another host), carry no control
 * characters or whitespace (URL parsers drop tabs and newlines, turning "/\t/evil" into "//evil"),
 * and still resolve to Folio's origin; anything else becomes "/".
 */
export function safeReturnTo(value: string | null | undefined, publicUrl: string): string {
  if (!value || value.length > maxReturnToLength) return "/";
  if (!value.startsWith("/") || value.startsWith("//") || value.startsWith("/\\")) return "/";
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this rejects.
  if (/[\u0000-\u0020\u007f\\]/.test(value)) return "/";
  const base = new URL(publicUrl);
  const resolved = new URL(value, base);
  if (resolved.origin !== base.origin) return "/";
  return `${resolved.pathname}${resolved.search}${resolved.hash}`;
}
