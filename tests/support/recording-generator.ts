import type { GenerateRequest, Generator } from "../../lib/llm/generator";

/** `inner` in every respect but `generate`, which is `generate` (given the inner one to call). */
export function withGenerate(
  inner: Generator,
  generate: (request: GenerateRequest, innerGenerate: Generator["generate"]) => AsyncIterable<string>,
): Generator {
  return {
    get id() {
      return inner.id;
    },
    get modelSha256() {
      return inner.modelSha256;
    },
    get capabilities() {
      return inner.capabilities;
    },
    countTokens: (text) => inner.countTokens(text),
    countPromptTokens: (request) => inner.countPromptTokens(request),
    generate: (request) => generate(request, (forwarded) => inner.generate(forwarded)),
    dispose: () => inner.dispose(),
  };
}

/**
 * Wraps a real generator and keeps every request it was given — exactly what the prompt builder
 * sent — so tests can compare it with the audit record. Injected through RuntimeOverrides.
 */
export function recordingGenerator(inner: Generator): Generator & { requests: GenerateRequest[] } {
  const requests: GenerateRequest[] = [];
  const recording = withGenerate(inner, (request, innerGenerate) => {
    requests.push(request);
    return innerGenerate(request);
  });
  return Object.assign(recording, { requests });
}
