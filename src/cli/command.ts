// How every `preflight` command is declared (SPEC §2): its words, arguments, options with a line
// each, and an example, so that `--help` on any command prints its usage, options and an example
// and exits 0, and bad usage is one line and exit 2. Each command group (keys.ts, policy.ts, ...)
// is a list of these; main.ts dispatches.

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Lang } from '../core/reasons/catalog';
import { UsageError } from '../node/errors';

export interface Opt { type: 'string' | 'boolean'; arg?: string; help: string; required?: boolean }

export interface Parsed {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
  out(s: string): void;
}

export interface Command {
  /** The words after `preflight`, e.g. 'policy sign'. */
  name: string;
  /** Positional arguments as shown in the usage line, e.g. 'POLICY.json'; required when given. */
  args?: string;
  /** How many positionals may follow (default: as many as `args` names). */
  maxArgs?: number;
  summary: string;
  options: Record<string, Opt>;
  example: string;
  run(p: Parsed): Promise<number> | number;
}

const flag = (k: string, o: Opt) => `--${k}${o.type === 'string' ? ` ${o.arg ?? 'VALUE'}` : ''}`;

export function usageLine(c: Command): string {
  const parts = [`preflight ${c.name}`];
  if (c.args) parts.push(c.args);
  for (const [k, o] of Object.entries(c.options)) parts.push(o.required ? flag(k, o) : `[${flag(k, o)}]`);
  return parts.join(' ');
}

export function helpText(c: Command): string {
  const opts = Object.entries(c.options);
  const w = Math.max(12, ...opts.map(([k, o]) => flag(k, o).length));
  return [
    `usage: ${usageLine(c)}`, '', c.summary, '',
    ...(opts.length ? ['options:', ...opts.map(([k, o]) => `  ${flag(k, o).padEnd(w)}  ${o.help}${o.required ? ' (required)' : ''}`), `  ${'--help'.padEnd(w)}  this text`, ''] : []),
    'example:', `  ${c.example}`, '',
    'exit codes: 0 success, 1 a check or verification failed, 2 bad usage or bad input', '',
  ].join('\n');
}

/** Parses argv for `c` and runs it; `--help` anywhere prints its help and answers 0. */
export async function runCommand(c: Command, argv: string[], out: (s: string) => void): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) { out(helpText(c).trimEnd()); return 0; }
  const options: Record<string, { type: 'string' | 'boolean' }> = {};
  for (const [k, o] of Object.entries(c.options)) options[k] = { type: o.type };
  let r: { values: Record<string, string | boolean | undefined>; positionals: string[] };
  try {
    r = parseArgs({ args: argv, options, allowPositionals: true, strict: true }) as typeof r;
  } catch (e) { throw new UsageError(`${(e as Error).message.replace(/\. To specify.*$/s, '')} (see preflight ${c.name} --help)`); }
  const max = c.maxArgs ?? (c.args ? c.args.split(' ').filter((x) => !x.startsWith('[')).length : 0);
  if (c.args && r.positionals.length === 0 && !c.args.startsWith('[')) throw new UsageError(`${c.name} needs ${c.args} (see preflight ${c.name} --help)`);
  if (r.positionals.length > max) throw new UsageError(`${c.name}: unexpected argument "${r.positionals[max]}" (see preflight ${c.name} --help)`);
  for (const [k, o] of Object.entries(c.options)) {
    const v = r.values[k];
    if (o.required && (typeof v !== 'string' || !v)) throw new UsageError(`--${k} is required (see preflight ${c.name} --help)`);
    if (o.type === 'string' && v === '') throw new UsageError(`--${k} must not be empty`);
  }
  return c.run({ values: r.values, positionals: r.positionals, out });
}

// ---- small helpers the command groups share ------------------------------------------------

export const str = (v: string | boolean | undefined): string | undefined => (typeof v === 'string' ? v : undefined);
export const need = (v: string | boolean | undefined, flagName: string): string => {
  if (typeof v !== 'string' || !v) throw new UsageError(`${flagName} is required`);
  return v;
};
export function lang(v: unknown): Lang {
  if (v === undefined) return 'zh';
  if (v !== 'zh' && v !== 'en') throw new UsageError('--lang must be zh or en');
  return v;
}
export function int(v: string | boolean | undefined, flagName: string, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (typeof v !== 'string' || !/^\d+$/.test(v) || n < min || n > max) throw new UsageError(`${flagName} must be an integer from ${min} to ${max}, got "${String(v)}"`);
  return n;
}
export function readBytes(p: string, what: string): Uint8Array {
  try { return new Uint8Array(readFileSync(p)); } catch { throw new UsageError(`${what} ${p}: cannot be read`); }
}
export const LANG_OPT: Opt = { type: 'string', arg: 'zh|en', help: 'language of the text for people (default zh)' };
export const JSON_OPT: Opt = { type: 'boolean', help: 'machine-readable JSON instead of text' };
