// Operator page of `hub messages serve` (and the board's /messages/): posts the search to api/messages/search
// and renders each journey with textContent only (message data is never parsed as HTML).
"use strict";

function line(parent, text) {
  const div = document.createElement("div");
  div.className = "row";
  div.textContent = text;
  parent.appendChild(div);
}

function render(journey) {
  const box = document.createElement("section");
  box.className = "journey";
  const title = document.createElement("h2");
  title.textContent = `${journey.message_id} · ${journey.source} · ${journey.status} · ${journey.received_at}`;
  box.appendChild(title);
  if (journey.raw) {
    const mapped = (journey.raw.event_types || []).join(", ") || journey.raw.unmapped || "ingen hendelser";
    const again = journey.raw.reprocessed_from ? ` (behandlet på nytt fra ${journey.raw.reprocessed_from})` : "";
    line(box, `rå      ${journey.raw.link}  ${journey.raw.message_type || "-"}  → ${mapped}${again}`);
  }
  for (const d of journey.dead_letters) line(box, `avvist  ${d.link}  ${d.code}: ${d.reason}`);
  for (const e of journey.events) line(box, `hendelse ${e.link}  ${e.event_type}  ${e.occurred_at}  ${e.pseudonym || "-"}`);
  for (const a of journey.avvik) line(box, `avvik  ${a.link}  ${a.code} ${a.status}  ${a.avvik_id}`);
  for (const p of journey.pathways) line(box, `forløp ${p.link}  ${p.pseudonym}  ${p.status} ${p.phase}`);
  return box;
}

async function search(event) {
  event.preventDefault();
  const form = event.target;
  const body = {};
  for (const [name, value] of new FormData(form).entries()) {
    if (!value) continue;
    body[name] = (name === "since" || name === "until") ? new Date(value).toISOString() : value;
  }
  const results = document.getElementById("results");
  const error = document.getElementById("error");
  results.replaceChildren();
  error.textContent = "";
  const response = await fetch("api/messages/search", {  // relative: the page is also mounted under the board
    method: "POST",
    headers: {"Content-Type": "application/json", "Authorization": `Bearer ${document.getElementById("token").value}`},
    body: JSON.stringify(body),
  });
  const data = await response.json();
  form.elements.person_number.value = "";
  if (!response.ok) {
    error.textContent = data.error || `HTTP ${response.status}`;
    return;
  }
  document.getElementById("count").textContent = `${data.messages.length} melding(er)`;
  for (const journey of data.messages) results.appendChild(render(journey));
}

document.getElementById("search").addEventListener("submit", search);
