// The agentnet dashboard: tasks (live over SSE), detail, leaderboard, plots, and a form
// that creates a task through the browser wallet (EIP-1193 window.ethereum).
"use strict";
const $ = (sel) => document.querySelector(sel);
const state = { chainId: null, models: [], cursor: null, selected: null, refreshTimer: null };

async function api(path, init) {
  const resp = await fetch(path, init);
  const body = await resp.json();
  if (!resp.ok) throw new Error(body.field ? `${body.field}: ${body.error}` : body.error);
  return body;
}

const eth = (wei) => (Number(BigInt(wei) / 10n ** 12n) / 1e6).toString();
const short = (hex) => (hex ? `${hex.slice(0, 8)}…${hex.slice(-4)}` : "");
const plural = (n, one) => `${n} ${one}${n === 1 ? "" : "s"}`;
function esc(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}
function modelName(id) {
  const m = state.models.find((x) => x.model_id === id);
  return m ? `${m.kind} ${short(id)}` : short(id);
}

// --- tasks ---------------------------------------------------------------------------
// Progress in seats, or the block a waiting task draws its committee from.
function progress(t) {
  if (t.state === "waiting") return `draw block ${t.draw_block}`;
  return `${t.revealed_seats}/${t.committee_size} seats`;
}

function taskRow(t) {
  const tr = document.createElement("tr");
  tr.dataset.id = t.id;
  tr.innerHTML = `<td>${t.id}</td><td>${esc(modelName(t.model))}</td>` +
    `<td class="state state-${t.state}">${t.state}</td><td class="progress">${progress(t)}</td>` +
    `<td>${eth(t.fee)}</td><td>${t.latency_s === null ? "" : t.latency_s + " s"}</td>`;
  tr.addEventListener("click", () => showTask(t.id));
  return tr;
}

async function loadTasks(append = false) {
  const params = new URLSearchParams({ limit: "25" });
  const filter = $("#filter-state").value;
  if (filter) params.set("state", filter);
  if (append && state.cursor) params.set("cursor", state.cursor);
  const page = await api(`/api/tasks?${params}`);
  const body = $("#tasks tbody");
  if (!append) body.innerHTML = "";
  for (const t of page.items) body.appendChild(taskRow(t));
  state.cursor = page.next_cursor;
  $("#more").hidden = page.next_cursor === null;
}

async function refreshTask(id) {
  let t;
  try { t = await api(`/api/tasks/${id}`); } catch (e) { return; }
  const filter = $("#filter-state").value;
  const body = $("#tasks tbody");
  const old = body.querySelector(`tr[data-id="${id}"]`);
  const row = taskRow(t);
  row.classList.add("fresh");
  if (old) {
    if (filter && t.state !== filter) old.remove(); else old.replaceWith(row);
  } else if (!filter || t.state === filter) {
    const first = body.firstChild;
    if (!first || Number(first.dataset.id) < id) body.insertBefore(row, first);
  }
  if (state.selected === id) renderDetail(t);
}

async function showTask(id) {
  state.selected = id;
  try { renderDetail(await api(`/api/tasks/${id}`)); } catch (e) {
    $("#detail").innerHTML = `<span class="error">${esc(e.message)}</span>`;
  }
}

function renderOutput(out) {
  if (!out) return "<span class='muted'>none yet</span>";
  if (out.type === "error") return `<span class="error">error: ${esc(out.error)}</span>`;
  if (out.type === "embedding") return `embedding dim ${out.dim}, norm ${out.norm}, first [${out.first.join(", ")}]`;
  if (out.type === "classification") return `label <b>${esc(out.label)}</b> (index ${out.index})`;
  if (out.type === "generation") return `“${esc(out.text)}” (${out.tokens} tokens)`;
  return `<code>${esc(JSON.stringify(out))}</code>`;
}

function renderMembers(t) {
  if (!t.members.length) {
    return `<span class="muted">not drawn yet: ${t.committee_size} seats from block ${t.draw_block}</span>`;
  }
  const items = t.members.map((m) =>
    `<li data-agent="${m.agent}" data-seats="${m.seats}"><code>${short(m.agent)}</code> ` +
    `<b>${plural(m.seats, "seat")}</b> ${m.committed ? "✓c" : "·c"} ${m.revealed ? "✓r" : "·r"}` +
    `${m.outcome ? ` <span class="outcome-${m.outcome}">${m.outcome}</span>` : ""}` +
    `${m.reward ? ` +${eth(m.reward)} ETH` : ""}</li>`).join("");
  return `<ul class="members">${items}</ul>`;
}

function renderDetail(t) {
  const input = t.input.json !== undefined ? JSON.stringify(t.input.json) : (t.input.text ?? t.input.hex);
  const draw = `block ${t.draw_block}` + (t.redraws ? ` (redrawn ${plural(t.redraws, "time")})` : "") +
    (t.state === "waiting" ? ", waiting for it" : "");
  const grace = t.grace_period === null ? "" : `, grace ${t.grace_period} s`;
  const version = t.params_version === null ? "" : ` (parameters v${t.params_version})`;
  const slashes = t.slashes.map((s) =>
    `${short(s.agent)} ${eth(s.amount)} ETH (${plural(s.seats, "seat")} ${s.reason_label})`).join(", ");
  const skipped = t.skipped.map((s) => `${short(s.agent)} (${s.reason_label})`).join(", ");
  $("#detail").innerHTML = `<dl>
    <dt>task</dt><dd id="detail-id">${t.id}</dd>
    <dt>state</dt><dd class="state-${t.state}" id="detail-state">${t.state}</dd>
    <dt>model</dt><dd>${esc(modelName(t.model))}</dd>
    <dt>requester</dt><dd><code>${t.requester}</code></dd>
    <dt>fee</dt><dd id="detail-fee">${eth(t.fee)} ETH, quorum ${t.quorum} of ${t.committee_size} seats</dd>
    <dt>draw</dt><dd id="detail-draw">${draw}</dd>
    <dt>windows</dt><dd>commit ${t.commit_window} s, reveal ${t.reveal_window} s${grace}${version}</dd>
    <dt>slash / seat</dt><dd>missed ${eth(t.slash_missed)} ETH, wrong ${eth(t.slash_wrong)} ETH</dd>
    <dt>input</dt><dd><code>${esc(input)}</code></dd>
    <dt>output</dt><dd id="detail-output">${renderOutput(t.output)}</dd>
    <dt>members</dt><dd id="detail-members">${renderMembers(t)}</dd>
    <dt>seats</dt><dd id="detail-seats">${t.committee.map((a) => short(a)).join(" · ") || "–"}</dd>
    <dt>latency</dt><dd>${t.latency_s === null ? "" : t.latency_s + " s"}</dd>
    <dt>events</dt><dd>${t.events.map((e) => `${e.name}@${e.block}`).join(", ")}</dd>
    <dt>slashes</dt><dd id="detail-slashes">${slashes || "none"}</dd>
    ${skipped ? `<dt>skipped</dt><dd>${skipped}</dd>` : ""}
  </dl>`;
}

// --- agents, models, stats, plots ------------------------------------------------------
async function loadAgents() {
  const { items } = await api("/api/agents");
  const body = $("#agents tbody");
  body.innerHTML = "";
  for (const a of items) {
    const tr = document.createElement("tr");
    tr.dataset.address = a.address;
    tr.innerHTML = `<td><code>${a.address}</code></td><td>${eth(a.stake)}</td>` +
      `<td>${eth(a.earnings)}</td><td class="paid-seats">${a.paid_seats}</td>` +
      `<td>${a.reputation.agreed}</td><td>${a.reputation.disagreed}</td><td>${a.reputation.missed}</td>` +
      `<td>${eth(a.slashed)}</td><td class="slashed-seats">${a.slashed_seats}</td>` +
      `<td>${eth(a.withdrawn)}</td><td>${a.status}</td>`;
    body.appendChild(tr);
  }
  barChart($("#plot-stake"), items.map((a) => ({ label: short(a.address).slice(0, 6), value: Number(BigInt(a.stake) / 10n ** 15n) / 1000 })), { color: "#7c3aed" });
}

async function loadModels() {
  state.models = (await api("/api/models")).items;
  const select = $("#create select[name=model]");
  select.innerHTML = state.models.filter((m) => m.status === "active")
    .map((m) => `<option value="${m.model_id}">${m.kind} ${short(m.model_id)}</option>`).join("");
}

async function loadStats() {
  const s = await api("/api/stats");
  const card = (label, value) => `<div class="card"><span class="muted">${label}</span><b>${value}</b></div>`;
  $("#summary").innerHTML = [
    card("tasks", s.tasks), card("finalized", s.finalized),
    card("open", s.states.commit + s.states.reveal + s.states.ready + s.states.waiting),
    card("tasks/min", s.tasks_per_minute),
    card("latency p50 / p95", `${s.latency_s.p50 ?? "–"} / ${s.latency_s.p95 ?? "–"} s`),
    card("fees (ETH)", eth(s.fees_total)), card("slashed (ETH)", eth(s.slashed_total)),
  ].join("");
  const series = s.finalized_per_minute.map((p) => ({
    label: new Date(p.minute * 1000).toISOString().slice(11, 16), value: p.finalized }));
  barChart($("#plot-finalized"), series);
  const b = s.latency_histogram.bounds;
  barChart($("#plot-latency"), s.latency_histogram.counts.map((c, i) => ({
    label: i < b.length ? `≤${b[i]}` : `>${b[b.length - 1]}`, value: c })), { color: "#0891b2" });
}

function scheduleRefresh() {
  if (state.refreshTimer) return;
  state.refreshTimer = setTimeout(async () => {
    state.refreshTimer = null;
    await Promise.all([loadStats(), loadAgents()]).catch(() => {});
  }, 500);
}

// --- live updates --------------------------------------------------------------------
function connect() {
  const source = new EventSource("/api/events");
  source.onopen = () => { $("#live").textContent = "live"; $("#live").classList.add("on"); };
  source.onerror = () => { $("#live").textContent = "reconnecting…"; $("#live").classList.remove("on"); };
  source.addEventListener("chain", (msg) => {
    const ev = JSON.parse(msg.data);
    if (ev.args && ev.args.task_id !== undefined) refreshTask(Number(ev.args.task_id));
    if (ev.contract === "ModelRegistry") loadModels();
    scheduleRefresh();
  });
  source.addEventListener("reorg", () => { loadTasks(); scheduleRefresh(); });
}

// --- create a task through the wallet ----------------------------------------------------
async function createTask(ev) {
  ev.preventDefault();
  const out = $("#create-result");
  const form = new FormData(ev.target);
  try {
    if (!window.ethereum) throw new Error("no browser wallet (window.ethereum) found");
    const [from] = await window.ethereum.request({ method: "eth_requestAccounts" });
    try {
      await window.ethereum.request({ method: "wallet_switchEthereumChain", params: [{ chainId: state.chainId }] });
    } catch (e) {
      if (e.code !== -32601) throw e; // a wallet without the method: carry on
    }
    const raw = String(form.get("input"));
    let input = raw;
    try { const parsed = JSON.parse(raw); if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) input = parsed; } catch (e) { /* text */ }
    const body = { model: form.get("model"), input, committee_size: Number(form.get("committee_size")),
      quorum: Number(form.get("quorum")), from };
    if (form.get("fee")) body.fee = String(form.get("fee"));
    const prepared = await api("/api/tasks/prepare", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    out.innerHTML = "waiting for the wallet…";
    const tx = { from, to: prepared.tx.to, data: prepared.tx.data, value: prepared.tx.value };
    if (prepared.tx.gas) tx.gas = prepared.tx.gas;
    const hash = await window.ethereum.request({ method: "eth_sendTransaction", params: [tx] });
    out.innerHTML = `sent <code id="tx-hash">${hash}</code>; waiting for the task…`;
    const taskId = await waitForTask(hash, prepared.tx.to);
    out.innerHTML = `sent <code id="tx-hash">${hash}</code>: task <a href="#" id="new-task">${taskId}</a>`;
    $("#new-task").addEventListener("click", (e) => { e.preventDefault(); showTask(taskId); });
    showTask(taskId);
  } catch (e) {
    out.innerHTML = `<span class="error">${esc(e.message || e)}</span>`;
  }
}

async function waitForTask(hash, market) {
  // The TaskCreated log (three indexed topics) of the receipt names the task id.
  for (let i = 0; i < 120; i++) {
    const receipt = await window.ethereum.request({ method: "eth_getTransactionReceipt", params: [hash] });
    if (receipt) {
      if (receipt.status !== "0x1") throw new Error(`transaction ${hash} reverted`);
      const log = receipt.logs.find((l) => l.address.toLowerCase() === market.toLowerCase() && l.topics.length === 4);
      const id = Number(BigInt(log.topics[1]));
      const resp = await fetch(`/api/tasks/${id}`);
      if (resp.ok) return id;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error("the task did not appear");
}

// --- start ---------------------------------------------------------------------------
async function main() {
  const states = Object.keys((await api("/api/stats")).states);
  $("#filter-state").innerHTML += states.map((s) => `<option>${s}</option>`).join("");
  $("#filter-state").addEventListener("change", () => loadTasks());
  $("#more").addEventListener("click", () => loadTasks(true));
  $("#create").addEventListener("submit", createTask);
  const health = await api("/healthz");
  state.chainId = "0x" + health.chain_id.toString(16);
  $("#chain").textContent = `chain ${health.chain_id}, block ${health.head_block}`;
  await loadModels();
  await Promise.all([loadTasks(), loadAgents(), loadStats()]);
  connect();
}
main().catch((e) => { document.body.insertAdjacentHTML("afterbegin", `<p class="error">${esc(e.message)}</p>`); });
