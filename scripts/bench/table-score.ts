import type { TruthCell } from "./table-truth";

/** Text compared without case, spaces or dash and quote variants (as the ICDAR 2013 evaluation does). */
export function normalizeCellText(text: string): string {
  return text
    .normalize("NFKC")
    .toLowerCase()
    .replace(/[\u2010-\u2015\u2212]/g, "-")
    .replace(/[\u2018\u2019]/g, "'")
    .replace(/[\u201c\u201d]/g, '"')
    .replace(/\s+/g, "");
}

/**
 * ICDAR 2013's structure measure: each non-empty cell with its nearest non-empty neighbour to the
 * right and below, as (text, text, direction) tuples. Comparing tuples judges rows and columns
 * without needing the same grid coordinates.
 */
export function adjacencyRelations(cells: readonly TruthCell[]): string[] {
  const relations: string[] = [];
  const filled = cells.filter((cell) => normalizeCellText(cell.text) !== "");
  for (const cell of filled) {
    const right = filled.filter(
      (other) =>
        other.startColumn > cell.endColumn && other.startRow <= cell.endRow && other.endRow >= cell.startRow,
    );
    const nearestColumn = Math.min(...right.map((other) => other.startColumn));
    for (const other of right.filter((candidate) => candidate.startColumn === nearestColumn)) {
      relations.push(`${normalizeCellText(cell.text)}\u0000${normalizeCellText(other.text)}\u0000h`);
    }
    const below = filled.filter(
      (other) =>
        other.startRow > cell.endRow &&
        other.startColumn <= cell.endColumn &&
        other.endColumn >= cell.startColumn,
    );
    const nearestRow = Math.min(...below.map((other) => other.startRow));
    for (const other of below.filter((candidate) => candidate.startRow === nearestRow)) {
      relations.push(`${normalizeCellText(cell.text)}\u0000${normalizeCellText(other.text)}\u0000v`);
    }
  }
  return relations;
}

export interface Counts {
  correct: number;
  predicted: number;
  truth: number;
}

/** Multiset intersection size of two lists. */
export function countMatches(predicted: readonly string[], truth: readonly string[]): Counts {
  const remaining = new Map<string, number>();
  for (const key of truth) remaining.set(key, (remaining.get(key) ?? 0) + 1);
  let correct = 0;
  for (const key of predicted) {
    const left = remaining.get(key) ?? 0;
    if (left > 0) {
      correct++;
      remaining.set(key, left - 1);
    }
  }
  return { correct, predicted: predicted.length, truth: truth.length };
}

export function addCounts(a: Counts, b: Counts): Counts {
  return { correct: a.correct + b.correct, predicted: a.predicted + b.predicted, truth: a.truth + b.truth };
}

export function scores(counts: Counts): { precision: number; recall: number; f1: number } {
  const precision = counts.predicted > 0 ? counts.correct / counts.predicted : 0;
  const recall = counts.truth > 0 ? counts.correct / counts.truth : 0;
  const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
  return { precision, recall, f1 };
}
