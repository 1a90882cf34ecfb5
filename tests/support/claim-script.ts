import { buildTextPdf } from "../fixtures/builders/pdf";
import { scriptText } from "../fixtures/builders/tiny-gguf";

/**
 * A scripted GGUF's answer for the claim checks (any question over `claimHandbook`, whole, so [n]
 * is page n): a sentence its source states ([2]), one with a number its source does not hold
 * ([1]), and one the overlap measures cannot decide ([2]). Script pieces must be distinct.
 */
export const claimScript = [
  "▁Hard",
  "▁helmets",
  "▁must",
  "▁be",
  "▁worn",
  "▁in",
  "▁zone",
  "▁seven",
  "▁[2]",
  ".",
  "▁Visitors",
  "▁pay",
  "▁40",
  "▁euros",
  "▁at",
  "▁the",
  "▁gate",
  "▁[1].",
  "▁Afterwards",
  "▁visitors",
  "▁keep",
  "▁their",
  "▁helmet",
  "▁[2].",
];
export const claimAnswer = scriptText(claimScript);

export const claimHandbook = buildTextPdf({
  title: "Site safety handbook",
  pages: [
    ["Welcome to the site safety handbook. It explains how visitors and staff stay safe on the premises."],
    [
      "Protective equipment: hard helmets must be worn at all times in zone seven, where cranes operate overhead.",
      "Visitors receive a helmet at the gate and return it when they leave.",
    ],
    ["Fire exits are marked in green. Assembly point B is beside the car park."],
  ],
});
