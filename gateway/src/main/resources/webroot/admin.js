// The operator console. The token is entered once and kept for this tab only (sessionStorage).
// Live numbers come from /admin/v1/campaigns/{id}/live, a Server-Sent Events stream read with
// fetch(), because EventSource cannot send an Authorization header.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const HISTORY = 120;
  let token = sessionStorage.getItem("claimgate.operatorToken");
  let feed = null;
  let previous = null;
  let series = { admitted: [], confirmed: [], queued: [], p50: [], p99: [] };
  let pendingAction = null;

  function text(id, value) { $(id).textContent = value; }
  function headers() { return { "Authorization": "Bearer " + token, "Content-Type": "application/json" }; }

  async function login(event) {
    event.preventDefault();
    token = $("token").value.trim();
    const response = await fetch("/admin/v1/audit?limit=1", { headers: headers() });
    if (!response.ok) {
      $("login-error").hidden = false;
      text("login-error", response.status === 401 || response.status === 403 ? "That token is not the operator token." : "The gateway answered " + response.status + ".");
      return;
    }
    sessionStorage.setItem("claimgate.operatorToken", token);
    open();
  }

  async function open() {
    $("login").hidden = true;
    $("console").hidden = false;
    const campaigns = await (await fetch("/api/v1/campaigns")).json();
    const select = $("campaign");
    select.replaceChildren(...campaigns.map((c) => new Option(c.name + " (" + c.id + ")", c.id)));
    const wanted = new URLSearchParams(location.search).get("campaign");
    if (wanted) {
      // the public list may lag a campaign created a moment ago by a few seconds
      if (!campaigns.some((c) => c.id === wanted)) { select.append(new Option(wanted, wanted)); }
      select.value = wanted;
    }
    select.addEventListener("change", follow);
    follow();
  }

  async function follow() {
    if (feed) { feed.abort(); }
    previous = null;
    series = { admitted: [], confirmed: [], queued: [], p50: [], p99: [] };
    const controller = new AbortController();
    feed = controller;
    const id = $("campaign").value;
    for (;;) {
      try {
        const response = await fetch("/admin/v1/campaigns/" + encodeURIComponent(id) + "/live",
          { headers: headers(), signal: controller.signal });
        if (response.status === 401) { sessionStorage.removeItem("claimgate.operatorToken"); location.reload(); return; }
        if (response.status === 404) { text("feed", "no such campaign"); return; }
        if (!response.ok) { throw new Error("status " + response.status); }
        text("feed", "live");
        await readEvents(response.body.getReader(), show);
      } catch (e) {
        if (controller.signal.aborted) { return; }
        text("feed", "reconnecting…");
      }
      await new Promise((r) => setTimeout(r, 1000 + Math.random() * 1000));
    }
  }

  async function readEvents(reader, onEvent) {
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) { return; }
      buffer += decoder.decode(value, { stream: true });
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = block.split("\n").filter((l) => l.startsWith("data: ")).map((l) => l.slice(6)).join("\n");
        if (data) { onEvent(JSON.parse(data)); }
      }
    }
  }

  function show(s) {
    text("state", s.frozen ? s.state + ", decisions frozen" : s.state);
    text("admitted", s.admitted);
    text("queued", s.queued);
    text("confirmed", s.confirmed);
    const rejected = Object.values(s.rejected).reduce((a, b) => a + b, 0);
    text("rejected", rejected);
    text("remaining", s.remainingTotal);
    if (previous) {
      const seconds = Math.max(0.001, (Date.parse(s.at) - Date.parse(previous.at)) / 1000);
      push("admitted", (s.admitted - previous.admitted) / seconds);
      push("confirmed", (s.confirmed - previous.confirmed) / seconds);
    }
    push("queued", s.queued);
    push("p50", s.latencyMs.p50);
    push("p99", s.latencyMs.p99);
    previous = s;
    draw($("chart-rates"), [[series.admitted, "#0b6e4f"], [series.confirmed, "#1f4e9c"]]);
    draw($("chart-queue"), [[series.queued, "#8a5a00"]]);
    draw($("chart-latency"), [[series.p50, "#0b6e4f"], [series.p99, "#a30000"]]);
    $("reasons").tBodies[0].replaceChildren(...Object.entries(s.rejected).map(([reason, n]) => row(reason, n)));
    if (s.admission) { text("rate-now", s.admission.ratePerSecond + "/s, burst " + s.admission.burst); }
    $("answers").tBodies[0].replaceChildren(...Object.entries(s.answers || {}).map(([outcome, n]) => row(outcome, n)));
    $("merchants").tBodies[0].replaceChildren(...Object.entries(s.remaining).map(([id, n]) => row(id, n)));
  }

  function row(name, value) {
    const tr = document.createElement("tr");
    const a = document.createElement("td"); a.textContent = name;
    const b = document.createElement("td"); b.className = "left"; b.textContent = value;
    tr.append(a, b);
    return tr;
  }

  function push(name, value) {
    series[name].push(value);
    if (series[name].length > HISTORY) { series[name].shift(); }
  }

  function draw(canvas, lines) {
    const g = canvas.getContext("2d");
    const w = canvas.width, h = canvas.height, pad = 22;
    g.clearRect(0, 0, w, h);
    const max = Math.max(1, ...lines.flatMap(([values]) => values));
    g.fillStyle = "#666"; g.font = "11px sans-serif";
    g.fillText(max.toFixed(max < 10 ? 1 : 0), 2, 12);
    g.strokeStyle = "#ddd"; g.beginPath(); g.moveTo(pad, h - 4); g.lineTo(w, h - 4); g.stroke();
    for (const [values, colour] of lines) {
      g.strokeStyle = colour; g.lineWidth = 2; g.beginPath();
      values.forEach((v, i) => {
        const x = pad + (w - pad) * i / (HISTORY - 1);
        const y = h - 4 - (h - 20) * v / max;
        if (i === 0) { g.moveTo(x, y); } else { g.lineTo(x, y); }
      });
      g.stroke();
    }
  }

  // every action that changes something is confirmed first: ask() shows the question, act() runs it
  function ask(question, run) {
    pendingAction = run;
    text("confirm-text", question);
    $("confirm").hidden = false;
    text("action-result", "");
  }

  async function act() {
    $("confirm").hidden = true;
    const run = pendingAction;
    pendingAction = null;
    text("action-result", await run());
  }

  function campaignPath(suffix) { return "/admin/v1/campaigns/" + encodeURIComponent($("campaign").value) + suffix; }

  async function call(method, path, body, done) {
    const response = await fetch(path, { method: method, headers: headers(), body: body ? JSON.stringify(body) : undefined });
    const answer = await response.json();
    return response.ok ? done(answer) : "Refused: " + answer.message;
  }

  function flag(action, question, done) {
    $(action).addEventListener("click", () => ask(question,
      () => call("POST", campaignPath("/" + action), { reason: "from the console" }, () => done)));
  }

  function codesOf(value) { return value.split(/[\s,;]+/).filter((c) => c.length > 0); }

  async function loadAudit() {
    const path = "/admin/v1/audit?limit=20&campaignId=" + encodeURIComponent($("campaign").value);
    const entries = await (await fetch(path, { headers: headers() })).json();
    $("audit").tBodies[0].replaceChildren(...entries.map((e) => {
      const tr = document.createElement("tr");
      for (const value of [e.at, e.actor, e.action, JSON.stringify(e.detail)]) {
        const td = document.createElement("td"); td.textContent = value; tr.append(td);
      }
      return tr;
    }));
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("login").addEventListener("submit", login);
    flag("pause", "Pause admission for every citizen now?", "Paused: no claim is admitted from now on.");
    flag("resume", "Resume admission where it stopped?", "Resumed.");
    flag("freeze", "Freeze decisions? Admission goes on; nothing more is confirmed until you unfreeze.", "Frozen: no claim is decided.");
    flag("unfreeze", "Unfreeze decisions? The queue is decided in order from where it stopped.", "Unfrozen.");
    $("rate-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const rate = Number($("rate").value), burst = Number($("burst").value);
      ask("Admit " + rate + " claims per second, bursts of " + burst + ", from now on?",
        () => call("PUT", campaignPath("/admission"), { ratePerSecond: rate, burst: burst },
          () => "Rate set: " + rate + "/s, burst " + burst + "."));
    });
    $("beacon-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const round = Number($("beacon-round").value), value = $("beacon-value").value.trim();
      ask("Enter \"" + value + "\" as the outside randomness of round " + round + "'s draw? It is entered once, and published with the seed.",
        () => call("PUT", campaignPath("/rounds/" + round + "/beacon"), { value: value },
          () => "Beacon entered for round " + round + ": the draw takes it."));
    });
    $("key-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const merchant = $("key-merchant").value.trim();
      ask("Create a new key for " + merchant + "? It is shown once; hand it over by a channel you trust.",
        async () => {
          $("key-result").textContent = await call("POST",
            campaignPath("/merchants/" + encodeURIComponent(merchant) + "/keys"), null,
            (answer) => "Key for " + merchant + " (shown once): " + answer.key);
          return "Key created for " + merchant + ".";
        });
    });
    $("revoke-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const codes = codesOf($("revoke-codes").value);
      const merchant = $("revoke-merchant").value.trim();
      const reason = $("revoke-reason").value;
      const body = codes.length > 0 ? { codes: codes, reason: reason }
        : { merchantId: merchant, campaignId: $("campaign").value, reason: reason };
      ask(codes.length > 0 ? "Revoke " + codes.length + " voucher(s) as " + reason + "?"
        : "Revoke every unredeemed voucher of " + merchant + " as " + reason + "?",
        () => call("POST", "/admin/v1/vouchers/revoke", body,
          (answer) => "Revoked " + answer.revoked + " voucher(s); slots freed: " + answer.slotsFreed + "."));
    });
    $("audit-load").addEventListener("click", loadAudit);
    $("confirm-yes").addEventListener("click", act);
    $("confirm-no").addEventListener("click", () => { pendingAction = null; $("confirm").hidden = true; });
    if (token) { open(); }
  });
})();
