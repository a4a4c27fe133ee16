// The `preflight` command (SPEC §2), as dist/host/preflight.mjs runs it. Exit codes: 0 success,
// 1 a check or verification failed, 2 bad usage or bad input (one line on stderr, never a stack
// trace). Anything else is a bug and says so.

import { CheckFailed, UsageError } from '../node/errors';
import { dispatch } from './dispatch';

// `preflight ... | head` closes the pipe early: that is the reader's choice, not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => { if (e.code === 'EPIPE') process.exit(0); throw e; });

const FS_WORDS: Record<string, string> = {
  ENOTDIR: 'a file where a folder is needed', EISDIR: 'a folder where a file is needed', EEXIST: 'already exists and is not a folder',
  ENOENT: 'no such file or folder', EACCES: 'permission denied', EPERM: 'not permitted', ENOSPC: 'no space left on the disk', EROFS: 'read-only file system',
};

/** What the user's environment refused (a path that is a file, a port out of range, a damaged database), in one line. */
function inputError(e: unknown): string | null {
  const x = e as NodeJS.ErrnoException & { name?: string };
  if (!x || typeof x !== 'object') return null;
  if (x.code && FS_WORDS[x.code] && x.path) return `${x.path}: ${FS_WORDS[x.code]}`;
  if (x.code === 'ERR_SOCKET_BAD_PORT') return 'the broker URL\'s port must be 1..65535';
  if (x.name === 'SqliteError' && /CORRUPT|NOTADB/.test(String(x.code))) return `the fleet database is damaged or not a database (${x.message}); restore it from a backup, or rebuild it: terminals re-send what was not acknowledged`;
  // PostgreSQL (`--db postgres://...`) failing after it was opened: the server's own error, or the connection lost.
  if (typeof x.code === 'string' && /^[0-9A-Z]{5}$/.test(x.code) && 'severity' in x) return `the fleet's PostgreSQL database refused it (${x.code}): ${x.message.split('\n')[0]}`;
  if (/^Connection terminated|^Client has encountered a connection error/.test(String(x.message))) return `the fleet's PostgreSQL server closed the connection (${x.message.split('\n')[0]})`;
  return null;
}

dispatch(process.argv.slice(2), (s) => process.stdout.write(s + '\n')).then((code) => { process.exitCode = code; }, (e) => {
  if (e instanceof UsageError) { process.stderr.write(`preflight: ${e.message}\n`); process.exitCode = 2; return; }
  if (e instanceof CheckFailed) { process.stderr.write(`preflight: ${e.message}\n`); process.exitCode = 1; return; }
  const bad = inputError(e);
  if (bad) { process.stderr.write(`preflight: ${bad}\n`); process.exitCode = 2; return; }
  process.stderr.write(`preflight: internal error (a bug, please report): ${(e as Error)?.stack ?? e}\n`);
  process.exitCode = 3;
});
