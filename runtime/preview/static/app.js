// studio watch --serve: the live preview page. Plain JavaScript, no build step, nothing from the network.
// The server sends a snapshot when the page connects and when a plan arrives, then one message per changed
// shot or build state; the page patches only what changed (a picture is replaced only when its URL, which
// names its content, changes), so playing media and scroll positions survive updates.
"use strict";

const $ = (id) => document.getElementById(id);
const shots = new Map();        // shot id -> latest data
let selected = null;            // id of the shot open in the detail panel
let build = null;

function text(node, value) {
  const next = value == null ? "" : String(value);
  if (node.textContent !== next) node.textContent = next;
}

function setSrc(media, url) {
  // Set a media element's source only when it changed, so that nothing reloads needlessly.
  if (!url) {
    if (media.hasAttribute("src")) { media.removeAttribute("src"); if (media.load) media.load(); }
    return false;
  }
  if (media.getAttribute("src") === url) return false;
  media.setAttribute("src", url);
  return true;
}

function seconds(value) {
  if (value == null) return "";
  return value >= 10 ? `${value.toFixed(1)} s` : `${(+value.toFixed(2))} s`;
}

function durationText(s) {
  if (s.duration == null) return "auto";
  if (!s.auto) return `${+s.duration} s`;
  return `auto ${(+s.duration).toFixed(1)} s`;  // settled from its speech (or its clip): exact
}

function statusText(s) {
  if (s.status === "running") return s.progress != null ? `running ${Math.round(s.progress * 100)}%` : "running";
  return s.status;
}

// --- the header, the film, the diagnostics -----------------------------------------------------
function applyBuild(msg) {
  build = msg.build;
  text($("title"), msg.title || "studio");
  if (msg.title) document.title = `${msg.title} · studio preview`;
  const pill = $("build");
  pill.dataset.state = build.state;
  const done = `${build.done}/${build.total}`;
  const labels = {
    starting: "starting…",
    building: `building ${done}`,
    changed: `changed: ${(build.changed || []).slice(0, 2).join(", ")}`,
    idle: build.seconds != null ? `up to date · built in ${seconds(build.seconds)}` : "up to date",
    errors: "the project has errors",
    failed: `build failed (${done})`,
    cancelled: "cancelled by a newer change",
  };
  text($("build-text"), labels[build.state] || build.state);
  setSrc($("film"), msg.film);
  $("film").hidden = !msg.film;
  $("film-empty").hidden = !!msg.film;
  setSrc($("soundtrack"), msg.soundtrack);
  $("soundtrack").hidden = !msg.soundtrack;
  $("link-film").hidden = !msg.film;
  $("link-board").hidden = !msg.storyboard;
  renderDiagnostics(msg.diagnostics || []);
  renderFacts();
}

function renderDiagnostics(list) {
  const errors = list.filter((d) => d.severity === "error");
  $("problems").hidden = errors.length === 0;
  const ol = $("diagnostics");
  ol.replaceChildren(...list.map((d) => {
    const li = document.createElement("li");
    const code = document.createElement("span");
    code.className = "code";
    code.textContent = `${d.severity}[${d.code}]`;
    const where = document.createElement("span");
    where.className = "where";
    where.textContent = d.file ? `${d.file.split(/[\\/]/).pop()}:${d.line}:${d.column}` : "";
    li.append(code, where, document.createTextNode(d.message));
    if (d.hint) {
      const hint = document.createElement("span");
      hint.className = "hint";
      hint.textContent = `hint: ${d.hint}`;
      li.append(hint);
    }
    return li;
  }));
}

function renderFacts() {
  const all = [...shots.values()];
  const total = all.reduce((sum, s) => sum + (s.duration || 0), 0);
  const states = {};
  for (const s of all) states[s.status] = (states[s.status] || 0) + 1;
  const parts = [`${all.length} shots`, `about ${seconds(total)}`];
  for (const key of ["cached", "stale", "running", "failed", "skipped"]) if (states[key]) parts.push(`${states[key]} ${key}`);
  text($("film-facts"), parts.join(" · "));
}

// --- the storyboard grid ----------------------------------------------------------------------
function sceneSection(id) {
  let section = document.querySelector(`section.scene[data-scene="${CSS.escape(id)}"]`);
  if (!section) {
    section = document.createElement("section");
    section.className = "scene";
    section.dataset.scene = id;
    const h = document.createElement("h2");
    const kw = document.createElement("span");
    kw.className = "kw";
    kw.textContent = "SCENE";
    h.append(kw, document.createTextNode(id));
    const grid = document.createElement("div");
    grid.className = "grid";
    section.append(h, grid);
  }
  return section;
}

function card(id) {
  let c = document.querySelector(`article.card[data-id="${CSS.escape(id)}"]`);
  if (!c) {
    c = $("card").content.firstElementChild.cloneNode(true);
    c.dataset.id = id;
    c.addEventListener("click", () => open(id));
    c.addEventListener("keydown", (e) => { if (e.key === "Enter") open(id); });
  }
  return c;
}

function fill(c, s) {
  c.dataset.status = s.status;
  c.classList.toggle("selected", selected === s.id);
  if (setSrc(c.querySelector("img"), s.keyframe) && c.dataset.seen) {
    c.classList.remove("updated");
    void c.offsetWidth;  // restart the animation
    c.classList.add("updated");
  }
  c.dataset.seen = "1";
  text(c.querySelector(".badge"), statusText(s));
  c.querySelector(".progress > div").style.width = `${Math.round((s.progress || 0) * 100)}%`;
  text(c.querySelector(".id"), s.shot);
  text(c.querySelector(".meta"), `${(s.type || "").replace(/_/g, " ")} · ${durationText(s)}`);
  text(c.querySelector(".action"), s.action);
  const lines = (s.dialogue || []).map((d) => `${d.character}\u0000${d.text}`).join("\u0001");
  const ul = c.querySelector(".dialogue");
  if (ul.dataset.lines !== lines) {
    ul.dataset.lines = lines;
    ul.replaceChildren(...(s.dialogue || []).map((d) => {
      const li = document.createElement("li");
      const who = document.createElement("span");
      who.className = "who";
      who.textContent = (d.character || "").toUpperCase();
      const said = document.createElement("span");
      said.className = "said";
      said.textContent = d.text;
      li.append(who, said);
      return li;
    }));
  }
  text(c.querySelector(".message"), s.status === "failed" || s.status === "skipped" ? s.message : "");
}

function reconcile(scenes) {
  const root = $("scenes");
  const seen = new Set();
  const sections = [];
  for (const scene of scenes) {
    const section = sceneSection(scene.id);
    const grid = section.querySelector(".grid");
    const cards = scene.shots.map((s) => {
      shots.set(s.id, s);
      seen.add(s.id);
      const c = card(s.id);
      fill(c, s);
      return c;
    });
    cards.forEach((c, i) => { if (grid.children[i] !== c) grid.insertBefore(c, grid.children[i] || null); });
    while (grid.children.length > cards.length) grid.lastElementChild.remove();
    sections.push(section);
  }
  sections.forEach((s, i) => { if (root.children[i] !== s) root.insertBefore(s, root.children[i] || null); });
  while (root.children.length > sections.length) root.lastElementChild.remove();
  for (const id of [...shots.keys()]) if (!seen.has(id)) shots.delete(id);
  if (selected && !shots.has(selected)) close();
  else if (selected) renderDetail();
  renderFacts();
}

function updateShot(s) {
  shots.set(s.id, s);
  const c = document.querySelector(`article.card[data-id="${CSS.escape(s.id)}"]`);
  if (c) fill(c, s);
  if (selected === s.id) renderDetail();
  renderFacts();
}

// --- the detail panel -------------------------------------------------------------------------
function open(id) {
  selected = id;
  document.querySelectorAll("article.card.selected").forEach((c) => c.classList.remove("selected"));
  const c = document.querySelector(`article.card[data-id="${CSS.escape(id)}"]`);
  if (c) c.classList.add("selected");
  $("detail").hidden = false;
  renderDetail();
}

function close() {
  selected = null;
  $("detail").hidden = true;
  const clip = $("d-clip");
  clip.pause();
  document.querySelectorAll("article.card.selected").forEach((c) => c.classList.remove("selected"));
}

function renderDetail() {
  const s = shots.get(selected);
  if (!s) return;
  text($("d-title"), s.id);
  text($("d-facts"), `${(s.type || "").replace(/_/g, " ")} · ${durationText(s)}${s.camera ? ` · camera ${s.camera.replace(/_/g, " ")}` : ""}`);
  const clip = $("d-clip");
  if (s.keyframe && clip.getAttribute("poster") !== s.keyframe) clip.setAttribute("poster", s.keyframe);
  setSrc(clip, s.clip);
  text($("d-status"), `${statusText(s)}${s.message ? ` — ${s.message}` : ""}`);
  $("d-status").className = `status-line s-${s.status}`;
  text($("d-prompt"), s.prompt || "(no prompt: this shot's image model draws its action and blocking)");
  $("d-negative-box").hidden = !s.negative;
  text($("d-negative"), s.negative || "");
  const facts = [["seed", s.seed], ["image model", s.models && s.models.image], ["video model", s.models && s.models.video]];
  $("d-facts-list").replaceChildren(...facts.flatMap(([k, v]) => {
    const dt = document.createElement("dt");
    dt.textContent = k;
    const dd = document.createElement("dd");
    dd.textContent = v == null ? "—" : String(v);
    return [dt, dd];
  }));
  renderGates(s.gates);
  $("d-tasks").replaceChildren(...(s.tasks || []).map((t) => {
    const tr = document.createElement("tr");
    const name = document.createElement("td");
    name.textContent = t.id.split(":")[0] + (t.kind === "speech" ? ` ${t.id.split("/").pop()}` : "");
    const status = document.createElement("td");
    const label = document.createElement("span");
    label.className = `s-${t.status}`;
    label.textContent = t.status === "running" && t.progress != null ? `running ${Math.round(t.progress * 100)}%` : t.status;
    status.append(label);
    const why = t.status === "failed" ? t.message : (t.status === "stale" || t.status === "running" ? t.reason : null);
    if (why) {
      const span = document.createElement("span");
      span.className = "why";
      span.textContent = why;
      status.append(span);
    }
    const secs = document.createElement("td");
    secs.textContent = t.seconds != null ? seconds(t.seconds) : "—";
    tr.append(name, status, secs);
    return tr;
  }));
}

// The consistency gates of an AI keyframe: every try's seed and scores, pass or fail, the one kept.
function renderGates(g) {
  $("d-gates-box").hidden = !g;
  if (!g) return;
  const limits = g.thresholds || {};
  const score = (v, k) => v == null ? "—" : `${v.toFixed(3)}${limits[k] != null ? ` / ${limits[k]}` : ""}`;
  const kept = g.tries[g.kept];
  text($("d-gates-summary"), `kept try ${g.kept + 1} of ${g.tries.length}${kept ? `, seed ${kept.seed}` : ""}: `
    + `${g.passed ? "passed" : "no try passed"}${g.warning ? ` — ${g.warning}` : ""}`
    + `${g.current ? "" : " (the picture shown; its keyframe renders again)"}`);
  $("d-gates").replaceChildren(...g.tries.map((t, i) => {
    const tr = document.createElement("tr");
    if (i === g.kept) tr.className = "kept";
    const verdict = document.createElement("span");
    verdict.className = t.passed ? "s-cached" : "s-failed";
    verdict.textContent = (t.passed ? "pass" : "fail") + (i === g.kept ? " · kept" : "");
    const cells = [String(i + 1), String(t.seed), score(t.identity, "identity"), score(t.prompt, "prompt")].map((v) => {
      const td = document.createElement("td");
      td.textContent = v;
      return td;
    });
    const last = document.createElement("td");
    last.append(verdict);
    tr.append(...cells, last);
    return tr;
  }));
}

// --- the connection -----------------------------------------------------------------------------
function handle(msg) {
  if (msg.type === "snapshot") { applyBuild(msg.state); reconcile(msg.state.scenes); }
  else if (msg.type === "shot") updateShot(msg.shot);
  else if (msg.type === "build") applyBuild(msg);
}

function connect() {
  const events = new EventSource("events");
  events.onopen = () => { $("live").classList.add("on"); text($("live"), "live"); };
  events.onerror = () => { $("live").classList.remove("on"); text($("live"), "reconnecting…"); };
  events.onmessage = (e) => handle(JSON.parse(e.data));
}

$("close").addEventListener("click", close);
document.addEventListener("keydown", (e) => { if (e.key === "Escape" && selected) close(); });
connect();
