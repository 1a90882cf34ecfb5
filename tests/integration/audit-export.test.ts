import { generateKeyPairSync } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { Database } from "../../db/client";
import { insertAnswer } from "../../db/queries/answers";
import { createCollection } from "../../db/queries/collections";
import { appendAuditEvent, type NewAuditEvent } from "../../lib/audit/append-audit-event";
import { writeCheckpoint } from "../../lib/audit/checkpoints";
import { exportLedger, type LedgerExportOptions } from "../../lib/audit/export-ledger";
import { computeEventHash } from "../../lib/audit/hash-chain";
import type { ExpectedKey } from "../../lib/audit/ledger-checker";
import type { ExportHeader } from "../../lib/audit/ledger-export-format";
import { keyIdOf, loadOrCreateSigningKey, type SigningKey } from "../../lib/audit/signing-key";
import { verifyLedgerExport, verifyLedgerExportFile } from "../../lib/audit/verify-ledger-export";
import { loadConfig } from "../../lib/config";
import { sha256Hex } from "../../lib/text/sha256-hex";
import { parseExportDate } from "../../scripts/admin/audit-commands";
import { type AdminCliResult, runAdminCli, runAdminInProcess } from "../support/admin-cli";
import { openTestDatabase } from "../support/test-database";

/**
 * `npm run audit -- export` and `verify --file`: an export, whole or filtered, verifies offline
 * with the auditor's public key alone, and every way of tampering with the file is named at its
 * line and event. One ledger for the file (PGlite, or a fresh PostgreSQL database when
 * DATABASE_URL is set), written over four days of 2020 with checkpoints after days 1, 2 and 3.
 */
type Handle = Awaited<ReturnType<typeof openTestDatabase>>;
let directory: string;
let handle: Handle;
let environment: Record<string, string>;
let signingKey: SigningKey;
let publicKeyFile: string;
const ids = { collectionA: "", collectionB: "", answers: [] as string[] };

beforeAll(async () => {
  directory = await mkdtemp(path.join(tmpdir(), "folio-audit-export-"));
  handle = await openTestDatabase();
  environment = { DATA_DIR: path.join(directory, "data"), DATABASE_URL: handle.url ?? "", PUBLIC_URL: "" };
  signingKey = await loadOrCreateSigningKey(loadConfig(environment).auditKeyFile);
  publicKeyFile = path.join(directory, "folio-audit.pem");
  await writeFile(publicKeyFile, signingKey.publicKeyPem);
  await writeLedger(handle.db);
});
afterAll(async () => {
  await handle?.close();
  await rm(directory, { recursive: true, force: true });
});

const uuid = () => crypto.randomUUID();

async function append(db: Database, event: NewAuditEvent) {
  await db.transaction((tx) => appendAuditEvent(tx, event));
}

/** An answer as lib/answer/record-answer.ts stores it: texts in `answers`/`answer_sources`, hashes in the ledger. */
async function answer(db: Database, collectionIds: string[], passages: (string | null)[]): Promise<string> {
  const id = uuid();
  const question = `Question ${ids.answers.length + 1}?`;
  const text = `Answer ${ids.answers.length + 1} [1].`;
  const sources = passages.map((passage, index) => ({
    n: index + 1,
    chunkId: `chunk-${id}-${index}`,
    documentId: uuid(),
    versionId: uuid(),
    collectionId: collectionIds[0] ?? null,
    documentTitle: "A report",
    pageNumber: index + 1,
    kind: "text",
    text: passage ?? "erased later",
    contentHash: sha256Hex(passage ?? "erased later"),
    imageSha256: null,
  }));
  await db.transaction(async (tx) => {
    await insertAnswer({
      tx,
      answer: { id, actor: "ann", question, collectionIds, answer: text, status: "complete" },
      citations: [],
      sources,
    });
    await appendAuditEvent(tx, {
      actor: "ann",
      action: "answer.create",
      subject: `answer:${id}`,
      payload: {
        answerId: id,
        questionSha256: sha256Hex(question),
        answerSha256: sha256Hex(text),
        collectionIds,
        chunks: sources.map(({ n, chunkId, documentId, versionId, pageNumber, contentHash }) => ({
          n,
          chunkId,
          documentId,
          versionId,
          pageNumber,
          contentHash,
        })),
      },
    });
  });
  if (passages.includes(null)) {
    await db.execute(
      sql`UPDATE answer_sources SET text = NULL, erased_at = now() WHERE answer_id = ${id} AND n = ${passages.indexOf(null) + 1}`,
    );
  }
  ids.answers.push(id);
  return id;
}

async function writeLedger(db: Database): Promise<void> {
  vi.useFakeTimers({ toFake: ["Date"] });
  try {
    vi.setSystemTime(new Date("2020-01-01T09:00:00Z"));
    for (const [name, key] of [
      ["Contracts", "collectionA"],
      ["Payroll", "collectionB"],
    ] as const) {
      const { collection } = await createCollection({ db, name });
      ids[key] = collection.id;
      await append(db, {
        actor: "admin",
        action: "collection.create",
        subject: `collection:${collection.id}`,
        payload: { collectionId: collection.id, name },
      });
    }
    await append(db, {
      actor: "admin",
      action: "user.create",
      subject: "user:u1",
      payload: { email: "u1@x" },
    });
    await writeCheckpoint(db, signingKey);

    vi.setSystemTime(new Date("2020-01-02T09:00:00Z"));
    await answer(db, [ids.collectionA], ["Clause 4 says the term is two years."]);
    await answer(db, [ids.collectionB], ["Salaries are paid monthly.", "Bonuses in March."]);
    await answer(db, [ids.collectionA, ids.collectionB], ["Contract text.", null]);
    await writeCheckpoint(db, signingKey);

    vi.setSystemTime(new Date("2020-01-03T09:00:00Z"));
    const [first] = ids.answers;
    await append(db, {
      actor: "bob",
      action: "feedback.create",
      subject: `feedback:${first}:bob`,
      payload: { answerId: first, rating: 1, commentSha256: sha256Hex(""), collectionIds: [ids.collectionA] },
    });
    await append(db, {
      actor: "admin",
      action: "user.create",
      subject: "user:u2",
      payload: { email: "u2@x" },
    });
    await writeCheckpoint(db, signingKey);

    vi.setSystemTime(new Date("2020-01-04T09:00:00Z"));
    const purged = await answer(db, [ids.collectionB], ["Gone."]);
    await db.execute(sql`DELETE FROM answers WHERE id = ${purged}`);
    await append(db, {
      actor: "admin",
      action: "user.create",
      subject: "user:u3",
      payload: { email: "u3@x" },
    });
  } finally {
    vi.useRealTimers();
  }
}

async function exportLines(
  options: Omit<LedgerExportOptions, "actor" | "signingKey"> = {},
): Promise<string[]> {
  const lines: string[] = [];
  for await (const line of exportLedger(handle.db, { ...options, actor: "auditor", signingKey }))
    lines.push(line);
  return lines;
}

const expectedKey = (): ExpectedKey => ({ key: signingKey.publicKey, keyId: signingKey.keyId });
const verifyLines = (lines: string[], key = expectedKey()) => verifyLedgerExport(lines, { publicKey: key });

type Line = { type: string; seq: number; [field: string]: unknown };
const parse = (lines: string[]) => lines.map((line) => JSON.parse(line) as Line);
const header = (lines: string[]) => JSON.parse(lines[0] ?? "{}") as ExportHeader;

async function admin(args: string[]): Promise<AdminCliResult> {
  return runAdminInProcess(environment, args, { database: handle });
}

async function exportToFile(args: string[], name: string): Promise<{ file: string; lines: string[] }> {
  const result = await admin(["audit", "export", ...args]);
  expect(result).toMatchObject({ code: 0, stderr: "" });
  const file = path.join(directory, name);
  await writeFile(file, result.stdout);
  return { file, lines: result.stdout.trimEnd().split("\n") };
}

describe("npm run audit -- export, then verify --file", () => {
  it("exports the whole ledger, its own export event included, and verifies it offline", async () => {
    const { file, lines } = await exportToFile([], "whole.jsonl");
    const parsed = parse(lines);
    const events = parsed.filter((line) => line.type === "event");
    expect(parsed.filter((line) => line.type === "link")).toEqual([]);
    expect(events.at(-1)).toMatchObject({ action: "audit.export", actor: "cli" });
    expect(header(lines)).toMatchObject({ span: { fromSeq: 1, toSeq: events.at(-1)?.seq }, filters: {} });
    expect(parsed.filter((line) => line.type === "checkpoint").map((line) => line.seq)).toHaveLength(3);
    // Three answers stored (one passage erased), the fourth purged: no answer line.
    expect(parsed.filter((line) => line.type === "answer").map((line) => line.answerId)).toEqual(
      ids.answers.slice(0, 3),
    );

    const verified = await admin(["audit", "verify", "--file", file, "--public-key", publicKeyFile]);
    expect(verified).toMatchObject({ code: 0, stderr: "" });
    const total = events.length;
    const lastCheckpoint = parsed.filter((line) => line.type === "checkpoint").at(-1)?.seq;
    expect(verified.stdout).toContain(
      `The export is intact: ${total} events #1–#${total} (${total} with contents), 3 checkpoints, verified up to #${lastCheckpoint}; events after #${lastCheckpoint} are signed by the export alone, not yet by a checkpoint.`,
    );
    expect(verified.stdout).toContain(
      "Answers: 3 answers match the ledger's hashes (1 passage erased, hash kept); 1 answer no longer stored.",
    );
  });

  it("verifies with the script alone (no database opened, none reachable), npm's banner atop the file", async () => {
    const { lines } = await exportToFile([], "offline.jsonl");
    const file = path.join(directory, "offline-npm.jsonl");
    const banner = "\n> folio@0.1.0 audit\n> tsx scripts/admin.ts audit export\n\n";
    await writeFile(file, `${banner}${lines.join("\n")}\n`);
    const offline = {
      DATA_DIR: path.join(directory, "no-such-install"),
      DATABASE_URL: "postgres://nobody@127.0.0.1:1/none",
    };
    const result = await runAdminCli(offline, [
      "audit",
      "verify",
      "--file",
      file,
      "--public-key",
      publicKeyFile,
    ]);
    expect(result).toMatchObject({ code: 0 });
    expect(result.stdout).toContain("The export is intact");
  });

  it("exports a date range (a bare --to includes that day) as whole checkpoint spans, the rest as links", async () => {
    const { file, lines } = await exportToFile(["--from", "2020-01-02", "--to", "2020-01-03"], "range.jsonl");
    const parsed = parse(lines);
    const events = parsed.filter((line) => line.type === "event");
    expect(new Set(events.map((line) => String(line.ts).slice(0, 10)))).toEqual(
      new Set(["2020-01-02", "2020-01-03"]),
    );
    const checkpoints = parsed.filter((line) => line.type === "checkpoint");
    // The anchor (day 1's checkpoint) and the checkpoints of days 2 and 3, where the span ends.
    expect(checkpoints).toHaveLength(3);
    expect(header(lines).span).toMatchObject({
      fromSeq: (checkpoints[0]?.seq ?? 0) + 1,
      toSeq: checkpoints[2]?.seq,
    });
    expect(header(lines).filters).toEqual({
      from: "2020-01-02T00:00:00.000Z",
      to: "2020-01-04T00:00:00.000Z",
    });
    expect(parsed.filter((line) => line.type === "link")).toEqual([]);

    const verified = await admin(["audit", "verify", "--file", file, "--public-key", publicKeyFile]);
    expect(verified.code).toBe(0);
    expect(verified.stdout).toMatch(
      /5 events #\d+–#\d+ \(5 with contents\), 2 checkpoints, verified up to #\d+\./,
    );
  });

  it("exports a collection's events with their contents, the others in the span as links", async () => {
    const { file, lines } = await exportToFile(["--collection", "Contracts"], "collection.jsonl");
    const parsed = parse(lines);
    const events = parsed.filter((line) => line.type === "event");
    for (const event of events) {
      expect(`${event.subject} ${event.payload}`).toContain(ids.collectionA);
    }
    expect(events.map((line) => line.action)).toEqual([
      "collection.create",
      "answer.create",
      "answer.create",
      "feedback.create",
      "audit.export",
    ]);
    expect(parsed.filter((line) => line.type === "link").length).toBeGreaterThan(0);
    expect(parsed.filter((line) => line.type === "answer").map((line) => line.answerId)).toEqual([
      ids.answers[0],
      ids.answers[2],
    ]);
    const verified = await admin(["audit", "verify", "--file", file, "--public-key", publicKeyFile]);
    expect(verified).toMatchObject({ code: 0, stderr: "" });
    expect(verified.stdout).toContain("(5 with contents)");
  });

  it("exports chosen answers with their feedback (the auditor workspace's selection)", async () => {
    const chosen = ids.answers[0] ?? "";
    const lines = await exportLines({ answerIds: [chosen] });
    const events = parse(lines).filter((line) => line.type === "event");
    expect(events.map((line) => line.action)).toEqual(["answer.create", "feedback.create", "audit.export"]);
    expect(header(lines).filters).toEqual({ answerIds: [chosen] });
    expect(await verifyLines(lines)).toMatchObject({
      isIntact: true,
      eventsWithContents: 3,
      answers: { checked: 1 },
    });
  });

  it("reads the ledger a page at a time: pages of two events give the same lines", async () => {
    for (const filter of [{}, { answerIds: [ids.answers[0] ?? ""] }, { collectionId: ids.collectionB }]) {
      const whole = (await exportLines(filter)).slice(1);
      const paged = await exportLines({ ...filter, pageSize: 2 });
      // The same lines, then the second export's own event.
      expect(paged.slice(1, whole.length + 1)).toEqual(whole);
      expect(parse(paged.slice(whole.length + 1))).toMatchObject([{ type: "event", action: "audit.export" }]);
      expect(await verifyLines(paged)).toMatchObject({ isIntact: true });
    }
  });

  it("exports only a header when nothing matches, and that verifies", async () => {
    const lines = await exportLines({ from: new Date("2019-01-01"), to: new Date("2019-02-01") });
    expect(lines).toHaveLength(1);
    expect(header(lines).span).toBeNull();
    expect(await verifyLines(lines)).toMatchObject({ isIntact: true, events: 0 });
  });
});

/** Changes the line holding `seq` of `type`; returns its index. */
function indexOf(lines: string[], type: string, seq: number): number {
  const index = lines.findIndex((line) => {
    const parsed = JSON.parse(line) as Line;
    return parsed.type === type && parsed.seq === seq;
  });
  if (index < 0) throw new Error(`no ${type} line #${seq}`);
  return index;
}

function edit(lines: string[], index: number, change: (line: Line) => Line): string[] {
  const copy = [...lines];
  copy[index] = JSON.stringify(change(JSON.parse(copy[index] ?? "{}") as Line));
  return copy;
}

/** Rewrites every event line from `fromIndex` on with fresh hashes, after `change` to the first. */
function rewriteChain(lines: string[], fromIndex: number, change: (line: Line) => Line): string[] {
  const copy = edit(lines, fromIndex, change);
  let prevHash: string | undefined;
  for (let index = fromIndex; index < copy.length; index += 1) {
    const line = JSON.parse(copy[index] ?? "{}") as Line & {
      prevHash: string;
      hash: string;
      payload: string;
    };
    if (line.type !== "event") continue;
    const fields = { ...line, ts: new Date(String(line.ts)), prevHash: prevHash ?? line.prevHash } as never;
    const hash = computeEventHash(fields);
    copy[index] = JSON.stringify({ ...line, prevHash: prevHash ?? line.prevHash, hash });
    prevHash = hash;
  }
  return copy;
}

/**
 * The adversarial review's forgery of the unsigned tail: event `seq` changed and its hash
 * recomputed, the next event or link turned into a link to it that keeps its own hash.
 */
function forgeTail(lines: string[], seq: number, change: (line: Line) => Line): string[] {
  const copy = [...lines];
  const at = indexOf(copy, "event", seq);
  const forged = change(JSON.parse(copy[at] ?? "{}") as Line);
  const hash = computeEventHash({ ...forged, ts: new Date(String(forged.ts)) } as never);
  copy[at] = JSON.stringify({ ...forged, hash });
  const nextAt = at + 1 + copy.slice(at + 1).findIndex((text) => /^\{"type":"(event|link)"/.test(text));
  const next = JSON.parse(copy[nextAt] ?? "{}") as Line;
  copy[nextAt] = JSON.stringify({ type: "link", seq: next.seq, prevHash: hash, hash: next.hash });
  return copy;
}

describe("verify --file names the first bad line and event of a tampered export", () => {
  let lines: string[];
  let seqOf: {
    answer: number;
    plain: number;
    checkpoints: number[];
    lastCheckpoint: number;
    tailEvent: number;
    last: number;
  };
  beforeAll(async () => {
    lines = await exportLines();
    const parsed = parse(lines);
    const checkpoints = parsed.filter((line) => line.type === "checkpoint").map((line) => line.seq);
    const events = parsed.filter((line) => line.type === "event");
    seqOf = {
      answer: events.find((line) => line.subject === `answer:${ids.answers[0]}`)?.seq ?? 0,
      // An event with another event after it, not a checkpoint.
      plain: events.find((line) => line.subject === `collection:${ids.collectionB}`)?.seq ?? 0,
      checkpoints,
      lastCheckpoint: checkpoints.at(-1) ?? 0,
      // After the last checkpoint, with another event after it.
      tailEvent: events.find((line) => line.subject === "user:u3")?.seq ?? 0,
      last: events.at(-1)?.seq ?? 0,
    };
  });

  const cases: {
    name: string;
    tamper: (lines: string[]) => string[];
    seq: () => number;
    reason: string | (() => string);
  }[] = [
    {
      name: "a changed payload",
      tamper: (lines) =>
        edit(lines, indexOf(lines, "event", seqOf.plain), (line) => ({
          ...line,
          payload: '{"email":"x@x"}',
        })),
      seq: () => seqOf.plain,
      reason: "hash does not match the event's contents",
    },
    {
      name: "a changed hash",
      tamper: (lines) =>
        edit(lines, indexOf(lines, "event", seqOf.plain), (line) => ({ ...line, hash: "a".repeat(64) })),
      seq: () => seqOf.plain,
      reason: "hash does not match the event's contents",
    },
    {
      name: "a deleted event line",
      tamper: (lines) => lines.filter((_, index) => index !== indexOf(lines, "event", seqOf.plain)),
      seq: () => seqOf.plain,
      reason: () => `event #${seqOf.plain} is missing (the next is #${seqOf.plain + 1})`,
    },
    {
      name: "two event lines swapped",
      tamper: (lines) => {
        const at = indexOf(lines, "event", seqOf.plain);
        const copy = [...lines];
        [copy[at], copy[at + 1]] = [copy[at + 1] ?? "", copy[at] ?? ""];
        return copy;
      },
      seq: () => seqOf.plain,
      reason: () => `event #${seqOf.plain} is missing (the next is #${seqOf.plain + 1})`,
    },
    {
      name: "the last line deleted",
      tamper: (lines) => lines.slice(0, -1),
      seq: () => seqOf.last,
      reason: () =>
        `the export ends at event #${seqOf.last - 1}, but its header spans events up to #${seqOf.last}`,
    },
    {
      name: "every line after the last checkpoint deleted",
      tamper: (lines) => lines.slice(0, indexOf(lines, "checkpoint", seqOf.lastCheckpoint) + 1),
      seq: () => seqOf.lastCheckpoint + 1,
      reason: "lines were removed from its end",
    },
    {
      name: "the tail cut and the header's span shortened to match",
      tamper: (lines) =>
        edit(lines.slice(0, indexOf(lines, "checkpoint", seqOf.lastCheckpoint) + 1), 0, (line) => ({
          ...line,
          span: { ...(line.span as object), toSeq: seqOf.lastCheckpoint },
        })),
      seq: () => Number.NaN,
      reason: "the header's signature does not verify",
    },
    {
      name: "the chain rewritten with fresh hashes from a changed event",
      tamper: (lines) =>
        rewriteChain(lines, indexOf(lines, "event", seqOf.plain), (line) => ({
          ...line,
          payload: '{"email":"x@x"}',
        })),
      seq: () => parse(lines).find((line) => line.type === "checkpoint" && line.seq >= seqOf.plain)?.seq ?? 0,
      reason: "the chain head it signed differs from the event's hash (the chain was rewritten)",
    },
    {
      name: "the unsigned tail rewritten with fresh hashes",
      tamper: (lines) =>
        rewriteChain(lines, indexOf(lines, "event", seqOf.last), (line) => ({
          ...line,
          actor: "someone else",
        })),
      seq: () => seqOf.last,
      reason: "hash differs from the chain head the header signed",
    },
    {
      name: "an event hidden as a link line (a whole-ledger export withholds none)",
      tamper: (lines) =>
        edit(lines, indexOf(lines, "event", seqOf.plain), ({ seq, prevHash, hash }) => ({
          type: "link",
          seq,
          prevHash,
          hash,
        })),
      seq: () => seqOf.plain,
      reason: "is a link line, its contents withheld: a whole-ledger export withholds no event",
    },
    {
      name: "an event after the last checkpoint rewritten, the next made a link to it keeping its hash",
      tamper: (lines) => forgeTail(lines, seqOf.tailEvent, (line) => ({ ...line, actor: "someone else" })),
      seq: () => seqOf.tailEvent + 1,
      reason: "a whole-ledger export withholds no event",
    },
    {
      name: "the last checkpoint line removed",
      tamper: (lines) =>
        lines.filter((_, index) => index !== indexOf(lines, "checkpoint", seqOf.lastCheckpoint)),
      seq: () => (seqOf.checkpoints.at(-2) ?? 0) + 1,
      reason: "a checkpoint line was removed",
    },
    {
      name: "an answer's text altered",
      tamper: (lines) =>
        edit(lines, indexOf(lines, "answer", seqOf.answer), (line) => ({
          ...line,
          answer: "Something else.",
        })),
      seq: () => seqOf.answer,
      reason: "the answer's sha256 differs from the ledger's",
    },
    {
      name: "a passage put on another chunk",
      tamper: (lines) =>
        edit(lines, indexOf(lines, "answer", seqOf.answer), (line) => ({
          ...line,
          sources: (line.sources as { chunkId: string }[]).map((source) => ({
            ...source,
            chunkId: "chunk-x",
          })),
        })),
      seq: () => seqOf.answer,
      reason: "passage [1]: its chunk, document, version, page or image differs from the ledger's",
    },
    {
      name: "a passage given a page label the ledger does not have",
      tamper: (lines) =>
        edit(lines, indexOf(lines, "answer", seqOf.answer), (line) => ({
          ...line,
          sources: (line.sources as object[]).map((source) => ({ ...source, pageLabel: "Slide 9" })),
        })),
      seq: () => seqOf.answer,
      reason: "passage [1]: its chunk, document, version, page or image differs from the ledger's",
    },
    {
      name: "a passage's text altered",
      tamper: (lines) =>
        edit(lines, indexOf(lines, "answer", seqOf.answer), (line) => ({
          ...line,
          sources: (line.sources as { text: string }[]).map((source) => ({
            ...source,
            text: `${source.text} Not.`,
          })),
        })),
      seq: () => seqOf.answer,
      reason: "passage [1]: its text does not hash to its content hash",
    },
  ];

  it("warns of passages the ledger records that an answer no longer keeps (a row removed)", async () => {
    const second = ids.answers[1] ?? "";
    const seq =
      parse(lines).find((line) => line.type === "event" && line.subject === `answer:${second}`)?.seq ?? 0;
    const file = path.join(directory, "passage-removed.jsonl");
    const index = indexOf(lines, "answer", seq);
    const changed = edit(lines, index, (line) => ({
      ...line,
      sources: (line.sources as unknown[]).slice(0, 1),
    }));
    expect((await verifyLines(changed)).answers).toMatchObject({
      missingPassages: 1,
      missingExamples: [{ answerId: second, n: 2 }],
    });
    await writeFile(file, `${changed.join("\n")}\n`);
    const result = await admin(["audit", "verify", "--file", file, "--public-key", publicKeyFile]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      `Warning: 1 passage the ledger records is no longer kept with its answer (rows removed): ${second} [2].`,
    );
  });

  it("accepts the untouched export", async () => {
    expect(await verifyLines(lines)).toMatchObject({ isIntact: true });
  });

  it.each(cases)("$name", async ({ tamper, seq, reason }) => {
    const verified = await verifyLines(tamper(lines));
    expect(verified.isIntact).toBe(false);
    expect(verified.problem?.reason).toContain(typeof reason === "string" ? reason : reason());
    if (!Number.isNaN(seq())) expect(verified.problem?.seq).toBe(seq());
  });

  it("refuses another public key than the one that signed the export", async () => {
    const { publicKey } = generateKeyPairSync("ed25519");
    const verified = await verifyLines(lines, { key: publicKey, keyId: keyIdOf(publicKey) });
    expect(verified.problem).toMatchObject({ line: 1 });
    expect(verified.problem?.reason).toContain("not with the public key given");
  });

  it("says so through the CLI: exit 1 naming the line and the event", async () => {
    const file = path.join(directory, "tampered.jsonl");
    const index = indexOf(lines, "event", seqOf.plain);
    await writeFile(file, `${edit(lines, index, (line) => ({ ...line, actor: "mallory" })).join("\n")}\n`);
    const result = await admin(["audit", "verify", "--file", file, "--public-key", publicKeyFile]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `The export is broken at line ${index + 1}, event #${seqOf.plain}: hash does not match the event's contents.\n`,
    );
  });

  it("says clearly that a key file is not a public key, offline or against the database", async () => {
    const bad = path.join(directory, "bad.pem");
    await writeFile(bad, "-----BEGIN PUBLIC KEY-----\nbm90IGEga2V5\n-----END PUBLIC KEY-----\n");
    const file = path.join(directory, "untouched.jsonl");
    await writeFile(file, `${lines.join("\n")}\n`);
    for (const args of [
      ["audit", "verify", "--file", file, "--public-key", bad],
      ["audit", "verify", "--public-key", bad],
    ]) {
      const result = await admin(args);
      expect(result).toMatchObject({
        code: 1,
        stderr: `${bad} is not an Ed25519 public key in PEM form (-----BEGIN PUBLIC KEY-----), as npm run audit -- public-key prints it.\n`,
      });
    }
    const missing = await admin(["audit", "verify", "--file", file, "--public-key", `${bad}.none`]);
    expect(missing).toMatchObject({ code: 1, stderr: `Cannot read the public key ${bad}.none (ENOENT).\n` });
    expect(await admin(["audit", "verify", "--file", file])).toMatchObject({ code: 2 });
  });
});

describe("verify --file vouches for a filtered export's tail and reads lines of bounded length", () => {
  it("names a tail rewritten as the review's probe does, where the rewritten event's successor is a link anyway", async () => {
    const lines = await exportLines({ collectionId: ids.collectionB });
    const purged = parse(lines).find((line) => line.subject === `answer:${ids.answers[3]}`);
    const lastCheckpoint = parse(lines)
      .filter((line) => line.type === "checkpoint")
      .at(-1)?.seq;
    expect(purged?.seq).toBeGreaterThan(lastCheckpoint ?? Number.POSITIVE_INFINITY);
    expect(parse(lines)[indexOf(lines, "event", purged?.seq ?? 0) + 1]?.type).toBe("link");
    expect(await verifyLines(lines)).toMatchObject({ isIntact: true });

    const forged = forgeTail(lines, purged?.seq ?? 0, (line) => ({ ...line, actor: "someone else" }));
    const verified = await verifyLines(forged);
    expect(verified.isIntact).toBe(false);
    expect(verified.problem).toMatchObject({ line: forged.length, seq: (lastCheckpoint ?? 0) + 1 });
    expect(verified.problem?.reason).toContain(
      "(after the last checkpoint) differs from the one the header signed: an event or link line among them was changed",
    );
  });

  it("refuses a filtered export whose header claims the whole ledger: the signature covers the filters", async () => {
    const lines = await exportLines({ collectionId: ids.collectionB });
    const verified = await verifyLines(edit(lines, 0, (line) => ({ ...line, filters: {} })));
    expect(verified.problem).toMatchObject({ line: 1 });
    expect(verified.problem?.reason).toContain("the header's signature does not verify");
  });

  it("stops at a line longer than the limit, naming it, without reading it whole", async () => {
    const lines = await exportLines({ answerIds: [ids.answers[0] ?? ""] });
    const file = path.join(directory, "long-line.jsonl");
    await writeFile(
      file,
      `${lines[0]}\n{"type":"event","actor":"${"x".repeat(100_000)}"}\n${lines.slice(1).join("\n")}\n`,
    );
    const verified = await verifyLedgerExportFile(file, { publicKey: expectedKey(), maxLineBytes: 8_192 });
    expect(verified.problem).toEqual({
      line: 2,
      reason: "the line is longer than 8,192 bytes, more than any export line holds (not read further)",
    });
    expect(
      (
        await verifyLedgerExport([lines[0] ?? "", "x".repeat(10_000)], {
          publicKey: expectedKey(),
          maxLineBytes: 8_192,
        })
      ).problem,
    ).toMatchObject({ line: 2, reason: expect.stringContaining("longer than 8,192 bytes") });
  });

  it("reads a file with CRLF line ends and no final newline", async () => {
    const lines = await exportLines({ answerIds: [ids.answers[0] ?? ""] });
    const file = path.join(directory, "crlf.jsonl");
    await writeFile(file, lines.join("\r\n"));
    expect(await verifyLedgerExportFile(file, { publicKey: expectedKey() })).toMatchObject({
      isIntact: true,
    });
  });
});

describe("parseExportDate", () => {
  it.each([
    ["2020-01-02", "from", "2020-01-02T00:00:00.000Z"],
    ["2020-01-02", "to", "2020-01-03T00:00:00.000Z"],
    ["2020-12-31", "to", "2021-01-01T00:00:00.000Z"],
    ["2020-01-02T10:30", "to", "2020-01-02T10:30:00.000Z"],
    ["2020-01-02T10:30:00+02:00", "from", "2020-01-02T08:30:00.000Z"],
  ] as const)("reads %s as --%s: %s", (text, flag, expected) => {
    expect(parseExportDate(text, flag).toISOString()).toBe(expected);
  });

  it.each(["2020-02-30", "02/01/2020", "2020-01-02Z", "yesterday"])("refuses %s", (text) => {
    expect(() => parseExportDate(text, "from")).toThrow(/takes an ISO date/);
  });
});
