/**
 * A one-line progress bar on a terminal (`\r` redraws), silent elsewhere so logs and pipes get no
 * control characters. Used by `dna build` while a remote provider embeds the seed.
 */
export class ProgressBar {
  private readonly stream: NodeJS.WriteStream;
  private readonly label: string;
  private lastDraw = 0;
  private drawn = false;

  constructor(label: string, stream: NodeJS.WriteStream = process.stderr) {
    this.label = label;
    this.stream = stream;
  }

  /** Whether the bar draws at all (stderr is a TTY). */
  get enabled(): boolean {
    return Boolean(this.stream.isTTY);
  }

  /** Redraws at most every 100 ms, and always at 100%. */
  update(done: number, total: number): void {
    if (!this.enabled || total <= 0) return;
    const now = Date.now();
    if (now - this.lastDraw < 100 && done < total) return;
    this.lastDraw = now;
    const width = Math.max(10, Math.min(40, (this.stream.columns ?? 80) - this.label.length - 30));
    const filled = Math.round((width * done) / total);
    const pct = Math.floor((100 * done) / total);
    this.stream.write(`\r${this.label} [${'█'.repeat(filled)}${'░'.repeat(width - filled)}] ${done}/${total} ${pct}%`);
    this.drawn = true;
  }

  /** Ends the line the bar was drawn on. */
  finish(): void {
    if (this.drawn) this.stream.write('\n');
    this.drawn = false;
  }
}
