// Runs consumer-main.ts as its own process (a real SIGKILL, a second core): bundled once with
// esbuild into test/.tmp/ (git-ignored) so Node loads it without a TypeScript loader.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

let built: Promise<string> | null = null;

export function bundle(): Promise<string> {
  built ??= (async () => {
    const out = resolve('test/.tmp', `fleet-consumer-${process.pid}.mjs`);
    mkdirSync(resolve('test/.tmp'), { recursive: true });
    await build({ entryPoints: [fileURLToPath(new URL('./consumer-main.ts', import.meta.url))], bundle: true, platform: 'node', format: 'esm', target: 'node20',
      packages: 'external', outfile: out, logLevel: 'error' });
    return out;
  })();
  return built;
}

/** Removes this process's bundle (call in afterAll). */
export async function removeBundle(): Promise<void> {
  if (!built) return;
  const out = await built.catch(() => null);
  built = null;
  if (out) rmSync(out, { force: true });
}

export interface ChildConsumer {
  child: ChildProcess;
  lines: Record<string, any>[];
  stderr: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  summary(): Record<string, any> | undefined;
  ready: Promise<void>;
}

export async function spawnConsumer(args: string[], env: Record<string, string> = {}): Promise<ChildConsumer> {
  const file = await bundle();
  // PF_CHILD_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the consumers (not allowed in NODE_OPTIONS).
  const nodeArgs = (process.env.PF_CHILD_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, file, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const c: ChildConsumer = {
    child, lines: [], stderr: '',
    exited: new Promise((res) => child.once('exit', (code, signal) => res({ code, signal }))),
    summary: () => c.lines.find((l) => l.event === 'summary'),
    ready: Promise.resolve(),
  };
  let buf = '';
  c.ready = new Promise<void>((res, rej) => {
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const l = buf.slice(0, i); buf = buf.slice(i + 1);
        try { const x = JSON.parse(l); c.lines.push(x); if (x.event === 'ready') res(); } catch { /* not ours */ }
      }
    });
    void c.exited.then((e) => rej(new Error(`consumer exited before ready (${e.code ?? e.signal}): ${c.stderr}`)));
  });
  c.ready.catch(() => {});
  child.stderr!.on('data', (d: Buffer) => { c.stderr += d.toString(); });
  return c;
}
