// The control room page: one card per Stage instance, kept live by the engine's event stream.
// Every request goes to paths relative to this page, which carry the engine's secret.
"use strict";

const cards = new Map();      // id -> { el, data, previousVariation }
let engine = null;

async function post(id, action, body) {
  const response = await fetch(`api/cards/${encodeURIComponent(id)}/${action}`, {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body ?? {}),
  });
  const json = await response.json().catch(() => ({ error: `HTTP ${response.status}` }));
  if (!response.ok) throw new Error(json.error ?? `HTTP ${response.status}`);
  return json;
}

function showEngine(status) {
  engine = status;
  document.getElementById("engine").textContent = `Engine ${status.version} · ${status.device ?? "no device"} · stems in ${status.stemsFolder}`;
  const models = document.getElementById("models");
  models.replaceChildren(...status.models.map(m => {
    const pill = document.createElement("span");
    pill.className = "model" + (m.installed ? "" : " missing");
    if (m.installed) pill.textContent = `${m.instrument}: installed`;
    else {
      pill.append(`${m.instrument}: not installed — run `);
      const code = document.createElement("code");
      code.textContent = m.install;
      pill.append(code);
    }
    pill.title = m.installed ? m.path : `${m.path} lacks ${m.missing}`;
    return pill;
  }));
}

function settingsOf(card) {
  const q = s => card.el.querySelector(s);
  const body = { prompt: q(".prompt").value };
  for (const name of ["temperature", "topK", "guidance", "seed", "variations"]) {
    const v = q("." + name).valueAsNumber;
    if (!Number.isNaN(v)) body[name] = v;
  }
  return body;
}

// One command at a time per card, in the order pressed: quick A/B presses must reach the plugin in order.
function act(card, action, body) {
  const error = card.el.querySelector(".error");
  card.queue = (card.queue ?? Promise.resolve()).then(() => {
    error.textContent = "";
    return post(card.data.id, action, body).catch(e => { error.textContent = e.message; });
  });
  return card.queue;
}

function createCard(id) {
  const el = document.getElementById("card").content.firstElementChild.cloneNode(true);
  el.dataset.id = id;
  // pending: values typed here that the plugin has not yet reported back; updates leave those fields alone.
  const card = { el, data: null, previousVariation: null, promptTimer: 0, pending: {} };
  const q = s => el.querySelector(s);
  q(".generate").addEventListener("click", () => act(card, "generate", settingsOf(card)));
  q(".cancel").addEventListener("click", () => act(card, "cancel"));
  q(".prompt").addEventListener("input", () => {
    const prompt = q(".prompt").value;
    card.pending.prompt = prompt;
    clearTimeout(card.promptTimer);
    card.promptTimer = setTimeout(() => act(card, "settings", { prompt }), 400);
  });
  for (const name of ["temperature", "topK", "guidance", "seed", "variations"]) {
    q("." + name).addEventListener("change", e => {
      const v = e.target.valueAsNumber;
      if (Number.isNaN(v)) return;
      card.pending[name] = v;
      act(card, "settings", { [name]: v });
    });
  }
  el.addEventListener("keydown", e => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); q(".generate").click(); return; }
    if (e.key === "Escape") { q(".cancel").click(); return; }
    if (e.target.matches("textarea, input")) return;
    if (/^[1-8]$/.test(e.key)) choose(card, Number(e.key));
    else if (e.key === "x" || e.key === "X") { if (card.previousVariation) choose(card, card.previousVariation); }
  });
  document.getElementById("cards").append(el);
  cards.set(id, card);
  return card;
}

function choose(card, variation) {
  const count = card.data?.job?.variations?.length ?? 0;
  if (variation < 1 || variation > count) return;
  const current = card.data?.info?.variation;
  if (current && current !== variation) card.previousVariation = current;
  card.pending.variation = variation;   // shown at once; the plugin's report confirms it
  if (card.data?.info) card.data.info.variation = variation;
  drawLanes(card);
  act(card, "variation", { variation });
}

function updateCard(data) {
  const card = cards.get(data.id) ?? createCard(data.id);
  card.data = data;
  const el = card.el, q = s => el.querySelector(s);
  const info = data.info, job = data.job;
  el.classList.toggle("offline-card", !data.connected);
  q(".track").textContent = info?.trackName || "Stage (track name not reported)";
  q(".swatch").style.background = info?.trackColour ?? "";
  q(".instrument").textContent = info?.instrument ?? "";
  const link = q(".link");
  link.textContent = data.connected ? "● connected" : "● not connected";
  link.classList.toggle("off", !data.connected);
  if (info) {
    const tempo = info.tempoBpm > 0 ? `${+info.tempoBpm.toFixed(2)} BPM ${info.meter}` : "tempo not known yet";
    const captured = info.capturedBars > 0
      ? `captured ${info.capturedBars} bar${info.capturedBars === 1 ? "" : "s"} (bars ${info.capturedFirstBar + 1}–${info.capturedFirstBar + info.capturedBars})`
      : "nothing captured yet";
    q(".meta").textContent = `${info.contextMode} context · ${info.bars} bar${info.bars === 1 ? "" : "s"} · ${tempo} · ${captured}${info.playing ? " · playing" : ""}`;
    for (const name of ["prompt", "temperature", "topK", "guidance", "seed", "variations"]) {
      const input = q("." + name);
      if (name in card.pending) {
        const want = card.pending[name];
        const confirmed = typeof want === "number" ? Math.abs(want - info[name]) < 1e-6 : want === info[name];
        if (!confirmed) continue;   // not reported back yet: keep what was typed
        delete card.pending[name];
      }
      if (document.activeElement !== input) input.value = info[name];
    }
    q(".status").textContent = info.status;
    if ("variation" in card.pending) {
      if (card.pending.variation === info.variation) delete card.pending.variation;
      else info.variation = card.pending.variation;
    }
  }
  const generating = job.state === "generating";
  q(".generate").disabled = !data.connected;
  q(".cancel").disabled = !generating || !data.connected;
  const percent = Math.round(job.fraction * 100);
  const progress = q(".progress");
  progress.setAttribute("aria-valuenow", String(percent));
  q(".progress .bar").style.width = `${job.state === "idle" ? 0 : percent}%`;
  const status = q(".status");
  if (generating) {
    const eta = job.etaSeconds != null ? ` · about ${Math.ceil(job.etaSeconds)} s left` : "";
    const first = job.firstAudioSeconds != null ? ` · first audio after ${job.firstAudioSeconds.toFixed(1)} s` : "";
    status.textContent = `Generating: ${job.step} ${percent}%${eta}${first}`;
  } else if (job.state === "failed" || job.state === "cancelled") {
    status.textContent = job.message || job.state;
  } else if (job.state === "done" && info) {
    status.textContent = job.message ? `${info.status} · ${job.message}`
      : `${info.status} · made in ${job.totalSeconds?.toFixed(1)} s, first audio after ${job.firstAudioSeconds?.toFixed(1)} s`;
  }
  drawPicks(card);
  drawLanes(card);
  drawFiles(card);
  drawHistory(card);
  document.getElementById("empty").hidden = cards.size > 0;
}

function drawPicks(card) {
  const seen = new Set(), picks = [];
  for (const c of cards.values())
    for (const h of c.data?.history ?? [])
      if (h.prompt && !seen.has(h.prompt) && picks.length < 6) { seen.add(h.prompt); picks.push(h.prompt); }
  const key = picks.join("\n");
  if (card.picks === key) return;   // unchanged: keep the buttons (one may be under the pointer)
  card.picks = key;
  card.el.querySelector(".picks").replaceChildren(...picks.map(p => {
    const b = document.createElement("button");
    b.type = "button"; b.className = "pick"; b.textContent = p; b.title = `Use the prompt “${p}”`;
    b.addEventListener("click", () => { card.el.querySelector(".prompt").value = p; card.pending.prompt = p; act(card, "settings", { prompt: p }); });
    return b;
  }));
}

function drawLanes(card) {
  const lanes = card.el.querySelector(".lanes");
  const job = card.data.job;
  const rows = [];
  if (job.context) rows.push({ name: "Context", peaks: job.context, variation: 0 });
  (job.variations ?? []).forEach((peaks, i) => rows.push({ name: `Variation ${i + 1}`, peaks, variation: i + 1 }));
  while (lanes.children.length > rows.length) lanes.lastElementChild.remove();
  while (lanes.children.length < rows.length) {
    const lane = document.createElement("div");
    lane.className = "lane";
    lane.innerHTML = `<span class="name"></span><canvas width="800" height="54"></canvas>`;
    lane.addEventListener("click", () => { if (lane.dataset.variation !== "0") choose(card, Number(lane.dataset.variation)); });
    lane.addEventListener("keydown", e => { if (e.key === " " || e.key === "Enter") { e.preventDefault(); lane.click(); } });
    lanes.append(lane);
  }
  const selected = card.data.info?.variation ?? 1;
  rows.forEach((row, i) => {
    const lane = lanes.children[i];
    lane.dataset.variation = String(row.variation);
    lane.classList.toggle("variation", row.variation > 0);
    const isSelected = row.variation > 0 && row.variation === selected;
    lane.classList.toggle("selected", isSelected);
    if (row.variation > 0) {
      lane.setAttribute("role", "radio");
      lane.setAttribute("aria-checked", String(isSelected));
      lane.tabIndex = isSelected ? 0 : -1;
    }
    lane.querySelector(".name").textContent = row.variation > 0 && isSelected ? `▶ ${row.name}` : row.name;
    lane.setAttribute("aria-label", row.variation > 0 ? `${row.name}${isSelected ? ", playing in the DAW" : ""}` : "Captured context");
    drawWave(lane.querySelector("canvas"), row.peaks, job, row.variation === 0 ? "#7d8597" : isSelected ? "#ffb347" : "#59c3ff");
  });
}

function drawWave(canvas, base64, job, colour) {
  const g = canvas.getContext("2d"), w = canvas.width, h = canvas.height, mid = h / 2;
  g.clearRect(0, 0, w, h);
  const bars = Math.max(1, Math.round(job.bars ?? 1));
  const firstBar = job.startPpq != null && job.quartersPerBar ? Math.round(job.startPpq / job.quartersPerBar) : 0;
  g.font = "10px system-ui, sans-serif";
  for (let b = 0; b < bars; b++) {
    const x = Math.round(b * w / bars) + 0.5;
    g.fillStyle = "#343946"; g.fillRect(x, 0, 1, h);
    g.fillStyle = "#9aa1b2"; g.fillText(String(firstBar + b + 1), x + 3, 11);
  }
  const bytes = Uint8Array.from(atob(base64), c => c.charCodeAt(0));
  const columns = bytes.length / 2;
  g.fillStyle = colour;
  for (let c = 0; c < columns; c++) {
    const low = (bytes[2 * c] << 24 >> 24) / 127, high = (bytes[2 * c + 1] << 24 >> 24) / 127;
    const x = c * w / columns;
    const top = mid - high * (mid - 2), bottom = mid - low * (mid - 2);
    g.fillRect(x, top, Math.max(1, w / columns), Math.max(1, bottom - top));
  }
}

function fileName(path) { return path.split(/[\\/]/).pop(); }

function fileRow(card, path, index) {
  const li = document.createElement("li");
  const which = document.createElement("span");
  which.className = "which"; which.textContent = `Variation ${index + 1}`;
  const a = document.createElement("a");
  a.className = "file"; a.href = `api/wav?path=${encodeURIComponent(path)}`; a.download = fileName(path);
  a.textContent = fileName(path); a.title = path;
  const reveal = document.createElement("button");
  reveal.type = "button"; reveal.textContent = "Show in folder";
  reveal.setAttribute("aria-label", `Show ${fileName(path)} in its folder`);
  reveal.addEventListener("click", () => fetch("api/reveal", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ path }) })
    .then(async r => { if (!r.ok) card.el.querySelector(".error").textContent = (await r.json()).error; }));
  const download = document.createElement("a");
  download.href = a.href; download.download = a.download; download.textContent = "Download";
  li.append(which, a, reveal, download);
  return li;
}

function drawFiles(card) {
  const paths = card.data.job.wavPaths?.length ? card.data.job.wavPaths : card.data.info?.stemWavPaths ?? [];
  card.el.querySelector(".take").hidden = paths.length === 0;
  card.el.querySelector(".files").replaceChildren(...paths.map((p, i) => fileRow(card, p, i)));
}

function drawHistory(card) {
  const history = card.data.history ?? [];
  card.el.querySelector(".history-box").hidden = history.length === 0;
  card.el.querySelector(".history").replaceChildren(...history.map(h => {
    const li = document.createElement("li");
    const time = new Date(h.time).toLocaleTimeString();
    li.innerHTML = `<span class="what"></span> <span class="how"></span>`;
    li.querySelector(".what").textContent = h.prompt ? `“${h.prompt}”` : "(no prompt)";
    li.querySelector(".how").textContent = ` · ${time} · seed ${h.seed ?? "random"} · temp ${h.temperature} · top-k ${h.topK} · guidance ${h.guidance} · ${h.variations} var · ${+h.bars.toFixed(2)} bars @ ${+h.tempoBpm.toFixed(2)} BPM`;
    if (h.restorable) {
      const b = document.createElement("button");
      b.type = "button"; b.textContent = "Restore";
      b.setAttribute("aria-label", `Restore stem ${h.number} to the plugin`);
      b.addEventListener("click", () => act(card, "restore", { number: h.number }));
      li.append(b);
    }
    return li;
  }));
}

async function start() {
  const state = await fetch("api/state").then(r => r.json());
  showEngine(state.engine);
  for (const c of state.cards) updateCard(c);
  document.getElementById("empty").hidden = cards.size > 0;
  const events = new EventSource("api/events");
  events.addEventListener("engine", e => { document.getElementById("offline").hidden = true; showEngine(JSON.parse(e.data)); });
  events.addEventListener("card", e => updateCard(JSON.parse(e.data)));
  // The stream reconnects by itself; its first event after a reconnect is "engine", which hides the notice again.
  events.onerror = () => { document.getElementById("offline").hidden = false; };
}

start().catch(e => {
  document.getElementById("offline").hidden = false;
  document.getElementById("engine").textContent = `Cannot reach the engine: ${e.message}`;
});
