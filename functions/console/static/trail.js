// The trail: audit events with the API's filters and "Load more" (the keyset Link), an event's
// detail, and a chart of revokes per day over 30 days by token type, drawn here as SVG.

import { ApiError, auditEvent, auditEvents, nextQuery } from "./api.js";
import { $, clear, el, setText, svg } from "./dom.js";
import { ENTITY_TYPES, TOKEN_TYPES } from "./token-types.js";

const DAYS = 30;
const CHART_PAGES = 50; // 5,000 events: more than a month of incidents, and a bounded wait
const DAY_MS = 86_400_000;

let next = null;

function filters() {
  const form = $("trail-form");
  const query = new URLSearchParams();
  for (const name of ["token_type", "entity_type", "author_id"]) {
    const value = form.elements[name].value.trim();
    if (value) query.set(name, value);
  }
  const after = form.elements.created_after.value;
  const before = form.elements.created_before.value;
  if (after) query.set("created_after", `${after}T00:00:00Z`);
  if (before) query.set("created_before", `${before}T23:59:59.999Z`);
  query.set("per_page", form.elements.per_page.value);
  return query;
}

function eventRow(event) {
  const details = event.details || {};
  const open = el("button", { type: "button", text: "Open", "aria-label": `Open event ${event.id}`, onclick: () => showEvent(event.id) });
  return el(
    "tr",
    {},
    el("td", { "data-label": "Id", text: event.id }),
    el("td", { "data-label": "When", text: event.created_at }),
    el("td", { "data-label": "Author", text: `${details.author_name ?? ""} (${event.author_id})` }),
    el("td", { "data-label": "Token type", text: details.token_type ?? "" }),
    el("td", { "data-label": "Action", text: details.action ?? "" }),
    el("td", { "data-label": "Entity", text: `${event.entity_type} ${event.entity_id}` }),
    el("td", { "data-label": "Detail" }, open),
  );
}

async function page(query, replace) {
  setText("trail-error", "");
  const body = $("events").querySelector("tbody");
  try {
    const answer = await auditEvents(query);
    if (replace) clear(body);
    for (const event of answer.body) body.append(eventRow(event));
    next = nextQuery(answer.headers);
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    if (replace) clear(body);
    next = null;
    setText("trail-error", error.message);
  }
  $("load-more").hidden = next === null;
}

function fields(prefix, value, into) {
  for (const [name, inner] of Object.entries(value)) {
    if (inner !== null && typeof inner === "object" && !Array.isArray(inner)) fields(`${prefix}${name}.`, inner, into);
    else into.push([`${prefix}${name}`, Array.isArray(inner) ? JSON.stringify(inner) : String(inner)]);
  }
  return into;
}

async function showEvent(id) {
  const section = $("event-detail");
  const list = $("event-fields");
  clear(list);
  setText("event-detail-title", `Event ${id}`);
  try {
    const answer = await auditEvent(id);
    for (const [name, value] of fields("", answer.body, [])) list.append(el("dt", { text: name }), el("dd", { text: value }));
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    list.append(el("dt", { text: "error" }), el("dd", { text: error.message }));
  }
  section.hidden = false;
  section.focus();
}

function dayOf(time) {
  return new Date(time).toISOString().slice(0, 10);
}

// Revokes per UTC day, by token type, over the last DAYS days (today included).
async function revokesPerDay() {
  const today = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate());
  const days = Array.from({ length: DAYS }, (_, index) => dayOf(today - (DAYS - 1 - index) * DAY_MS));
  const counts = new Map(days.map((day) => [day, new Map()]));
  let query = new URLSearchParams({ created_after: `${days[0]}T00:00:00Z`, per_page: "100" });
  let complete = true;
  for (let pages = 0; query; pages += 1) {
    if (pages === CHART_PAGES) {
      complete = false;
      break;
    }
    const answer = await auditEvents(query);
    for (const event of answer.body) {
      const perType = counts.get(dayOf(event.created_at));
      const type = (event.details && event.details.token_type) || "unknown";
      if (perType) perType.set(type, (perType.get(type) || 0) + 1);
    }
    query = nextQuery(answer.headers);
  }
  return { days, counts, complete };
}

export function drawChart({ days, counts, complete }) {
  const box = $("chart");
  const legend = $("chart-legend");
  clear(box);
  clear(legend);
  const types = [...new Set([...counts.values()].flatMap((perType) => [...perType.keys()]))].sort(
    (a, b) => TOKEN_TYPES.indexOf(a) - TOKEN_TYPES.indexOf(b),
  );
  const totals = days.map((day) => [...counts.get(day).values()].reduce((sum, count) => sum + count, 0));
  const total = totals.reduce((sum, count) => sum + count, 0);
  const max = Math.max(1, ...totals);
  const [width, height, left, bottom, top] = [760, 240, 40, 36, 12];
  const plotWidth = width - left - 8;
  const plotHeight = height - top - bottom;
  const slot = plotWidth / days.length;
  const y = (value) => top + plotHeight - (value / max) * plotHeight;
  const byType = types.map((type) => `${type} ${[...counts.values()].reduce((sum, perType) => sum + (perType.get(type) || 0), 0)}`);
  const label = total
    ? `${total} revokes from ${days[0]} to ${days[days.length - 1]}: ${byType.join(", ")}`
    : `No revokes from ${days[0]} to ${days[days.length - 1]}`;
  const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": label, class: "chart-svg" });
  chart.append(svg("title", { text: label }));
  for (const tick of new Set([0, Math.ceil(max / 2), max])) {
    chart.append(
      svg("line", { x1: left, x2: width - 8, y1: y(tick), y2: y(tick), class: "grid" }),
      svg("text", { x: left - 6, y: y(tick) + 4, class: "axis", "text-anchor": "end", text: String(tick) }),
    );
  }
  days.forEach((day, index) => {
    const x = left + index * slot + slot * 0.1;
    let base = 0;
    for (const [series, type] of types.entries()) {
      const count = counts.get(day).get(type) || 0;
      if (!count) continue;
      chart.append(
        svg(
          "rect",
          { x, y: y(base + count), width: slot * 0.8, height: y(base) - y(base + count), class: `bar series-${series % 12}`, "data-day": day, "data-type": type, "data-count": count },
          svg("title", { text: `${day} ${type}: ${count}` }),
        ),
      );
      base += count;
    }
    if (index % 5 === 0 || index === days.length - 1) {
      chart.append(svg("text", { x: x + slot * 0.4, y: height - bottom + 16, class: "axis", "text-anchor": "middle", text: day.slice(5) }));
    }
  });
  box.append(chart);
  types.forEach((type, series) => legend.append(el("li", {}, el("span", { class: `swatch series-${series % 12}`, "aria-hidden": "true" }), type)));
  setText("chart-caption", `Revokes per day over the last ${DAYS} days, by token type: ${total} in all${complete ? "" : " (the first 5,000 only)"}`);
}

export async function refresh() {
  $("event-detail").hidden = true;
  await page(filters(), true);
  try {
    drawChart(await revokesPerDay());
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    setText("trail-error", error.message);
  }
}

export function forgetAll() {
  clear($("events").querySelector("tbody"));
  clear($("chart"));
  clear($("chart-legend"));
  clear($("event-fields"));
  $("event-detail").hidden = true;
  $("load-more").hidden = true;
  next = null;
}

export function setup() {
  for (const type of TOKEN_TYPES) $("trail-type").append(el("option", { value: type, text: type }));
  for (const type of ENTITY_TYPES) $("trail-entity").append(el("option", { value: type, text: type }));
  $("trail-form").addEventListener("submit", (event) => {
    event.preventDefault();
    refresh();
  });
  $("load-more").addEventListener("click", () => next && page(next, false));
  $("event-close").addEventListener("click", () => {
    $("event-detail").hidden = true;
  });
}
