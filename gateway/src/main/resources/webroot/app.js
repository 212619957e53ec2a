// The launch page: a virtual waiting room. It reads the campaign (cacheable, 1 s), sends one
// claim, waits and retries after Retry-After with jitter on 429/503, then follows the ticket by
// Server-Sent Events, falling back to polling.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const params = new URLSearchParams(location.search);
  let campaign = null;
  const choices = [];
  // one Idempotency-Key per claim: kept while the same claim is retried, new for another claim
  // (other shops) or after a final answer, since the server refuses a key reused with another body
  let claimKey = null;
  let claimBody = null;
  function newKey() { return crypto.randomUUID ? crypto.randomUUID() : String(Math.random()).slice(2); }

  function text(id, value) { $(id).textContent = value; }
  function jitter(ms) { return ms + Math.floor(Math.random() * Math.max(500, ms / 2)); }

  async function loadCampaign() {
    let id = params.get("campaign");
    if (!id) {
      const list = await (await fetch("/api/v1/campaigns")).json();
      if (!list.length) { text("state", "No campaign is running."); return; }
      id = list[0].id;
    }
    const response = await fetch("/api/v1/campaigns/" + encodeURIComponent(id));
    if (!response.ok) { text("state", "This campaign does not exist."); return; }
    campaign = await response.json();
    render();
  }

  function render() {
    text("name", campaign.name);
    const states = { scheduled: "Opens soon", open: "Open now", paused: "Paused: please wait",
      sold_out: "All vouchers are gone", closed: "This campaign has ended" };
    text("state", states[campaign.state] || campaign.state);
    const body = $("merchants").tBodies[0];
    body.replaceChildren(...campaign.merchants.map((m) => {
      const row = document.createElement("tr");
      const name = document.createElement("td"); name.textContent = m.name;
      const left = document.createElement("td"); left.className = "left"; left.textContent = m.remaining;
      row.append(name, left);
      return row;
    }));
    const select = $("merchant");
    if (!select.options.length) {
      select.replaceChildren(...campaign.merchants.map((m) => new Option(m.name, m.id)));
    }
    $("claim").hidden = !(campaign.state === "open" || campaign.state === "paused" || campaign.state === "scheduled");
    countdown();
  }

  function countdown() {
    const opens = Date.parse(campaign.opensAt);
    const show = campaign.state === "scheduled" && opens > Date.now();
    $("countdown").hidden = !show;
    if (show) {
      const s = Math.ceil((opens - Date.now()) / 1000);
      text("countdown", "Opens in " + Math.floor(s / 3600) + "h " + Math.floor(s % 3600 / 60) + "m " + s % 60 + "s");
    }
  }

  function addChoice() {
    const id = $("merchant").value;
    if (!id || choices.includes(id) || choices.length >= 5) { return; }
    choices.push(id);
    const li = document.createElement("li");
    li.textContent = $("merchant").selectedOptions[0].textContent;
    $("choices").append(li);
  }

  function progress(title, detail) {
    $("progress").hidden = false;
    text("progress-title", title);
    text("progress-text", detail || "");
  }

  async function claim(event) {
    event.preventDefault();
    if (!choices.length) { addChoice(); }
    $("submit").disabled = true;
    const body = JSON.stringify({ citizenId: $("citizen").value.trim(), merchantIds: choices });
    if (body !== claimBody) { claimBody = body; claimKey = newKey(); }
    const idempotencyKey = claimKey;
    for (;;) {
      let response;
      try {
        response = await fetch("/api/v1/campaigns/" + encodeURIComponent(campaign.id) + "/claims", {
          method: "POST", headers: { "Content-Type": "application/json", "Idempotency-Key": idempotencyKey }, body });
      } catch (e) {
        progress("Waiting for the server", "Retrying shortly…");
        await sleep(jitter(2000));
        continue;
      }
      const answer = await response.json();
      if (response.status === 202) { follow(answer); return; }
      if (response.status === 429 || response.status === 503 || response.status === 425) {
        const wait = 1000 * Number(response.headers.get("Retry-After") || 1);
        progress(answer.error === "paused" ? "Admission is paused"
            : answer.error === "unavailable" ? "The waiting room is being restored" : "You are in the waiting room",
          "We retry for you in about " + Math.round(wait / 1000) + " s. Keep this page open.");
        await sleep(jitter(wait));
        continue;
      }
      progress("Not possible", answer.message);
      claimBody = null;
      $("submit").disabled = false;
      return;
    }
  }

  function follow(status) {
    show(status);
    if (status.status !== "queued") { return; }
    if (window.EventSource) {
      const source = new EventSource("/api/v1/claims/" + encodeURIComponent(status.ticket) + "/events");
      source.onmessage = (e) => { const s = JSON.parse(e.data); show(s); if (s.status !== "queued") { source.close(); } };
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
        if (s.status !== "queued") { return; }
      } catch (e) { /* the server is busy: keep polling */ }
    }
  }

  function show(s) {
    if (s.status === "queued") {
      progress("You are in the queue", "Position " + s.position + (s.etaMs == null
        ? ". The waiting time cannot be told right now; your place is kept."
        : ", about " + Math.ceil(s.etaMs / 1000) + " s to go."));
    } else if (s.status === "confirmed") {
      progress("Your voucher", "Show this code at " + s.voucher.merchantId + ". Valid until " + new Date(s.voucher.expiresAt).toLocaleDateString() + ".");
      $("voucher").hidden = false;
      text("voucher", s.voucher.code);
    } else if (s.status === "revoked") {
      progress("Your voucher was withdrawn", s.revocation && s.revocation.slotFreed
        ? "It no longer counts against your limit: you may claim again."
        : "This voucher can no longer be used.");
      $("voucher").hidden = true;
      claimBody = null;
      $("submit").disabled = false;
    } else {
      const reasons = { sold_out: "The shops you chose are sold out.", limit_reached: "You already hold the maximum number of vouchers.",
        not_eligible: "You are not eligible for this campaign.", round_closed: "The round had closed.",
        expired: "Your request expired; please try again.",
        lost: "Our waiting room lost your place after a failure; please claim again." };
      progress("No voucher this time", reasons[s.reason] || s.reason);
      claimBody = null;
      $("submit").disabled = false;
    }
  }

  function sleep(ms) { return new Promise((r) => setTimeout(r, ms)); }

  document.addEventListener("DOMContentLoaded", () => {
    $("add").addEventListener("click", addChoice);
    $("claim").addEventListener("submit", claim);
    loadCampaign();
    setInterval(() => { if (campaign) { loadCampaign(); } }, 5000);
    setInterval(() => { if (campaign) { countdown(); } }, 1000);
  });
})();
