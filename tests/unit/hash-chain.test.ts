import { describe, expect, it } from "vitest";
import { canonicalJson, computeEventHash, genesisHash, verifyChain } from "../../lib/audit/hash-chain";

function chain(count: number) {
  const events = [];
  let prevHash = genesisHash;
  for (let seq = 1; seq <= count; seq += 1) {
    const fields = {
      seq,
      ts: new Date(Date.UTC(2026, 0, 1, 0, 0, seq)),
      actor: "a",
      action: "answer.create",
      subject: `answer:${seq}`,
      payload: canonicalJson({ seq }),
      prevHash,
    };
    const hash = computeEventHash(fields);
    events.push({ ...fields, hash });
    prevHash = hash;
  }
  return events;
}

type Events = ReturnType<typeof chain>;
const at = (events: Events, index: number) => {
  const event = events[index];
  if (!event) throw new Error(`no event at ${index}`);
  return event;
};

describe("canonicalJson", () => {
  it("sorts keys at every level so equal values hash equally", () => {
    expect(canonicalJson({ b: 1, a: { d: [{ z: 1, y: 2 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[{"y":2,"z":1}]},"b":1}',
    );
  });
});

describe("verifyChain", () => {
  it("accepts an intact chain", () => {
    expect(verifyChain(chain(5))).toEqual({ isIntact: true, checkedEvents: 5 });
  });

  it.each([
    ["an edited payload", (events: Events) => Object.assign(at(events, 2), { payload: "{}" }), 3],
    ["a deleted row", (events: Events) => events.splice(1, 1), 2],
    ["swapped rows", (events: Events) => events.splice(1, 2, at(events, 2), at(events, 1)), 2],
    [
      "a forged row with a recomputed hash",
      (events: Events) => {
        const forged = { ...at(events, 3), actor: "mallory" };
        events[3] = { ...forged, hash: computeEventHash(forged) };
      },
      5,
    ],
  ])("names the first bad row after %s", (_name, tamper, firstBadSeq) => {
    const events = chain(5);
    tamper(events);
    expect(verifyChain(events)).toMatchObject({ isIntact: false, firstBadSeq });
  });
});
