/**
 * Where to go after signing in: only a path on this site. `//host`, `/\host` and paths with
 * control characters or whitespace (browsers drop a tab inside `/\t/host`, making it `//host`)
 * would lead to another origin, so they fall back to home.
 */
export function safeNextPath(next: string | readonly string[] | null | undefined): string {
  const value = typeof next === "string" ? next : next?.[0];
  if (!value || value.length > 2000 || !value.startsWith("/") || value.startsWith("//")) return "/";
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point.
  if (/[\\\s\u0000-\u001f\u007f]/.test(value)) return "/";
  return value;
}
