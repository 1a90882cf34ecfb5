import { spawn } from "node:child_process";
import { randomUUID, sign } from "node:crypto";
import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { type Database, openDatabase } from "../../db/client";
import { answerSources, answers, auditCheckpoints, auditEvents } from "../../db/schema";
import { checkpointStatement } from "../../lib/audit/checkpoints";
import { canonicalJson, computeEventHash, genesisHash } from "../../lib/audit/hash-chain";
import { merkleRoot } from "../../lib/audit/merkle-root";
import { loadOrCreateSigningKey, type SigningKey } from "../../lib/audit/signing-key";
import { loadConfig } from "../../lib/config";
import { sha256Hex } from "../../lib/text/sha256-hex";
import { createFreshPostgresDatabase } from "../../tests/support/test-database";
import { roundTo } from "./statistics";
import { printTable } from "./table";

export interface AuditBenchOptions {
  /** @default 100,000 */
  events: number;
  /** A signed checkpoint after every this many events. @default 1,000 */
  checkpointEvery: number;
}

interface CommandFigures {
  ms: number;
  eventsPerSecond: number | null;
  /** The process's resident memory once the admin CLI is loaded, before the command runs. */
  startRssMb: number;
  /** The highest resident memory while the command ran (sampled every 20 ms). */
  commandPeakRssMb: number;
  /** The process's peak, loading the code included. */
  processPeakRssMb: number;
}

/**
 * What the audit ledger's commands cost at size. A fresh database — PGlite on disk, and a fresh
 * PostgreSQL database when DATABASE_URL is set (dropped afterwards) — is filled with `events`
 * events with correct hashes (one in ten an answer with its texts and three passages, kept in
 * `answers`/`answer_sources` as Folio keeps them) and a signed checkpoint every
 * `checkpointEvery`. Then each command runs in its own process, so its peak RSS is its own:
 * `audit public-key` (the cost of starting and opening the database alone), `audit verify`,
 * `audit export` of the whole ledger to a file, and `audit verify --file` (no database).
 */
export async function runAuditBench(options: AuditBenchOptions): Promise<Record<string, unknown>> {
  const results: Record<string, unknown> = {
    events: options.events,
    checkpointEvery: options.checkpointEvery,
  };
  results.pglite = await benchDatabase("pglite", options);
  if (process.env.DATABASE_URL) results.postgres = await benchDatabase("postgres", options);
  return results;
}

async function benchDatabase(
  driver: "pglite" | "postgres",
  options: AuditBenchOptions,
): Promise<Record<string, unknown>> {
  const directory = await mkdtemp(path.join(tmpdir(), `folio-bench-audit-${driver}-`));
  const fresh = driver === "postgres" ? await createFreshPostgresDatabase("folio_bench_audit") : undefined;
  const environment = {
    DATA_DIR: path.join(directory, "data"),
    DATABASE_URL: fresh?.url ?? "",
    PUBLIC_URL: "",
  };
  try {
    const config = loadConfig(environment);
    const key = await loadOrCreateSigningKey(config.auditKeyFile);
    const keyFile = path.join(directory, "folio-audit.pem");
    await writeFile(keyFile, key.publicKeyPem);
    const fillStartedAt = performance.now();
    const handle = await openDatabase({ databaseUrl: config.databaseUrl, pgliteDir: config.pgliteDir });
    try {
      await fillLedger(handle.db, key, options);
    } finally {
      await handle.close();
    }
    const fillMs = Math.round(performance.now() - fillStartedAt);
    console.log(`[audit] ${driver}: ${options.events.toLocaleString("en")} events written in ${fillMs} ms`);

    const exportFile = path.join(directory, "ledger.jsonl");
    const open = await runProbe(environment, "-", ["audit", "public-key"]);
    const verify = await runProbe(environment, "-", ["audit", "verify", "--public-key", keyFile]);
    expectOutput(verify, "The audit ledger is intact");
    const exported = await runProbe(environment, exportFile, ["audit", "export"]);
    const offline = await runProbe(environment, "-", [
      "audit",
      "verify",
      "--file",
      exportFile,
      "--public-key",
      keyFile,
    ]);
    expectOutput(offline, "The export is intact");
    const exportMb = roundTo((await stat(exportFile)).size / 1024 ** 2, 1) ?? 0;

    const figures = (probe: ProbeResult): CommandFigures => ({
      ms: probe.ms,
      eventsPerSecond: Math.round(options.events / (probe.ms / 1000)),
      startRssMb: probe.startRssMb,
      commandPeakRssMb: probe.commandPeakRssMb,
      processPeakRssMb: probe.processPeakRssMb,
    });
    const commands = {
      openDatabase: { ...figures(open), eventsPerSecond: null },
      verify: figures(verify),
      export: { ...figures(exported), fileMb: exportMb },
      verifyFile: figures(offline),
    };
    const rows: [string, ProbeResult, number | null][] = [
      ["audit public-key (open the database only)", open, null],
      ["audit verify --public-key", verify, commands.verify.eventsPerSecond],
      ["audit export (whole ledger)", exported, commands.export.eventsPerSecond],
      ["audit verify --file (no database)", offline, commands.verifyFile.eventsPerSecond],
    ];
    printTable(
      `Audit ledger, ${driver}: ${options.events.toLocaleString("en")} events, a checkpoint every ${options.checkpointEvery.toLocaleString("en")}; export ${exportMb} MB`,
      ["command", "wall ms", "events/s", "RSS at start MB", "peak RSS in command MB", "process peak RSS MB"],
      rows.map(([name, probe, eventsPerSecond]) => [
        name,
        probe.ms,
        eventsPerSecond,
        probe.startRssMb,
        probe.commandPeakRssMb,
        probe.processPeakRssMb,
      ]),
    );
    return { fillMs, ...commands };
  } finally {
    await fresh?.drop();
    await rm(directory, { recursive: true, force: true });
  }
}

const collectionIds = Array.from({ length: 8 }, () => randomUUID());
const passage = (seq: number, n: number) =>
  `Passage ${n} of answer ${seq}: ${"the contract runs for two years and renews unless notice is given. ".repeat(18)}`;

/**
 * Writes the ledger as appendAuditEvent would, a thousand rows per INSERT: the same canonical
 * payloads, hashes and links, and the checkpoints writeCheckpoint would sign.
 */
async function fillLedger(db: Database, key: SigningKey, options: AuditBenchOptions): Promise<void> {
  const startTime = Date.UTC(2026, 0, 1);
  let prevHash = genesisHash;
  let spanHashes: string[] = [];
  let events: (typeof auditEvents.$inferInsert)[] = [];
  let answerRows: (typeof answers.$inferInsert)[] = [];
  let sourceRows: (typeof answerSources.$inferInsert)[] = [];
  const flush = async () => {
    if (answerRows.length > 0) await db.insert(answers).values(answerRows);
    if (sourceRows.length > 0) await db.insert(answerSources).values(sourceRows);
    if (events.length > 0) await db.insert(auditEvents).values(events);
    events = [];
    answerRows = [];
    sourceRows = [];
  };
  for (let seq = 1; seq <= options.events; seq += 1) {
    const collectionId = collectionIds[seq % collectionIds.length] ?? "";
    const ts = new Date(startTime + seq * 1_000);
    const event = {
      actor: `user-${seq % 50}`,
      ...eventBody(seq, collectionId, ts, { answerRows, sourceRows }),
    };
    const fields = { seq, ts, ...event, payload: canonicalJson(event.payload), prevHash };
    const hash = computeEventHash(fields);
    events.push({ ...fields, hash });
    spanHashes.push(hash);
    prevHash = hash;
    const isCheckpoint = seq % options.checkpointEvery === 0;
    if (events.length >= 1_000 || isCheckpoint || seq === options.events) await flush();
    if (isCheckpoint) {
      const unsigned = {
        seq,
        fromSeq: seq - spanHashes.length + 1,
        headHash: hash,
        merkleRoot: merkleRoot(spanHashes),
        createdAt: new Date(ts.getTime() + 500),
        keyId: key.keyId,
      };
      const signature = sign(null, checkpointStatement(unsigned), key.privateKey).toString("base64");
      await db.insert(auditCheckpoints).values({ ...unsigned, signature });
      spanHashes = [];
    }
    if (seq % 20_000 === 0) console.log(`[audit] … ${seq.toLocaleString("en")} events`);
  }
}

/** One event in ten an answer (its rows added to `rows`), one in ten feedback, the rest sign-ins and uploads. */
function eventBody(
  seq: number,
  collectionId: string,
  ts: Date,
  rows: { answerRows: (typeof answers.$inferInsert)[]; sourceRows: (typeof answerSources.$inferInsert)[] },
): { action: string; subject: string; payload: unknown } {
  if (seq % 10 === 0) {
    const id = randomUUID();
    const question = `What does clause ${seq} of the supplier contract say about renewal?`;
    const answer = `Clause ${seq} renews the contract for two years unless notice is given [1][2]. `.repeat(
      6,
    );
    const sources = [1, 2, 3].map((n) => ({
      answerId: id,
      n,
      chunkId: `${id}:${n}`,
      documentId: randomUUID(),
      versionId: randomUUID(),
      collectionId,
      documentTitle: `Contract ${seq}`,
      pageNumber: n,
      kind: "text",
      text: passage(seq, n),
      contentHash: sha256Hex(passage(seq, n)),
      imageSha256: null,
    }));
    rows.answerRows.push({
      id,
      actor: `user-${seq % 50}`,
      question,
      collectionIds: [collectionId],
      answer,
      status: "complete",
      createdAt: ts,
    });
    rows.sourceRows.push(...sources);
    return {
      action: "answer.create",
      subject: `answer:${id}`,
      payload: {
        answerId: id,
        questionSha256: sha256Hex(question),
        answerSha256: sha256Hex(answer),
        collectionIds: [collectionId],
        chunks: sources.map(({ n, chunkId, documentId, versionId, pageNumber, contentHash }) => ({
          n,
          chunkId,
          documentId,
          versionId,
          pageNumber,
          contentHash,
        })),
        model: { generatorId: "bench", sha256: "0".repeat(64), contextTokens: 8192 },
        status: "complete",
      },
    };
  }
  if (seq % 10 === 5) {
    return {
      action: "feedback.create",
      subject: `feedback:${seq}`,
      payload: {
        answerId: randomUUID(),
        rating: 1,
        commentSha256: sha256Hex(""),
        collectionIds: [collectionId],
      },
    };
  }
  return seq % 2 === 0
    ? { action: "user.sign_in", subject: `user:user-${seq % 50}`, payload: { method: "password" } }
    : {
        action: "document.upload",
        subject: `document:${randomUUID()}`,
        payload: { collectionId, fileName: `report-${seq}.pdf`, sha256: sha256Hex(String(seq)) },
      };
}

interface ProbeResult {
  code: number;
  ms: number;
  startRssMb: number;
  commandPeakRssMb: number;
  processPeakRssMb: number;
  printed: string[];
}

function expectOutput(probe: ProbeResult, text: string): void {
  if (probe.code !== 0 || !probe.printed.some((line) => line.includes(text)))
    throw new Error(`expected "${text}", the command printed:\n${probe.printed.join("\n")}`);
}

/** Runs scripts/bench/audit-probe.ts as a child with the install's `environment`. */
function runProbe(environment: Record<string, string>, output: string, args: string[]): Promise<ProbeResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "scripts/bench/audit-probe.ts", output, ...args],
      {
        env: { ...process.env, ...environment },
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    let stdout = "";
    child.stdout.on("data", (piece) => {
      stdout += piece;
    });
    child.once("error", reject);
    child.once("close", (code) => {
      const line = stdout.split("\n").find((candidate) => candidate.startsWith("AUDIT_PROBE "));
      if (!line)
        reject(new Error(`audit probe ${args.join(" ")} exited ${code} without a result:\n${stdout}`));
      else resolve(JSON.parse(line.slice("AUDIT_PROBE ".length)) as ProbeResult);
    });
  });
}
