import { sha256Hex } from "../text/sha256-hex";

/** A chunk's id: H(versionId, chunkIndex), so re-running a job rewrites the same ids. */
export function chunkIdOf(versionId: string, chunkIndex: number): string {
  return sha256Hex(`${versionId}:${chunkIndex}`).slice(0, 32);
}
