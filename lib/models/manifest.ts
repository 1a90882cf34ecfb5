import { createHash, randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";

/**
 * `MODELS_DIR/manifest.json`: what is in the models directory, where it came from, and its sha256.
 * It doubles as a hash cache: a record is trusted only while the file keeps the recorded size and
 * mtime, so a multi-GB GGUF is hashed once and every later start reads its sha256 from here.
 * Keys are paths relative to MODELS_DIR with `/` separators (absolute for files outside it).
 */
const fileRecordSchema = z.object({
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  bytes: z.number().int().nonnegative(),
  /** `fs.Stats.mtimeMs` when recorded; a different value means the file changed. */
  mtimeMs: z.number(),
  /** `hf:<owner>/<repo>@<revision>/<path>`, or `local` for a file copied in by hand. */
  source: z.string().min(1),
  /** ISO time of the download (or, for `local`, of the first hash). */
  pulledAt: z.string(),
});
const manifestSchema = z.object({ files: z.record(z.string(), fileRecordSchema) });

export type ManifestFileRecord = z.infer<typeof fileRecordSchema>;
export type ModelsManifest = z.infer<typeof manifestSchema>;

export const manifestFileName = "manifest.json";
export const localSource = "local";

function manifestPath(modelsDir: string): string {
  return path.join(modelsDir, manifestFileName);
}

export function toManifestKey(modelsDir: string, filePath: string): string {
  const relative = path.relative(path.resolve(modelsDir), path.resolve(filePath));
  const isInside = relative !== "" && !relative.startsWith("..") && !path.isAbsolute(relative);
  return isInside ? relative.split(path.sep).join("/") : path.resolve(filePath);
}

/**
 * A missing manifest is empty. So is an unreadable one: it is a cache of facts that can be
 * recomputed from the files, and refusing to start over it would be worse than re-hashing.
 */
export async function readManifest(modelsDir: string): Promise<ModelsManifest> {
  let text: string;
  try {
    text = await readFile(manifestPath(modelsDir), "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { files: {} };
    throw error;
  }
  try {
    const parsed = manifestSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : { files: {} };
  } catch {
    return { files: {} };
  }
}

/** Write to a temporary file in the same directory, then rename: readers never see half a file. */
export async function writeManifest(modelsDir: string, manifest: ModelsManifest): Promise<void> {
  await mkdir(modelsDir, { recursive: true });
  const temporaryPath = `${manifestPath(modelsDir)}.${process.pid}-${randomBytes(4).toString("hex")}.tmp`;
  try {
    await writeFile(temporaryPath, `${JSON.stringify(manifest, null, 2)}\n`);
    await rename(temporaryPath, manifestPath(modelsDir));
  } catch (error) {
    await rm(temporaryPath, { force: true });
    throw error;
  }
}

// Read-modify-write is serialized per directory within a process, so concurrent pulls and hashes
// do not drop each other's records. Two processes writing at once can still lose one record;
// the loser is re-hashed on its next use, which is harmless.
const pendingUpdates = new Map<string, Promise<unknown>>();

async function updateManifest(modelsDir: string, mutate: (manifest: ModelsManifest) => void): Promise<void> {
  const key = path.resolve(modelsDir);
  const previous = pendingUpdates.get(key) ?? Promise.resolve();
  const next = previous
    .catch(() => undefined)
    .then(async () => {
      const manifest = await readManifest(modelsDir);
      mutate(manifest);
      await writeManifest(modelsDir, manifest);
    });
  pendingUpdates.set(key, next);
  try {
    await next;
  } finally {
    if (pendingUpdates.get(key) === next) pendingUpdates.delete(key);
  }
}

export interface RecordPulledFileOptions {
  modelsDir: string;
  filePath: string;
  sha256: string;
  bytes: number;
  source: string;
  /** @default now */
  pulledAt?: Date;
}

/** Records a file as it is on disk now (its current mtime), so later reads trust the sha256. */
export async function recordPulledFile(options: RecordPulledFileOptions): Promise<ManifestFileRecord> {
  const stats = await stat(options.filePath);
  const record: ManifestFileRecord = {
    sha256: options.sha256,
    bytes: options.bytes,
    mtimeMs: stats.mtimeMs,
    source: options.source,
    pulledAt: (options.pulledAt ?? new Date()).toISOString(),
  };
  await updateManifest(options.modelsDir, (manifest) => {
    manifest.files[toManifestKey(options.modelsDir, options.filePath)] = record;
  });
  return record;
}

/** The manifest record of a file, only if the file still has the recorded size and mtime. */
export async function findCurrentRecord(options: {
  modelsDir: string;
  filePath: string;
}): Promise<ManifestFileRecord | undefined> {
  let stats: Awaited<ReturnType<typeof stat>>;
  try {
    stats = await stat(options.filePath);
  } catch {
    return undefined;
  }
  const manifest = await readManifest(options.modelsDir);
  const record = manifest.files[toManifestKey(options.modelsDir, options.filePath)];
  if (record && record.bytes === stats.size && record.mtimeMs === stats.mtimeMs) return record;
  return undefined;
}

export async function hashFile(filePath: string): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash("sha256");
  let bytes = 0;
  for await (const chunk of createReadStream(filePath, { highWaterMark: 1024 * 1024 })) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { sha256: hash.digest("hex"), bytes };
}

/**
 * sha256 of a model file for audit rows: from the manifest while size and mtime match, otherwise
 * hashed (streaming) and recorded with source `local`: a file that changed on disk is no longer
 * the one that was pulled. Rejects with the fs error (ENOENT) when the file does not exist: check
 * for it first and use `describeMissingModel` for the message.
 */
export async function getFileSha256(options: { modelsDir: string; filePath: string }): Promise<string> {
  const current = await findCurrentRecord(options);
  if (current) return current.sha256;
  const statsBefore = await stat(options.filePath);
  const { sha256, bytes } = await hashFile(options.filePath);
  const statsAfter = await stat(options.filePath);
  // A file still being copied in would be recorded with a hash of half its bytes: do not cache it.
  if (statsAfter.mtimeMs !== statsBefore.mtimeMs || statsAfter.size !== bytes) return sha256;
  await recordPulledFile({
    modelsDir: options.modelsDir,
    filePath: options.filePath,
    sha256,
    bytes,
    source: localSource,
  });
  return sha256;
}
