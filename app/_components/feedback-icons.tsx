/**
 * Thumbs and a speech bubble as inline SVG in the text colour: emoji depend on a font the reader
 * may not have (headless Chromium on Debian draws empty boxes). Decorative: the text beside names them.
 */
const strokeProps = {
  fill: "none",
  stroke: "currentColor",
  strokeWidth: 2,
  strokeLinecap: "round",
  strokeLinejoin: "round",
} as const;

const thumbPath =
  "M14 9V5a3 3 0 0 0-3-3l-4 9v11h11.28a2 2 0 0 0 2-1.7l1.38-9a2 2 0 0 0-2-2.3zM7 22H4a2 2 0 0 1-2-2v-7a2 2 0 0 1 2-2h3";

export function ThumbIcon({ direction }: { direction: "up" | "down" }) {
  return (
    <svg className="icon" viewBox="0 0 24 24" width="1em" height="1em" aria-hidden="true" focusable="false">
      <path
        d={thumbPath}
        {...strokeProps}
        transform={direction === "down" ? "rotate(180 12 12)" : undefined}
      />
    </svg>
  );
}

export function CommentIcon() {
  return (
    <svg className="icon" viewBox="0 0 24 24" width="1em" height="1em" aria-hidden="true" focusable="false">
      <path d="M21 15a2 2 0 0 1-2 2H7l-4 4V5a2 2 0 0 1 2-2h14a2 2 0 0 1 2 2z" {...strokeProps} />
    </svg>
  );
}
