import { FifoLock } from "./fifo-lock";
import { type GenerateRequest, type Generator, type GeneratorCapabilities, hasImages } from "./generator";

export interface RoutingGeneratorOptions {
  /** Serves requests without images (the audited text path). */
  text: Generator;
  /** Serves requests with images; must have `capabilities.vision`. */
  vision: Generator;
  /** @default `<text id>+mmproj` */
  id?: string;
  /** @default `<text sha256>+<vision sha256>` */
  modelSha256?: string;
}

/**
 * One answering model seen through two runtimes: requests holding images go to the vision
 * generator, the rest to the text generator. Both run on the same CPU cores, so generation is
 * serialized across the two (first come, first served); counting is not.
 */
export class RoutingGenerator implements Generator {
  readonly id: string;
  readonly modelSha256: string;
  readonly capabilities: GeneratorCapabilities;
  private readonly text: Generator;
  private readonly vision: Generator;
  private readonly lock = new FifoLock();

  constructor(options: RoutingGeneratorOptions) {
    this.text = options.text;
    this.vision = options.vision;
    this.id = options.id ?? `${options.text.id}+mmproj`;
    this.modelSha256 = options.modelSha256 ?? `${options.text.modelSha256}+${options.vision.modelSha256}`;
    // A plan must fit whichever of the two serves it.
    this.capabilities = {
      ...options.vision.capabilities,
      contextTokens: Math.min(
        options.text.capabilities.contextTokens,
        options.vision.capabilities.contextTokens,
      ),
    };
  }

  countTokens(text: string): Promise<number> {
    return this.text.countTokens(text);
  }

  countPromptTokens(request: Pick<GenerateRequest, "system" | "messages">): Promise<number> {
    return this.route(request).countPromptTokens(request);
  }

  async *generate(request: GenerateRequest): AsyncGenerator<string, void, undefined> {
    const release = await this.lock.acquire(request.signal);
    try {
      yield* this.route(request).generate(request);
    } finally {
      release();
    }
  }

  async dispose(): Promise<void> {
    const results = await Promise.allSettled([this.text.dispose(), this.vision.dispose()]);
    const failed = results.find((result) => result.status === "rejected");
    if (failed) throw failed.reason;
  }

  private route(request: Pick<GenerateRequest, "messages">): Generator {
    return hasImages(request) ? this.vision : this.text;
  }
}
