// Triage: tokens in, a dry run of each, the chosen ones revoked, per-row outcomes out.
// A token's plaintext stays in this module's memory (it must be sent to be revoked) and is never
// shown: rows show the API's hint.

import { ApiError, bulkRevoke, isOwnToken } from "./api.js";
import { $, clear, download, el, setText } from "./dom.js";
import { collect, knownPrefix, readFile, readText, ReportError, TEXT } from "./reports.js";

const PER_CALL = 1000; // the bulk endpoint's limit
const ROWS_SHOWN = 1000; // a table of every row of a 10,000-token leak would stall the page
const MAX_BODY = 200_000; // under its 256 KiB, with room for the JSON around the tokens
const CHANGES = ["deleted", "revoked", "reset", "expired"];
const OUTCOMES = [...CHANGES, "already_revoked", "not_found", "unsupported", "refused", "invalid", "duplicate", "failed"];
const WOULD = { revoked: "would be revoked", reset: "would be reset", deleted: "would be deleted", expired: "would expire" };
const NOUNS = {
  deleted: { runner_authentication_token: ["runner", "runners"], gitlab_session: ["session", "sessions"] },
  reset: { "": ["secret", "secrets"] },
  revoked: { "": ["token", "tokens"] },
  expired: { "": ["trigger", "triggers"] },
};

const tokens = new Map(); // secret -> {secret, locations}
let rows = []; // one per token after a dry run, in the order they were found
let phase = "none"; // "none" | "dry" | "done"
let busy = false;

function hintOf(secret) {
  // As the API's token_hint: the prefix, "…", and the last 4 only when 8 or more stay hidden.
  const prefix = knownPrefix(secret) || secret.slice(0, 4);
  const hidden = secret.length - prefix.length - 4;
  return hidden >= 8 ? `${prefix}…${secret.slice(-4)}` : `${prefix}…`;
}

function targetText(row) {
  if (!row.target) return "";
  const cascade = row.cascade && row.cascade.length ? ` (and ${row.cascade.length} it owns)` : "";
  return `${row.target.type} ${row.target.id}${cascade}`;
}

function outcomeText(row) {
  const { outcome } = row;
  let text;
  if (row.phase === "dry" && WOULD[outcome]) text = WOULD[outcome];
  else if (outcome === "already_revoked") text = row.revokedAt ? `already revoked (${row.revokedAt})` : "already revoked";
  else text = outcome.replace("_", " ");
  if (row.message && !CHANGES.includes(outcome)) text += `: ${row.message}`;
  if (row.own && row.phase === "dry") text += " (the token you signed in with: not selected, sent last if you select it)";
  return text;
}

function locationText(location) {
  const place = location.file ? (location.line ? `${location.file}:${location.line}` : location.file) : location.line ? `line ${location.line}` : "";
  return place ? `${location.source} — ${place}` : location.source;
}

function chunks(list) {
  const out = [];
  let current = [];
  let size = 0;
  for (const item of list) {
    const cost = JSON.stringify(item.secret).length + 1;
    if (current.length && (current.length === PER_CALL || size + cost > MAX_BODY)) {
      out.push(current);
      current = [];
      size = 0;
    }
    current.push(item);
    size += cost;
  }
  if (current.length) out.push(current);
  return out;
}

function progress(done, total) {
  const box = $("progress-box");
  box.hidden = total <= 1;
  const bar = $("progress");
  bar.max = Math.max(total, 1);
  bar.value = done;
  setText("progress-text", `${done} of ${total} calls`);
}

function apply(row, result, dry) {
  row.phase = dry ? "dry" : "done";
  row.outcome = result.outcome;
  row.status = result.status ?? null;
  row.hint = result.token_hint || row.hint;
  row.type = result.token_type || row.type || "";
  row.target = result.target || row.target || null;
  row.cascade = result.cascade || null;
  row.message = result.message || "";
  row.revokedAt = result.revoked_at || "";
  row.auditEventId = result.audit_event_id ?? (dry ? null : row.auditEventId);
  row.retryable = Boolean(result.retryable) || result.outcome === "failed";
}

// Sends the rows' tokens, PER_CALL at a time; each row takes its result. A call that fails as a
// whole marks its rows failed (retryable when the API said so: 503, or no answer).
async function send(list, dry) {
  const batches = chunks(list);
  progress(0, batches.length);
  setText("triage-error", "");
  for (const [done, batch] of batches.entries()) {
    try {
      const answer = await bulkRevoke(batch.map((row) => row.secret), dry);
      for (const result of answer.body.results) apply(batch[result.index], result, dry);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      const retryable = error.status === 0 || error.status === 503 || error.status === 409;
      for (const row of batch) apply(row, { outcome: "failed", message: error.message, retryable }, dry);
      setText("triage-error", `A call was refused: ${error.message}`);
      if (error.status === 401 || error.status === 403) break;
    }
    progress(done + 1, batches.length);
    render();
  }
}

function summary(selected) {
  const parts = [];
  const byType = [];
  for (const outcome of CHANGES) {
    const chosen = selected.filter((row) => row.outcome === outcome);
    if (!chosen.length) continue;
    const counts = new Map();
    for (const row of chosen) {
      const nouns = NOUNS[outcome][row.type] || NOUNS[outcome][""] || ["token", "tokens"];
      const key = nouns.join("/");
      counts.set(key, { nouns, count: (counts.get(key)?.count || 0) + 1 });
    }
    for (const { nouns, count } of counts.values()) parts.push(`${count} ${count === 1 ? nouns[0] : nouns[1]} will be ${outcome}`);
    const types = new Map();
    for (const row of chosen) types.set(row.type, (types.get(row.type) || 0) + 1);
    for (const [type, count] of types) byType.push(`${type}: ${count} ${outcome}`);
  }
  return { sentence: `${parts.join(", ")}.`, byType };
}

export function render() {
  const table = $("results");
  const body = table.querySelector("tbody");
  clear(body);
  clear($("counts"));
  const has = rows.length > 0;
  table.hidden = !has;
  $("result-filters").hidden = !has;
  for (const id of ["export-csv", "export-json"]) $(id).disabled = !has || busy;
  $("dry-run").disabled = busy || tokens.size === 0;
  $("revoke").disabled = busy || phase !== "dry" || !rows.some((row) => row.selected);
  $("retry").disabled = busy || !rows.some((row) => row.outcome === "failed" && row.retryable);
  if (!has) return;

  const counts = new Map(OUTCOMES.map((outcome) => [outcome, 0]));
  for (const row of rows) counts.set(row.outcome, (counts.get(row.outcome) || 0) + 1);
  for (const [outcome, count] of counts) {
    if (count) $("counts").append(el("li", { "data-outcome": outcome }, el("strong", { text: String(count) }), ` ${outcome.replace("_", " ")}`));
  }
  fillFilter($("filter-outcome"), [...counts].filter(([, count]) => count).map(([outcome]) => outcome));
  fillFilter($("filter-type"), [...new Set(rows.map((row) => row.type).filter(Boolean))].sort());

  const outcome = $("filter-outcome").value;
  const type = $("filter-type").value;
  const shown = rows.filter((row) => (!outcome || row.outcome === outcome) && (!type || row.type === type));
  const limited = shown.length > ROWS_SHOWN ? `; the first ${ROWS_SHOWN} shown, filter or export for the rest` : "";
  const dry = phase === "dry" ? " (dry run: nothing changed yet)" : "";
  setText("results-caption", `${shown.length} of ${rows.length} tokens${dry}${limited}`);
  body.append(...shown.slice(0, ROWS_SHOWN).map(rowElement));
}

function fillFilter(select, values) {
  const current = select.value;
  clear(select);
  select.append(el("option", { value: "", text: "all" }));
  for (const value of values) select.append(el("option", { value, text: value.replace("_", " ") }));
  select.value = values.includes(current) ? current : "";
}

function rowElement(row) {
  const selectable = phase === "dry" && CHANGES.includes(row.outcome);
  const box = el("input", {
    type: "checkbox",
    "aria-label": `Revoke ${row.hint}`,
    checked: selectable && row.selected,
    disabled: !selectable || busy,
    onchange: (event) => {
      row.selected = event.target.checked;
      $("revoke").disabled = busy || !rows.some((item) => item.selected);
    },
  });
  const locations = el("ul", { class: "locations" }, row.locations.map((location) => el("li", { text: locationText(location) })));
  return el(
    "tr",
    { "data-outcome": row.outcome },
    el("td", { "data-label": "Revoke" }, box),
    el("td", { "data-label": "Token" }, el("code", { text: row.hint })),
    el("td", { "data-label": "Type", text: row.type || "—" }),
    el("td", { "data-label": "Target", text: targetText(row) || "—" }),
    el("td", { "data-label": "Outcome", class: `outcome ${row.outcome}`, text: outcomeText(row) }),
    el("td", { "data-label": "Audit event", text: row.auditEventId ?? "—" }),
    el("td", { "data-label": "Found in" }, locations),
  );
}

function setBusy(value) {
  busy = value;
  render();
}

function status(text) {
  setText("input-status", text);
}

function addSource(name, text) {
  let read;
  try {
    read = readText(text);
  } catch (error) {
    if (!(error instanceof ReportError)) throw error;
    $("sources").append(el("li", { class: "error", text: `${name}: ${error.message}` }));
    return;
  }
  const counted = collect(tokens, name, read.findings);
  const described = read.format === TEXT ? "text" : `${read.format} report`;
  const parts = [`${name}: ${described}, ${read.findings.length} found, ${counted.added} new`];
  if (counted.skipped) parts.push(`${counted.skipped} skipped (no GitLab token prefix)`);
  if (counted.redacted) parts.push(`${counted.redacted} redacted (the report does not hold the secret)`);
  if (read.note) parts.push(read.note);
  $("sources").append(el("li", { text: parts.join("; ") }));
  status(`${tokens.size} distinct tokens ready for a dry run.`);
  if (phase !== "none") {
    phase = "none";
    rows = [];
  }
  render();
}

async function readDropped(file) {
  let text;
  try {
    text = await readFile(file);
  } catch (error) {
    if (!(error instanceof ReportError)) throw error;
    $("sources").append(el("li", { class: "error", text: `${file.name}: ${error.message}` }));
    return;
  }
  addSource(file.name, text);
}

async function dryRun() {
  rows = [...tokens.values()].map((entry) => ({
    secret: entry.secret,
    locations: entry.locations,
    hint: hintOf(entry.secret),
    own: isOwnToken(entry.secret),
    type: "",
    outcome: "failed",
    selected: false,
  }));
  phase = "dry";
  setBusy(true);
  try {
    await send(rows, true);
    // The administrator's own token is left out unless chosen: revoking it ends this session.
    for (const row of rows) row.selected = CHANGES.includes(row.outcome) && !row.own;
  } finally {
    setBusy(false);
  }
}

function openConfirm() {
  const selected = rows.filter((row) => row.selected && CHANGES.includes(row.outcome));
  if (!selected.length) return;
  const { sentence, byType } = summary(selected);
  setText("confirm-summary", `${selected.length} selected: ${sentence}`);
  const list = $("confirm-list");
  clear(list);
  for (const line of byType) list.append(el("li", { text: line }));
  $("confirm").showModal();
  $("confirm-cancel").focus();
}

async function revoke(list) {
  setBusy(true);
  try {
    // The signed-in token last: every other token is revoked before this session ends.
    await send([...list.filter((row) => !row.own), ...list.filter((row) => row.own)], false);
    phase = "done";
    for (const row of rows) row.selected = false;
  } finally {
    setBusy(false);
  }
  status(`Revoke finished: see each row's outcome and audit event.`);
}

// Failed rows again, as what failed: a dry run's failures get a dry run, a revoke's a revoke.
async function retry() {
  const failed = rows.filter((row) => row.outcome === "failed" && row.retryable);
  const dry = phase === "dry";
  setBusy(true);
  try {
    await send(failed, dry);
    if (dry) for (const row of failed) row.selected = CHANGES.includes(row.outcome) && !row.own;
  } finally {
    setBusy(false);
  }
}

function exportRows() {
  return rows.map((row) => ({
    token_hint: row.hint,
    token_type: row.type || null,
    target: row.target || null,
    outcome: row.outcome,
    dry_run: row.phase === "dry",
    status: row.status ?? null,
    message: row.message || null,
    revoked_at: row.revokedAt || null,
    audit_event_id: row.auditEventId ?? null,
    locations: row.locations.map(({ source, file, line }) => ({ source, file, line })),
  }));
}

function csvField(value) {
  let text = value === null || value === undefined ? "" : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`; // a spreadsheet would run it as a formula
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function exportCsv() {
  const header = ["token_hint", "token_type", "target", "outcome", "dry_run", "status", "message", "revoked_at", "audit_event_id", "locations"];
  const lines = [header.join(",")];
  for (const row of exportRows()) {
    const target = row.target ? `${row.target.type} ${row.target.id}` : "";
    const locations = row.locations.map(locationText).join("; ");
    lines.push([row.token_hint, row.token_type, target, row.outcome, row.dry_run, row.status, row.message, row.revoked_at, row.audit_event_id, locations].map(csvField).join(","));
  }
  download("tokens.csv", "text/csv", `${lines.join("\r\n")}\r\n`);
}

function exportJson() {
  download("tokens.json", "application/json", `${JSON.stringify({ results: exportRows() }, null, 1)}\n`);
}

export function forgetAll() {
  tokens.clear();
  rows = [];
  phase = "none";
  clear($("sources"));
  $("paste").value = "";
  $("report-file").value = "";
  status("");
  setText("triage-error", "");
  $("progress-box").hidden = true;
  render();
}

export function setup() {
  $("paste-read").addEventListener("click", () => {
    const text = $("paste").value;
    if (text.trim()) addSource("pasted text", text);
  });
  $("report-file").addEventListener("change", async (event) => {
    for (const file of event.target.files) await readDropped(file);
    event.target.value = "";
  });
  const zone = $("dropzone");
  zone.addEventListener("dragover", (event) => {
    event.preventDefault();
    zone.classList.add("over");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", async (event) => {
    event.preventDefault();
    zone.classList.remove("over");
    for (const file of event.dataTransfer.files) await readDropped(file);
  });
  // A file dropped elsewhere on the page is not opened by the browser (it would leave the page).
  window.addEventListener("dragover", (event) => event.preventDefault());
  window.addEventListener("drop", (event) => event.preventDefault());
  $("dry-run").addEventListener("click", dryRun);
  $("revoke").addEventListener("click", openConfirm);
  $("confirm-cancel").addEventListener("click", () => $("confirm").close());
  $("confirm-go").addEventListener("click", () => {
    $("confirm").close();
    revoke(rows.filter((row) => row.selected && CHANGES.includes(row.outcome)));
  });
  $("retry").addEventListener("click", retry);
  $("export-csv").addEventListener("click", exportCsv);
  $("export-json").addEventListener("click", exportJson);
  $("clear").addEventListener("click", forgetAll);
  $("filter-outcome").addEventListener("change", render);
  $("filter-type").addEventListener("change", render);
  render();
}
