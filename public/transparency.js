// 廉防 · checks of the audit log's proofs in the visitor's own browser (issue 17,
// docs/audit-log.md). No trust in the server's word: the page carries the entry's hash, the proof
// and the signed head; this script recomputes the Merkle root (RFC 9162 §2.1.3.2 and §2.1.4.2)
// with its own SHA-256 and, where the browser offers Ed25519 in WebCrypto, checks the head's
// signature too. Plain script, no wasm: the pages that use it are read on weak signals.
"use strict";
(function () {
  // SHA-256 (FIPS 180-4), on Uint8Arrays: synchronous, and available where WebCrypto is not
  // (a page served over plain http on the district's network is not a secure context).
  var K = new Uint32Array([
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
  ]);

  function sha256(bytes) {
    var h = new Uint32Array([
      0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
    ]);
    var bitLen = bytes.length * 8;
    var padded = new Uint8Array(((bytes.length + 9 + 63) >> 6) << 6);
    padded.set(bytes);
    padded[bytes.length] = 0x80;
    var view = new DataView(padded.buffer);
    view.setUint32(padded.length - 8, Math.floor(bitLen / 0x100000000));
    view.setUint32(padded.length - 4, bitLen >>> 0);
    var w = new Uint32Array(64);
    for (var off = 0; off < padded.length; off += 64) {
      for (var i = 0; i < 16; i++) w[i] = view.getUint32(off + i * 4);
      for (i = 16; i < 64; i++) {
        var a = w[i - 15], b = w[i - 2];
        var s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3);
        var s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10);
        w[i] = (w[i - 16] + s0 + w[i - 7] + s1) >>> 0;
      }
      var A = h[0], B = h[1], C = h[2], D = h[3], E = h[4], F = h[5], G = h[6], H = h[7];
      for (i = 0; i < 64; i++) {
        var S1 = ((E >>> 6) | (E << 26)) ^ ((E >>> 11) | (E << 21)) ^ ((E >>> 25) | (E << 7));
        var ch = (E & F) ^ (~E & G);
        var t1 = (H + S1 + ch + K[i] + w[i]) >>> 0;
        var S0 = ((A >>> 2) | (A << 30)) ^ ((A >>> 13) | (A << 19)) ^ ((A >>> 22) | (A << 10));
        var maj = (A & B) ^ (A & C) ^ (B & C);
        var t2 = (S0 + maj) >>> 0;
        H = G; G = F; F = E; E = (D + t1) >>> 0; D = C; C = B; B = A; A = (t1 + t2) >>> 0;
      }
      h[0] += A; h[1] += B; h[2] += C; h[3] += D; h[4] += E; h[5] += F; h[6] += G; h[7] += H;
    }
    var out = new Uint8Array(32);
    var ov = new DataView(out.buffer);
    for (i = 0; i < 8; i++) ov.setUint32(i * 4, h[i]);
    return out;
  }

  function fromHex(s) {
    if (typeof s !== "string" || !/^([0-9a-fA-F]{2})*$/.test(s)) throw new Error("hex");
    var out = new Uint8Array(s.length / 2);
    for (var i = 0; i < out.length; i++) out[i] = parseInt(s.substr(i * 2, 2), 16);
    return out;
  }

  function toHex(b) {
    var s = "";
    for (var i = 0; i < b.length; i++) s += (b[i] < 16 ? "0" : "") + b[i].toString(16);
    return s;
  }

  function concat(prefix, parts) {
    var len = 1;
    parts.forEach(function (p) { len += p.length; });
    var out = new Uint8Array(len);
    out[0] = prefix;
    var at = 1;
    parts.forEach(function (p) { out.set(p, at); at += p.length; });
    return out;
  }

  // The leaf of an audit entry: SHA-256(0x00 ‖ the entry's hash as 64 ASCII hex characters).
  function entryLeaf(entryHash) {
    return sha256(concat(0, [new TextEncoder().encode(entryHash)]));
  }

  function node(l, r) {
    return sha256(concat(1, [l, r]));
  }

  function same(a, b) {
    if (a.length !== b.length) return false;
    for (var i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }

  // RFC 9162 §2.1.3.2. Sizes up to 2^53 are exact in JavaScript numbers.
  function verifyInclusion(index, size, leaf, proof, root) {
    if (index >= size) return false;
    var fn = index, sn = size - 1, r = leaf;
    for (var i = 0; i < proof.length; i++) {
      if (sn === 0) return false;
      if (fn % 2 === 1 || fn === sn) {
        r = node(proof[i], r);
        while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
      } else {
        r = node(r, proof[i]);
      }
      fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
    }
    return sn === 0 && same(r, root);
  }

  function isPowerOfTwo(m) {
    while (m > 1 && m % 2 === 0) m /= 2;
    return m === 1;
  }

  // RFC 9162 §2.1.4.2.
  function verifyConsistency(m, n, oldRoot, newRoot, proof) {
    if (m > n) return false;
    if (m === n) return proof.length === 0 && same(oldRoot, newRoot);
    if (m === 0) return proof.length === 0;
    if (proof.length === 0) return false;
    var path = isPowerOfTwo(m) ? [oldRoot].concat(proof) : proof.slice();
    var fn = m - 1, sn = n - 1;
    while (fn % 2 === 1) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
    var fr = path[0], sr = path[0];
    for (var i = 1; i < path.length; i++) {
      if (sn === 0) return false;
      if (fn % 2 === 1 || fn === sn) {
        fr = node(path[i], fr); sr = node(path[i], sr);
        while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
      } else {
        sr = node(sr, path[i]);
      }
      fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
    }
    return same(fr, oldRoot) && same(sr, newRoot) && sn === 0;
  }

  function headMessage(head) {
    return new TextEncoder().encode(
      "lianfang tree head v1\nsize " + head.size + "\nroot " + head.root +
      "\nissued_at " + head.issued_at + "\n");
  }

  // The head's Ed25519 signature, where the browser can check one: resolves to true, false, or
  // null when it cannot (an older browser, or a page not served over https).
  function verifySignature(head) {
    try {
      if (!window.crypto || !crypto.subtle) return Promise.resolve(null);
      return crypto.subtle
        .importKey("raw", fromHex(head.public_key), { name: "Ed25519" }, false, ["verify"])
        .then(function (key) {
          return crypto.subtle.verify({ name: "Ed25519" }, key, fromHex(head.signature), headMessage(head));
        })
        .catch(function () { return null; });
    } catch (e) {
      return Promise.resolve(null);
    }
  }

  function signatureText(ok) {
    if (ok === true) return "树头签名经本浏览器核对有效。";
    if (ok === false) return "树头签名无效！";
    return "本浏览器无法核对签名（需 https 访问及较新的浏览器），可用公钥另行核对。";
  }

  function show(el, ok, text) {
    el.textContent = text;
    el.setAttribute("data-result", ok ? "ok" : "fail");
    el.className = ok ? "alert alert-ok" : "alert alert-error";
  }

  // An entry's inclusion in a signed head: data-inclusion holds {seq, size, entry_hash, proof,
  // head}.
  function checkInclusion(el) {
    var started = performance.now();
    var p;
    try {
      p = JSON.parse(el.getAttribute("data-inclusion"));
      var ok = p.head.size === p.size && verifyInclusion(p.seq - 1, p.size, entryLeaf(p.entry_hash),
        p.proof.map(fromHex), fromHex(p.head.root));
    } catch (e) {
      ok = false;
    }
    var ms = (performance.now() - started).toFixed(1);
    el.setAttribute("data-ms", ms);
    if (!ok) {
      show(el, false, "核对失败：签署记录与树头不符，本页内容不可信。");
      return;
    }
    var base = "已在本浏览器中核对：第 " + p.seq + " 条审计记录包含在共 " + p.size +
      " 条记录的签名树头中（" + p.proof.length + " 个哈希，用时 " + ms + " 毫秒）。";
    show(el, true, base);
    verifySignature(p.head).then(function (signed) {
      el.setAttribute("data-signature", String(signed));
      if (signed === false) show(el, false, base + signatureText(false));
      else el.textContent = base + signatureText(signed);
    });
  }

  // A saved head (a printout's) against today's log: the form's size and root, the consistency
  // proof fetched from this server, checked here.
  function checkSaved(form, out) {
    var size = form.elements["size"].value.trim();
    var root = form.elements["root"].value.trim().toLowerCase();
    if (!/^\d+$/.test(size)) {
      show(out, false, "记录数（size）应为非负整数。");
      return;
    }
    if (!/^[0-9a-f]{64}$/.test(root)) {
      show(out, false, "根哈希（root）应为 64 位十六进制数字。");
      return;
    }
    out.textContent = "正在核对…";
    out.removeAttribute("data-result");
    fetch("/api/transparency/consistency?from=" + size, { headers: { Accept: "application/json" } })
      .then(function (r) { return r.json().then(function (body) { return [r.ok, body]; }); })
      .then(function (res) {
        var body = res[1];
        if (!res[0]) {
          show(out, false, "不一致：" + (body.message || "服务器拒绝了核对"));
          return;
        }
        var m = Number(size);
        var ok = body.from === m && verifyConsistency(m, body.to, fromHex(root), fromHex(body.to_root),
          body.proof.map(fromHex));
        if (ok && body.head && body.head.root !== body.to_root) ok = false;
        if (ok) {
          show(out, true, "一致：今天的审计记录（共 " + body.to + " 条）延续了这个树头（" + m +
            " 条），此后未被截断或改写。已在本浏览器中核对。");
        } else {
          show(out, false, "不一致：今天的审计记录不再延续这个树头——前 " + m + " 条记录中有记录被改写，或树头抄录有误。");
        }
      })
      .catch(function () { show(out, false, "无法连接服务器，请稍后再试。"); });
  }

  function start() {
    document.querySelectorAll("[data-inclusion]").forEach(checkInclusion);
    document.querySelectorAll("form[data-saved-head]").forEach(function (form) {
      var out = document.getElementById(form.getAttribute("data-saved-head"));
      form.addEventListener("submit", function (e) {
        e.preventDefault();
        checkSaved(form, out);
      });
      if (form.elements["size"].value && form.elements["root"].value) checkSaved(form, out);
    });
  }

  window.lianfangProofs = { sha256: sha256, toHex: toHex, verifyInclusion: verifyInclusion,
    verifyConsistency: verifyConsistency, entryLeaf: entryLeaf, checkInclusion: checkInclusion };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
