import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { SrdError } from '../errors.js';
import { type Intent, isIntent } from '../intents.js';

/** One labelled utterance: a seed, corpus or evaluation line (`{text,label,lang,source?,split?}` JSONL). */
export interface LabelledText {
  text: string;
  label: Intent;
  lang: string;
  /** Where the item comes from (a dataset name), when the line says (`source`). */
  source?: string;
  /** The corpus split of the item (`train`, `calib` or `dev`), when the line says (`split`). */
  split?: string;
}

/**
 * Parses `{text,label,lang}` JSONL. Blank lines are skipped; any other bad line throws `code`
 * (SRD_ERR_SEED_INVALID or SRD_ERR_EVAL_INPUT) naming `file:line` and the problem.
 */
export function parseLabelledJsonl(content: string, file: string, code: 'SRD_ERR_SEED_INVALID' | 'SRD_ERR_EVAL_INPUT'): LabelledText[] {
  const out: LabelledText[] = [];
  content.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    const where = `${file}:${i + 1}`;
    let rec: unknown;
    try {
      rec = JSON.parse(line);
    } catch (err) {
      throw new SrdError(code, `${where}: not valid JSON: ${(err as Error).message}`);
    }
    const r = rec as Record<string, unknown>;
    if (typeof r?.text !== 'string' || r.text.trim() === '') throw new SrdError(code, `${where}: "text" must be a non-empty string`);
    if (!isIntent(r.label))
      throw new SrdError(code, `${where}: "label" must be one of CHAT, FACT, TRANS, CODE, REASON, WRITE (got ${JSON.stringify(r.label)})`);
    const item: LabelledText = { text: r.text, label: r.label, lang: typeof r.lang === 'string' ? r.lang : 'unknown' };
    if (typeof r.source === 'string') item.source = r.source;
    if (typeof r.split === 'string') item.split = r.split;
    out.push(item);
  });
  return out;
}

/** The seed corpus: every `*.jsonl` under a directory, in sorted path order, and its digest. */
export interface Seed {
  records: LabelledText[];
  files: string[];
  /** sha256 over file names and contents: identifies the corpus a DNA was built from. */
  digest: string;
}

/** Reads every `*.jsonl` below `dir` (recursively). Throws SRD_ERR_SEED_INVALID on a bad line or no files. */
export function readSeed(dir: string): Seed {
  const files = listJsonl(dir);
  if (files.length === 0) throw new SrdError('SRD_ERR_SEED_INVALID', `${dir}: no *.jsonl seed files found`);
  const hash = createHash('sha256');
  const records: LabelledText[] = [];
  for (const file of files) {
    const content = readFileSync(file, 'utf8');
    hash.update(path.relative(dir, file)).update('\0').update(content).update('\0');
    records.push(...parseLabelledJsonl(content, file, 'SRD_ERR_SEED_INVALID'));
  }
  return { records, files, digest: hash.digest('hex') };
}

function listJsonl(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) out.push(...listJsonl(p));
    else if (name.endsWith('.jsonl')) out.push(p);
  }
  return out;
}
