/**
 * A single-line progress bar for CLIs. Redraws in place on a TTY; elsewhere (CI logs) prints a
 * line at most every 10% so logs stay readable.
 */
export interface ProgressBar {
  update(done: number, label?: string): void;
  finish(label?: string): void;
}

export interface ProgressBarOptions {
  total: number;
  title: string;
  /** Formats `done`/`total` for display, e.g. bytes as MB. @default String */
  formatAmount?: (amount: number) => string;
  stream?: NodeJS.WriteStream;
}

const barWidth = 28;

export function createProgressBar(options: ProgressBarOptions): ProgressBar {
  const stream = options.stream ?? process.stderr;
  const format = options.formatAmount ?? String;
  const startedAt = Date.now();
  let lastLoggedDecile = -1;

  function render(done: number, label: string | undefined, isFinal: boolean): void {
    const fraction = options.total > 0 ? Math.min(1, done / options.total) : 1;
    const filled = Math.round(fraction * barWidth);
    const elapsedSeconds = (Date.now() - startedAt) / 1000;
    const line =
      `${options.title} [${"#".repeat(filled)}${"-".repeat(barWidth - filled)}] ` +
      `${(fraction * 100).toFixed(0).padStart(3)}% ${format(done)}/${format(options.total)} ` +
      `${elapsedSeconds.toFixed(1)}s${label ? ` ${label}` : ""}`;
    if (stream.isTTY) {
      stream.write(`\r\x1b[2K${line}${isFinal ? "\n" : ""}`);
      return;
    }
    const decile = Math.floor(fraction * 10);
    if (isFinal || decile > lastLoggedDecile) {
      lastLoggedDecile = decile;
      stream.write(`${line}\n`);
    }
  }

  return {
    update: (done, label) => render(done, label, false),
    finish: (label) => render(options.total, label, true),
  };
}

export function formatMegabytes(bytes: number): string {
  return `${(bytes / 1_048_576).toFixed(1)}MB`;
}
