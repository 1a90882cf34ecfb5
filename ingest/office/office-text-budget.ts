import { AppError } from "../../lib/errors";
import type { OfficeContent } from "./office-content";
import type { OfficeArchive } from "./safe-archive";

/**
 * Text read from an Office package is smaller than its XML, except where one part or string is
 * used many times: a workbook repeating a long shared string in every cell, notes shared by every
 * slide. 137 KB of such a workbook made 81 M characters (hours of embedding, and an index far
 * past the collection's quota). Real files stay well under this ratio: a 200-character label
 * repeated down a column (~30 bytes of XML a cell) is about 7 times.
 */
const maxTextPerXmlByte = 8;
const textGraceCharacters = 1024 * 1024;

/**
 * How much text a package may expand to. Readers that repeat stored text (a workbook's shared
 * strings) spend it as they go, so a bomb stops early; `check` holds every reader's result to it.
 */
export class OfficeTextBudget {
  private spent = 0;

  private constructor(
    private readonly xmlBytes: number,
    readonly limit: number,
  ) {}

  static of(archive: OfficeArchive): OfficeTextBudget {
    let xmlBytes = 0;
    for (const bytes of archive.xmlParts.values()) xmlBytes += bytes.byteLength;
    return new OfficeTextBudget(xmlBytes, xmlBytes * maxTextPerXmlByte + textGraceCharacters);
  }

  /** Counts text a reader produced; throws `invalid:office_zip_bomb` once past the limit. */
  spend(characters: number): void {
    this.spent += characters;
    if (this.spent > this.limit) throw this.bomb(`more than ${this.limit}`);
  }

  /** Holds a reader's whole result to the limit. */
  check(content: OfficeContent): void {
    let characters = 0;
    for (const page of content.pages) for (const block of page.blocks) characters += block.text.length;
    if (characters > this.limit) throw this.bomb(String(characters));
  }

  private bomb(characters: string): AppError {
    return new AppError("invalid:office_zip_bomb", {
      message: `The document would expand to ${characters} characters of text from ${this.xmlBytes} bytes of XML, by repeating the same parts or strings over and over as a bomb does; it is refused.`,
    });
  }
}
