import type { GenerateRequest, Generator } from "../../lib/llm/generator";

/**
 * Wraps a real generator and keeps every request it was given — exactly what the prompt builder
 * sent — so tests can compare it with the audit record. Injected through RuntimeOverrides.
 */
export function recordingGenerator(inner: Generator): Generator & { requests: GenerateRequest[] } {
  const requests: GenerateRequest[] = [];
  return {
    requests,
    get id() {
      return inner.id;
    },
    get modelSha256() {
      return inner.modelSha256;
    },
    get contextTokens() {
      return inner.contextTokens;
    },
    get vision() {
      return inner.vision;
    },
    countTokens: (text) => inner.countTokens(text),
    countPromptTokens: (request) => inner.countPromptTokens(request),
    generate: (request) => {
      requests.push(request);
      return inner.generate(request);
    },
    dispose: () => inner.dispose(),
  };
}
