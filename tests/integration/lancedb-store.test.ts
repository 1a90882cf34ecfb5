import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll } from "vitest";
import { LanceDbStore } from "../../lib/vector-store/lancedb-store";
import { describeVectorStoreContract } from "../contract/vector-store.contract";

const directories: string[] = [];
let current = "";

describeVectorStoreContract("LanceDbStore", {
  createStore: async (dims) => {
    current = await mkdtemp(path.join(tmpdir(), "folio-lance-"));
    directories.push(current);
    return LanceDbStore.create({ uri: current, dims });
  },
  reopenStore: (dims) => LanceDbStore.create({ uri: current, dims }),
});

afterAll(async () => {
  await Promise.all(directories.map((directory) => rm(directory, { recursive: true, force: true })));
});
