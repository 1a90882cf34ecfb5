import * as ort from "onnxruntime-node";
import { modelLoadFailed } from "./model-directory";

/*
 * What every BERT-style encoder Folio runs shares (the embedder, the claim-check cross-encoder,
 * the reranker): int64 feeds padded to a batch's longest sequence, batches formed shortest first,
 * and one session run at a time.
 */

/** A tokenised input with its special tokens; `types` (token_type_ids) are all 0 when absent. */
export interface TokenSequence {
  ids: readonly number[];
  types?: readonly number[];
}

/**
 * The feeds of an encoder graph for `sequences`, padded with `padTokenId` to the longest:
 * input_ids, attention_mask (1 on real tokens), token_type_ids and position_ids (0, 1, 2, … on
 * every row), as many of them as the graph takes. Any other input is a graph Folio cannot run.
 */
export function encoderFeeds(
  inputNames: readonly string[],
  sequences: readonly TokenSequence[],
  padTokenId: number,
): Record<string, ort.Tensor> {
  const length = Math.max(...sequences.map((sequence) => sequence.ids.length));
  const size = sequences.length * length;
  const inputIds = new BigInt64Array(size).fill(BigInt(padTokenId));
  const attentionMask = new BigInt64Array(size);
  const tokenTypeIds = new BigInt64Array(size);
  const positionIds = new BigInt64Array(size);
  sequences.forEach((sequence, row) => {
    sequence.ids.forEach((id, column) => {
      const at = row * length + column;
      inputIds[at] = BigInt(id);
      attentionMask[at] = 1n;
      tokenTypeIds[at] = BigInt(sequence.types?.[column] ?? 0);
    });
    for (let column = 0; column < length; column++) positionIds[row * length + column] = BigInt(column);
  });
  const tensors: Record<string, BigInt64Array> = {
    input_ids: inputIds,
    attention_mask: attentionMask,
    token_type_ids: tokenTypeIds,
    position_ids: positionIds,
  };
  const feeds: Record<string, ort.Tensor> = {};
  for (const name of inputNames) {
    const data = tensors[name];
    if (!data) throw modelLoadFailed(`ONNX graph input ${name} is not one Folio can fill`);
    feeds[name] = new ort.Tensor("int64", data, [sequences.length, length]);
  }
  return feeds;
}

/**
 * `run` over `items` in batches of at most `batchSize`, shortest first, so that a batch pads
 * little (padding is wasted compute); the results come back in the order of `items`.
 */
export async function runByLength<Item, Result>(
  items: readonly Item[],
  lengthOf: (item: Item) => number,
  batchSize: number,
  run: (batch: Item[]) => Promise<Result[]>,
): Promise<Result[]> {
  const order = items
    .map((_, index) => index)
    .sort((a, b) => lengthOf(items[a] as Item) - lengthOf(items[b] as Item));
  const results = new Array<Result>(items.length);
  for (let start = 0; start < order.length; start += batchSize) {
    const indices = order.slice(start, start + batchSize);
    const batchResults = await run(indices.map((index) => items[index] as Item));
    indices.forEach((index, position) => {
      const result = batchResults[position];
      if (result !== undefined) results[index] = result;
    });
  }
  return results;
}

/** Runs tasks one at a time: concurrent runs of one session only fight over the same cores and memory. */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task);
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** Settles once every task queued so far has settled. */
  async idle(): Promise<void> {
    await this.tail.catch(() => undefined);
  }
}
