import { checkPasswordPolicy } from "../../lib/auth/password";
import { type AdminContext, UsageError } from "./admin-command";

/**
 * The password piped on stdin (`--password-stdin`), without one trailing newline, so that
 * `echo "$PASSWORD" | …` and `printf %s "$PASSWORD" | …` set the same password. A terminal is
 * refused: what is typed there is echoed and stays in the scrollback.
 */
export async function readPasswordFromStdin(context: AdminContext): Promise<string> {
  const piped = await context.readStdin();
  if (piped === undefined) {
    throw new UsageError(
      "--password-stdin reads a piped password, e.g. printf '%s' \"$PASSWORD\" | npm run admin -- user add …",
    );
  }
  const password = piped.replace(/\r?\n$/, "");
  checkPasswordPolicy(password);
  return password;
}
