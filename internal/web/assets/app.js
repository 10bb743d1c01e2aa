// PledgeSeal pages: hand-written, no framework, no build step. Every page
// calls the JSON API (/v1/...) of the same origin; the bearer token pasted
// at sign-in lives in sessionStorage only.
"use strict";

(function () {
  var MSGS = {};
  try { MSGS = JSON.parse(document.getElementById("msgs").textContent); } catch (e) { MSGS = {}; }
  var LANG = document.body.getAttribute("data-lang") || "zh-CN";
  var TOKEN_KEY = "pledgeseal.token";
  var MINE_KEY = "pledgeseal.mine";
  var PLEDGE_ID = /P[0-9a-f]{32}/;

  function t(k) { return Object.prototype.hasOwnProperty.call(MSGS, k) ? MSGS[k] : k; }
  function $(id) { return document.getElementById(id); }
  function el(tag, attrs, kids) {
    var e = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        if (k === "text") { e.textContent = attrs[k]; } else if (k === "cls") { e.className = attrs[k]; } else { e.setAttribute(k, attrs[k]); }
      });
    }
    (kids || []).forEach(function (c) { if (c !== null && c !== undefined) { e.appendChild(typeof c === "string" ? document.createTextNode(c) : c); } });
    return e;
  }
  function clear(e) { while (e.firstChild) { e.removeChild(e.firstChild); } return e; }
  function say(id, text, kind) { var e = $(id); if (!e) { return; } e.textContent = text || ""; e.className = "msg" + (kind ? " " + kind : ""); }
  function txt(x) { if (!x) { return ""; } if (typeof x === "string") { return x; } return (LANG === "en" ? (x.en || x.zh) : (x.zh || x.en)) || ""; }
  function fmtTime(s) { if (!s) { return ""; } var d = new Date(s); return isNaN(d) ? s : d.toLocaleString(LANG === "en" ? "en-GB" : "zh-CN", { hour12: false }); }
  function token() { try { return sessionStorage.getItem(TOKEN_KEY) || ""; } catch (e) { return ""; } }

  // api calls the JSON API; it resolves to {status, body} or rejects with an
  // Error whose message is the problem detail.
  function api(method, path, body, extra) {
    var h = { "Accept": "application/json" };
    if (body !== undefined) { h["Content-Type"] = "application/json"; }
    var tok = token();
    if (tok) { h["Authorization"] = "Bearer " + tok; }
    if (extra) { Object.keys(extra).forEach(function (k) { h[k] = extra[k]; }); }
    return fetch(path, { method: method, headers: h, body: body === undefined ? undefined : JSON.stringify(body), credentials: "omit" })
      .catch(function () { throw new Error(t("common.network")); })
      .then(function (r) {
        return r.text().then(function (s) {
          var j = null;
          try { j = s ? JSON.parse(s) : null; } catch (e) { j = null; }
          if (!r.ok) {
            var err = new Error((j && (j.detail || j.title)) || ("HTTP " + r.status));
            err.status = r.status; err.code = j && j.code;
            throw err;
          }
          return { status: r.status, body: j };
        });
      });
  }
  function fail(id) { return function (e) { say(id, t("common.error") + e.message, "err"); }; }
  function notAvailable(e) { return e && (e.status === 404 || e.status === 405) && !e.code; }

  // --- language switch keeps the current query -------------------------------
  (function () {
    var a = $("lang-switch");
    if (!a) { return; }
    var q = new URLSearchParams(location.search);
    q.set("lang", a.getAttribute("hreflang"));
    a.setAttribute("href", "?" + q.toString());
  })();

  // --- sign-in ----------------------------------------------------------------
  function signin(roles, onReady) {
    var form = $("signin-form");
    if (!form) { return; }
    function show(who) {
      $("whoami-text").textContent = t("role." + who.role) + (who.org ? " · " + who.org : "") + (who.name ? " · " + who.name + " " + (who.idNumber || "") : "");
      $("whoami").hidden = false; form.hidden = true; $("signed-in-only").hidden = false;
      say("signin-msg", "");
      onReady(who);
    }
    function check() {
      if (!token()) { return; }
      api("GET", "/v1/whoami").then(function (r) {
        var who = r.body || {};
        if (roles.indexOf(who.role) < 0) {
          sessionStorage.removeItem(TOKEN_KEY);
          say("signin-msg", t("signin.wrongRole") + roles.map(function (x) { return t("role." + x); }).join(" / "), "err");
          return;
        }
        show(who);
      }).catch(function (e) {
        sessionStorage.removeItem(TOKEN_KEY);
        say("signin-msg", e.status === 401 ? t("signin.bad") : t("common.error") + e.message, "err");
      });
    }
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      try { sessionStorage.setItem(TOKEN_KEY, $("token").value.trim()); } catch (e) { /* private mode */ }
      $("token").value = "";
      check();
    });
    $("signout").addEventListener("click", function () {
      sessionStorage.removeItem(TOKEN_KEY);
      location.reload();
    });
    check();
  }

  // --- verification report ------------------------------------------------------
  function tone(ind) { return ind === "TOTAL_PASSED" ? "pass" : ind === "TOTAL_FAILED" ? "fail" : "grey"; }
  function resultTone(r) { return r === "PASSED" ? "pass" : r === "FAILED" ? "fail" : "grey"; }
  function mark(r) { return r === "PASSED" ? "✓" : r === "FAILED" ? "✗" : r === "NOT_PERFORMED" ? "–" : "?"; }
  function subText(s) { return s ? (t("sub." + s) !== "sub." + s ? t("sub." + s) : s) : ""; }

  function checkList(checks) {
    return el("ul", { cls: "checks" }, (checks || []).map(function (c) {
      var name = t("check." + c.name);
      return el("li", { "data-check": c.name, "data-result": c.result }, [
        el("span", { cls: "mark " + resultTone(c.result), "aria-hidden": "true", text: mark(c.result) }),
        el("span", {}, [el("strong", { text: name }), " — ", el("span", { cls: resultTone(c.result), text: t("result." + c.result) }),
          c.subIndication ? " · " + subText(c.subIndication) : ""]),
        c.detail ? el("span", { cls: "detail", text: c.detail }) : null,
        warningList(c.warnings)
      ]);
    }));
  }

  // Leniency a check applied (a non-canonical encoding read, a deviation
  // tolerated): the catalogue's text for the stable code, then the detail.
  function warningList(ws) {
    if (!ws || !ws.length) { return null; }
    return el("ul", { cls: "warnings", "aria-label": t("report.warnings") }, ws.map(function (w) {
      var k = "warning." + w.code;
      return el("li", { "data-warning": w.code }, [
        el("span", { cls: "warn-mark", "aria-hidden": "true", text: "!" }),
        el("strong", { text: t("report.warning") + ": " }), t(k) !== k ? t(k) : String(w.code || ""),
        w.detail ? el("span", { cls: "detail", text: w.detail }) : null
      ]);
    }));
  }

  function renderReport(rep) {
    var box = clear($("report"));
    var ind = rep.indication || "INDETERMINATE";
    var icon = ind === "TOTAL_PASSED" ? "✓" : ind === "TOTAL_FAILED" ? "✗" : "?";
    box.appendChild(el("h2", { id: "report-h", text: t("report.h") }));
    box.appendChild(el("div", { cls: "verdict " + tone(ind), id: "verdict", "data-indication": ind, "data-sub": rep.subIndication || "" }, [
      el("p", { cls: "big" }, [el("span", { cls: "icon", "aria-hidden": "true", text: icon }), t("report." + ind)]),
      rep.subIndication ? el("p", {}, [el("strong", { text: t("report.why") + ": " }), subText(rep.subIndication)]) : null
    ]));
    var p = rep.pledge;
    if (p) {
      var ap = p.applicant || {};
      var rows = [
        [t("report.pledgeId"), p.pledgeId, "mono"],
        [t("report.agency"), p.agency],
        [t("report.matter"), (p.entry ? p.entry.region + " / " + p.entry.matter + " / " + p.entry.certificate : "")],
        [t("report.applicant"), (ap.name || "") + " " + (ap.idNumber || "") + (ap.masked ? " " + t("report.masked") : "")],
        [t("report.signedAt"), fmtTime(p.signedAt)],
        // Decision facts come only from the verified report (the sealed
        // decision statement); a legacy package signs none, so none is shown.
        [t("report.decision"), !p.decision ? t("report.noDecision") : p.decision.legacy ? t("report.legacyDecision") : p.decision.documentNo + " · " + p.decision.date]
      ];
      var dl = el("dl", { cls: "kv" });
      rows.forEach(function (r) { dl.appendChild(el("dt", { text: r[0] })); dl.appendChild(el("dd", { cls: r[2] || "", text: r[1] || "" })); });
      box.appendChild(el("section", { "aria-labelledby": "sum-h" }, [el("h3", { id: "sum-h", text: t("report.summary") }), dl]));
    }
    var s = rep.validAtSigning || {}, n = rep.statusNow || {};
    box.appendChild(el("section", { "aria-labelledby": "sig-h", cls: "part" }, [
      el("h3", { id: "sig-h" }, [t("report.atSigning") + " ", el("span", { cls: "badge " + tone(s.indication), text: t("report." + (s.indication || "INDETERMINATE")).split(/[:：]/)[0] })]),
      checkList(s.checks)]));
    box.appendChild(el("section", { "aria-labelledby": "now-h", cls: "part" }, [
      el("h3", { id: "now-h" }, [t("report.now") + " ", el("span", { cls: "badge " + tone(n.indication), text: t("report." + (n.indication || "INDETERMINATE")).split(/[:：]/)[0] })]),
      n.state ? el("p", {}, [el("strong", { text: t("report.state") + ": " }), el("span", { id: "state-now", text: t("state." + n.state) })]) : null,
      checkList(n.checks)]));
    var f = rep.freshness || {};
    var fr = el("dl", { cls: "kv" }, [el("dt", { text: t("report.verifiedAt") }), el("dd", { text: fmtTime(f.verifiedAt) })]);
    if (f.statusReadAt) { fr.appendChild(el("dt", { text: t("report.statusReadAt") })); fr.appendChild(el("dd", { text: fmtTime(f.statusReadAt) })); }
    box.appendChild(fr);
    // On paper the report carries the way back to the live answer: the
    // pledge's status QR code (the status link) and its number.
    if (p && PLEDGE_ID.test(p.pledgeId || "")) {
      box.appendChild(el("figure", { cls: "print-only qr", id: "print-qr" }, [
        el("img", { src: "/v1/pledges/" + p.pledgeId + "/qr", alt: t("apply.done.qr"), width: "120", height: "120" }),
        el("figcaption", {}, [t("report.printLink") + " · ", el("span", { cls: "mono", text: p.pledgeId + " · " + location.origin + "/app/verify?id=" + p.pledgeId })])]));
    }
    var pr = el("button", { type: "button", id: "print", cls: "secondary", text: t("verify.print") });
    pr.addEventListener("click", function () { window.print(); });
    box.appendChild(pr);
    box.hidden = false;
    box.focus();
  }

  function pageVerify() {
    function byId(id) {
      say("verify-msg", t("verify.working"));
      $("report").hidden = true;
      api("GET", "/v1/pledges/" + id + "/verification").then(function (r) { say("verify-msg", ""); renderReport(r.body); })
        .catch(function (e) { say("verify-msg", e.status === 404 ? t("verify.notFound") : t("common.error") + e.message, "err"); });
    }
    $("verify-url-form").addEventListener("submit", function (ev) {
      ev.preventDefault();
      var m = PLEDGE_ID.exec($("status-url").value.trim());
      if (!m) { say("verify-msg", t("verify.url.bad"), "err"); return; }
      history.replaceState(null, "", "?id=" + m[0]);
      byId(m[0]);
    });
    $("verify-file-form").addEventListener("submit", function (ev) {
      ev.preventDefault();
      var f = $("pkg-file").files[0];
      if (!f) { say("verify-msg", t("verify.file.none"), "err"); return; }
      f.text().then(function (s) {
        var pkg;
        try { pkg = JSON.parse(s); } catch (e) { say("verify-msg", t("verify.file.bad"), "err"); return; }
        say("verify-msg", t("verify.working"));
        return api("POST", "/v1/verifications", { "package": pkg }).then(function (r) { say("verify-msg", ""); renderReport(r.body); });
      }).catch(fail("verify-msg"));
    });
    var q = new URLSearchParams(location.search);
    var m = PLEDGE_ID.exec(q.get("id") || q.get("url") || "");
    if (m) { $("status-url").value = m[0]; byId(m[0]); }
  }

  // --- a minimal DER reader: enough to find the seal inside an SES ------------
  function tlv(b, i, end) {
    if (i + 2 > end) { throw new Error("der"); }
    var tag = b[i], len = b[i + 1], p = i + 2;
    if (len & 0x80) {
      var n = len & 0x7f;
      if (n < 1 || n > 4) { throw new Error("der"); }
      len = 0;
      for (var k = 0; k < n; k++) { if (p >= end) { throw new Error("der"); } len = len * 256 + b[p++]; }
    }
    if (p + len > end) { throw new Error("der"); }
    return { tag: tag, head: i, start: p, end: p + len };
  }
  function kids(b, node) {
    var out = [], i = node.start;
    while (i < node.end) { var c = tlv(b, i, node.end); out.push(c); i = c.end; if (out.length > 64) { break; } }
    return out;
  }
  function ascii(b, n) { var s = ""; for (var i = n.start; i < n.end && i < n.start + 64; i++) { s += String.fromCharCode(b[i]); } return s; }
  // findSeal looks for SESeal { SES_SealInfo { header, esID, property, picture {type, data, w, h}, ...}, ...}.
  function findSeal(b, node, parent, depth) {
    if (depth > 6 || (node.tag !== 0x30 && node.tag !== 0xa0)) { return null; }
    var cs = kids(b, node);
    if (node.tag === 0x30 && cs.length >= 4 && cs[0].tag === 0x30 && cs[1].tag === 0x16 && cs[2].tag === 0x30 && cs[3].tag === 0x30) {
      var pic = kids(b, cs[3]);
      if (pic.length >= 2 && pic[0].tag === 0x16 && pic[1].tag === 0x04) {
        return { esID: ascii(b, cs[1]), type: ascii(b, pic[0]).toLowerCase(), data: b.subarray(pic[1].start, pic[1].end), seal: parent ? b.subarray(parent.head, parent.end) : null };
      }
    }
    for (var i = 0; i < cs.length; i++) { var r = findSeal(b, cs[i], node, depth + 1); if (r) { return r; } }
    return null;
  }
  function b64bytes(s) { var bin = atob(s); var u = new Uint8Array(bin.length); for (var i = 0; i < bin.length; i++) { u[i] = bin.charCodeAt(i); } return u; }
  function sameBytes(a, b) { if (!a || !b || a.length !== b.length) { return false; } for (var i = 0; i < a.length; i++) { if (a[i] !== b[i]) { return false; } } return true; }
  var MIME = { png: "image/png", jpg: "image/jpeg", jpeg: "image/jpeg", gif: "image/gif", bmp: "image/bmp", svg: "image/svg+xml" };

  function showSeal(notice) {
    var pic = clear($("seal-picture"));
    var info = null;
    try { var b = b64bytes(notice.seal); info = findSeal(b, tlv(b, 0, b.length), null, 0); } catch (e) { info = null; }
    function placeholder() { clear(pic).appendChild(el("div", { cls: "placeholder", text: t("seal.noPicture") })); }
    if (!info) { placeholder(); say("seal-check", t("seal.bad") + t("seal.unreadable"), "err"); return; }
    if (MIME[info.type]) {
      var url = URL.createObjectURL(new Blob([info.data], { type: MIME[info.type] }));
      var img = el("img", { src: url, alt: t("seal.picture") + " " + info.esID });
      img.addEventListener("error", placeholder);
      // A picture too small to see (e.g. a 1×1 stand-in) is not shown as if it were a seal.
      img.addEventListener("load", function () { if (img.naturalWidth < 8 || img.naturalHeight < 8) { placeholder(); } });
      pic.appendChild(img);
    } else { placeholder(); }
    say("seal-check", t("seal.checking"));
    api("GET", "/v1/seals/" + encodeURIComponent(info.esID)).then(function (r) {
      var s = r.body || {};
      var reg = s.seal ? b64bytes(s.seal) : null;
      var code = s.status && s.status.code;
      if (!sameBytes(reg, info.seal)) { say("seal-check", t("seal.bad") + t("seal.notRegistered"), "err"); return; }
      if (s.agency !== notice.notice.agency) { say("seal-check", t("seal.bad") + t("seal.otherAgency"), "err"); return; }
      if (code !== "ACTIVE") { say("seal-check", t("seal.bad") + t("seal.notActive") + t("sealstate." + code), "err"); return; }
      say("seal-check", t("seal.ok") + " (" + s.name + " · " + s.esId + ")", "ok");
      $("seal-check").setAttribute("data-ok", "true");
    }).catch(function (e) {
      say("seal-check", t("seal.bad") + (e.status === 404 ? t("seal.notRegistered") : e.message), "err");
    });
  }

  // sealThumb is a small picture of the impression inside a seal's DER
  // (base64), or a "no picture" note.
  function sealThumb(b64, esID) {
    var info = null;
    try { var b = b64bytes(b64 || ""); info = findSeal(b, tlv(b, 0, b.length), null, 0); } catch (e) { info = null; }
    var none = el("span", { cls: "hint", text: t("seal.noPicture") });
    if (!info || !MIME[info.type]) { return none; }
    var wrap = el("span", { cls: "seal-thumb" });
    var img = el("img", { src: URL.createObjectURL(new Blob([info.data], { type: MIME[info.type] })), alt: t("seal.picture") + " " + esID, width: "48", height: "48" });
    function swap() { clear(wrap).appendChild(none); }
    img.addEventListener("error", swap);
    img.addEventListener("load", function () { if (img.naturalWidth < 8 || img.naturalHeight < 8) { swap(); } });
    wrap.appendChild(img);
    return wrap;
  }

  // --- applicant ------------------------------------------------------------------
  var STATEMENTS = ["KNOWS_NOTICE", "MEETS_CONDITIONS", "CAN_PROVIDE_MATERIALS", "INFORMATION_TRUE", "ACCEPTS_VERIFICATION", "BEARS_LIABILITY"];

  function mine() { try { return JSON.parse(localStorage.getItem(MINE_KEY) || "[]"); } catch (e) { return []; } }
  function remember(id) { var m = mine(); if (m.indexOf(id) < 0) { m.unshift(id); } try { localStorage.setItem(MINE_KEY, JSON.stringify(m.slice(0, 50))); } catch (e) { /* full */ } }
  function randomKey() { var a = new Uint8Array(16); crypto.getRandomValues(a); return "web-" + Array.prototype.map.call(a, function (x) { return ("0" + x.toString(16)).slice(-2); }).join(""); }
  function kv(dl, k, v, cls) { dl.appendChild(el("dt", { text: k })); dl.appendChild(el("dd", { cls: cls || "", text: v || "" })); }
  function utf8(b64) { try { return new TextDecoder().decode(b64bytes(b64)); } catch (e) { return ""; } }

  function pageApply() {
    var state = { notice: null, who: null, draft: null, docURL: null, pkgURL: null };
    var q = new URLSearchParams(location.search);
    if (q.get("region")) { $("region").value = q.get("region"); }
    if (q.get("matter")) { $("matter").value = q.get("matter"); }
    if (q.get("notice")) { $("notice-id").value = q.get("notice"); $("by-code").open = true; }
    var sts = $("statements");
    STATEMENTS.forEach(function (c) {
      sts.appendChild(el("label", { cls: "check", "for": "st-" + c }, [el("input", { type: "checkbox", id: "st-" + c, name: c, required: "required" }), t("st." + c)]));
    });

    signin(["applicant"], function (who) {
      state.who = who; listMine();
      picker.start(q.get("region"), q.get("matter"));
      // A link such as /app/apply?region=110105&matter=M looks the matter up at once.
      if (q.get("region") && q.get("matter") && !q.get("notice")) { $("matter-form").requestSubmit(); }
    });

    // --- choosing the matter from the catalogue: region, then matter -------
    var picker = (function () {
      var sel = $("pick-region"), list = $("pick-matters"), more = $("pick-more"), fs = $("pick-matters-fs");
      var cursor = "", want = "";
      function loadRegions(after, pages) {
        return api("GET", "/v1/catalogue/regions?limit=100" + (after ? "&cursor=" + encodeURIComponent(after) : "")).then(function (r) {
          var b = r.body || {};
          (b.items || []).forEach(function (it) { sel.appendChild(el("option", { value: it.region, text: it.name ? txt(it.name) + "（" + it.region + "）" : it.region })); });
          if (b.nextCursor && pages < 10) { return loadRegions(b.nextCursor, pages + 1); }
        });
      }
      function addMatter(m) {
        var id = "pm-" + m.matter;
        var certs = (m.certificates || []).map(function (c) {
          return el("span", { cls: "pick-cert" }, [txt(c.certificateName), " · " + t("apply.pick.unit") + ": " + c.requestingUnit + " · ",
            c.notice ? el("span", { text: t("apply.pick.noticeReady") + " " + c.notice.id + " v" + c.notice.version })
              : el("span", { text: t("apply.notice.none") })]);
        });
        var input = el("input", { type: "radio", name: "pick-matter", id: id, value: m.matter });
        if (m.matter === want) { input.checked = true; }
        list.appendChild(el("div", { cls: "pick", "data-matter": m.matter }, [input,
          el("label", { "for": id }, [el("span", { cls: "pick-name", text: txt(m.matterName) }), el("span", { cls: "mono pick-code", text: m.matter })].concat(certs))]));
      }
      function loadMatters(region) {
        say("pick-msg", t("apply.pick.loading"));
        return api("GET", "/v1/catalogue/matters/" + encodeURIComponent(region) + "?limit=20" + (cursor ? "&cursor=" + encodeURIComponent(cursor) : "")).then(function (r) {
          if (sel.value !== region) { return; } // the region changed meanwhile
          var b = r.body || {};
          (b.items || []).forEach(addMatter);
          cursor = b.nextCursor || "";
          more.hidden = !cursor;
          fs.hidden = false;
          var n = list.querySelectorAll("input[name=pick-matter]").length;
          say("pick-msg", n ? "" : (cursor ? "" : t("apply.pick.none")));
          $("pick-submit").disabled = n === 0;
        }).catch(fail("pick-msg"));
      }
      function choose(region) {
        clear(list); cursor = ""; more.hidden = true; $("pick-submit").disabled = true;
        if (!region) { fs.hidden = true; say("pick-msg", ""); return Promise.resolve(); }
        return loadMatters(region);
      }
      sel.addEventListener("change", function () { want = ""; choose(sel.value); });
      more.addEventListener("click", function () { loadMatters(sel.value); });
      $("pick-form").addEventListener("submit", function (ev) {
        ev.preventDefault();
        var c = list.querySelector("input[name=pick-matter]:checked");
        if (!c) { say("pick-msg", t("apply.pick.chooseMatter"), "err"); return; }
        say("pick-msg", "");
        $("region").value = sel.value; $("matter").value = c.value;
        lookupMatter(sel.value, c.value);
      });
      return {
        // start lists the regions and preselects the one a link names (or
        // the only one), with the matter the link names ticked.
        start: function (region, matter) {
          want = matter || "";
          loadRegions("", 0).then(function () {
            var codes = Array.prototype.map.call(sel.options, function (o) { return o.value; }).filter(Boolean);
            if (!codes.length) { say("pick-msg", t("apply.pick.noRegions")); return; }
            var pre = region && codes.indexOf(region) >= 0 ? region : (codes.length === 1 ? codes[0] : "");
            if (pre) { sel.value = pre; choose(pre); }
          }).catch(function (e) {
            // A server without the listing: the code fields are the way in.
            if (notAvailable(e)) { $("pick-form").hidden = true; $("by-code").open = true; return; }
            fail("pick-msg")(e);
          });
        }
      };
    })();

    $("matter-form").addEventListener("submit", function (ev) {
      ev.preventDefault();
      lookupMatter($("region").value.trim(), $("matter").value.trim());
    });
    // lookupMatter shows what the catalogue says about a matter and, when it
    // names exactly one notice, loads it.
    function lookupMatter(region, matter) {
      var out = clear($("matter-result"));
      api("GET", "/v1/catalogue/matters/" + encodeURIComponent(region) + "/" + encodeURIComponent(matter)).then(function (r) {
        var a = r.body || {};
        if (!a.demands || a.demands.length === 0) { out.appendChild(el("p", { cls: "msg", text: (a.message ? txt(a.message) : t("apply.matter.none")) })); return; }
        var tb = el("tbody"), withNotice = [];
        a.demands.forEach(function (d) {
          var e = d.entry || {}, cell;
          if (d.notice) {
            withNotice.push(d.notice);
            var b = el("button", { type: "button", cls: "secondary", "data-notice": d.notice.id, text: t("apply.notice.open") + " " + d.notice.id + " v" + d.notice.version });
            b.addEventListener("click", (function (n) { return function () { $("notice-id").value = n.id; loadNotice(n.id, n.version); }; })(d.notice));
            cell = el("td", { "data-label": t("apply.notice") }, [b]);
          } else {
            cell = el("td", { "data-label": t("apply.notice"), text: e.pledgeEligible ? t("apply.notice.none") : "—" });
          }
          tb.appendChild(el("tr", {}, [el("td", { "data-label": t("report.matter"), text: txt(e.matterName) + " · " + txt(e.certificateName) }),
            el("td", { "data-label": t("apply.modes"), text: (d.modes || []).map(function (m) { return t("mode." + m); }).join(LANG === "en" ? ", " : "、") }),
            el("td", { "data-label": t("common.status"), text: e.pledgeEligible ? t("apply.eligible") : t("apply.notEligible") }), cell]));
        });
        out.appendChild(el("table", {}, [el("thead", {}, [el("tr", {}, [el("th", { text: t("report.matter") }), el("th", { text: t("apply.modes") }), el("th", { text: t("common.status") }), el("th", { text: t("apply.notice") })])]), tb]));
        // One notice for the matter: load it, so the applicant need not type its number.
        if (withNotice.length === 1) { $("notice-id").value = withNotice[0].id; loadNotice(withNotice[0].id, withNotice[0].version); }
      }).catch(function (e) { out.appendChild(el("p", { cls: "msg err", text: t("common.error") + e.message })); });
    }

    // loadNotice shows notice id (version 0: the latest) and opens the form.
    function loadNotice(id, version) {
      api("GET", "/v1/notices/" + encodeURIComponent(id) + (version ? "?version=" + version : "")).then(function (r) {
        state.notice = r.body;
        var n = r.body.notice;
        var body = clear($("notice-body"));
        var dl = el("dl", { cls: "kv" });
        kv(dl, t("report.agency"), n.agencyName + " (" + n.agency + ")");
        kv(dl, t("report.matter"), txt(n.matterName) + " · " + txt(n.certificateName));
        kv(dl, t("apply.notice.version"), String(n.version) + " · " + fmtTime(n.publishedAt));
        kv(dl, t("apply.notice.proves"), txt(n.wouldHaveProved));
        kv(dl, t("apply.notice.basis"), (n.legalBasis || []).map(txt).join(LANG === "en" ? "; " : "；"));
        kv(dl, t("apply.notice.how"), txt(n.howToPledge && n.howToPledge.method));
        kv(dl, t("apply.notice.liability"), txt(n.liability));
        kv(dl, t("apply.notice.verify"), txt(n.verification && n.verification.agencyPower) + " " + txt(n.verification && n.verification.applicantDuty));
        kv(dl, t("apply.notice.publication"), n.publication && n.publication.published ? txt(n.publication.how) + " · " + txt(n.publication.scope) : t("common.no"));
        kv(dl, t("apply.notice.withdrawal"), txt(n.withdrawal));
        kv(dl, t("apply.notice.postCheck"), txt(n.postCheckWindow));
        kv(dl, t("apply.notice.contacts"), (n.contacts || []).map(function (c) { return c.channel + " " + c.value; }).join(LANG === "en" ? "; " : "；"));
        kv(dl, t("apply.notice.digest"), r.body.digest, "mono");
        body.appendChild(el("h3", { text: t("apply.notice.conditions") }));
        body.appendChild(el("ul", {}, (n.conditions || []).map(function (c) { return el("li", { text: txt(c) }); })));
        body.appendChild(dl);
        $("notice-card").hidden = false; $("pledge-card").hidden = false;
        $("review-card").hidden = true; state.draft = null;
        $("notice-card").focus();
        showSeal(r.body);
      }).catch(function (e) { $("matter-result").appendChild(el("p", { cls: "msg err", text: t("common.error") + e.message })); });
    }

    $("notice-form").addEventListener("submit", function (ev) {
      ev.preventDefault();
      clear($("matter-result"));
      loadNotice($("notice-id").value.trim(), 0);
    });

    // --- review: the server prepares the document; the page shows it and
    // its exact bytes, hashes them itself, and signs only those ----------------
    function objectURL(old, bytes, type) {
      if (old) { URL.revokeObjectURL(old); }
      return URL.createObjectURL(new Blob([bytes], { type: type }));
    }
    function renderDocument(box, doc) {
      var n = state.notice && state.notice.notice;
      var same = n && n.id === doc.notice.id;
      var ap = doc.applicant || {};
      var dl = el("dl", { cls: "kv" });
      kv(dl, t("apply.doc.pledgeId"), doc.pledgeId, "mono");
      kv(dl, t("apply.doc.applicant"), ap.name + " · " + t("idtype." + ap.idType) + " " + ap.idNumber);
      kv(dl, t("apply.doc.agency"), (same ? n.agencyName + " " : "") + "(" + doc.agency + ")");
      kv(dl, t("apply.doc.matter"), same ? txt(n.matterName) + " · " + txt(n.certificateName) : "");
      kv(dl, t("apply.doc.codes"), doc.entry.region + " / " + doc.entry.matter + " / " + doc.entry.certificate + " · " + t("apply.doc.catalogue") + " " + doc.catalogueVersion, "mono");
      kv(dl, t("apply.doc.notice"), doc.notice.id + " v" + doc.notice.version);
      kv(dl, t("apply.notice.digest"), doc.notice.digest, "mono");
      dl.appendChild(el("dt", { text: t("apply.doc.statements") }));
      dl.appendChild(el("dd", {}, [el("ol", { cls: "stmts" }, (doc.statements || []).map(function (s) {
        return el("li", { "data-code": s.code }, [el("span", { "aria-hidden": "true", text: s.acknowledged ? "✓ " : "✗ " }), txt(s.text)]);
      }))]));
      dl.appendChild(el("dt", { text: t("apply.doc.facts") }));
      dl.appendChild(el("dd", {}, (doc.facts || []).length ? [el("ul", {}, doc.facts.map(function (f) { return el("li", {}, [el("strong", { text: txt(f.label) + "：" }), f.value]); }))] : [t("apply.doc.noFacts")]));
      kv(dl, t("apply.doc.channel"), t("channel." + doc.channel));
      kv(dl, t("apply.doc.signedAt"), fmtTime(doc.signedAt));
      kv(dl, t("apply.doc.eligibility"), t("eligibility." + doc.eligibility.outcome) + " · " + fmtTime(doc.eligibility.checkedAt));
      box.appendChild(dl);
    }
    function showDraft(d) {
      var bytes = b64bytes(d.document), text, doc;
      try { text = new TextDecoder("utf-8", { fatal: true }).decode(bytes); doc = JSON.parse(text); } catch (e) { say("pledge-msg", t("common.error") + t("apply.review.checkBad"), "err"); return; }
      var mine = PledgeSealSM3.hex(bytes);
      var ok = mine === String(d.digest).toLowerCase() && doc.pledgeId === d.pledgeId;
      state.draft = { id: d.pledgeId, b64: d.document, digest: mine, ok: ok };
      renderDocument(clear($("review-body")), doc);
      $("review-json").textContent = text;
      $("review-digest").textContent = mine;
      $("review-size").textContent = bytes.length + t("apply.review.bytesUnit");
      var chk = $("review-check");
      chk.textContent = ok ? t("apply.review.checkOk") : t("apply.review.checkBad");
      chk.className = ok ? "pass" : "fail";
      chk.setAttribute("data-ok", ok ? "true" : "false");
      state.docURL = objectURL(state.docURL, bytes, "application/json");
      $("review-download").setAttribute("href", state.docURL);
      $("review-download").setAttribute("download", d.pledgeId + ".document.json");
      $("review-expiry").textContent = t("apply.review.expires") + fmtTime(d.expiresAt);
      say("sign-msg", ok ? "" : t("apply.review.checkBad"), ok ? "" : "err");
      $("sign-btn").disabled = !ok;
      $("review-card").hidden = false; $("review-card").focus();
    }
    $("pledge-form").addEventListener("submit", function (ev) {
      ev.preventDefault();
      var all = STATEMENTS.every(function (c) { return $("st-" + c).checked; });
      if (!all) { say("pledge-msg", t("apply.form.incomplete"), "err"); return; }
      var n = state.notice.notice;
      var facts = [];
      var fl = $("fact-label").value.trim(), fv = $("fact-value").value.trim();
      if (fl && fv) { facts.push({ code: "APPLICANT_NOTE", label: { zh: fl }, value: fv }); }
      var body = { notice: { id: n.id, version: n.version, digest: state.notice.digest }, facts: facts, channel: "WEB", way: "EVENT_CERTIFICATE", prepareOnly: true };
      state.draft = null;
      $("review-card").hidden = true;
      say("pledge-msg", t("apply.review.preparing"));
      // Each review is a new draft (its own idempotency key); signing a
      // draft is idempotent by its pledge number.
      api("POST", "/v1/pledges", body, { "Idempotency-Key": randomKey() }).then(function (r) {
        say("pledge-msg", "");
        if (r.body.pledge) { signed(r.body.pledge, null); return; }
        showDraft(r.body.draft);
      }).catch(fail("pledge-msg"));
    });
    $("back-btn").addEventListener("click", function () { $("review-card").hidden = true; state.draft = null; $("pledge-form").querySelector("input").focus(); });
    $("sign-btn").addEventListener("click", function () {
      var d = state.draft;
      if (!d || !d.ok) { return; }
      $("sign-btn").disabled = true;
      say("sign-msg", t("apply.signing"));
      api("POST", "/v1/pledges/" + d.id + "/event-signature", { digest: d.digest }).then(function (r) {
        say("sign-msg", "");
        signed(r.body.pledge, d);
      }).catch(function (e) {
        if (e.code === "DRAFT_EXPIRED" || e.code === "DRAFT_NOT_FOUND") { say("sign-msg", t("apply.review.expired"), "err"); return; }
        if (e.code === "DRAFT_DIGEST_MISMATCH") { say("sign-msg", t("apply.review.mismatch"), "err"); return; }
        say("sign-msg", t("common.error") + e.message, "err");
        $("sign-btn").disabled = false;
      });
    });
    // signed shows the signed pledge: its number, whether its document is
    // the one reviewed, the QR code and the package, byte for byte as the
    // server sends it.
    function signed(p, draft) {
      remember(p.id);
      state.draft = null;
      $("done-id").textContent = p.id;
      $("done-doc").textContent = utf8(p.document);
      var chk = $("done-check");
      if (draft) {
        var same = p.document === draft.b64;
        say("done-check", same ? t("apply.done.same") + " (SM3 " + p.digest + ")" : t("apply.done.differs"), same ? "ok" : "err");
        chk.setAttribute("data-same", same ? "true" : "false");
      } else { say("done-check", ""); chk.removeAttribute("data-same"); }
      $("qr").setAttribute("src", "/v1/pledges/" + p.id + "/qr");
      $("qr-download").setAttribute("href", "/v1/pledges/" + p.id + "/qr");
      $("qr-download").setAttribute("download", p.id + ".qr.png");
      $("done-verify").setAttribute("href", "/app/verify?id=" + p.id);
      $("download").removeAttribute("href");
      $("review-card").hidden = true;
      $("done-card").hidden = false; $("done-card").focus();
      fetch("/v1/pledges/" + p.id + "/package", { headers: { "Authorization": "Bearer " + token(), "Accept": "application/json" }, credentials: "omit" })
        .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.arrayBuffer(); })
        .then(function (buf) {
          state.pkgURL = objectURL(state.pkgURL, new Uint8Array(buf), "application/json");
          $("download").setAttribute("href", state.pkgURL);
          $("download").setAttribute("download", p.id + ".pledge.json");
          listMine();
        }).catch(fail("done-check"));
    }
    $("mine-refresh").addEventListener("click", listMine);

    // listMine asks the API for the applicant's pledges; where that route
    // does not exist yet it falls back to the IDs this browser signed.
    function listMine() {
      var box = clear($("mine-list"));
      api("GET", "/v1/me/pledges?limit=50").then(function (r) {
        $("mine-note").hidden = true;
        var items = (r.body && r.body.items) || [];
        items.forEach(function (it) { remember(it.id); });
        mineTable(box, items.map(function (it) { return it.id; }), function (id) {
          var it = items.filter(function (x) { return x.id === id; })[0];
          return Promise.resolve(it);
        });
      }).catch(function (e) {
        if (!notAvailable(e)) { box.appendChild(el("p", { cls: "msg err", text: t("common.error") + e.message })); return; }
        $("mine-note").hidden = false;
        mineTable(box, mine(), function (id) { return api("GET", "/v1/pledges/" + id).then(function (r) { return r.body; }); });
      });
    }
    function mineTable(box, ids, load) {
      if (!ids.length) { box.appendChild(el("p", { text: t("apply.mine.none") })); return; }
      var tb = el("tbody");
      box.appendChild(el("table", {}, [el("thead", {}, [el("tr", {}, [el("th", { text: t("report.pledgeId") }), el("th", { text: t("common.status") }), el("th", { text: "" })])]), tb]));
      ids.forEach(function (id) {
        var st = el("td", { "data-label": t("common.status"), text: t("common.loading") });
        var act = el("td", {});
        tb.appendChild(el("tr", { "data-pledge": id }, [el("td", { cls: "mono", "data-label": t("report.pledgeId") }, [el("a", { href: "/app/verify?id=" + id, text: id })]), st, act]));
        load(id).then(function (p) {
          st.textContent = t("state." + p.status);
          st.setAttribute("data-status", p.status);
          if (p.status === "SIGNED") {
            var b = el("button", { type: "button", cls: "secondary", text: t("apply.withdraw") });
            b.addEventListener("click", function () { withdrawForm(act, id); });
            act.appendChild(b);
          }
        }).catch(function (e) { st.textContent = e.message; });
      });
    }
    function withdrawForm(cell, id) {
      clear(cell);
      var inp = el("textarea", { id: "wd-" + id, rows: "2", required: "required", maxlength: "500" });
      var f = el("form", {}, [el("label", { "for": "wd-" + id, text: t("apply.withdraw.reason") }), inp,
        el("button", { type: "submit", text: t("apply.withdraw.confirm") })]);
      f.addEventListener("submit", function (ev) {
        ev.preventDefault();
        api("POST", "/v1/pledges/" + id + "/withdraw", { reason: inp.value.trim() }).then(function () { listMine(); })
          .catch(function (e) { cell.appendChild(el("p", { cls: "msg err", text: t("common.error") + e.message })); });
      });
      cell.appendChild(f);
      inp.focus();
    }
  }

  // --- agency officer -----------------------------------------------------------
  function pageOfficer() {
    var current = null;
    // Decision dates are civil dates in China (UTC+8), as the service checks them.
    $("doc-date").value = new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 10);
    signin(["agency"], function () { loadQueue(); loadSeals(); });
    $("queue-load").addEventListener("click", loadQueue);
    // loadQueue lists the agency's pledges awaiting a decision; where the
    // API has no such route yet the page says so and opens by number.
    function loadQueue() {
      var box = clear($("queue"));
      api("GET", "/v1/agency/pledges?status=SIGNED&limit=50").then(function (r) {
        $("queue-na").hidden = true;
        var items = (r.body && r.body.items) || [];
        if (!items.length) { box.appendChild(el("p", { text: t("officer.queue.none") })); return; }
        var tb = el("tbody");
        items.forEach(function (it) {
          var ap = it.applicant || {};
          var open = el("button", { type: "button", cls: "secondary", text: t("common.open") });
          open.addEventListener("click", function () { $("open-id").value = it.id; say("case-msg", ""); openCase(it.id); });
          tb.appendChild(el("tr", { "data-pledge": it.id }, [el("td", { cls: "mono", "data-label": t("report.pledgeId"), text: it.id }),
            el("td", { "data-label": t("report.matter"), text: it.entry.region + " / " + it.entry.matter + " / " + it.entry.certificate }),
            el("td", { "data-label": t("report.applicant"), text: (ap.name || "") + " " + (ap.maskedIdNumber || "") }),
            el("td", { "data-label": t("report.signedAt"), text: fmtTime(it.signedAt) }), el("td", {}, [open])]));
        });
        box.appendChild(el("table", {}, [el("thead", {}, [el("tr", {}, [el("th", { text: t("report.pledgeId") }), el("th", { text: t("report.matter") }),
          el("th", { text: t("report.applicant") }), el("th", { text: t("report.signedAt") }), el("th", { text: "" })])]), tb]));
      }).catch(function (e) {
        if (notAvailable(e)) { $("queue-na").hidden = false; return; }
        box.appendChild(el("p", { cls: "msg err", text: t("common.error") + e.message }));
      });
    }
    function openCase(id) {
      api("GET", "/v1/pledges/" + encodeURIComponent(id)).then(function (r) {
        var p = r.body;
        current = p.id;
        say("open-msg", "");
        var dl = clear($("case-body"));
        kv(dl, t("report.pledgeId"), p.id, "mono");
        kv(dl, t("common.status"), t("state." + p.status));
        kv(dl, t("report.matter"), p.entry.region + " / " + p.entry.matter + " / " + p.entry.certificate);
        kv(dl, t("apply.notice"), p.notice.id + " v" + p.notice.version);
        kv(dl, t("report.signedAt"), fmtTime(p.createdAt));
        if (p.decision) { kv(dl, t("report.decision"), p.decision.documentNo + " · " + p.decision.date); }
        var doc = utf8(p.document);
        var pre = el("pre", { cls: "doc", text: doc });
        dl.appendChild(el("dt", { text: t("apply.done.signed") }));
        dl.appendChild(el("dd", {}, [el("details", {}, [el("summary", { text: t("common.open") }), pre])]));
        $("case-body").setAttribute("data-status", p.status);
        $("case-actions").hidden = p.status !== "SIGNED";
        $("case").hidden = false; $("case").focus();
      }).catch(fail("open-msg"));
    }
    $("open-form").addEventListener("submit", function (ev) { ev.preventDefault(); say("case-msg", ""); openCase($("open-id").value.trim()); });
    $("accept-form").addEventListener("submit", function (ev) {
      ev.preventDefault();
      api("POST", "/v1/pledges/" + current + "/accept", { documentNo: $("doc-no").value.trim(), date: $("doc-date").value }).then(function (r) {
        openCase(current); loadQueue(); say("case-msg", t("officer.done") + t("state." + r.body.status), "ok");
      }).catch(fail("case-msg"));
    });
    $("return-form").addEventListener("submit", function (ev) {
      ev.preventDefault();
      api("POST", "/v1/pledges/" + current + "/return", { reason: $("return-reason").value.trim() }).then(function (r) {
        openCase(current); loadQueue(); say("case-msg", t("officer.done") + t("state." + r.body.status), "ok");
      }).catch(fail("case-msg"));
    });
    $("seals-load").addEventListener("click", loadSeals);
    function loadSeals() {
      var box = clear($("seals"));
      api("GET", "/v1/seals").then(function (r) {
        var ids = (r.body && r.body.seals) || [];
        if (!ids.length) { box.appendChild(el("p", { text: t("officer.seals.none") })); return; }
        var tb = el("tbody");
        box.appendChild(el("table", {}, [el("thead", {}, [el("tr", {}, [el("th", { text: t("seal.picture") }), el("th", { text: t("seal.esid") }), el("th", { text: t("seal.name") }),
          el("th", { text: t("seal.status") }), el("th", { text: t("seal.valid") })])]), tb]));
        ids.forEach(function (id) {
          api("GET", "/v1/seals/" + encodeURIComponent(id)).then(function (s) {
            var x = s.body, code = x.status && x.status.code;
            tb.appendChild(el("tr", { "data-esid": x.esId }, [el("td", { "data-label": t("seal.picture") }, [sealThumb(x.seal, x.esId)]),
              el("td", { cls: "mono", "data-label": t("seal.esid"), text: x.esId }), el("td", { "data-label": t("seal.name"), text: x.name }),
              el("td", { "data-label": t("seal.status") }, [el("span", { cls: "badge " + (code === "ACTIVE" ? "pass" : "fail"), text: t("sealstate." + code) })]),
              el("td", { "data-label": t("seal.valid"), text: (x.validStart || "").slice(0, 10) + " – " + (x.validEnd || "").slice(0, 10) })]));
          }).catch(function () { /* one unreadable seal does not hide the others */ });
        });
      }).catch(function (e) { box.appendChild(el("p", { cls: notAvailable(e) ? "na" : "msg err", text: notAvailable(e) ? t("common.notAvailable") : t("common.error") + e.message })); });
    }
  }

  // --- enforcement console ----------------------------------------------------------
  function pageEnforce() {
    var tasks = [];
    signin(["enforcement"], function () { loadTasks(false); });
    function loadTasks(overdue) {
      var box = clear($("tasks"));
      api("GET", "/v1/enforcement/tasks" + (overdue ? "?overdue=true" : "")).then(function (r) {
        tasks = (r.body && r.body.tasks) || [];
        if (!tasks.length) { box.appendChild(el("p", { text: t("enforce.tasks.none") })); return; }
        var tb = el("tbody");
        tasks.forEach(function (k) {
          tb.appendChild(el("tr", { cls: k.overdue ? "overdue" : "" }, [el("td", { cls: "mono", "data-label": t("report.pledgeId"), text: k.pledgeId }),
            el("td", { "data-label": t("report.matter"), text: k.region + " / " + k.matter }),
            el("td", { "data-label": t("enforce.tasks.due") }, [k.due || "", k.overdue ? el("span", { cls: "badge fail", text: " " + t("enforce.tasks.overdueMark") }) : null]),
            el("td", { "data-label": t("common.status"), text: k.status })]));
        });
        box.appendChild(el("table", {}, [el("thead", {}, [el("tr", {}, [el("th", { text: t("report.pledgeId") }), el("th", { text: t("report.matter") }),
          el("th", { text: t("enforce.tasks.due") }), el("th", { text: t("common.status") })])]), tb]));
      }).catch(function (e) { box.appendChild(el("p", { cls: notAvailable(e) ? "na" : "msg err", text: notAvailable(e) ? t("common.notAvailable") : t("common.error") + e.message })); });
    }
    $("tasks-all").addEventListener("click", function () { loadTasks(false); });
    $("tasks-overdue").addEventListener("click", function () { loadTasks(true); });
    $("draw-form").addEventListener("submit", function (ev) {
      ev.preventDefault();
      var box = clear($("draw-result"));
      // The service draws from its own decided pledges; the page only
      // rates some of them ("pledge-number tier" per line).
      var tiers = {};
      $("draw-population").value.split("\n").forEach(function (line) {
        var f = line.trim().split(/\s+/).filter(Boolean);
        if (f.length === 2) { tiers[f[0]] = f[1]; }
      });
      var seed = new Uint8Array(32); crypto.getRandomValues(seed);
      var body = { region: $("draw-region").value.trim(), matter: $("draw-matter").value.trim(), ratioPermille: parseInt($("draw-ratio").value, 10),
        seed: Array.prototype.map.call(seed, function (x) { return ("0" + x.toString(16)).slice(-2); }).join("") };
      if (Object.keys(tiers).length) { body.tiers = tiers; }
      api("POST", "/v1/enforcement/draws", body).then(function (r) {
        var d = r.body || {};
        var sel = (d.result && (d.result.selected || d.result.selection)) || [];
        var names = sel.map(function (s) { return typeof s === "string" ? s : s.pledgeId; });
        box.appendChild(el("dl", { cls: "kv" }, [el("dt", { text: "ID" }), el("dd", { cls: "mono", text: d.id }),
          el("dt", { text: t("enforce.draw.seed") }), el("dd", { cls: "mono", text: d.seed }),
          el("dt", { text: t("enforce.draw.result") }), el("dd", { cls: "mono", id: "draw-selected", text: names.join(" ") || "—" })]));
      }).catch(function (e) { box.appendChild(el("p", { cls: "msg err", text: t("common.error") + e.message })); });
    });
    $("finding-form").addEventListener("submit", function (ev) {
      ev.preventDefault();
      var body = { pledgeId: $("f-pledge").value.trim(), outcome: $("f-outcome").value, documentNo: $("f-docno").value.trim(),
        inspector: $("f-inspector").value.trim(), evidence: $("f-evidence").value.split(/\s+/).filter(Boolean) };
      if ($("f-note").value.trim()) { body.note = $("f-note").value.trim(); }
      if (!body.evidence.length) { delete body.evidence; }
      api("POST", "/v1/enforcement/findings", body).then(function (r) {
        var f = r.body || {};
        say("finding-msg", t("enforce.finding.done") + consequences(f), "ok");
        $("fs-pledge").value = f.pledgeId;
        loadFindings(f.pledgeId);
      }).catch(fail("finding-msg"));
    });
    // Evidence files are hashed here (SM3, assets/sm3.js) and never sent:
    // only their digests go into the finding.
    $("f-evidence-files").addEventListener("change", function () {
      var box = $("f-evidence");
      Array.prototype.forEach.call($("f-evidence-files").files, function (f) {
        if (f.size > 100 * 1024 * 1024) { say("finding-msg", t("enforce.finding.evidenceTooLarge") + f.name, "err"); return; }
        f.arrayBuffer().then(function (buf) {
          var d = PledgeSealSM3.hex(new Uint8Array(buf));
          var have = box.value.split(/\s+/).filter(Boolean);
          if (have.indexOf(d) < 0) { have.push(d); box.value = have.join("\n"); }
        }).catch(fail("finding-msg"));
      });
    });
    $("findings-form").addEventListener("submit", function (ev) { ev.preventDefault(); loadFindings($("fs-pledge").value.trim()); });
    function consequences(f) {
      var parts = [t("outcome." + f.outcome)];
      if (f.state) { parts.push(t("enforce.registry") + ": " + t("state." + f.state)); }
      if (f.barId) { parts.push(t("enforce.bar")); }
      return parts.join(LANG === "en" ? "; " : "；");
    }
    function loadFindings(id) {
      var box = clear($("findings"));
      api("GET", "/v1/enforcement/findings?pledgeId=" + encodeURIComponent(id)).then(function (r) {
        var fs = (r.body && r.body.findings) || [];
        if (!fs.length) { box.appendChild(el("p", { text: t("enforce.findings.none") })); return; }
        box.appendChild(el("ul", { cls: "checks" }, fs.map(function (f) {
          return el("li", { "data-outcome": f.outcome }, [el("span", { cls: "mark " + (f.outcome === "VERIFIED_OK" || f.outcome === "FULFILLED" ? "pass" : "fail"), "aria-hidden": "true", text: "•" }),
            el("span", {}, [el("strong", { text: t("outcome." + f.outcome) }), " · " + f.documentNo + " · " + fmtTime(f.effective)]),
            el("span", { cls: "detail", text: consequences(f) })]);
        })));
      }).catch(function (e) { box.appendChild(el("p", { cls: "msg err", text: t("common.error") + e.message })); });
    }
  }

  var page = document.body.getAttribute("data-page");
  if (page === "verify") { pageVerify(); }
  if (page === "apply") { pageApply(); }
  if (page === "officer") { pageOfficer(); }
  if (page === "enforce") { pageEnforce(); }
})();
