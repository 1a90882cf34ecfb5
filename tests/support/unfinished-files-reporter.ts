import type { Reporter, TestCase, TestModule } from "vitest/node";

/**
 * Names the test files that started and never reported an end, with the last test each had begun.
 * When a worker process dies (a native crash, the OOM killer, a stray signal), Vitest prints only
 * "Worker exited unexpectedly" and leaves the file out of its counts; this says which file it was.
 */
export default class UnfinishedFilesReporter implements Reporter {
  private readonly running = new Map<string, string>();

  onTestModuleQueued(testModule: TestModule): void {
    this.running.set(testModule.moduleId, "(before its first test)");
  }

  onTestCaseReady(testCase: TestCase): void {
    this.running.set(testCase.module.moduleId, testCase.fullName);
  }

  onTestModuleEnd(testModule: TestModule): void {
    this.running.delete(testModule.moduleId);
  }

  onTestRunEnd(): void {
    if (this.running.size === 0) return;
    const lines = [...this.running].map(([moduleId, test]) => `  ${moduleId}\n    last test begun: ${test}`);
    process.stderr.write(
      `\nTest files that started and never finished (their worker died?):\n${lines.join("\n")}\n`,
    );
    this.running.clear();
  }
}
