// The shipped artifact: dist/device/agent.js, built by `make device` before the tests run.
import { existsSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

export function bundle(): string {
  if (!existsSync('dist/device/agent.js')) execFileSync('node', ['device/build.mjs'], { stdio: 'inherit' });
  return readFileSync('dist/device/agent.js', 'utf8');
}

/** The value of a successful VM call; a failed one fails the test with its error. */
export function val<T = any>(r: { ok: true; value: T } | { ok: false; error: string }): T {
  if (!r.ok) throw new Error(`VM call failed: ${r.error}`);
  return r.value;
}
