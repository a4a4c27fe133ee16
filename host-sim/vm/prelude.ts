// Evaluated inside QuickJS by host-sim/vm/vm.ts: turns the raw host functions (which pass bytes as
// ArrayBuffer and objects as JSON) into the HAL object of src/core/hal/types.ts, the way terminal
// firmware would expose its C functions. Returns the HAL; defines nothing global. Kept as source
// text so the VM evaluates exactly this, with no file to find at run time.

export const HAL_PRELUDE = `
(function (raw) {
  var u8 = function (ab) { return ab === null || ab === undefined ? null : new Uint8Array(ab); };
  var ab = function (u) { return u.slice().buffer; };
  var hal = {
    abi: raw.abi,
    clock: { wallMs: raw.wallMs, monoMs: raw.monoMs },
    random: { fill: function (out) { var b = raw.random(out.length); if (!b) return -5; out.set(new Uint8Array(b)); return 0; } },
    storage: {
      size: raw.size,
      read: function (n, o, l) { return u8(raw.read(n, o, l)); },
      append: function (n, d) { return raw.append(n, ab(d)); },
      replace: function (n, d) { return raw.replace(n, ab(d)); },
      truncate: raw.truncate,
      remove: raw.remove,
      list: function (p) { return JSON.parse(raw.list(p)); },
      freeBytes: raw.freeBytes,
    },
    keystore: {
      get: function (s) { return u8(raw.kget(s)); },
      put: function (s, d) { return raw.kput(s, ab(d)); },
    },
    gps: { last: function () { var j = raw.gps(); return j ? JSON.parse(j) : null; } },
    net: {
      publish: function (t, p, q, r) { return raw.publish(t, ab(p), q, r); },
      subscribe: raw.subscribe,
      will: function (t, p) { return raw.will(t, ab(p)); },
      connected: raw.connected,
    },
    sys: { heapFreeBytes: raw.heapFree, batteryPct: raw.battery, firmware: raw.firmware },
    log: raw.log,
  };
  if (raw.ksign) hal.keystore.sign = function (s, m) { return u8(raw.ksign(s, ab(m))); };
  return hal;
})
`;
