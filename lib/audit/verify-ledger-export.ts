import { verify } from "node:crypto";
import { sha256Hex } from "../text/sha256-hex";
import { type ExpectedKey, LedgerChecker, signatureProblem } from "./ledger-checker";
import {
  type AnswerLine,
  answerPayloadSchema,
  type CheckpointLine,
  type EventLine,
  type ExportHeader,
  type ExportLine,
  exportHeaderStatement,
  exportLineSchema,
} from "./ledger-export-format";
import { lineTooLong, readLines } from "./read-capped-lines";

export interface ExportProblem {
  /** 1-based line of the file. */
  line: number;
  /** The event (or checkpoint) concerned, when there is one. */
  seq?: number;
  reason: string;
}

export interface ExportVerification {
  isIntact: boolean;
  problem?: ExportProblem;
  header?: ExportHeader;
  /** Events of the span checked (`event` and `link` lines), and those given with their contents. */
  events: number;
  eventsWithContents: number;
  /** Checkpoints of the span found good (the anchor before the span not counted). */
  checkpoints: number;
  /** The newest of them: events up to it are signed; events after it only by the export's header. */
  lastCheckpointSeq?: number;
  answers: {
    /** `answer` lines whose question, answer and passages match the ledger's hashes. */
    checked: number;
    /** Passages whose text was erased (null): the ledger's hash remains, nothing to compare. */
    erasedPassages: number;
    /** `answer.create` events without an `answer` line: the answer is no longer stored. */
    notStored: number;
    /** Passages the ledger records that an answer line lacks (rows removed), the first few named. */
    missingPassages: number;
    missingExamples: { answerId: string; n: number }[];
  };
}

export interface ExportVerificationOptions {
  publicKey: ExpectedKey;
  /**
   * A longer line is a problem, read no further: memory stays bounded whatever the file holds.
   * An answer line with long passages is large, but nowhere near this.
   * @default 64 MiB (bytes of UTF-8)
   */
  maxLineBytes?: number;
}

const defaultMaxLineBytes = 64 * 1024 * 1024;

/** Verifies an export file (docs/audit-export.md) line by line, without any database. */
export async function verifyLedgerExportFile(
  file: string,
  options: ExportVerificationOptions,
): Promise<ExportVerification> {
  return verifyLines(readLines(file, options.maxLineBytes ?? defaultMaxLineBytes), options);
}

/**
 * Verifies the lines of a ledger export against the public key an auditor holds: the header's
 * signature, the chain of every `event` (hash recomputed) and `link` line without gaps, the anchor
 * and every checkpoint (signature, span, head, Merkle root), the end of the span the header
 * signed, and each `answer` line against the hashes its event keeps. Stops at the first problem.
 * Memory stays flat at any file size.
 */
export async function verifyLedgerExport(
  lines: AsyncIterable<string> | Iterable<string>,
  options: ExportVerificationOptions,
): Promise<ExportVerification> {
  return verifyLines(lines, options);
}

async function verifyLines(
  lines: AsyncIterable<string | typeof lineTooLong> | Iterable<string | typeof lineTooLong>,
  options: ExportVerificationOptions,
): Promise<ExportVerification> {
  const maxLineBytes = options.maxLineBytes ?? defaultMaxLineBytes;
  const verifier = new ExportVerifier(options.publicKey);
  for await (const text of lines) {
    const problem =
      text === lineTooLong || isLongerThan(text, maxLineBytes)
        ? verifier.tooLong(maxLineBytes)
        : verifier.feed(text);
    if (problem) return verifier.result(problem);
  }
  return verifier.result(verifier.end());
}

/** Whether `text` takes more than `maxBytes` in UTF-8 (1 to 3 bytes a UTF-16 unit). */
const isLongerThan = (text: string, maxBytes: number) =>
  text.length > maxBytes || (text.length * 3 > maxBytes && Buffer.byteLength(text) > maxBytes);

const describeBytes = (bytes: number) =>
  bytes % (1024 * 1024) === 0
    ? `${(bytes / (1024 * 1024)).toLocaleString("en")} MiB`
    : `${bytes.toLocaleString("en")} bytes`;

class ExportVerifier {
  private lineNumber = 0;
  private header: ExportHeader | undefined;
  private checker: LedgerChecker | undefined;
  /** The `answer.create` event on the line before, whose `answer` line may follow. */
  private answerEvent: EventLine | undefined;
  private readonly answers: ExportVerification["answers"] = {
    checked: 0,
    erasedPassages: 0,
    notStored: 0,
    missingPassages: 0,
    missingExamples: [],
  };

  constructor(private readonly publicKey: ExpectedKey) {}

  result(problem: ExportProblem | null): ExportVerification {
    return {
      isIntact: !problem,
      ...(problem ? { problem } : {}),
      ...(this.header ? { header: this.header } : {}),
      events: this.checker?.checkedEvents ?? 0,
      eventsWithContents: this.checker?.eventsWithContents ?? 0,
      checkpoints: this.checker?.checkpoints ?? 0,
      ...(this.checker?.lastCheckpoint ? { lastCheckpointSeq: this.checker.lastCheckpoint.seq } : {}),
      answers: this.answers,
    };
  }

  tooLong(maxLineBytes: number): ExportProblem {
    this.lineNumber += 1;
    return this.problem(
      `the line is longer than ${describeBytes(maxLineBytes)}, more than any export line holds (not read further)`,
    );
  }

  feed(text: string): ExportProblem | null {
    this.lineNumber += 1;
    // `npm run audit -- export > file` puts npm's banner (a blank line, then `> …` lines) before
    // the header: nothing in it is vouched for, and skipping it changes nothing that is checked.
    if (!this.header && (text.trim() === "" || text.startsWith("> "))) return null;
    const parsed = parseLine(text);
    if ("reason" in parsed) return this.problem(parsed.reason, parsed.seq);
    const line = parsed.line;
    if (!this.header) {
      if (line.type !== "folio-ledger-export")
        return this.problem("the file does not start with an export header");
      return this.checkHeader(line);
    }
    if (line.type === "answer") return this.checkAnswer(line);
    if (this.answerEvent) {
      this.answers.notStored += 1;
      this.answerEvent = undefined;
    }
    switch (line.type) {
      case "folio-ledger-export":
        return this.problem("a second header");
      case "checkpoint":
        return this.checkCheckpoint(line);
      case "event":
      case "link":
        return this.checkEvent(line);
    }
  }

  end(): ExportProblem | null {
    if (!this.header) return this.problem("the file is empty");
    if (this.answerEvent) this.answers.notStored += 1;
    const span = this.header.span;
    if (!span) return null;
    const started = this.start();
    if ("reason" in started) return started;
    const { head } = started;
    if (head.seq < span.toSeq) {
      return this.problem(
        `the export ends at event #${head.seq}, but its header spans events up to #${span.toSeq}: lines were removed from its end`,
        head.seq + 1,
      );
    }
    if (head.hash !== span.headHash)
      return this.problem(
        `event #${head.seq}'s hash differs from the chain head the header signed`,
        head.seq,
      );
    return this.tailProblem(started, span);
  }

  /**
   * Whether the events after the last checkpoint are those the header signed: a `link` line's
   * hash cannot be recomputed, so without this an event of the tail could be rewritten (its hash
   * recomputed) and the next one turned into a link to it, keeping the signed head.
   */
  private tailProblem(checker: LedgerChecker, span: NonNullable<ExportHeader["span"]>): ExportProblem | null {
    const tail = checker.unsignedTail;
    const range = `#${tail.fromSeq}–#${span.toSeq}`;
    if (span.tailFromSeq === null) {
      if (tail.events === 0) return null;
      return this.problem(
        `the header signed a span ending at checkpoint #${span.toSeq}, yet events ${range} follow the last checkpoint in the file: a checkpoint line was removed`,
        tail.fromSeq,
      );
    }
    if (tail.fromSeq !== span.tailFromSeq) {
      return this.problem(
        `the events after the last checkpoint start at #${tail.fromSeq}, but the header signed them from #${span.tailFromSeq}: a checkpoint line was removed or added`,
        tail.fromSeq,
      );
    }
    if (tail.merkleRoot !== span.tailMerkleRoot) {
      return this.problem(
        `the Merkle root of events ${range} (after the last checkpoint) differs from the one the header signed: an event or link line among them was changed`,
        tail.fromSeq,
      );
    }
    return null;
  }

  private problem(reason: string, seq?: number): ExportProblem {
    return { line: this.lineNumber, ...(seq !== undefined ? { seq } : {}), reason };
  }

  private checkHeader(header: ExportHeader): ExportProblem | null {
    if (header.keyId !== this.publicKey.keyId) {
      return this.problem(
        `the export was signed with key ${header.keyId.slice(0, 16)}…, not with the public key given (${this.publicKey.keyId.slice(0, 16)}…)`,
      );
    }
    const signature = Buffer.from(header.signature, "base64");
    if (!verify(null, exportHeaderStatement(header), this.publicKey.key, signature))
      return this.problem("the header's signature does not verify: the header was changed");
    this.header = header;
    return null;
  }

  /** The chain checker, created at the first event or checkpoint of the span (after the anchor, if any). */
  private start(anchor?: CheckpointLine): LedgerChecker | ExportProblem {
    if (this.checker) return this.checker;
    const span = this.header?.span;
    if (!span) return this.problem("the header says no event matched, yet the file holds events");
    if (span.fromSeq > 1 && !anchor) {
      return this.problem(
        `the anchor, checkpoint #${span.fromSeq - 1} (the signed chain head before the span), is missing`,
        span.fromSeq,
      );
    }
    this.checker = new LedgerChecker({
      publicKey: this.publicKey,
      ledgerName: "the export",
      ...(anchor ? { anchor: asCheckpoint(anchor) } : {}),
    });
    return this.checker;
  }

  private checkCheckpoint(line: CheckpointLine): ExportProblem | null {
    const span = this.header?.span;
    const isAnchor = !this.checker && span !== undefined && span !== null && line.seq === span.fromSeq - 1;
    if (isAnchor) {
      const problem = signatureProblem(asCheckpoint(line), this.publicKey);
      if (problem) return this.problem(`the anchor, checkpoint #${line.seq}: ${problem}`, line.seq);
      const started = this.start(line);
      return "reason" in started ? started : null;
    }
    const checker = this.start();
    if ("reason" in checker) return checker;
    const { head } = checker;
    if (line.seq > head.seq) {
      return this.problem(
        `checkpoint #${line.seq} comes after event #${head.seq}: ${line.seq === head.seq + 1 ? `event #${line.seq} is` : `events #${head.seq + 1}–#${line.seq} are`} missing before it`,
        head.seq + 1,
      );
    }
    const problem = checker.addCheckpoint(asCheckpoint(line));
    return problem && this.problem(problem.reason, problem.seq);
  }

  private checkEvent(line: EventLine | Extract<ExportLine, { type: "link" }>): ExportProblem | null {
    const checker = this.start();
    if ("reason" in checker) return checker;
    const span = this.header?.span;
    if (span && line.seq > span.toSeq)
      return this.problem(
        `event #${line.seq} lies beyond the span the header signed (#${span.toSeq})`,
        line.seq,
      );
    // Only a filtered export leaves events out; in a whole-ledger one a link line hides an event.
    if (line.type === "link" && this.header && Object.keys(this.header.filters).length === 0)
      return this.problem(
        `event #${line.seq} is a link line, its contents withheld: a whole-ledger export withholds no event`,
        line.seq,
      );
    const problem =
      line.type === "event" ? checker.addEvent({ ...line, ts: new Date(line.ts) }) : checker.addEvent(line);
    if (problem) return this.problem(problem.reason, problem.seq);
    if (line.type === "event" && line.action === "answer.create") this.answerEvent = line;
    return null;
  }

  private checkAnswer(line: AnswerLine): ExportProblem | null {
    const event = this.answerEvent;
    this.answerEvent = undefined;
    if (!event || event.seq !== line.seq)
      return this.problem(
        `the answer line for event #${line.seq} does not follow that event's line`,
        line.seq,
      );
    const result = answerProblem(event, line);
    if (typeof result === "string") return this.problem(`answer ${line.answerId}: ${result}`, event.seq);
    this.answers.checked += 1;
    this.answers.erasedPassages += result.erasedPassages;
    this.answers.missingPassages += result.missingPassages.length;
    for (const n of result.missingPassages) {
      if (this.answers.missingExamples.length < maxMissingExamples)
        this.answers.missingExamples.push({ answerId: line.answerId, n });
    }
    return null;
  }
}

function parseLine(text: string): { line: ExportLine } | { reason: string; seq?: number } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { reason: "not JSON" };
  }
  const parsed = exportLineSchema.safeParse(value);
  if (parsed.success) return { line: parsed.data };
  const raw = (value ?? {}) as { type?: unknown; seq?: unknown };
  const issue = parsed.error.issues[0];
  const where = issue && issue.path.length > 0 ? `${issue.path.join(".")}: ` : "";
  return {
    reason: `not a valid ${typeof raw.type === "string" ? `"${raw.type}" ` : ""}line (${where}${issue?.message ?? "invalid"})`,
    ...(typeof raw.seq === "number" ? { seq: raw.seq } : {}),
  };
}

/** How many passages missing from answer lines are named (the count is kept for all). */
const maxMissingExamples = 10;

const asCheckpoint = (line: CheckpointLine) => ({ ...line, createdAt: new Date(line.createdAt) });

/**
 * Whether an answer's stored texts are what its `answer.create` event hashed: the question, the
 * answer, and each passage (its hash and whole locator equal to the ledger's chunk, its text
 * hashing to it unless erased). A string says what differs; else the erased passages and those
 * the ledger records that the line lacks.
 */
function answerProblem(
  event: EventLine,
  line: AnswerLine,
): string | { erasedPassages: number; missingPassages: number[] } {
  if (event.subject !== `answer:${line.answerId}`) return `its event #${event.seq} is about ${event.subject}`;
  let raw: { question?: unknown; answer?: unknown };
  try {
    raw = JSON.parse(event.payload);
  } catch {
    return "its event's payload is not JSON";
  }
  const parsed = answerPayloadSchema.safeParse(raw);
  if (!parsed.success) return "its event's payload is not an answer's";
  const payload = parsed.data;
  // Events from before the ledger kept texts by hash hold the texts themselves.
  const questionSha256 =
    payload.questionSha256 ?? (typeof raw.question === "string" ? sha256Hex(raw.question) : undefined);
  const answerSha256 =
    payload.answerSha256 ?? (typeof raw.answer === "string" ? sha256Hex(raw.answer) : undefined);
  if (sha256Hex(line.question) !== questionSha256) return "the question's sha256 differs from the ledger's";
  if (sha256Hex(line.answer) !== answerSha256) return "the answer's sha256 differs from the ledger's";
  const chunks = new Map((payload.chunks ?? []).map((chunk) => [chunk.n, chunk]));
  let erasedPassages = 0;
  for (const source of line.sources) {
    const chunk = chunks.get(source.n);
    if (!chunk) return `passage [${source.n}] is not among the ledger's chunks`;
    if (source.contentHash !== chunk.contentHash)
      return `passage [${source.n}]: its content hash differs from the ledger's`;
    if (
      (chunk.chunkId !== undefined && source.chunkId !== chunk.chunkId) ||
      source.documentId !== chunk.documentId ||
      source.versionId !== chunk.versionId ||
      source.pageNumber !== chunk.pageNumber ||
      (source.pageLabel ?? null) !== (chunk.pageLabel ?? null) ||
      source.imageSha256 !== (chunk.imageSha256 ?? null)
    )
      return `passage [${source.n}]: its chunk, document, version, page or image differs from the ledger's`;
    if (source.text === null) erasedPassages += 1;
    else if (sha256Hex(source.text) !== source.contentHash)
      return `passage [${source.n}]: its text does not hash to its content hash (the text was changed)`;
  }
  const kept = new Set(line.sources.map((source) => source.n));
  return { erasedPassages, missingPassages: [...chunks.keys()].filter((n) => !kept.has(n)) };
}
