/**
 * What a value looks like after `Response.json` and `response.json()`: dates become ISO strings,
 * everything else keeps its shape. Lets the browser side name the server's types instead of
 * copying them.
 */
export type JsonShape<T> = T extends Date
  ? string
  : T extends object
    ? { [Key in keyof T]: JsonShape<T[Key]> } // homomorphic: arrays and tuples stay what they are
    : T;
