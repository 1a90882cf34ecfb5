import type { NextConfig } from "next";
import { PHASE_DEVELOPMENT_SERVER } from "next/constants";

/**
 * The page may load nothing from another origin (SECURITY.md I2: an answer that smuggles in
 * `![](https://evil/…)` must not make the browser call out). Inline scripts stay allowed because
 * the App Router streams its payload in inline script tags; dev mode also needs eval.
 */
function contentSecurityPolicy(isDevelopment: boolean): string {
  return [
    "default-src 'self'",
    `script-src 'self' 'unsafe-inline'${isDevelopment ? " 'unsafe-eval'" : ""}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "connect-src 'self'",
    "font-src 'self'",
    "object-src 'none'",
    "frame-ancestors 'none'",
    "base-uri 'self'",
    "form-action 'self'",
  ].join("; ");
}

export default function nextConfig(phase: string): NextConfig {
  return {
    /** Native and process-spawning packages stay out of the server bundle (NOTES.md). */
    serverExternalPackages: [
      "@lancedb/lancedb",
      "onnxruntime-node",
      "node-llama-cpp",
      "pdfjs-dist",
      "@electric-sql/pglite",
      "postgres",
      "@huggingface/tokenizers",
      "@node-rs/argon2",
      // Starts its OCR workers from files resolved next to its own sources.
      "tesseract.js",
    ],
    poweredByHeader: false,
    async headers() {
      return [
        {
          source: "/:path*",
          headers: [
            {
              key: "Content-Security-Policy",
              value: contentSecurityPolicy(phase === PHASE_DEVELOPMENT_SERVER),
            },
            { key: "X-Content-Type-Options", value: "nosniff" },
            { key: "Referrer-Policy", value: "no-referrer" },
            { key: "X-Frame-Options", value: "DENY" },
          ],
        },
        // Page previews (PNGs, and the text of text and HTML documents as text/plain) are shown
        // on their own by "Open the page": nothing in them may run or load anything.
        ...[
          "/api/documents/:documentId/pages/:pageNumber/preview",
          "/api/audit/answers/:answerId/sources/:n/preview",
        ].map((source) => ({
          source,
          headers: [{ key: "Content-Security-Policy", value: "default-src 'none'; sandbox" }],
        })),
      ];
    },
  };
}
