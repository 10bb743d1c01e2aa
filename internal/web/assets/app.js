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

  // problemText is what a person reads for a problem: the catalogue's
  // words (with a next step) for a known code or for a too-large body or an
  // unavailable service, else the server's detail; the code stays beside.
  function problemText(status, j) {
    var code = j && typeof j.code === "string" ? j.code : "";
    var kind = j && typeof j.type === "string" ? j.type.replace("urn:pledgeseal:problem:", "") : "";
    if (!kind && status === 413) { kind = "too-large"; }
    if (!kind && status === 503) { kind = "unavailable"; }
    var words = "";
    if (code && Object.prototype.hasOwnProperty.call(MSGS, "problem." + code)) { words = t("problem." + code); }
    else if (kind === "too-large" || kind === "unavailable") { words = t("problem.kind." + kind); }
    var detail = j && typeof j.detail === "string" ? j.detail : "";
    if (!words) { return detail || (j && j.title) || ("HTTP " + status); }
    // The catalogue's words; for the generic input codes, whose words
    // cannot say which field or which name was wrong, the server's detail
    // follows (it names them).
    var generic = /^(FIELD_(INVALID|REQUIRED|TOO_LONG)|JSON_(INVALID|DUPLICATE_NAME|UNKNOWN_NAME|TOO_DEEP))$/.test(code);
    return words + (generic && detail ? " (" + detail + ")" : "") + (code ? " [" + code + "]" : "");
  }

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
            var err = new Error(problemText(r.status, j));
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

  // --- state now and downloads of a listed pledge ---------------------------------
  // showStateNow writes a listed pledge's state now (the registry's findings
  // and revocations outrank the workflow state, as on the status page);
  // when the registry could not be read, it says so rather than guess.
  function showStateNow(cell, p) {
    var st = p.stateNow || (p.stateUnavailable ? "" : p.status);
    cell.textContent = st ? t("state." + st) : t("mine.stateUnavailable");
    cell.setAttribute("data-status", st || "UNAVAILABLE");
  }
  // fetchDownload fetches an authenticated download with the session's
  // token and saves it under name.
  function fetchDownload(path, name, msgCell) {
    var h = {};
    var tok = token();
    if (tok) { h["Authorization"] = "Bearer " + tok; }
    return fetch(path, { headers: h, credentials: "omit" }).then(function (r) {
      if (!r.ok) {
        return r.text().then(function (s) { var j = null; try { j = JSON.parse(s); } catch (e) { j = null; } throw new Error(problemText(r.status, j)); });
      }
      return r.blob().then(function (b) {
        var a = el("a", { href: URL.createObjectURL(b), download: name });
        document.body.appendChild(a); a.click(); a.remove();
      });
    }).catch(function (e) { if (msgCell) { msgCell.appendChild(el("p", { cls: "msg err", text: t("common.error") + e.message })); } });
  }
  // statementLink offers the pledge's signed status statement (public),
  // with what it is and how to check it offline.
  function statementLink(path, id) {
    return el("span", { cls: "statement" }, [
      el("a", { cls: "dl-statement", href: path, download: id + ".status-statement.txt", text: t("mine.download.statement") }),
      el("small", { cls: "hint", text: " " + t("statement.hint") })]);
  }
  // downloadLinks offers, once decided, the decided documents: the
  // counter-sealed package, its QR code, the sealed OFD and the signed
  // status statement, whatever the state now — with a plain note when the
  // pledge is no longer in force, so that nobody takes them for a pledge in
  // force.
  function downloadLinks(p) {
    var d = p.downloads;
    var box = el("span", { cls: "downloads" });
    if (!d) { return box; }
    if (!d.inForce) { box.appendChild(el("span", { cls: "msg err not-in-force", text: t("mine.notInForce") })); }
    function btn(cls, label, path, name) {
      var b = el("button", { type: "button", cls: "secondary " + cls, text: label, "data-download": path });
      b.addEventListener("click", function () { fetchDownload(path, name, box); });
      return b;
    }
    box.appendChild(btn("dl-package", t("mine.download.package"), d.package, p.id + ".pledge.json"));
    box.appendChild(el("a", { cls: "dl-qr", href: d.qr, download: p.id + ".qr.png", text: t("mine.download.qr") }));
    if (d.ofd) { box.appendChild(btn("dl-ofd", t("mine.download.ofd"), d.ofd, p.id + ".ofd")); }
    if (d.statement) { box.appendChild(statementLink(d.statement, p.id)); }
    return box;
  }

  // --- verification report ------------------------------------------------------
  function tone(ind) { return ind === "TOTAL_PASSED" ? "pass" : ind === "TOTAL_FAILED" ? "fail" : "grey"; }
  function resultTone(r) { return r === "PASSED" ? "pass" : r === "FAILED" ? "fail" : "grey"; }
  function mark(r) { return r === "PASSED" ? "✓" : r === "FAILED" ? "✗" : r === "NOT_PERFORMED" ? "–" : "?"; }
  function subText(s) { return s ? (t("sub." + s) !== "sub." + s ? t("sub." + s) : s) : ""; }

  function has(k) { return Object.prototype.hasOwnProperty.call(MSGS, k); }
  // checkText says what a check found in plain words, from the catalogue:
  // the sub-indication for a failure, else a sentence per check and result.
  function checkText(c) {
    if ((c.result === "FAILED" || c.result === "INDETERMINATE") && c.subIndication && has("sub." + c.subIndication)) { return t("sub." + c.subIndication); }
    var k = "detail." + c.name + "." + c.result;
    return has(k) ? t(k) : t("detail." + c.result);
  }
  // checkName names a check from the catalogue; an OFD Reference check
  // ("ofd-reference /path") is named with its file.
  function checkName(n) {
    var ref = "ofd-reference ";
    if (n.indexOf(ref) === 0) { return t("check.ofd-reference") + " " + n.slice(ref.length); }
    return t("check." + n);
  }
  function checkList(checks) {
    return el("ul", { cls: "checks" }, (checks || []).map(function (c) {
      var name = checkName(c.name);
      return el("li", { "data-check": c.name, "data-result": c.result, "data-sub": c.subIndication || "" }, [
        el("span", { cls: "mark " + resultTone(c.result), "aria-hidden": "true", text: mark(c.result) }),
        el("span", {}, [el("strong", { text: name }), " — ", el("span", { cls: resultTone(c.result), text: t("result." + c.result) })]),
        el("span", { cls: "detail plain", text: checkText(c) }),
        // The verifier's own words, with the machine codes, for a specialist.
        c.detail ? el("details", { cls: "tech" }, [el("summary", { text: t("report.tech") }),
          el("span", { cls: "small mono" }, [c.name + " · " + c.result + (c.subIndication ? " · " + c.subIndication : "") + " · "]),
          el("span", { cls: "small", lang: "en", text: c.detail })]) : null,
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
  // named shows a name with its code in small print.
  function named(dd, name, code) {
    clear(dd).appendChild(document.createTextNode(name + " "));
    dd.appendChild(el("small", { cls: "code mono", text: code }));
  }
  // fillNames replaces the agency and matter codes of a report with their
  // names from the notice the pledge binds (public), codes kept small.
  function fillNames(p) {
    if (!p.notice || !p.notice.id) { return; }
    api("GET", "/v1/notices/" + encodeURIComponent(p.notice.id) + "?version=" + p.notice.version).then(function (r) {
      var n = (r.body || {}).notice || {}, e = n.entry || {};
      // Names only from the very notice version the signed pledge binds.
      if (r.body.digest !== p.notice.digest || n.agency !== p.agency || !p.entry || e.region !== p.entry.region || e.matter !== p.entry.matter) { return; }
      if (n.agencyName && $("rep-agency")) { named($("rep-agency"), n.agencyName, p.agency); }
      if ($("rep-matter")) { named($("rep-matter"), txt(n.matterName) + " · " + txt(n.certificateName), p.entry.region + " / " + p.entry.matter + " / " + p.entry.certificate); }
    }).catch(function () { /* the codes stay */ });
  }

  // timeUsed is a time a report judged a signature at and where it came
  // from: a time-stamping authority's proof (named) or the signer's claim.
  function timeUsed(at, src) {
    if (!at) { return ""; }
    var how = src && src.source === "TSA" ? t("report.timeSource.TSA") + " " + (src.tsa || "") : t("report.timeSource.CLAIMED");
    return fmtTime(at) + " · " + how;
  }

  function renderReport(rep) {
    var box = clear($("report"));
    var ind = rep.indication || "INDETERMINATE";
    var icon = ind === "TOTAL_PASSED" ? "✓" : ind === "TOTAL_FAILED" ? "✗" : "?";
    box.appendChild(el("h2", { id: "report-h", text: t("report.h") }));
    box.appendChild(el("div", { cls: "verdict " + tone(ind), id: "verdict", "data-indication": ind, "data-sub": rep.subIndication || "" }, [
      // A signing-time copy of a pledge accepted since gets its own words:
      // never "undecided" beside "accepted".
      el("p", { cls: "big" }, [el("span", { cls: "icon", "aria-hidden": "true", text: icon }), rep.subIndication === "PREDATES_DECISION" ? t("report.PREDATES_DECISION") : t("report." + ind)]),
      rep.subIndication ? el("p", {}, [el("strong", { text: t("report.why") + ": " }), subText(rep.subIndication)]) : null
    ]));
    var p = rep.pledge;
    if (p) {
      var ap = p.applicant || {};
      var rows = [
        [t("report.pledgeId"), p.pledgeId, "mono"],
        [t("report.agency"), p.agency, "", "rep-agency"],
        [t("report.matter"), (p.entry ? p.entry.region + " / " + p.entry.matter + " / " + p.entry.certificate : ""), "", "rep-matter"],
        [t("report.applicant"), (ap.name || "") + " " + (ap.idNumber || "") + (ap.masked ? " " + t("report.masked") : "")],
        [t("report.signedAt"), fmtTime(p.signedAt)],
        [t("report.signingTimeUsed"), timeUsed((rep.validAtSigning || {}).signedAt, (rep.validAtSigning || {}).signedAtSource)],
        (rep.validAtSigning || {}).sealedAt ? [t("report.sealingTimeUsed"), timeUsed(rep.validAtSigning.sealedAt, rep.validAtSigning.sealedAtSource)] : null,
        // Decision facts come only from the verified report (the sealed
        // decision statement); a legacy package signs none, so none is shown.
        [t("report.decision"), !p.decision ? t("report.noDecision") : p.decision.legacy ? t("report.legacyDecision") : p.decision.documentNo + " · " + p.decision.date]
      ];
      var dl = el("dl", { cls: "kv" });
      rows.filter(Boolean).forEach(function (r) {
        dl.appendChild(el("dt", { text: r[0] }));
        var dd = el("dd", { cls: r[2] || "", text: r[1] || "" });
        if (r[3]) { dd.id = r[3]; }
        dl.appendChild(dd);
      });
      box.appendChild(el("section", { "aria-labelledby": "sum-h" }, [el("h3", { id: "sum-h", text: t("report.summary") }), dl]));
      fillNames(p);
    }
    var s = rep.validAtSigning || {}, n = rep.statusNow || {};
    box.appendChild(el("section", { "aria-labelledby": "sig-h", cls: "part" }, [
      el("h3", { id: "sig-h" }, [t("report.atSigning") + " ", el("span", { cls: "badge " + tone(s.indication), text: t("report." + (s.indication || "INDETERMINATE")).split(/[:：]/)[0] })]),
      checkList(s.checks)]));
    box.appendChild(el("section", { "aria-labelledby": "now-h", cls: "part" }, [
      el("h3", { id: "now-h" }, [t("report.now") + " ", el("span", { cls: "badge " + tone(n.indication), text: t("report." + (n.indication || "INDETERMINATE")).split(/[:：]/)[0] })]),
      n.state ? el("p", {}, [el("strong", { text: t("report.state") + ": " }), el("span", { id: "state-now", text: t("state." + n.state) })]) : null,
      checkList(n.checks),
      // A decided pledge's signed status statement, for a relying party
      // that checks it later offline.
      p && p.decision && PLEDGE_ID.test(p.pledgeId || "") ? el("p", { id: "report-statement" }, [statementLink("/v1/pledges/" + p.pledgeId + "/status-statement", p.pledgeId)]) : null]));
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

  // renderOFD shows the report of a signed OFD: a verdict on the file's
  // signatures (each with its checks), then the attached pledge package's
  // own report when the file carries one.
  function renderOFD(v) {
    var ind = v.indication || "INDETERMINATE";
    if (v.pledge) { renderReport(v.pledge); } else {
      var b = clear($("report"));
      b.appendChild(el("h2", { id: "report-h", text: t("report.h") }));
    }
    var box = $("report");
    var sigs = v.signatures || [];
    var sec = el("section", { "aria-labelledby": "ofd-h", cls: "part", id: "ofd-report" }, [
      el("div", { cls: "verdict " + tone(ind), id: "ofd-verdict", "data-indication": ind }, [
        el("p", { cls: "big" }, [el("span", { cls: "icon", "aria-hidden": "true", text: ind === "TOTAL_PASSED" ? "✓" : ind === "TOTAL_FAILED" ? "✗" : "?" }),
          el("span", { id: "ofd-h", text: t("ofdreport.h") + ": " }), t("report." + ind).split(/[:：]/)[0]])]),
      sigs.length ? null : el("p", { text: t("ofdreport.none") })
    ]);
    sigs.forEach(function (r, i) {
      sec.appendChild(el("h3", {}, [t("ofdreport.signature") + " " + (i + 1) + " ", el("small", { cls: "mono", text: (r.id || "") + " · " + (r.version || "") }), " ",
        el("span", { cls: "badge " + tone(r.indication), text: t("report." + (r.indication || "INDETERMINATE")).split(/[:：]/)[0] })]));
      sec.appendChild(checkList(r.checks));
    });
    sec.appendChild(el("p", { cls: "hint", text: v.pledge ? t("ofdreport.pledge") + " ↓" : t("ofdreport.noPledge") }));
    var h2 = $("report-h");
    box.insertBefore(sec, h2 ? h2.nextSibling : box.firstChild);
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
      f.arrayBuffer().then(function (buf) {
        var b = new Uint8Array(buf);
        // An OFD is a ZIP container ("PK\x03\x04"); anything else is read as a package.
        if (b.length > 3 && b[0] === 0x50 && b[1] === 0x4b && b[2] === 0x03 && b[3] === 0x04) {
          say("verify-msg", t("verify.working"));
          return verifyOFD(buf);
        }
        return f.text().then(verifyPackageText);
      }).catch(fail("verify-msg"));
    });
    function verifyPackageText(s) {
      var pkg;
      try { pkg = JSON.parse(s); } catch (e) { say("verify-msg", t("verify.file.bad"), "err"); return; }
      say("verify-msg", t("verify.working"));
      return api("POST", "/v1/verifications", { "package": pkg }).then(function (r) { say("verify-msg", ""); renderReport(r.body); });
    }
    // verifyOFD posts the file's bytes to the OFD verification route and
    // shows the signatures on the file, then the attached package's report.
    function verifyOFD(buf) {
      var h = { "Accept": "application/json", "Content-Type": "application/ofd" };
      var tok = token();
      if (tok) { h["Authorization"] = "Bearer " + tok; }
      return fetch("/v1/ofd/verifications", { method: "POST", headers: h, body: buf, credentials: "omit" })
        .catch(function () { throw new Error(t("common.network")); })
        .then(function (r) {
          return r.text().then(function (s) {
            var j = null;
            try { j = s ? JSON.parse(s) : null; } catch (e) { j = null; }
            if (!r.ok) { var err = new Error(problemText(r.status, j)); err.status = r.status; throw err; }
            say("verify-msg", "");
            renderOFD(j || {});
          });
        });
    }
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
    var state = { notice: null, who: null, draft: null, docURL: null, pkgURL: null, own: null };
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
      checkEligibility(region, matter);
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

    // checkEligibility says, as soon as the matter is chosen, whether a
    // credit bar stops a pledge: why, until when, and what to do instead
    // (the certificate route is always open; a finding can be appealed).
    function checkEligibility(region, matter) {
      var box = clear($("eligibility"));
      box.hidden = true; box.removeAttribute("data-eligible");
      api("GET", "/v1/me/eligibility?region=" + encodeURIComponent(region) + "&matter=" + encodeURIComponent(matter)).then(function (r) {
        var e = r.body || {};
        box.setAttribute("data-eligible", e.eligible ? "true" : "false");
        if (e.eligible) { box.className = "msg ok"; box.appendChild(el("p", { text: t("elig.ok") })); box.hidden = false; return; }
        box.className = "verdict fail";
        box.appendChild(el("h3", { text: t("elig.barred.h") }));
        (e.bars || []).forEach(function (b) {
          var until = new Date(new Date(b.end).getTime() + 8 * 3600e3).toISOString().slice(0, 10);
          box.appendChild(el("p", { cls: "bar", "data-reason": b.reason }, [
            (has("elig.reason." + b.reason) ? t("elig.reason." + b.reason) : b.reason) + " ",
            t("elig.scope." + b.scopeKind) + " ",
            t("elig.until").replace("{until}", until),
            b.documentNo ? " " + t("elig.doc") + b.documentNo : ""]));
        });
        box.appendChild(el("h4", { text: t("elig.what.h") }));
        box.appendChild(el("ul", {}, [el("li", { text: t("elig.what.certificate") }), el("li", { text: t("elig.what.appeal") })]));
        box.hidden = false;
      }).catch(function (e) {
        if (notAvailable(e)) { return; }
        box.className = "msg err"; box.appendChild(el("p", { text: t("elig.unknown") + e.message })); box.hidden = false;
      });
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
      ownDraft(d, bytes, mine, ok);
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
    // --- signing with one's own certificate: the exact bytes to download,
    // the commands that sign them, then the uploaded signature checked by
    // the server (nothing stored) before it is submitted ------------------
    function ownDraft(d, bytes, digest, ok) {
      var name = d.pledgeId + ".document.json", sig = d.pledgeId + ".p7s";
      state.own = null;
      $("own").hidden = !ok;
      $("own-name").textContent = name;
      $("own-digest").textContent = digest;
      $("own-size").textContent = bytes.length + t("apply.review.bytesUnit");
      $("own-download").setAttribute("href", state.docURL);
      $("own-download").setAttribute("download", name);
      $("own-cmd-digest").textContent = "openssl dgst -sm3 " + name;
      $("own-cmd-pledgectl").textContent = "pledgectl pledge sign-cms --key key.pem --cert cert.pem --in " + name + " --out " + sig;
      $("own-cmd-gmssl").textContent = "gmssl cmssign -key key.pem -pass PASSWORD -cert cert.pem -in " + name + " -out " + sig;
      $("own-file").value = "";
      $("own-result").hidden = true;
      $("own-submit").hidden = true;
      say("own-msg", "");
    }
    // cmsBytes is the DER of an uploaded signature file: the first PEM
    // block's contents when the file is PEM, else the file itself.
    function cmsBytes(buf) {
      var u = new Uint8Array(buf), head = "";
      for (var i = 0; i < u.length && i < 4096; i++) { head += String.fromCharCode(u[i]); }
      if (head.indexOf("-----BEGIN ") < 0) { return u; }
      var text = "";
      for (var j = 0; j < u.length; j++) { text += String.fromCharCode(u[j]); }
      var m = /-----BEGIN [A-Z0-9 #]+-----([\s\S]*?)-----END [A-Z0-9 #]+-----/.exec(text);
      if (!m) { return null; }
      try { return b64bytes(m[1].replace(/\s+/g, "")); } catch (e) { return null; }
    }
    function bytesB64(u) {
      var bin = "";
      for (var i = 0; i < u.length; i += 8192) { bin += String.fromCharCode.apply(null, Array.prototype.slice.call(u.subarray(i, i + 8192))); }
      return btoa(bin);
    }
    function ownRow(dl, key, value, ok) {
      dl.appendChild(el("dt", { text: t(key) }));
      var dd = el("dd", { "data-check": key.replace("own.r.", "") });
      if (ok === undefined) { dd.textContent = value; } else {
        dd.textContent = ok === null ? t("own.r.notChecked") : (ok ? t("own.r.yes") : t("own.r.no"));
        dd.className = ok === null ? "" : (ok ? "pass" : "fail");
        dd.setAttribute("data-ok", ok === null ? "" : String(ok));
      }
      dl.appendChild(dd);
    }
    function showOwnCheck(c) {
      var dl = clear($("own-report")), s = c.signer || {};
      ownRow(dl, "own.r.signer", (s.name || "") + (s.organization ? " · " + s.organization : "") + (s.serialNumber ? " · " + s.serialNumber : ""));
      ownRow(dl, "own.r.issuer", s.issuer || "");
      ownRow(dl, "own.r.validity", fmtTime(s.notBefore) + t("own.r.to") + fmtTime(s.notAfter));
      ownRow(dl, "own.r.signedAt", fmtTime(c.signedAt));
      ownRow(dl, "own.r.digest", "", !!c.digestMatches);
      if (!c.digestMatches && c.signedDigest) { ownRow(dl, "own.r.signedDigest", c.signedDigest); dl.lastChild.className = "mono"; }
      ownRow(dl, "own.r.validAt", "", !!c.validAtSigning);
      ownRow(dl, "own.r.applicant", "", !!c.applicantMatches);
      ownRow(dl, "own.r.trusted", "", c.digestMatches ? !!c.trusted : null);
      var v = $("own-verdict"), r = c.refusal;
      if (c.acceptable) { v.textContent = t("own.ok"); v.className = "msg ok"; }
      else {
        var words = r && r.code && has("problem." + r.code) ? t("problem." + r.code) : (r ? r.detail : "");
        v.textContent = t("own.refused") + words + (r && r.code ? " [" + r.code + "]" : "");
        v.className = "msg err";
      }
      $("own-result").setAttribute("data-acceptable", c.acceptable ? "true" : "false");
      $("own-submit").hidden = !c.acceptable;
      $("own-result").hidden = false;
      $("own-result").focus();
    }
    $("own-form").addEventListener("submit", function (ev) {
      ev.preventDefault();
      var d = state.draft, f = $("own-file").files[0];
      state.own = null; $("own-result").hidden = true; $("own-submit").hidden = true;
      if (!d || !d.ok) { return; }
      if (!f) { say("own-msg", t("own.noFile"), "err"); return; }
      if (f.size > 256 * 1024) { say("own-msg", t("own.unreadable"), "err"); return; }
      say("own-msg", t("own.checking"));
      f.arrayBuffer().then(function (buf) {
        var der = cmsBytes(buf);
        if (!der || !der.length) { say("own-msg", t("own.unreadable"), "err"); return; }
        var b64 = bytesB64(der);
        return api("POST", "/v1/pledges/" + d.id + "/signature-check", { cms: b64 }).then(function (r) {
          say("own-msg", "");
          state.own = r.body && r.body.acceptable ? { id: d.id, cms: b64 } : null;
          showOwnCheck(r.body || {});
        });
      }).catch(function (e) {
        if (e.code === "DRAFT_EXPIRED" || e.code === "DRAFT_NOT_FOUND") { say("own-msg", t("apply.review.expired"), "err"); return; }
        fail("own-msg")(e);
      });
    });
    $("own-submit").addEventListener("click", function () {
      var o = state.own, d = state.draft;
      if (!o || !d || o.id !== d.id) { return; }
      $("own-submit").disabled = true;
      say("own-msg", t("own.submitting"));
      api("POST", "/v1/pledges/" + o.id + "/signature", { cms: o.cms }).then(function (r) {
        say("own-msg", "");
        $("own-submit").disabled = false;
        $("own").open = false;
        signed(r.body.pledge, d);
      }).catch(function (e) {
        $("own-submit").disabled = false;
        if (e.code === "DRAFT_EXPIRED" || e.code === "DRAFT_NOT_FOUND") { say("own-msg", t("apply.review.expired"), "err"); return; }
        fail("own-msg")(e);
      });
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
          showStateNow(st, p);
          act.appendChild(downloadLinks(p));
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
    function chinaDay(iso) { var d = new Date(iso); return isNaN(d) ? "" : new Date(d.getTime() + 8 * 3600e3).toISOString().slice(0, 10); }
    $("doc-date").value = chinaDay(new Date().toISOString());
    signin(["agency"], function () { loadQueue(""); loadSeals(); });
    // The queue: one status and optionally one matter, a page of 50 at a
    // time; "next page" follows the API's cursor (a filtered page may be
    // short). Agency and matter are shown by name from the notice each
    // pledge binds (read once per notice version).
    var cursors = [], noticeNames = {};
    $("queue-filter").addEventListener("submit", function (ev) { ev.preventDefault(); cursors = []; loadQueue(""); });
    $("queue-next").addEventListener("click", function () { loadQueue($("queue-next").getAttribute("data-cursor")); });
    $("queue-first").addEventListener("click", function () { cursors = []; loadQueue(""); });
    function nameOf(n, cell) {
      var key = n.id + "/" + n.version;
      if (!noticeNames[key]) {
        noticeNames[key] = api("GET", "/v1/notices/" + encodeURIComponent(n.id) + "?version=" + n.version).then(function (r) {
          return r.body && r.body.digest === n.digest ? r.body.notice : null;
        }).catch(function () { return null; });
      }
      noticeNames[key].then(function (nn) { if (nn) { named(cell, txt(nn.matterName) + " · " + txt(nn.certificateName), cell.getAttribute("data-code")); } });
    }
    function stateCell(it) {
      var c = el("td", { "data-label": t("common.status") });
      showStateNow(c, it);
      if (it.decision) { c.textContent += " · " + it.decision.documentNo; }
      return c;
    }
    function loadQueue(cursor) {
      var box = clear($("queue"));
      var st = $("q-status").value, matter = $("q-matter").value.trim();
      if (matter && !/^[A-Za-z0-9._-]{1,64}$/.test(matter)) { box.appendChild(el("p", { cls: "msg err", role: "alert", text: t("officer.queue.matterBad") })); return; }
      var url = "/v1/agency/pledges?limit=50&status=" + st + (matter ? "&matter=" + encodeURIComponent(matter) : "") + (cursor ? "&cursor=" + encodeURIComponent(cursor) : "");
      $("queue-next").hidden = true;
      api("GET", url).then(function (r) {
        $("queue-na").hidden = true;
        if (cursor) { cursors.push(cursor); }
        $("queue-first").hidden = cursors.length === 0;
        var items = (r.body && r.body.items) || [];
        var next = r.body && r.body.nextCursor;
        box.appendChild(el("p", { id: "queue-page", cls: "hint", "data-page": String(cursors.length + 1), "data-count": String(items.length),
          text: t("officer.queue.page").replace("{n}", String(cursors.length + 1)).replace("{count}", String(items.length)) + (next ? t("officer.queue.more") : "") }));
        if (next) { $("queue-next").setAttribute("data-cursor", next); $("queue-next").hidden = false; }
        if (!items.length) { box.appendChild(el("p", { text: st === "SIGNED" ? t("officer.queue.none") : t("officer.queue.noneHere") })); return; }
        var tb = el("tbody");
        items.forEach(function (it) {
          var ap = it.applicant || {};
          var open = el("button", { type: "button", cls: "secondary", text: t("common.open"), "aria-label": t("common.open") + " " + it.id });
          open.addEventListener("click", function () { $("open-id").value = it.id; say("case-msg", ""); openCase(it.id); });
          var code = it.entry.region + " / " + it.entry.matter + " / " + it.entry.certificate;
          var mcell = el("td", { "data-label": t("report.matter"), "data-code": code, text: code });
          tb.appendChild(el("tr", { "data-pledge": it.id, "data-status": it.status }, [el("td", { cls: "mono", "data-label": t("report.pledgeId"), text: it.id }),
            mcell,
            el("td", { "data-label": t("report.applicant"), text: (ap.name || "") + " " + (ap.maskedIdNumber || "") }),
            stateCell(it),
            el("td", { "data-label": t("report.signedAt"), text: fmtTime(it.signedAt) }), el("td", {}, [open, downloadLinks(it)])]));
          if (it.notice && it.notice.id) { nameOf(it.notice, mcell); }
        });
        box.appendChild(el("table", {}, [el("thead", {}, [el("tr", {}, [el("th", { text: t("report.pledgeId") }), el("th", { text: t("report.matter") }),
          el("th", { text: t("report.applicant") }), el("th", { text: t("common.status") }), el("th", { text: t("report.signedAt") }), el("th", { text: "" })])]), tb]));
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
        var signedDay = chinaDay(p.createdAt);
        if (signedDay) { $("doc-date").setAttribute("min", signedDay); }
        $("doc-date").setAttribute("max", chinaDay(new Date().toISOString()));
        $("case-body").setAttribute("data-status", p.status);
        $("case-actions").hidden = p.status !== "SIGNED";
        $("case").hidden = false; $("case").focus();
      }).catch(fail("open-msg"));
    }
    $("open-form").addEventListener("submit", function (ev) { ev.preventDefault(); say("case-msg", ""); openCase($("open-id").value.trim()); });
    $("accept-form").addEventListener("submit", function (ev) {
      ev.preventDefault();
      api("POST", "/v1/pledges/" + current + "/accept", { documentNo: $("doc-no").value.trim(), date: $("doc-date").value }).then(function (r) {
        openCase(current); cursors = []; loadQueue(""); say("case-msg", t("officer.done") + t("state." + r.body.status), "ok");
      }).catch(fail("case-msg"));
    });
    $("return-form").addEventListener("submit", function (ev) {
      ev.preventDefault();
      api("POST", "/v1/pledges/" + current + "/return", { reason: $("return-reason").value.trim() }).then(function (r) {
        openCase(current); cursors = []; loadQueue(""); say("case-msg", t("officer.done") + t("state." + r.body.status), "ok");
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
            el("td", { "data-label": t("enforce.tasks.due") }, [k.due || "", k.overdue ? el("span", { cls: "badge fail", text: " " + t("enforce.tasks.overdueMark") }) : null,
              k.dueIgnoresHolidays ? el("span", { cls: "hint", text: " " + t("enforce.tasks.dueIgnoresHolidays") }) : null]),
            el("td", { "data-label": t("common.status"), "data-status": k.status, text: has("taskstate." + k.status) ? t("taskstate." + k.status) : k.status })]));
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
      // An empty seed lets the service draw 32 random bytes; a seed fixed
      // in public beforehand (a lottery, a beacon) takes the service out of
      // the trust path.
      var body = { region: $("draw-region").value.trim(), matter: $("draw-matter").value.trim(), ratioPermille: parseInt($("draw-ratio").value, 10) };
      var seed = $("draw-seed").value.trim().toLowerCase();
      if (seed) { body.seed = seed; }
      var roster = $("draw-inspectors").value.split(/[\s,，]+/).filter(Boolean);
      if (roster.length) { body.inspectors = roster; body.inspectorsPerPledge = parseInt($("draw-per").value, 10) || 0; }
      if (Object.keys(tiers).length) { body.tiers = tiers; }
      api("POST", "/v1/enforcement/draws", body).then(function (r) { drawRecord(box, r.body || {}); })
        .catch(function (e) { box.appendChild(el("p", { cls: "msg err", text: t("common.error") + e.message })); });
    });
    // drawRecord shows a draw and its reproducibility record: everything
    // needed to recompute the selection with OpenSSL from the record alone.
    function drawRecord(box, d) {
      var res = d.result || {};
      var sel = res.selection || [];
      var dl = el("dl", { cls: "kv" });
      kv(dl, "ID", d.id, "mono");
      kv(dl, t("enforce.draw.seed"), d.seed, "mono");
      kv(dl, t("enforce.draw.digest"), res.populationDigest, "mono");
      kv(dl, t("enforce.draw.size"), String(res.populationSize || 0));
      kv(dl, t("enforce.draw.quotas"), Object.keys(res.tierQuotas || {}).sort().map(function (k) { return k + " " + res.tierQuotas[k] + "/" + ((res.tierCounts || {})[k] || 0); }).join("  "));
      dl.appendChild(el("dt", { text: t("enforce.draw.result") }));
      dl.appendChild(el("dd", { cls: "mono", id: "draw-selected", text: sel.map(function (s) { return s.pledgeId; }).join(" ") || "—" }));
      box.appendChild(dl);
      if (sel.some(function (s) { return s.inspectors && s.inspectors.length; })) {
        var ul = el("ul", { id: "draw-inspectors-out" });
        sel.forEach(function (s) { ul.appendChild(el("li", { cls: "mono", text: s.pledgeId + " → " + (s.inspectors || []).join(", ") })); });
        box.appendChild(el("h3", { text: t("enforce.draw.assigned") }));
        box.appendChild(ul);
      }
      var tsv = (d.population || []).map(function (c) { return c.pledgeId + "\t" + c.tier + "\n"; }).join("");
      var a = el("a", { href: URL.createObjectURL(new Blob([tsv], { type: "text/tab-separated-values" })), download: "population.tsv", id: "draw-population-tsv", text: t("enforce.draw.populationFile") });
      var rec = el("a", { href: "/v1/enforcement/draws/" + encodeURIComponent(d.id), text: t("enforce.draw.recordLink") });
      var cmd = "export LC_ALL=C SEED=" + d.seed + "\n" +
        "sort population.tsv | openssl dgst -sm3 -r | cut -d' ' -f1   # = " + res.populationDigest + "\n" +
        "while IFS=$'\\t' read -r ID TIER; do printf '%s %s %s\\n' \"$(printf '%s' \"$SEED$ID\" | openssl dgst -sm3 -r | cut -d' ' -f1)\" \"$TIER\" \"$ID\"; done < population.tsv | sort\n";
      box.appendChild(el("section", { id: "draw-repro", "aria-labelledby": "draw-repro-h" }, [
        el("h3", { id: "draw-repro-h", text: t("enforce.draw.repro") }),
        el("p", { cls: "hint", text: t("enforce.draw.reproHint") }),
        el("p", {}, [a, " · ", rec]),
        el("pre", { cls: "doc", id: "draw-command", text: cmd })]));
    }
    // FALSE_CONFIRMED has heavy consequences: the page says what will
    // happen and records it only after a second, explicit confirmation.
    var confirmed = false;
    $("fc-no").addEventListener("click", function () { $("finding-confirm").hidden = true; say("finding-msg", t("enforce.confirm.cancelled")); $("f-outcome").focus(); });
    $("fc-yes").addEventListener("click", function () { confirmed = true; $("finding-confirm").hidden = true; $("finding-form").requestSubmit(); });
    $("f-outcome").addEventListener("change", function () { $("finding-confirm").hidden = true; });
    $("finding-form").addEventListener("submit", function (ev) {
      ev.preventDefault();
      if ($("f-outcome").value === "FALSE_CONFIRMED" && !confirmed) {
        var until = new Date(Date.now() + 8 * 3600e3); until.setUTCFullYear(until.getUTCFullYear() + 5);
        $("fc-bar").textContent = t("enforce.confirm.bar").replace("{until}", until.toISOString().slice(0, 10));
        $("finding-confirm").hidden = false; $("finding-confirm").focus();
        return;
      }
      confirmed = false;
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
    // appealForm records that reconsideration, a court or the agency set a
    // finding aside: the pledge is restored and the bar lifted at once.
    function appealForm(f, pledgeId) {
      var rid = "ap-reason-" + f.id, did = "ap-doc-" + f.id;
      var reason = el("select", { id: rid, required: "required" }, ["APPEAL_UPHELD", "COURT_RULING", "CORRECTION"].map(function (r) { return el("option", { value: r, text: t("appeal.reason." + r) }); }));
      var doc = el("input", { id: did, required: "required", maxlength: "128" });
      var msg = el("p", { cls: "msg", role: "status" });
      var form = el("form", { cls: "appeal" }, [el("h4", { text: t("appeal.h") }),
        el("label", { "for": rid, text: t("appeal.reason") }), reason,
        el("label", { "for": did, text: t("appeal.docNo") }), doc,
        el("button", { type: "submit", text: t("appeal.submit") }), msg]);
      form.addEventListener("submit", function (ev) {
        ev.preventDefault();
        api("POST", "/v1/enforcement/findings/" + encodeURIComponent(f.id) + "/reversal", { reason: reason.value, documentNo: doc.value.trim() }).then(function () {
          say("finding-msg", t("appeal.done"), "ok");
          loadFindings(pledgeId);
        }).catch(function (e) { msg.textContent = t("common.error") + e.message; msg.className = "msg err"; });
      });
      return el("details", { cls: "appeal-box" }, [el("summary", { text: t("appeal.open") }), form]);
    }
    function loadFindings(id) {
      var box = clear($("findings"));
      api("GET", "/v1/enforcement/findings?pledgeId=" + encodeURIComponent(id)).then(function (r) {
        var fs = (r.body && r.body.findings) || [];
        if (!fs.length) { box.appendChild(el("p", { text: t("enforce.findings.none") })); return; }
        var reversed = {};
        fs.forEach(function (f) { if (f.reverses) { reversed[f.reverses] = true; } });
        box.appendChild(el("ul", { cls: "checks" }, fs.map(function (f) {
          var appealable = (f.outcome === "FALSE_CONFIRMED" || f.outcome === "NOT_FULFILLED") && !reversed[f.id];
          return el("li", { "data-outcome": f.outcome, "data-finding": f.id }, [el("span", { cls: "mark " + (f.outcome === "VERIFIED_OK" || f.outcome === "FULFILLED" || f.outcome === "APPEAL_REVERSED" ? "pass" : "fail"), "aria-hidden": "true", text: "•" }),
            el("span", {}, [el("strong", { text: t("outcome." + f.outcome) }), " · " + f.documentNo + " · " + fmtTime(f.effective)]),
            el("span", { cls: "detail", text: consequences(f) + (reversed[f.id] ? (LANG === "en" ? "; " : "；") + t("appeal.lifted") : "") }),
            appealable ? appealForm(f, id) : null]);
        })));
      }).catch(function (e) { box.appendChild(el("p", { cls: "msg err", text: t("common.error") + e.message })); });
    }
  }

  // --- public disclosure (公示) -------------------------------------------------------
  // Published pledges of one region and matter (paged by the API's next
  // value) and the list of false pledges (read once, at most 200, shown 20
  // a page). Names and ID numbers come masked from the API.
  function pagePublic() {
    var sel = $("pub-region"), msel = $("pub-matter"), pages = [];
    function table(heads, rows) {
      var tb = el("tbody");
      rows.forEach(function (r) { tb.appendChild(el("tr", { "data-pledge": r.id }, r.cells.map(function (c, i) { return el("td", { "data-label": heads[i], cls: c[1] || "" }, [c[0]]); }))); });
      return el("table", {}, [el("thead", {}, [el("tr", {}, heads.map(function (h) { return el("th", { text: h }); }))]), tb]);
    }
    function link(id) { return el("a", { href: "/app/verify?id=" + encodeURIComponent(id), text: id }); }
    function day(iso) { return iso ? new Date(new Date(iso).getTime() + 8 * 3600e3).toISOString().slice(0, 10) : ""; }
    api("GET", "/v1/catalogue/regions?limit=100").then(function (r) {
      ((r.body && r.body.items) || []).forEach(function (it) { sel.appendChild(el("option", { value: it.region, text: it.name ? txt(it.name) + "（" + it.region + "）" : it.region })); });
      if (sel.options.length === 2) { sel.selectedIndex = 1; loadMatters(); }
    }).catch(fail("pub-msg"));
    sel.addEventListener("change", loadMatters);
    function loadMatters() {
      while (msel.options.length > 1) { msel.remove(1); }
      if (!sel.value) { return; }
      api("GET", "/v1/catalogue/matters/" + encodeURIComponent(sel.value) + "?limit=50").then(function (r) {
        ((r.body && r.body.items) || []).forEach(function (m) {
          var name = (m.certificates && m.certificates[0]) ? txt(m.matterName || "") : "";
          msel.appendChild(el("option", { value: m.matter, text: (txt(m.matterName) || name || m.matter) + "（" + m.matter + "）" }));
        });
      }).catch(fail("pub-msg"));
    }
    function loadPublished(cursor) {
      var box = clear($("pub-list"));
      say("pub-msg", t("common.loading"));
      api("GET", "/v1/public/pledges?limit=20&region=" + encodeURIComponent(sel.value) + "&matter=" + encodeURIComponent(msel.value) + (cursor ? "&cursor=" + encodeURIComponent(cursor) : "")).then(function (r) {
        var b = r.body || {}, items = b.pledges || [];
        if (cursor) { pages.push(cursor); }
        say("pub-msg", t("officer.queue.page").replace("{n}", String(pages.length + 1)).replace("{count}", String(items.length)) + (b.next ? t("officer.queue.more") : ""));
        $("pub-next").hidden = !b.next; if (b.next) { $("pub-next").setAttribute("data-cursor", b.next); }
        $("pub-first").hidden = pages.length === 0;
        if (!items.length) { box.appendChild(el("p", { text: t("public.none") })); return; }
        box.appendChild(table([t("report.pledgeId"), t("report.applicant"), t("report.decision"), t("public.until")], items.map(function (p) {
          return { id: p.pledgeId, cells: [[link(p.pledgeId), "mono"], [p.applicantName + " " + p.applicantId], [p.decisionNo + " · " + p.decisionDate], [day(p.publishedUntil)]] };
        })));
      }).catch(fail("pub-msg"));
    }
    $("pub-form").addEventListener("submit", function (ev) { ev.preventDefault(); pages = []; loadPublished(""); });
    $("pub-next").addEventListener("click", function () { loadPublished($("pub-next").getAttribute("data-cursor")); });
    $("pub-first").addEventListener("click", function () { pages = []; loadPublished(""); });

    var all = [], at = 0, PER = 20;
    function showFalse() {
      var box = clear($("false-list"));
      var part = all.slice(at, at + PER);
      say("false-msg", all.length ? t("public.false.count").replace("{from}", String(at + 1)).replace("{to}", String(at + part.length)).replace("{total}", String(all.length)) : "");
      $("false-prev").hidden = at === 0; $("false-next").hidden = at + PER >= all.length;
      if (!all.length) { box.appendChild(el("p", { text: t("public.false.none") })); return; }
      box.appendChild(table([t("report.pledgeId"), t("report.applicant"), t("report.matter"), t("public.false.doc"), t("public.false.since"), t("public.until")], part.map(function (d) {
        return { id: d.pledgeId, cells: [[link(d.pledgeId), "mono"], [d.applicantName + " " + d.applicantId], [d.region + " / " + d.matter, "mono"], [d.documentNo], [day(d.effective)], [day(d.expires)]] };
      })));
    }
    $("false-prev").addEventListener("click", function () { at = Math.max(0, at - PER); showFalse(); });
    $("false-next").addEventListener("click", function () { at += PER; showFalse(); });
    api("GET", "/v1/enforcement/false-pledges?limit=200").then(function (r) { all = (r.body && r.body.entries) || []; showFalse(); }).catch(fail("false-msg"));
  }

  var page = document.body.getAttribute("data-page");
  if (page === "public") { pagePublic(); }
  if (page === "verify") { pageVerify(); }
  if (page === "apply") { pageApply(); }
  if (page === "officer") { pageOfficer(); }
  if (page === "enforce") { pageEnforce(); }
})();
