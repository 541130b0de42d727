import { expect } from 'vitest';

/** The fake API key every remote-embedding test uses; it must never show up in any output. */
export const FAKE_KEY = 'sk-test-FAKEKEY-7f3a9c0e51b2d4aa';

/**
 * Collects every string a test saw (error messages and details, log lines, CLI output, decisions,
 * status) so one assertion can check that the API key appears in none of them (issue 6 criterion 3).
 */
export class OutputCollector {
  readonly seen: string[] = [];

  /** Records a value: strings as they are, errors with message, details and cause, anything else as JSON. */
  add(value: unknown): void {
    if (typeof value === 'string') this.seen.push(value);
    else if (value instanceof Error) {
      const e = value as Error & { details?: unknown; cause?: unknown };
      this.seen.push(e.message, String(e.stack), JSON.stringify(e.details ?? null));
      if (e.cause !== undefined) this.add(e.cause);
    } else this.seen.push(JSON.stringify(value) ?? String(value));
  }

  /** Asserts that `secret` (default FAKE_KEY) appears in nothing collected (and, with `minimum`, that enough was collected). */
  expectNoSecret(secret: string = FAKE_KEY, minimum = 0): void {
    expect(this.seen.length).toBeGreaterThanOrEqual(minimum);
    const leaks = this.seen.filter((s) => s.includes(secret));
    expect(leaks, 'the API key leaked into output').toEqual([]);
  }
}
