// The launch page: a virtual waiting room in the citizen's language. It reads the campaign
// (cacheable, 1 s) with its rules in plain words, lets the citizen find up to five shops, sends
// one claim, waits and retries after Retry-After with jitter on 429/503, then follows the ticket
// by Server-Sent Events (falling back to polling). The ticket is kept on this device, so the
// page shows the voucher when it is opened again.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const params = new URLSearchParams(location.search);
  const MAX_CHOICES = 5;
  const MAX_RESULTS = 12;
  let campaign = null;
  let words = {};
  let language = "en";
  let choices = [];
  let following = null;
  let lastStatus = null;
  // one Idempotency-Key per claim: kept while the same claim is retried, new for another claim
  // (other shops) or after a final answer, since the server refuses a key reused with another body
  let claimKey = null;
  let claimBody = null;

  function newKey() { return crypto.randomUUID ? crypto.randomUUID() : String(Math.random()).slice(2); }
  function t(key, vars) {
    let text = words[key] || key;
    Object.entries(vars || {}).forEach(([k, v]) => { text = text.split("{" + k + "}").join(String(v)); });
    return text;
  }
  function text(id, value) { $(id).textContent = value; }
  function jitter(ms) { return ms + Math.floor(Math.random() * Math.max(500, ms / 2)); }
  function sleep(ms) { return new Promise((r) => setTimeout(r, ms)); }
  function stored(key) { try { return localStorage.getItem(key); } catch (e) { return null; } }
  function store(key, value) { try { value == null ? localStorage.removeItem(key) : localStorage.setItem(key, value); } catch (e) { /* private mode */ } }
  function zone() { try { return Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { return ""; } }

  /** The language chosen on the page (or in its address); null: the server picks from Accept-Language. */
  function chosen() {
    return params.get("lang") || stored("claimgate.lang");
  }

  async function loadWords(code) {
    const response = await fetch("/i18n/" + encodeURIComponent(code) + ".json");
    if (!response.ok) { return false; }
    const file = await response.json();
    words = file.page;
    language = code;
    document.documentElement.lang = code;
    return true;
  }

  function translateStatic() {
    document.title = t("title");
    text("language-label", t("language"));
    text("rules-title", t("rulesTitle"));
    text("claim-title", t("claimTitle"));
    text("citizen-label", t("citizenLabel"));
    text("citizen-hint", t("citizenHint"));
    text("search-label", t("findShop"));
    text("search-hint", t("findShopHint"));
    text("choices-title", t("chosenTitle"));
    text("submit", t("submit"));
    text("print", t("print"));
    text("download", t("download"));
    text("receipt", t("receipt"));
    text("receipt-why", t("receiptWhy"));
    renderChoices();
  }

  async function loadCampaign() {
    let id = params.get("campaign");
    if (!id) {
      const list = await (await fetch("/api/v1/campaigns")).json();
      if (!list.length) { text("state", t("noCampaign")); return; }
      id = list[0].id;
    }
    const lang = chosen() || (campaign ? language : null);
    const query = [lang ? "lang=" + encodeURIComponent(lang) : "", zone() ? "tz=" + encodeURIComponent(zone()) : ""]
      .filter(Boolean).join("&");
    let response = await fetch("/api/v1/campaigns/" + encodeURIComponent(id) + (query ? "?" + query : ""));
    if (response.status === 400) { response = await fetch("/api/v1/campaigns/" + encodeURIComponent(id) + (lang ? "?lang=" + lang : "")); }
    if (!response.ok) { text("state", t("unknownCampaign")); return; }
    campaign = await response.json();
    if (campaign.language !== language) {
      // the server chose from Accept-Language: the page's texts in its language
      await loadWords(campaign.language);
      translateStatic();
    }
    render();
  }

  function render() {
    text("name", campaign.name);
    text("state", t("state." + campaign.state));
    const select = $("language");
    if (!select.options.length) {
      select.replaceChildren(...campaign.languages.map((l) => new Option(l.name, l.code)));
    }
    select.value = language;
    $("rules-box").hidden = false;
    $("rules").replaceChildren(...campaign.rules.map((rule) => { const li = document.createElement("li"); li.textContent = rule; return li; }));
    const canClaim = campaign.state === "open" || campaign.state === "paused" || campaign.state === "scheduled";
    $("claim").hidden = !canClaim || following !== null;
    renderResults();
    renderChoices();
    countdown();
  }

  function countdown() {
    const opens = Date.parse(campaign.opensAt);
    const show = campaign.state === "scheduled" && opens > Date.now();
    $("countdown").hidden = !show;
    if (show) {
      const s = Math.ceil((opens - Date.now()) / 1000);
      text("countdown", t("opensIn", { h: Math.floor(s / 3600), m: Math.floor(s % 3600 / 60), s: s % 60 }));
    }
  }

  function merchant(id) { return campaign.merchants.find((m) => m.id === id); }

  function renderResults() {
    const words = $("search").value.trim().toLowerCase().split(/\s+/).filter(Boolean);
    const matching = campaign.merchants.filter((m) => !choices.includes(m.id) && words.every((w) =>
      (m.name + " " + (m.area || "") + " " + (m.category || "")).toLowerCase().includes(w)));
    const shown = matching.slice(0, MAX_RESULTS);
    text("search-count", t("shownOf", { shown: shown.length, total: matching.length }));
    $("results").replaceChildren(...shown.map((m) => {
      const li = document.createElement("li");
      const label = document.createElement("span");
      label.className = "shop";
      label.textContent = m.name;
      const meta = document.createElement("span");
      meta.className = "meta";
      meta.textContent = [m.area, m.category, t("left", { n: m.remaining })].filter(Boolean).join(" · ");
      const about = document.createElement("span");
      about.append(label, document.createElement("br"), meta);
      const add = document.createElement("button");
      add.type = "button";
      add.textContent = t("add");
      add.setAttribute("aria-label", t("add") + ": " + m.name);
      add.addEventListener("click", () => choose(m.id));
      li.append(about, add);
      return li;
    }));
  }

  function renderChoices() {
    if (!campaign) { return; }
    $("no-choice").hidden = choices.length > 0;
    text("no-choice", t("noChoice"));
    $("choices").replaceChildren(...choices.map((id) => {
      const li = document.createElement("li");
      const m = merchant(id);
      li.append(document.createTextNode(m ? m.name : id));
      const remove = document.createElement("button");
      remove.type = "button";
      remove.textContent = t("remove");
      remove.setAttribute("aria-label", t("removeShop", { name: m ? m.name : id }));
      remove.addEventListener("click", () => { choices = choices.filter((c) => c !== id); renderChoices(); renderResults(); $("search").focus(); });
      li.append(remove);
      return li;
    }));
  }

  function choose(id) {
    if (choices.length >= MAX_CHOICES) { formError(t("tooMany")); return; }
    formError(null);
    choices.push(id);
    renderChoices();
    renderResults();
    $("search").focus();
  }

  function formError(message) {
    $("form-error").hidden = !message;
    text("form-error", message || "");
  }

  function progress(title, detail, more) {
    const appearing = $("progress").hidden;
    $("progress").hidden = false;
    if (appearing) {
      // where the answer is: on a phone the form above it may have scrolled it away
      $("progress-title").focus();
    }
    text("progress-title", title);
    text("progress-text", detail || "");
    $("progress-more").hidden = !more;
    text("progress-more", more || "");
  }

  async function claim(event) {
    event.preventDefault();
    if (!$("citizen").value.trim()) { formError(t("reason.invalid_request")); $("citizen").focus(); return; }
    if (!choices.length) { formError(t("needShop")); $("search").focus(); return; }
    formError(null);
    $("submit").disabled = true;
    const body = JSON.stringify({ citizenId: $("citizen").value.trim(), merchantIds: choices });
    if (body !== claimBody) { claimBody = body; claimKey = newKey(); }
    await submit(body, claimKey);
  }

  // the claim in flight, kept in the browser: a reload, a closed tab or a lost answer sends it
  // again with the same key, and the server answers with the same ticket
  function pending(value) {
    const key = "claimgate.pending." + campaign.id;
    if (value === undefined) { try { return JSON.parse(stored(key)); } catch (e) { return null; } }
    store(key, value && JSON.stringify(value));
  }

  async function submit(body, idempotencyKey) {
    pending({ body, key: idempotencyKey });
    for (;;) {
      let response;
      try {
        response = await fetch("/api/v1/campaigns/" + encodeURIComponent(campaign.id) + "/claims", {
          method: "POST", headers: { "Content-Type": "application/json", "Idempotency-Key": idempotencyKey }, body });
      } catch (e) {
        progress(t("waitingServer"), t("retrying", { s: 2 }));
        await sleep(jitter(2000));
        continue;
      }
      const answer = await response.json();
      if (response.status === 202) { pending(null); keep(answer.ticket); follow(answer); return; }
      if ((response.status === 429 && answer.error !== "too_many_pending") || response.status === 503 || response.status === 425) {
        const wait = 1000 * Number(response.headers.get("Retry-After") || 1);
        progress(answer.error === "paused" ? t("pausedTitle")
            : answer.error === "unavailable" ? t("restoringTitle") : t("waitingRoomTitle"),
          t("retrying", { s: Math.round(wait / 1000) }));
        await sleep(jitter(wait));
        continue;
      }
      progress(t("notPossible"), words["reason." + answer.error] ? t("reason." + answer.error) : answer.message);
      pending(null);
      claimBody = null;
      $("submit").disabled = false;
      return;
    }
  }

  function keep(ticket) {
    store("claimgate.ticket." + campaign.id, ticket);
    const url = new URL(location.href);
    url.searchParams.set("campaign", campaign.id);
    url.searchParams.set("ticket", ticket);
    history.replaceState(null, "", url);
  }

  function follow(status) {
    following = status.ticket;
    $("claim").hidden = true;
    show(status);
    if (!waiting(status)) { return; }
    if (window.EventSource) {
      const source = new EventSource("/api/v1/claims/" + encodeURIComponent(status.ticket) + "/events");
      source.onmessage = (e) => { const s = JSON.parse(e.data); show(s); if (!waiting(s)) { source.close(); } };
      source.onerror = () => { source.close(); poll(status.ticket); };
    } else {
      poll(status.ticket);
    }
  }

  async function poll(ticket) {
    for (;;) {
      await sleep(jitter(1000));
      try {
        const s = await (await fetch("/api/v1/claims/" + encodeURIComponent(ticket))).json();
        show(s);
        if (!waiting(s)) { return; }
      } catch (e) { /* the server is busy: keep polling */ }
    }
  }

  function money(value, currency) {
    try { return new Intl.NumberFormat(language, { style: "currency", currency }).format(value); } catch (e) { return value + " " + currency; }
  }

  // a claim not decided yet: in the queue, or in a pre-queue waiting for its draw
  function waiting(s) { return s.status === "queued" || s.status === "prequeued"; }

  // what the shops chosen will have at the opening, while the campaign tells it (a pre-queue)
  function atOpening() {
    const known = choices.map(merchant).filter((m) => m && m.atOpening != null);
    return known.length ? known.reduce((sum, m) => sum + m.atOpening, 0) : null;
  }

  async function showPlace(ticket) {
    $("place").hidden = true;
    try {
      const receipt = await (await fetch("/api/v1/claims/" + encodeURIComponent(ticket) + "/receipt")).json();
      if (receipt.place != null) {
        text("place", t("placeInDraw", { place: receipt.place }));
        $("place").hidden = false;
      }
    } catch (e) { /* the receipt link still works */ }
  }

  // while waiting: each chosen shop's vouchers left, the people ahead who chose it first, a plain band
  function showOutlook(s) {
    const list = $("outlook");
    const lines = waiting(s) && Array.isArray(s.outlook) ? s.outlook : [];
    list.hidden = lines.length === 0;
    list.replaceChildren(...lines.map((o) => {
      const li = document.createElement("li");
      const shop = merchant(o.merchantId);
      const band = document.createElement("strong");
      band.textContent = t("band." + o.band);
      li.append(document.createTextNode(t(s.status === "prequeued" ? "outlookDraw" : "outlookQueue",
        { shop: shop ? shop.name : o.merchantId, left: o.remaining, ahead: o.ahead }) + " "), band);
      return li;
    }));
  }

  function show(s) {
    lastStatus = s;
    showOutlook(s);
    const voucherCard = $("voucher-card");
    voucherCard.hidden = true;
    // a decided claim's place in the public log of decisions, which anyone can check
    $("receipt-box").hidden = waiting(s);
    $("receipt").href = "/api/v1/claims/" + encodeURIComponent(s.ticket) + "/receipt";
    if (!waiting(s)) { showPlace(s.ticket); }
    if (s.status === "prequeued") {
      const drawAt = new Date(s.prequeue.drawAt);
      const shops = atOpening();
      progress(t("prequeueTitle"), drawAt.getTime() <= Date.now() ? t("prequeueDrawing")
        : t("prequeueText", { n: s.prequeue.size, time: new Intl.DateTimeFormat(language, { timeStyle: "short" }).format(drawAt) }),
        [shops == null ? "" : t("prequeueShops", { n: shops }), t("prequeueMeanwhile")].filter(Boolean).join(" "));
      return;
    }
    if (s.status === "queued") {
      progress(t("queueTitle"), s.etaMs == null ? t("queueUnknown", { p: s.position })
        : t("queuePosition", { p: s.position, s: Math.ceil(s.etaMs / 1000) }), t("queueMeanwhile"));
      return;
    }
    if (s.status === "confirmed") {
      const v = s.voucher;
      const shop = merchant(v.merchantId);
      progress(t("voucherTitle"), t("voucherAt", { shop: shop ? shop.name : v.merchantId }));
      // grouped for reading aloud: the groups apart, each group's characters spaced
      text("voucher", v.code.split("-").join(" - "));
      $("voucher").setAttribute("aria-label", v.code.split("-").map((g) => g.split("").join(" ")).join(", "));
      const image = "/api/v1/claims/" + encodeURIComponent(s.ticket) + "/voucher.svg";
      $("qr").src = image;
      $("qr").alt = t("qrAlt", { code: v.code });
      $("download").href = image;
      $("download").setAttribute("download", v.code + ".svg");
      text("voucher-detail", t("voucherValue", { value: money(v.value, v.currency),
        date: new Intl.DateTimeFormat(language, { dateStyle: "long" }).format(new Date(v.expiresAt)) }));
      voucherCard.hidden = false;
      return;
    }
    following = null;
    store("claimgate.ticket." + (campaign ? campaign.id : ""), null);
    if (s.status === "revoked") {
      progress(t("revokedTitle"), s.revocation && s.revocation.slotFreed ? t("revokedFreed") : t("revokedKept"));
    } else {
      progress(t("rejectedTitle"), words["reason." + s.reason] ? t("reason." + s.reason) : s.reason);
    }
    claimBody = null;
    $("submit").disabled = false;
    if (campaign) { render(); }
  }

  async function resume() {
    const ticket = params.get("ticket") || stored("claimgate.ticket." + campaign.id);
    const unanswered = pending();
    if (!ticket && unanswered && unanswered.body && unanswered.key) {
      claimBody = unanswered.body;
      claimKey = unanswered.key;
      $("submit").disabled = true;
      await submit(unanswered.body, unanswered.key);
      return;
    }
    if (!ticket) { return; }
    try {
      const response = await fetch("/api/v1/claims/" + encodeURIComponent(ticket));
      if (response.ok) { follow(await response.json()); }
    } catch (e) { /* try again on the next visit */ }
  }

  async function start() {
    if (!(await loadWords(chosen() || "en"))) { await loadWords("en"); }
    translateStatic();
    await loadCampaign();
    if (campaign) { await resume(); }
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("search").addEventListener("input", renderResults);
    $("claim").addEventListener("submit", claim);
    $("print").addEventListener("click", () => window.print());
    $("language").addEventListener("change", async (e) => {
      store("claimgate.lang", e.target.value);
      params.set("lang", e.target.value);
      const url = new URL(location.href);
      url.searchParams.set("lang", e.target.value);
      history.replaceState(null, "", url);
      await loadWords(e.target.value);
      translateStatic();
      await loadCampaign();
      if (lastStatus) { show(lastStatus); }
    });
    start();
    // the shops' numbers and the state, every 10-15 s; not while a ticket is followed (its events say all)
    setInterval(() => { if (campaign && !following) { loadCampaign(); } }, 10000 + Math.floor(Math.random() * 5000));
    setInterval(() => { if (campaign) { countdown(); } }, 1000);
  });
})();
