// The `preflight` command (SPEC §2), as dist/host/preflight.mjs runs it. Exit codes: 0 success,
// 1 a check or verification failed, 2 bad usage or bad input (one line on stderr, never a stack
// trace). Anything else is a bug and says so.

import { CheckFailed, UsageError } from '../node/errors';
import { dispatch } from './dispatch';

// `preflight ... | head` closes the pipe early: that is the reader's choice, not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => { if (e.code === 'EPIPE') process.exit(0); throw e; });

dispatch(process.argv.slice(2), (s) => process.stdout.write(s + '\n')).then((code) => { process.exitCode = code; }, (e) => {
  if (e instanceof UsageError) { process.stderr.write(`preflight: ${e.message}\n`); process.exitCode = 2; return; }
  if (e instanceof CheckFailed) { process.stderr.write(`preflight: ${e.message}\n`); process.exitCode = 1; return; }
  process.stderr.write(`preflight: internal error (a bug, please report): ${(e as Error)?.stack ?? e}\n`);
  process.exitCode = 3;
});
