import { describe, expect, it } from "vitest";
import { parseSvg } from "../../ingest/stages/svg-parse";
import { sanitizeSvg } from "../../ingest/stages/svg-sanitize";
import { extractSvgLabels } from "../../ingest/stages/svg-text";

const sanitize = (source: string) => sanitizeSvg(parseSvg(source), { isAllowedDataUrl: () => true });

describe("extractSvgLabels", () => {
  it("reads text, tspans, titles and draw.io HTML labels, skipping switch fallbacks", () => {
    const root = parseSvg(`<?xml version="1.0"?>
      <svg xmlns="http://www.w3.org/2000/svg"><title>Lamp flow</title><desc>How to fix a lamp</desc>
        <text x="1" y="2">Total <tspan font-weight="bold">rev</tspan>enue<tspan x="1" dy="12">2024 &amp; 2025</tspan></text>
        <switch><foreignObject><div xmlns="http://www.w3.org/1999/xhtml"><div>Click Here to<br/>Edit Diagram</div></div></foreignObject>
          <text x="5" y="5">Click Here to...</text></switch>
        <script>alert("not text")</script><style>.a { fill: red }</style>
      </svg>`);
    expect(extractSvgLabels(root)).toEqual({
      title: "Lamp flow",
      labels: ["Lamp flow", "How to fix a lamp", "Total revenue 2024 & 2025", "Click Here to Edit Diagram"],
    });
  });

  it("never expands entities: a billion-laughs DTD stays inert and small", () => {
    const lol = `<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
      <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY x SYSTEM "file:///etc/passwd">]>
      <svg xmlns="http://www.w3.org/2000/svg"><text>&c; &x;</text></svg>`;
    const root = parseSvg(lol);
    expect(extractSvgLabels(root).labels).toEqual(["&c; &x;"]);
    expect(sanitizeSvg(root, { isAllowedDataUrl: () => true })).not.toMatch(/DOCTYPE|ENTITY|passwd/);
  });
});

describe("sanitizeSvg", () => {
  it("removes scripts, handlers, foreignObject, animations and every outside reference", () => {
    const output =
      sanitize(`<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" onload="alert(1)" xml:base="http://evil/">
      <script>fetch("http://evil/")</script><svg:script xmlns:svg="http://www.w3.org/2000/svg">x()</svg:script>
      <style>@import url("http://evil/a.css"); .a { background: url(http://evil/b.png) } .b { fill: url(#grad) }</style>
      <image href="http://127.0.0.1:9/x.png" width="10" height="10"/>
      <image xlink:href="file:///etc/passwd" width="10" height="10"/>
      <image href="/etc/hostname"/>
      <use href="other.svg#shape"/><use href="#shape"/>
      <rect style="fill: url( 'https://evil/c' )" onclick="steal()" fill="url(#grad)"/>
      <a xlink:href="javascript:alert(1)"><text>link</text></a>
      <set attributeName="href" to="http://evil/"/>
      <foreignObject><iframe src="http://evil/"/></foreignObject>
    </svg>`);
    expect(output).not.toMatch(
      /evil|127\.0\.0\.1|passwd|hostname|other\.svg|javascript|script|onload|onclick|foreignObject|@import|xml:base|<set/i,
    );
    expect(output).toContain('href="#shape"');
    expect(output).toContain('fill="url(#grad)"');
    expect(output).toContain(".b { fill: url(#grad) }");
  });

  it("keeps vetted raster data URLs only", () => {
    const png = "data:image/png;base64,iVBORw0KGgo=";
    const source = `<svg xmlns="http://www.w3.org/2000/svg"><image href="${png}"/><image href="data:image/svg+xml;base64,PHN2Zz4="/></svg>`;
    expect(sanitize(source)).toContain(png);
    expect(sanitize(source)).not.toContain("svg+xml");
    expect(sanitizeSvg(parseSvg(source), { isAllowedDataUrl: () => false })).not.toContain("data:");
  });

  it("refuses what is not an SVG, and nesting deeper than the parser allows", () => {
    expect(() => parseSvg("<html><body/></html>")).toThrow(
      expect.objectContaining({ code: "invalid:image_malformed" }),
    );
    const deep = `<svg>${"<g>".repeat(1000)}</svg>`;
    expect(() => parseSvg(deep)).toThrow(expect.objectContaining({ code: "invalid:image_malformed" }));
  });
});
