// SM3 (GB/T 32905-2016) in plain JavaScript: the browser has no SM3, and
// the applicant page hashes the exact document bytes it shows before they
// are signed, so the digest it sends is its own, not the server's word.
// Written from the standard; checked against the service's SM3 by the
// browser tests. Exposes PledgeSealSM3.digest(bytes) → Uint8Array(32) and
// PledgeSealSM3.hex(bytes) → lowercase hex.
"use strict";

(function () {
  var IV = [0x7380166f, 0x4914b2b9, 0x172442d7, 0xda8a0600, 0xa96f30bc, 0x163138aa, 0xe38dee4d, 0xb0fb0e4e];

  function rotl(x, n) { n %= 32; return n === 0 ? x : ((x << n) | (x >>> (32 - n))); }
  function p0(x) { return x ^ rotl(x, 9) ^ rotl(x, 17); }
  function p1(x) { return x ^ rotl(x, 15) ^ rotl(x, 23); }

  // pad returns the message with the 0x80 byte, zeros and the 64-bit big
  // endian bit length, a multiple of 64 bytes long.
  function pad(msg) {
    var n = msg.length, total = Math.ceil((n + 9) / 64) * 64;
    var out = new Uint8Array(total);
    out.set(msg);
    out[n] = 0x80;
    var bits = n * 8, hi = Math.floor(bits / 4294967296), lo = bits >>> 0;
    for (var i = 0; i < 4; i++) {
      out[total - 1 - i] = (lo >>> (8 * i)) & 0xff;
      out[total - 5 - i] = (hi >>> (8 * i)) & 0xff;
    }
    return out;
  }

  function compress(v, b, off) {
    var w = new Array(68), w1 = new Array(64), j;
    for (j = 0; j < 16; j++) {
      var k = off + 4 * j;
      w[j] = (b[k] << 24) | (b[k + 1] << 16) | (b[k + 2] << 8) | b[k + 3];
    }
    for (j = 16; j < 68; j++) {
      w[j] = p1(w[j - 16] ^ w[j - 9] ^ rotl(w[j - 3], 15)) ^ rotl(w[j - 13], 7) ^ w[j - 6];
    }
    for (j = 0; j < 64; j++) { w1[j] = w[j] ^ w[j + 4]; }
    var a = v[0], bb = v[1], c = v[2], d = v[3], e = v[4], f = v[5], g = v[6], h = v[7];
    for (j = 0; j < 64; j++) {
      var tj = j < 16 ? 0x79cc4519 : 0x7a879d8a;
      var a12 = rotl(a, 12);
      var ss1 = rotl((a12 + e + rotl(tj, j)) | 0, 7);
      var ss2 = ss1 ^ a12;
      var ff = j < 16 ? (a ^ bb ^ c) : ((a & bb) | (a & c) | (bb & c));
      var gg = j < 16 ? (e ^ f ^ g) : ((e & f) | (~e & g));
      var tt1 = (ff + d + ss2 + w1[j]) | 0;
      var tt2 = (gg + h + ss1 + w[j]) | 0;
      d = c; c = rotl(bb, 9); bb = a; a = tt1;
      h = g; g = rotl(f, 19); f = e; e = p0(tt2);
    }
    v[0] ^= a; v[1] ^= bb; v[2] ^= c; v[3] ^= d; v[4] ^= e; v[5] ^= f; v[6] ^= g; v[7] ^= h;
  }

  function digest(bytes) {
    var m = pad(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes));
    var v = IV.slice();
    for (var off = 0; off < m.length; off += 64) { compress(v, m, off); }
    var out = new Uint8Array(32);
    for (var i = 0; i < 8; i++) {
      out[4 * i] = (v[i] >>> 24) & 0xff; out[4 * i + 1] = (v[i] >>> 16) & 0xff;
      out[4 * i + 2] = (v[i] >>> 8) & 0xff; out[4 * i + 3] = v[i] & 0xff;
    }
    return out;
  }

  function hex(bytes) {
    return Array.prototype.map.call(digest(bytes), function (x) { return ("0" + x.toString(16)).slice(-2); }).join("");
  }

  window.PledgeSealSM3 = Object.freeze({ digest: digest, hex: hex });
})();
