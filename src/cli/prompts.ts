import { SrdError } from '../errors.js';

/** One choice of a select prompt. */
export interface Choice<T extends string> {
  value: T;
  label: string;
  hint?: string;
}

/**
 * What the interactive `enable` asks through. The terminal implementation is @clack/prompts
 * (loaded only when a human is at the keyboard); tests pass a scripted one. Every method rejects
 * with SRD_ERR_ENABLE_INPUT when the user cancels (Ctrl-C / Esc).
 */
export interface Prompter {
  intro(title: string): void;
  outro(message: string): void;
  /** A line of information (not a question). */
  info(message: string): void;
  warn(message: string): void;
  select<T extends string>(message: string, choices: Choice<T>[], initial?: T): Promise<T>;
  /** A line of text; `initial` is pre-filled, `validate` returns a problem or undefined. */
  text(message: string, options?: { initial?: string; placeholder?: string; validate?: (value: string) => string | undefined }): Promise<string>;
  /** Masked input (API keys): the typed text is never echoed. */
  password(message: string, options?: { validate?: (value: string) => string | undefined }): Promise<string>;
  confirm(message: string, initial: boolean): Promise<boolean>;
  /** A spinner around a slow step. */
  spinner(): { start(message: string): void; stop(message: string): void; error(message: string): void };
}

/** The terminal Prompter over @clack/prompts (imported on first use, so scripted runs never load it). */
export async function clackPrompter(): Promise<Prompter> {
  const p = await import('@clack/prompts');
  const answer = <T>(value: T): Exclude<T, symbol> => {
    if (p.isCancel(value)) {
      // main.ts prints the message; clack has already marked the prompt as cancelled.
      throw new SrdError('SRD_ERR_ENABLE_INPUT', 'cancelled: nothing was written');
    }
    return value as Exclude<T, symbol>;
  };
  return {
    intro: (title) => p.intro(title),
    outro: (message) => p.outro(message),
    info: (message) => p.log.info(message),
    warn: (message) => p.log.warn(message),
    select: async <T extends string>(message: string, choices: Choice<T>[], initial?: T): Promise<T> =>
      answer(
        await p.select<T>({
          message,
          options: choices.map((c) => ({ value: c.value, label: c.label, ...(c.hint ? { hint: c.hint } : {}) })) as never,
          ...(initial ? { initialValue: initial } : {}),
        }),
      ),
    text: async (message, options = {}) =>
      answer(
        await p.text({
          message,
          ...(options.initial !== undefined ? { initialValue: options.initial } : {}),
          ...(options.placeholder ? { placeholder: options.placeholder } : {}),
          ...(options.validate ? { validate: (v: string | undefined) => options.validate!(v ?? '') } : {}),
        }),
      ),
    password: async (message, options = {}) =>
      answer(await p.password({ message, ...(options.validate ? { validate: (v: string | undefined) => options.validate!(v ?? '') } : {}) })),
    confirm: async (message, initial) => answer(await p.confirm({ message, initialValue: initial })),
    spinner: () => {
      const s = p.spinner();
      return { start: (m) => s.start(m), stop: (m) => s.stop(m), error: (m) => s.error(m) };
    },
  };
}
