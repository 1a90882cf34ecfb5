import { createHash } from "node:crypto";

const sha256 = (...parts: string[]) => {
  const hash = createHash("sha256");
  for (const part of parts) hash.update(part);
  return hash.digest("hex");
};

/**
 * `merkleRoot` (merkle-root.ts) computed one leaf at a time in O(log n) memory, so a verifier can
 * check a checkpoint's span of any length without holding its hashes. Equal to `merkleRoot` for
 * every n: both split the leaves into complete subtrees of 2^k leaves from the left (the binary
 * digits of n) and join the leftover subtrees right to left.
 */
export class MerkleAccumulator {
  /** Roots of complete subtrees, largest (leftmost) first; `sizes[i]` leaves under `roots[i]`. */
  private roots: string[] = [];
  private sizes: number[] = [];
  leafCount = 0;

  add(leafHash: string): void {
    this.leafCount += 1;
    let node = sha256("\x00", leafHash);
    let size = 1;
    while (this.sizes.length > 0 && this.sizes[this.sizes.length - 1] === size) {
      const left = this.roots.pop() ?? "";
      this.sizes.pop();
      node = sha256("\x01", left, node);
      size *= 2;
    }
    this.roots.push(node);
    this.sizes.push(size);
  }

  /** The root of the leaves added so far; throws with none, as `merkleRoot` does. */
  root(): string {
    if (this.roots.length === 0) throw new Error("a Merkle root needs at least one leaf");
    let node = this.roots[this.roots.length - 1] ?? "";
    for (let index = this.roots.length - 2; index >= 0; index -= 1) {
      node = sha256("\x01", this.roots[index] ?? "", node);
    }
    return node;
  }

  reset(): void {
    this.roots = [];
    this.sizes = [];
    this.leafCount = 0;
  }
}
