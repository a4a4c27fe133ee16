// The shipped `preflight` command as a user runs it (bin/preflight.js, one process), and the check
// every bad-usage case shares: exit 2, one line on stderr naming the problem, never a stack trace.
import { expect } from 'vitest';
import { spawnSync } from 'node:child_process';

export interface CliRun { code: number | null; out: string; err: string }

export const cli = (...args: string[]): CliRun => {
  const r = spawnSync('node', ['bin/preflight.js', ...args], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

export const usageError = (r: CliRun, mentions: RegExp): void => {
  expect(r.code, r.err + r.out).toBe(2);
  expect(r.err.trim().split('\n')).toHaveLength(1);
  expect(r.err).toMatch(mentions);
  expect(r.err).not.toMatch(/\n\s+at /);
};
