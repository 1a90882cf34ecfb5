import type { NextConfig } from "next";

/** Native and worker-spawning packages must stay out of the server bundle (NOTES.md). */
const nextConfig: NextConfig = {
  serverExternalPackages: [
    "@lancedb/lancedb",
    "onnxruntime-node",
    "node-llama-cpp",
    "pdfjs-dist",
    "@electric-sql/pglite",
    "postgres",
    "@huggingface/tokenizers",
  ],
  poweredByHeader: false,
  typescript: { ignoreBuildErrors: false },
};

export default nextConfig;
