// Enrolment (SPEC §7 device registry): after first boot a terminal's device.pub goes into the
// registry the fleet consumer verifies seals with, REGISTRY/DEV.pub, optionally gated by a one-time
// token (`preflight enrol token`). Tokens are kept only as SHA-512 hashes and are consumed on use.
// The data folder is read, never written.

import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deviceOf } from '../core/journal/export';
import { equalBytes, toHex } from '../core/util/bytes';
import { CheckFailed, UsageError } from '../node/errors';
import { readOnlyFlash } from '../node/flash-folder';

/** Device ids become file names in the registry: the journal's 1..64 chars, file-name safe. */
const DEV_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function checkDev(dev: string): string {
  if (!DEV_RE.test(dev)) throw new UsageError(`--dev must be 1 to 64 letters, digits, '.', '_' or '-' (not starting with '.', '_' or '-'), got "${dev}"`);
  return dev;
}

/** The device a data folder's journal belongs to, read without writing anything. */
export function journalDev(dataDir: string): string | null {
  return deviceOf(readOnlyFlash(dataDir));
}

const tokenHash = (t: string) => `sha512:${createHash('sha512').update(t, 'utf8').digest('hex')}\n`;
const sameText = (a: string, b: string) => equalBytes(new Uint8Array(Buffer.from(a)), new Uint8Array(Buffer.from(b)));
const readText = (p: string) => { try { return readFileSync(p, 'utf8'); } catch { return null; } };

/** Writes REGISTRY/DEV.token (the hash, mode 0600) and returns the token to hand to the installer. */
export function issueToken(registry: string, dev: string): string {
  checkDev(dev);
  mkdirSync(registry, { recursive: true });
  const token = randomBytes(16).toString('hex');
  writeFileSync(join(registry, `${dev}.token`), tokenHash(token), { mode: 0o600 });
  return token;
}

export interface Enrolled { dev: string; pub: string; path: string; replaced: boolean; operator: string | null }

/**
 * Enrols the terminal in `dataDir`. A token, when one was issued for the device, is required, must
 * match, and is consumed first (renamed to DEV.token.used) so it can never enrol twice. Without a
 * token an existing, different registry key is never replaced.
 */
export function enrol(o: { dataDir: string; registry: string; dev?: string; token?: string }): Enrolled {
  if (!existsSync(o.dataDir) || !statSync(o.dataDir).isDirectory()) throw new UsageError(`--data ${o.dataDir}: no such folder`);
  const pubText = readText(join(o.dataDir, 'device.pub'));
  if (pubText === null) throw new UsageError(`--data ${o.dataDir}: no device.pub yet; boot the terminal once (it writes device.pub at first boot)`);
  if (!/^[0-9a-f]{64}\n?$/.test(pubText)) throw new UsageError(`${join(o.dataDir, 'device.pub')}: expected 64 lowercase hex characters on one line`);
  const pub = pubText.slice(0, 64);
  const fromJournal = journalDev(o.dataDir);
  if (o.dev !== undefined && fromJournal !== null && o.dev !== fromJournal) throw new UsageError(`--dev ${o.dev} does not match the journal's device id ${fromJournal}`);
  const dev = checkDev(o.dev ?? fromJournal ?? (() => { throw new UsageError(`no device id: the journal in ${o.dataDir} has no entries; pass --dev ID`); })());
  mkdirSync(o.registry, { recursive: true });
  const path = join(o.registry, `${dev}.pub`);
  const tokenFile = join(o.registry, `${dev}.token`), usedFile = tokenFile + '.used';
  const held = readText(path)?.trim() ?? null;
  if (o.token !== undefined) {
    const h = tokenHash(o.token);
    const pending = readText(tokenFile);
    if (pending !== null && sameText(pending, h)) renameSync(tokenFile, usedFile); // consumed before anything else
    else if (readText(usedFile) !== null && sameText(readText(usedFile)!, h)) throw new CheckFailed(`the enrolment token for ${dev} was already used; issue a new one with \`preflight enrol token --registry ${o.registry} --dev ${dev}\``);
    else if (pending !== null) throw new CheckFailed(`the enrolment token does not match the one issued for ${dev}`);
    else throw new CheckFailed(`no enrolment token was issued for ${dev} in ${o.registry}`);
  } else {
    if (existsSync(tokenFile)) throw new UsageError(`an enrolment token was issued for ${dev}: pass --token T`);
    if (held !== null && held !== pub) throw new CheckFailed(`${dev} is already enrolled with another key (${held.slice(0, 16)}…); enrol with a new token (\`preflight enrol token\`) to replace it`);
  }
  writeFileSync(path + '.tmp', pub + '\n');
  renameSync(path + '.tmp', path);
  // The operator key the terminal's image trusts, so `fleet send` can refuse to sign with another.
  const op = readText(join(o.dataDir, 'trust/operator.pub'))?.trim() ?? null;
  const operator = op !== null && /^[0-9a-f]{64}$/.test(op) ? op : null;
  if (operator) { writeFileSync(operatorFile(o.registry, dev) + '.tmp', operator + '\n'); renameSync(operatorFile(o.registry, dev) + '.tmp', operatorFile(o.registry, dev)); }
  return { dev, pub, path, replaced: held !== null && held !== pub, operator };
}

const operatorFile = (registry: string, dev: string) => join(registry, `${dev}.operator.pub`);

/**
 * Null when `pub` may sign commands for `dev` (it is the operator key the terminal trusted at
 * enrolment, or none was recorded), else why not: the terminal would refuse the command (SPEC §6).
 */
export function operatorMismatch(registry: string, dev: string, pub: Uint8Array): string | null {
  const held = readText(operatorFile(registry, dev))?.trim();
  if (!held || held === toHex(pub)) return null;
  return `not the operator key ${dev} trusts: its image's trust/operator.pub, recorded at enrolment in ${operatorFile(registry, dev)}, is ${held.slice(0, 16)}…, this key's is ${toHex(pub).slice(0, 16)}…; the terminal would refuse the command (after an image with a new operator key, enrol again)`;
}

