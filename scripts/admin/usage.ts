/** `npm run admin -- --help`. */
export const usage = `Usage: npm run admin -- <command> [options]

Users
  user add <email> --role <employee|admin|auditor> [--name <display name>] [--password-stdin]
                         without --password-stdin, prints a one-time sign-in link to hand over
  user list              email, name, role, disabled, has a password
  user disable <email>   ends their sessions; their API tokens stop working
  user enable <email>
  user role <email> <employee|admin|auditor>
  user link <email>      a fresh one-time sign-in link (valid 72 hours), e.g. for a lost password

Groups
  group add <name> [--oidc-group <claim value>]
  group list
  group remove <name>
  group add-member <group> <email>
  group remove-member <group> <email>

Collection grants (<collection> is a collection's name or id; admins need none)
  grant <collection> (--user <email> | --group <name>) (--read | --curate)
  revoke <collection> (--user <email> | --group <name>)
  grants

API tokens
  token create --user <email> [--name <label>] [--expires <30d|12h|90m>]
                         the token is alone on the last line: TOKEN=$(npm run admin -- token create … | tail -1)
  token list [--user <email>]    never shows a token, only its prefix
  token revoke <id or prefix>

Audit ledger (also: npm run audit -- verify)
  audit verify [--public-key <file.pem>]
                         checks every event's hash and link in order, and every signed checkpoint
                         (against the key given, else this install's); exit 1 names the first bad event
  audit checkpoint       signs the events since the last checkpoint (Ed25519, AUDIT_KEY_FILE)
  audit public-key       prints the public key that verifies the checkpoints: keep a copy apart
  audit export [--from <date>] [--to <date>] [--collection <name or id>] > ledger.jsonl
                         the ledger (or the events matching) as signed JSONL; a bare --to date
                         includes that day (docs/audit-export.md)
  audit verify --file <ledger.jsonl> --public-key <file.pem>
                         checks an export offline, no database opened; exit 1 names the first bad line

Retention and legal holds (<collection> is a collection's name or id)
  retention set <collection> [--answers-days <N|off>] [--documents-days <N|off>]
                         answers that drew on the collection, and its documents, are purged N days
                         after they were asked / last uploaded; off keeps them
  retention show         each collection's retention and whether it is held
  retention purge [--dry-run]
                         purges what is due now (also done every RETENTION_PURGE_HOURS): documents go
                         with their index rows and originals; says what a legal hold kept;
                         --dry-run only says what it would purge
  hold add (--collection <collection> | --user <email>) --reason <text>
                         keeps the collection's documents and the answers that drew on it, or the
                         user's answers, from purges; a held collection cannot be deleted
  hold release <id>
  hold list              active and released holds

Uses the app's configuration (DATA_DIR, DATABASE_URL, PUBLIC_URL) and only the database.
Changes are recorded in the audit log with the actor "cli".
With the embedded database (no DATABASE_URL) stop the Folio server first; with PostgreSQL it can run.
Exit codes: 0 done, 1 failed (the message says why), 2 wrong arguments (nothing done).
`;
