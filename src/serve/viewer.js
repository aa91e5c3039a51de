// The live viewer of `pgpubsub serve`: subscribe to channels with EventSource and show each
// notification as it arrives, and each gap where it happened. Payloads are untrusted: they
// are only ever set as text, never as markup.
"use strict";

const MAX_ROWS = 1000;
const $ = (id) => document.getElementById(id);
let source = null;

function setStatus(text, kind) {
  const status = $("status");
  status.textContent = text;
  status.className = kind || "";
}

function row(cells, kind) {
  const tr = document.createElement("tr");
  if (kind) tr.className = kind;
  for (const [cls, text] of cells) {
    const td = document.createElement("td");
    td.className = cls;
    td.textContent = text;
    tr.appendChild(td);
  }
  const body = $("events");
  body.insertBefore(tr, body.firstChild);
  while (body.rows.length > MAX_ROWS) body.deleteRow(body.rows.length - 1);
}

function timeOf(iso) {
  const t = iso ? new Date(iso) : new Date();
  return t.toLocaleTimeString(undefined, { hour12: false }) + "." + String(t.getMilliseconds()).padStart(3, "0");
}

// A gap or another event of the stream, as a row of its own across the table.
function mark(text, quiet) {
  row([["time", timeOf()], ["channel", ""], ["pid", ""], ["payload", text]], quiet ? "event quiet" : "event");
}

function pretty(payload) {
  if (typeof payload !== "string") return JSON.stringify(payload, null, 2);
  try {
    const value = JSON.parse(payload);
    if (value !== null && typeof value === "object") return JSON.stringify(value, null, 2);
  } catch (_) { /* not JSON: shown as sent */ }
  return payload;
}

function channelsOf(text) {
  return text.split(/[\s,]+/).filter((c) => c.length > 0);
}

function streamUrl(channels, token) {
  const query = new URLSearchParams();
  for (const channel of channels) query.append("channel", channel);
  if (token) query.append("access_token", token);
  return "listen?" + query.toString();
}

// EventSource does not say why a stream was refused: ask once with fetch to show the reason.
async function explain(url) {
  const abort = new AbortController();
  try {
    const response = await fetch(url, { signal: abort.signal, cache: "no-store" });
    if (response.ok) return null;
    const body = await response.json().catch(() => ({}));
    return `${response.status} ${response.statusText}: ${body.error || ""}`;
  } catch (e) {
    return "the server cannot be reached";
  } finally {
    abort.abort();
  }
}

function stop(why) {
  if (source) source.close();
  source = null;
  $("stop").disabled = true;
  $("connect").disabled = false;
  if (why) setStatus(why, "down");
}

function listen(channels, token) {
  stop();
  const url = streamUrl(channels, token);
  setStatus("Connecting…");
  $("stop").disabled = false;
  $("connect").disabled = true;
  source = new EventSource(url);
  source.onmessage = (e) => {
    const record = JSON.parse(e.data);
    row([
      ["time", timeOf(record.received_at)],
      ["channel", record.channel],
      ["pid", record.position === undefined ? String(record.pid) : `${record.pid} #${record.position}`],
      ["payload", pretty(record.payload)],
    ], "note");
  };
  source.addEventListener("listening", (e) => {
    const event = JSON.parse(e.data);
    setStatus(`Listening on ${event.channels.join(", ")}`, "up");
    mark(`listening on ${event.channels.join(", ")}`, true);
  });
  source.addEventListener("disconnected", (e) => {
    const event = JSON.parse(e.data);
    setStatus(`Database session lost: ${event.reason}; reconnecting…`, "down");
    mark(`gap begins: the database session was lost (${event.reason})`);
  });
  source.addEventListener("reconnected", (e) => {
    const event = JSON.parse(e.data);
    setStatus(`Listening again (down ${event.down_ms} ms)`, "up");
    mark(`gap ends: the database session is back after ${event.down_ms} ms; notifications sent meanwhile are lost`);
  });
  source.addEventListener("caught_up", (e) => {
    const event = JSON.parse(e.data);
    const gap = event.down_ms === undefined ? "" : ` after a gap of ${event.down_ms} ms`;
    setStatus(`Listening (durable channels caught up${gap})`, "up");
    mark(`caught up: ${event.replayed} missed records replayed from the journal${gap}`, true);
  });
  source.addEventListener("gap", (e) => {
    mark(`gap: ${JSON.parse(e.data).reason}`);
  });
  source.addEventListener("overflow", (e) => {
    mark(`cut off: this page fell behind and lost ${JSON.parse(e.data).lost} notifications; reconnecting`);
  });
  source.addEventListener("expired", () => stop("The token has expired: enter a new one."));
  source.addEventListener("shutdown", (e) => {
    mark(JSON.parse(e.data).reason);
    setStatus("The server is stopping; reconnecting when it is back…", "down");
  });
  source.onerror = async () => {
    if (source && source.readyState === EventSource.CLOSED) {
      const why = await explain(url);
      stop(why ? `Refused: ${why}` : "The stream was closed.");
    } else {
      setStatus("Connection to the server lost; reconnecting…", "down");
    }
  };
}

document.addEventListener("DOMContentLoaded", () => {
  const params = new URLSearchParams(location.search);
  const token = sessionStorage.getItem("pgpubsub-token") || "";
  $("token").value = token;
  $("subscribe").addEventListener("submit", (e) => {
    e.preventDefault();
    const channels = channelsOf($("channels").value);
    if (channels.length === 0) return;
    sessionStorage.setItem("pgpubsub-token", $("token").value);
    history.replaceState(null, "", "?" + new URLSearchParams(channels.map((c) => ["channel", c])));
    listen(channels, $("token").value);
  });
  $("stop").addEventListener("click", () => stop("Not listening."));
  $("clear").addEventListener("click", () => { $("events").textContent = ""; });
  const channels = params.getAll("channel");
  if (channels.length > 0) {
    $("channels").value = channels.join(", ");
    listen(channels, token);
  }
});
