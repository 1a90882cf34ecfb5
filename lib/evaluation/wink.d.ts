declare module "wink-porter2-stemmer" {
  /** The Porter2 (Snowball English) stem of a lower-case word. */
  export default function stem(word: string): string;
}

declare module "wink-bm25-text-search" {
  interface Bm25Engine {
    defineConfig(config: {
      fldWeights: Record<string, number>;
      bm25Params?: { k1?: number; b?: number; k?: number };
    }): boolean;
    definePrepTasks(tasks: Array<(input: string) => string[]>, field?: string): number;
    addDoc(document: Record<string, string>, id: string): number;
    consolidate(frequencyPrecision?: number): boolean;
    /** [id, score] pairs, best first. */
    search(text: string, limit?: number): Array<[string, number]>;
  }
  export default function bm25(): Bm25Engine;
}
