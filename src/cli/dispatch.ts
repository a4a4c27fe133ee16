// Every `preflight` command (SPEC §2), one group per file, and the dispatch from argv to one of them.

import { UsageError } from '../node/errors';
import { runCommand, usageLine, type Command } from './command';
import { DOCTOR } from './doctor';
import { ENROL } from './enrol';
import { FLEET } from './fleet';
import { IMAGE } from './image';
import { JOURNAL } from './journal';
import { KEYS } from './keys';
import { POLICY } from './policy';
import { REASONS_CMD } from './reasons';
import { SIM } from './sim';

export const COMMANDS: Command[] = [...KEYS, ...POLICY, ...IMAGE, ...ENROL, ...SIM, ...JOURNAL, ...DOCTOR, ...REASONS_CMD, ...FLEET];

export function overview(cmds: Command[] = COMMANDS, title = 'preflight: service-point preflight for payment terminals'): string {
  return [title, '', 'usage:', ...cmds.map((c) => `  ${usageLine(c)}`), '',
    'Every command answers --help with its options and an example.',
    'exit codes: 0 success, 1 a check or verification failed, 2 bad usage or bad input', ''].join('\n');
}

/** Runs the command `argv` names; the exit code, or a UsageError for bad usage. */
export async function dispatch(argv: string[], out: (s: string) => void): Promise<number> {
  const help = (x: string | undefined) => x === '--help' || x === '-h' || x === 'help';
  if (!argv.length) { out(overview().trimEnd()); return 2; }
  if (help(argv[0])) { out(overview().trimEnd()); return 0; }
  // The longest command name that argv starts with: `enrol token` before `enrol`.
  const words = (c: Command) => c.name.split(' ');
  const match = COMMANDS.filter((c) => words(c).every((w, i) => argv[i] === w)).sort((a, b) => words(b).length - words(a).length)[0];
  if (match) return runCommand(match, argv.slice(words(match).length), out);
  const group = COMMANDS.filter((c) => words(c)[0] === argv[0]);
  if (group.length && (argv.length === 1 || help(argv[1]))) { out(overview(group, `preflight ${argv[0]}:`).trimEnd()); return argv.length === 1 ? 2 : 0; }
  throw new UsageError(`unknown command "${argv.slice(0, 2).join(' ')}"; see preflight --help`);
}
