import { existsSync } from "node:fs";
import { mkdtemp, rm, symlink } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { AppError } from "../../lib/errors";

/** A tesseract language code: `eng`, `deu`, `chi_sim`, `script/Latin` is not accepted. */
const languageCode = /^[a-z]{3}(_[a-z]{2,8})?$/;

/**
 * Data directories inside an `@tesseract.js-data/<code>` package, preferred first. Both hold the
 * same LSTM network; `4.0.0` also carries the legacy engine's data, which LSTM-only OCR never uses.
 */
const dataDirectories = ["4.0.0_best_int", "4.0.0"] as const;

export interface LanguageData {
  code: string;
  /** Absolute path of `<code>.traineddata.gz`. */
  file: string;
  packageName: string;
}

/**
 * Finds each language's traineddata in its installed npm package; never downloads. A missing
 * package is `unavailable:ocr_languages` naming the command that installs it.
 */
export function resolveLanguageData(languages: readonly string[]): LanguageData[] {
  if (languages.length === 0) {
    throw new AppError("invalid:ocr_languages", { message: "At least one OCR language is needed." });
  }
  // Resolved from the project directory Folio runs in, not from this module: inside the Next.js
  // server bundle, this module's own location is a build chunk where a computed package name
  // cannot be resolved.
  const require = createRequire(path.join(process.cwd(), "package.json"));
  return [...new Set(languages)].map((code) => {
    if (!languageCode.test(code)) {
      throw new AppError("invalid:ocr_languages", {
        message: `"${code}" is not a tesseract language code (e.g. eng, deu, chi_sim).`,
      });
    }
    const packageName = `@tesseract.js-data/${code}`;
    let packageDirectory: string;
    try {
      packageDirectory = path.dirname(require.resolve(`${packageName}/package.json`));
    } catch (error) {
      throw new AppError("unavailable:ocr_languages", {
        message: `OCR language "${code}" is not installed: run \`npm install ${packageName}\`.`,
        details: { package: packageName },
        cause: error,
      });
    }
    for (const directory of dataDirectories) {
      const file = path.join(packageDirectory, directory, `${code}.traineddata.gz`);
      if (existsSync(file)) return { code, file, packageName };
    }
    throw new AppError("unavailable:ocr_languages", {
      message: `${packageName} holds no ${code}.traineddata.gz; reinstall it.`,
      details: { package: packageName },
    });
  });
}

/**
 * tesseract.js reads every language from one `langPath` directory (its in-memory `{ code, data }`
 * form joins the data instead of the codes at initialisation in 7.0.0), while each language lives
 * in its own package: a private temporary directory of links gathers them.
 */
export async function linkLanguageDirectory(
  data: readonly LanguageData[],
): Promise<{ langPath: string; remove: () => Promise<void> }> {
  const langPath = await mkdtemp(path.join(tmpdir(), "folio-ocr-languages-"));
  try {
    for (const language of data) {
      await symlink(language.file, path.join(langPath, `${language.code}.traineddata.gz`));
    }
  } catch (error) {
    await rm(langPath, { recursive: true, force: true });
    throw error;
  }
  return { langPath, remove: () => rm(langPath, { recursive: true, force: true }) };
}
