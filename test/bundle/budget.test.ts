// `make size` (issue 9) fails the build when the bundle outgrows device/budget.json.
import { describe, expect, it } from 'vitest';
import { spawnSync, execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { tmp } from '../helpers/device';

describe('size budgets', () => {
  it('pass for the built bundle and fail for one padded past the budget', () => {
    if (!existsSync('dist/size/size-check.mjs')) execFileSync('make', ['size'], { stdio: 'ignore' });
    const budget = JSON.parse(readFileSync('device/budget.json', 'utf8'));
    const good = spawnSync('node', ['dist/size/size-check.mjs'], { encoding: 'utf8' });
    expect(good.status, good.stdout + good.stderr).toBe(0);
    const shipped = readFileSync('dist/device/agent.js', 'utf8');
    // Random (incompressible) padding just past the minified budget, so gzip is over too.
    const pad = randomBytes(Math.ceil((budget.bundleBytes - Buffer.byteLength(shipped) + 1024) * 3 / 4)).toString('base64');
    const fat = join(tmp('pf-fat-'), 'agent.js');
    writeFileSync(fat, shipped + `\nvar __pad = '${pad}';\n`);
    const bad = spawnSync('node', ['dist/size/size-check.mjs', fat], { encoding: 'utf8' });
    expect(bad.status).toBe(1);
    expect(bad.stdout).toMatch(/bundle bytes .* OVER by \d+/);
    expect(bad.stdout).toMatch(/bundle gzip bytes .* OVER by \d+/);
  }, 120_000);
});
