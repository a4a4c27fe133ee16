// Output for people on a terminal: colours only on a TTY (never with NO_COLOR or TERM=dumb), and a
// progress bar on its own line that redraws in place (\r) and is wiped before other text prints,
// so the bar never glues itself to a line of the report.

export type Paint = (code: string, s: string) => string;

export function colours(stream: NodeJS.WriteStream): Paint {
  const on = stream.isTTY === true && !process.env.NO_COLOR && process.env.TERM !== 'dumb';
  return (code, s) => (on ? `\x1b[${code}m${s}\x1b[0m` : s);
}

export interface Progress {
  /** Redraws the bar (at most once per percent). */
  update(done: number, total: number): void;
  /** Wipes the bar's line so the next text starts at column 0; the next update draws it again. */
  clear(): void;
}

export function progressBar(stream: NodeJS.WriteStream): Progress {
  if (!stream.isTTY) return { update() {}, clear() {} };
  let last = -1, shown = false;
  return {
    update(done, total) {
      const pct = Math.floor((done / Math.max(1, total)) * 100);
      if (pct === last && shown) return;
      last = pct;
      const w = 30, fill = Math.round((pct / 100) * w);
      stream.write(`\r\x1b[2K[${'#'.repeat(fill)}${'.'.repeat(w - fill)}] ${pct}% ${done}/${total}`);
      shown = true;
    },
    clear() {
      if (!shown) return;
      stream.write('\r\x1b[2K');
      shown = false;
    },
  };
}
