import { createHash } from "node:crypto";

const sha256 = (...parts: string[]) => {
  const hash = createHash("sha256");
  for (const part of parts) hash.update(part);
  return hash.digest("hex");
};

/**
 * The Merkle root of a list of event hashes (hex): leaves and inner nodes are hashed with
 * different prefixes (RFC 6962 style), so a leaf can never pass for a node; an odd node is
 * carried up unchanged. An empty list has no root.
 */
export function merkleRoot(leafHashes: readonly string[]): string {
  if (leafHashes.length === 0) throw new Error("a Merkle root needs at least one leaf");
  let level = leafHashes.map((hash) => sha256("\x00", hash));
  while (level.length > 1) {
    const next: string[] = [];
    for (let index = 0; index < level.length; index += 2) {
      const left = level[index] ?? "";
      const right = level[index + 1];
      next.push(right === undefined ? left : sha256("\x01", left, right));
    }
    level = next;
  }
  return level[0] ?? "";
}
