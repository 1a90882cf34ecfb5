import { checkPasswordPolicy } from "../../lib/auth/password";
import { UsageError } from "./admin-command";

/**
 * The password piped on stdin (`--password-stdin`), without one trailing newline, so that
 * `echo "$PASSWORD" | …` and `printf %s "$PASSWORD" | …` set the same password. A terminal is
 * refused: what is typed there is echoed and stays in the scrollback.
 */
export async function readPasswordFromStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const password = Buffer.concat(chunks)
    .toString("utf8")
    .replace(/\r?\n$/, "");
  checkPasswordPolicy(password);
  return password;
}

export function assertStdinIsPiped(): void {
  if (process.stdin.isTTY) {
    throw new UsageError(
      "--password-stdin reads a piped password, e.g. printf '%s' \"$PASSWORD\" | npm run admin -- user add …",
    );
  }
}
