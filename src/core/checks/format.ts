// How checks print numbers for merchants: yuan from fen, km with sensible precision.

export function yuan(minor: number): string {
  const neg = minor < 0; const a = Math.abs(minor);
  const s = Math.floor(a / 100) + '.' + String(a % 100).padStart(2, '0');
  return (neg ? '-¥' : '¥') + s;
}

export function km(m: number): string {
  const k = m / 1000;
  return k >= 100 ? k.toFixed(0) : k >= 10 ? k.toFixed(1) : k.toFixed(2);
}
