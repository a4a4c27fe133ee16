// Expected failures are values, not exceptions: a decoder, a verifier or a HAL call that
// can fail for a reason outside our control answers with one of these.

export type Ok<T> = { ok: true; value: T };
export type Fail = { ok: false; error: string; detail?: Record<string, unknown> };
export type Result<T> = Ok<T> | Fail;

export const ok = <T>(value: T): Ok<T> => ({ ok: true, value });
export const fail = (error: string, detail?: Record<string, unknown>): Fail =>
  detail ? { ok: false, error, detail } : { ok: false, error };

