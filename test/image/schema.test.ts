// device/policy.schema.json (JSON Schema 2020-12) against the demo policy and src/core/policy/validate.ts:
// the same inputs pass and fail both, misspelt fields included (issue 17: "Mon", nightrisk and
// batchMaxTxn were signed and silently changed behaviour). A small checker for exactly the keywords the schema uses
// stands in for ajv (no new dependency); an unknown keyword fails the test.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { validatePolicy } from '../../src/core/policy/validate';
import { demoPolicyJson } from '../helpers/policy';

type S = Record<string, any> | boolean;
const schema = JSON.parse(readFileSync('device/policy.schema.json', 'utf8'));
const ANNOTATIONS = new Set(['$schema', '$id', 'title', 'description', 'default', 'examples', 'format', '$defs']);

function typeOk(t: string, v: unknown): boolean {
  switch (t) {
    case 'object': return v !== null && typeof v === 'object' && !Array.isArray(v);
    case 'array': return Array.isArray(v);
    case 'string': return typeof v === 'string';
    case 'integer': return typeof v === 'number' && Number.isInteger(v);
    case 'number': return typeof v === 'number' && Number.isFinite(v);
    case 'boolean': return typeof v === 'boolean';
    default: throw new Error(`schema: unknown type ${t}`);
  }
}

/** Errors as "path: keyword"; empty when `v` is valid. */
function check(s: S, v: any, path = '$'): string[] {
  if (s === true) return [];
  if (s === false) return [`${path}: false`];
  const errs: string[] = [];
  const e = (k: string) => errs.push(`${path}: ${k}`);
  for (const [k, x] of Object.entries(s)) {
    if (ANNOTATIONS.has(k)) continue;
    switch (k) {
      case '$ref': {
        const m = /^#\/\$defs\/(\w+)$/.exec(x);
        if (!m || !schema.$defs[m[1]!]) throw new Error(`schema: bad $ref ${x}`);
        errs.push(...check(schema.$defs[m[1]!], v, path));
        break;
      }
      case 'type': if (!typeOk(x, v)) e(`type ${x}`); break;
      case 'required': if (typeOk('object', v)) for (const r of x) if (!(r in v)) e(`required ${r}`); break;
      case 'properties': if (typeOk('object', v)) for (const [p, ps] of Object.entries(x)) if (p in v) errs.push(...check(ps as S, v[p], `${path}.${p}`)); break;
      case 'additionalProperties':
        if (x !== false) throw new Error('schema: this checker knows additionalProperties: false only');
        if (typeOk('object', v)) for (const k of Object.keys(v)) if (!((s as any).properties ?? {})[k]) e(`additionalProperties ${k}`);
        break;
      case 'maxLength': if (typeof v === 'string' && [...v].length > x) e('maxLength'); break;
      case 'pattern': if (typeof v === 'string' && !new RegExp(x, 'u').test(v)) e('pattern'); break;
      case 'minimum': if (typeof v === 'number' && v < x) e('minimum'); break;
      case 'maximum': if (typeof v === 'number' && v > x) e('maximum'); break;
      case 'minItems': if (Array.isArray(v) && v.length < x) e('minItems'); break;
      case 'maxItems': if (Array.isArray(v) && v.length > x) e('maxItems'); break;
      case 'prefixItems': if (Array.isArray(v)) x.forEach((ps: S, i: number) => { if (i < v.length) errs.push(...check(ps, v[i], `${path}[${i}]`)); }); break;
      case 'items': if (Array.isArray(v)) v.forEach((item, i) => { if (i >= ((s as any).prefixItems?.length ?? 0)) errs.push(...check(x, item, `${path}[${i}]`)); }); break;
      case 'const': if (v !== x) e('const'); break;
      case 'anyOf': if (!x.some((ss: S) => check(ss, v, path).length === 0)) e('anyOf'); break;
      default: throw new Error(`schema: keyword ${k} is not understood by this checker`);
    }
  }
  return errs;
}

const edits: [string, (p: any) => void][] = [
  ['a fractional amount', (p) => { p.limits.card.singleMinor = 1.5; }],
  ['an amount given as text', (p) => { p.limits.qr.dailyMinor = '100'; }],
  ['a 14-digit mid', (p) => { p.merchant.mid = '10258105411605'; }],
  ['a non-numeric mcc', (p) => { p.merchant.mcc = '54a1'; }],
  ['a 7-character tid', (p) => { p.merchant.tid = '2026000'; }],
  ['an empty name', (p) => { p.merchant.name = ''; }],
  ['a time past 24:00', (p) => { p.hours.mon = [['09:00', '24:30']]; }],
  ['an interval of three times', (p) => { p.hours.tue = [['09:00', '12:00', '13:00']]; }],
  ['validFrom without an offset', (p) => { p.validFrom = '2026-01-01T00:00:00'; }],
  ['no merchant', (p) => { delete p.merchant; }],
  ['no limits.qr', (p) => { delete p.limits.qr; }],
  ['an exception neither closed nor with intervals', (p) => { p.hours.exceptions = [{ date: '2026-10-01' }]; }],
  ['a bad exception date', (p) => { p.hours.exceptions = [{ date: '2026/10/01', closed: true }]; }],
  ['a velocity count of 0', (p) => { p.limits.velocity.count = 0; }],
  ['a latitude of 91', (p) => { p.site.lat = 91; }],
  ['a version of 0', (p) => { p.version = 0; }],
  ['a warn ratio above 1', (p) => { p.resources.batchWarnRatio = 1.2; }],
  ['a qualification without expiry', (p) => { p.merchant.qualifications = [{ kind: 'x' }]; }],
  ['a weekday written "Mon"', (p) => { p.hours.Mon = p.hours.mon; delete p.hours.mon; }],
  ['"nightrisk" for nightRisk', (p) => { p.hours.nightrisk = p.hours.nightRisk; delete p.hours.nightRisk; }],
  ['"batchMaxTxn" for batchMaxTxns', (p) => { p.resources = { batchMaxTxn: 100 }; }],
  ['a field the contract does not know', (p) => { p.note = 'not in SPEC §4'; }],
  ['a misspelt limit in a channel', (p) => { p.limits.qr.dailyLimit = 100; }],
  ['a misspelt exception field', (p) => { p.hours.exceptions = [{ date: '2026-10-01', close: true }]; }],
  ['a qualification kind of 41 characters', (p) => { p.merchant.qualifications = [{ kind: 'k'.repeat(41), expires: '2026-12-31' }]; }],
  ['367 exceptions', (p) => { p.hours.exceptions = Array.from({ length: 367 }, () => ({ date: '2026-10-01', closed: true })); }],
];
const fine: [string, (p: any) => void][] = [
  ['the demo as written', () => {}],
  ['optional sections left out', (p) => { delete p.resources; delete p.clock; delete p.sealing; delete p.telemetry; delete p.limits.velocity; }],
  ['an all-day interval and an exception with its own hours', (p) => { p.hours.sun = [['00:00', '24:00']]; p.hours.exceptions = [{ date: '2026-02-17', intervals: [['10:00', '14:00']] }]; }],
  ['a $schema line for editors', (p) => { p.$schema = '../device/policy.schema.json'; }],
];

describe('device/policy.schema.json', () => {
  it('is a draft 2020-12 schema and the demo policy validates against it', () => {
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(check(schema, JSON.parse(readFileSync('host-sim/scenarios/policy-demo.json', 'utf8')))).toEqual([]);
  });

  it.each(fine)('accepts %s, as validatePolicy does', (_, edit) => {
    const p = demoPolicyJson(); edit(p);
    expect(check(schema, p)).toEqual([]);
    expect(validatePolicy(p, false).ok).toBe(true);
  });

  it.each(edits)('refuses %s, as validatePolicy does', (_, edit) => {
    const p = demoPolicyJson(); edit(p);
    expect(check(schema, p).length).toBeGreaterThan(0);
    expect(validatePolicy(p, false).ok).toBe(false);
  });
});
