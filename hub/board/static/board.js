// Samhandlingstavla: renders the hub's board snapshot and keeps it live over Server-Sent Events.
// Plain JS, no dependencies; every chart is SVG drawn by hand. Text is set with textContent only.
"use strict";

(() => {
  const SVG = "http://www.w3.org/2000/svg";
  const nf = new Intl.NumberFormat("nb-NO");
  const nf1 = new Intl.NumberFormat("nb-NO", { maximumFractionDigits: 1 });
  const pct = new Intl.NumberFormat("nb-NO", { style: "percent", maximumFractionDigits: 0 });
  const kr = new Intl.NumberFormat("nb-NO", { style: "currency", currency: "NOK", maximumFractionDigits: 0 });
  const timeFmt = new Intl.DateTimeFormat("nb-NO", { dateStyle: "short", timeStyle: "medium", timeZone: "Europe/Oslo" });
  const COLORS = { text: "#e9eff6", ok: "#4ade80", warn: "#fbbf24", bad: "#fb7185", accent: "#7cc4ff", track: "#24364c", muted: "#a9b8ca" };

  const $ = (id) => document.getElementById(id);

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "class") node.className = v;
      else node.setAttribute(k, v === true ? "" : String(v));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function svg(tag, attrs, ...children) {
    const node = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v !== null && v !== undefined) node.setAttribute(k, String(v));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  const fmt = (n) => (n === null || n === undefined ? "–" : nf.format(n));
  const fmtPct = (share) => (share === null || share === undefined ? "–" : pct.format(share));
  const fmtMin = (m) => (m === null || m === undefined ? "–" : `${nf1.format(m)} min`);
  const fmtWait = (h) => {
    if (h === null || h === undefined) return "–";
    const days = Math.floor(h / 24);
    const hours = Math.floor(h - days * 24);
    return days ? `${days} d ${hours} t` : `${hours} t`;
  };

  function level(share) {
    if (share === null || share === undefined) return "none";
    if (share > 1) return "bad";
    if (share >= 0.85) return "warn";
    return "ok";
  }

  function age(seconds) {
    const s = Math.max(0, Math.floor(seconds));
    const d = Math.floor(s / 86400);
    const h = Math.floor((s % 86400) / 3600);
    const m = Math.floor((s % 3600) / 60);
    if (d) return `${d} d ${h} t`;
    if (h) return `${h} t ${m} min`;
    return `${m} min`;
  }

  // -- charts ------------------------------------------------------------------------------------------------

  function sparkline(values, { width = 200, height = 34, color = COLORS.accent, label = "", max = null } = {}) {
    const nums = values.filter((v) => v !== null && v !== undefined);
    const root = svg("svg", { viewBox: `0 0 ${width} ${height}`, preserveAspectRatio: "none", role: "img", "aria-label": label });
    if (nums.length < 2) {
      root.append(svg("line", { x1: 0, y1: height - 2, x2: width, y2: height - 2, stroke: COLORS.track, "stroke-width": 2 }));
      return root;
    }
    const hi = Math.max(max ?? 0, ...nums, 1e-9);
    const lo = Math.min(0, ...nums);
    const step = width / (values.length - 1);
    const pad = 3;
    const y = (v) => height - pad - ((v - lo) / (hi - lo || 1)) * (height - 2 * pad);
    let path = "";
    let area = "";
    let first = null;
    let last = null;
    values.forEach((v, i) => {
      if (v === null || v === undefined) return;
      const x = (i * step).toFixed(1);
      const yy = y(v).toFixed(1);
      path += `${path ? "L" : "M"}${x},${yy} `;
      if (first === null) first = x;
      last = [x, yy];
    });
    area = `${path}L${last[0]},${height} L${first},${height} Z`;
    root.append(
      svg("path", { d: area, fill: color, "fill-opacity": 0.14, stroke: "none" }),
      svg("path", { d: path, fill: "none", stroke: color, "stroke-width": 1.8, "vector-effect": "non-scaling-stroke", "stroke-linejoin": "round" }),
      svg("circle", { cx: last[0], cy: last[1], r: 2.6, fill: color }),
    );
    return root;
  }

  function bar(share, { overflow = false } = {}) {
    const lvl = level(share);
    const w = share === null ? 0 : Math.min(share, 1) * 100;
    const root = svg("svg", { class: "bar", viewBox: "0 0 100 16", preserveAspectRatio: "none", "aria-hidden": "true" });
    root.append(svg("rect", { x: 0, y: 2, width: 100, height: 12, rx: 3, fill: COLORS.track }));
    if (w > 0) root.append(svg("rect", { x: 0, y: 2, width: w.toFixed(2), height: 12, rx: 3, fill: COLORS[lvl] || COLORS.muted }));
    for (const mark of [85]) {
      root.append(svg("line", { x1: mark, x2: mark, y1: 0, y2: 16, stroke: "#0d1520", "stroke-width": 0.8, "vector-effect": "non-scaling-stroke" }));
    }
    if (overflow) root.append(svg("rect", { x: 96, y: 0, width: 4, height: 16, fill: COLORS.bad }));
    return root;
  }

  function shareBar(share, goal) {
    const root = svg("svg", { viewBox: "0 0 100 12", preserveAspectRatio: "none", "aria-hidden": "true" });
    root.append(svg("rect", { x: 0, y: 1, width: 100, height: 10, rx: 3, fill: COLORS.track }));
    if (share !== null && share !== undefined) {
      root.append(svg("rect", { x: 0, y: 1, width: (share * 100).toFixed(2), height: 10, rx: 3, fill: share >= goal ? COLORS.ok : COLORS.bad }));
    }
    root.append(svg("line", { x1: goal * 100, x2: goal * 100, y1: 0, y2: 12, stroke: COLORS.text, "stroke-width": 1.5, "vector-effect": "non-scaling-stroke" }));
    return root;
  }

  function histogram(hist) {
    const width = 520;
    const height = 150;
    const left = 26;
    const bottom = 22;
    const n = hist.labels.length;
    const totals = hist.labels.map((_, i) => hist.within[i] + hist.over[i]);
    const hi = Math.max(1, ...totals);
    const bw = (width - left) / n;
    const scale = (v) => (v / hi) * (height - bottom - 14);
    const total = totals.reduce((a, b) => a + b, 0);
    const root = svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": `Fordeling av responstid for ${total} akutte oppdrag` });
    root.append(svg("line", { x1: left, x2: width, y1: height - bottom, y2: height - bottom, stroke: COLORS.track }));
    root.append(svg("text", { x: left - 6, y: 12, "text-anchor": "end", fill: COLORS.muted, "font-size": 10 }, String(hi)));
    hist.labels.forEach((label, i) => {
      const x = left + i * bw + 4;
      const w = bw - 8;
      const hw = scale(hist.within[i]);
      const ho = scale(hist.over[i]);
      const base = height - bottom;
      if (hw > 0) root.append(svg("rect", { x, y: base - hw, width: w, height: hw, fill: COLORS.ok, rx: 2 }));
      if (ho > 0) root.append(svg("rect", { x, y: base - hw - ho, width: w, height: ho, fill: COLORS.bad, rx: 2 }));
      if (totals[i]) {
        root.append(svg("text", { x: x + w / 2, y: base - hw - ho - 4, "text-anchor": "middle", fill: "#e9eff6", "font-size": 11, "font-weight": 600 }, String(totals[i])));
      }
      root.append(svg("text", { x: x + w / 2, y: height - 6, "text-anchor": "middle", fill: COLORS.muted, "font-size": 11 }, label));
    });
    return root;
  }

  // -- panels ------------------------------------------------------------------------------------------------

  function renderKpis(s) {
    const t = s.totals;
    $("kpi-belegg").textContent = fmtPct(t.belegg);
    $("kpi-belegg").className = `lvl-${level(t.belegg)}`;
    $("kpi-occupied").textContent = fmt(t.occupied);
    $("kpi-capacity").textContent = fmt(t.capacity);
    $("kpi-waiting").textContent = fmt(t.waiting);
    $("kpi-overligg").textContent = fmt(t.overliggedogn);
    $("kpi-betaling").textContent = kr.format(t.betalingsplikt_nok);
    const dp = s.dognpris || {};
    $("kpi-dognpris").hidden = !dp.applies;
    $("kpi-dognpris").textContent = dp.applies ? dp.label : "";
    $("kpi-avvik").textContent = fmt(t.open_avvik);
    $("kpi-avvik").className = t.open_avvik ? "lvl-bad" : "lvl-ok";
    $("kpi-resolved").textContent = fmt(s.avvik.resolved_count);
    const amb = t.ambulance_akutt_share;
    $("kpi-amb").textContent = fmtPct(amb);
    $("kpi-amb").className = amb === null ? "lvl-none" : amb >= s.ambulance.goal_share ? "lvl-ok" : "lvl-bad";
    $("kpi-amb-n").textContent = fmt(s.ambulance.akutt_n);
    $("spark-amb").replaceChildren(shareBar(amb, s.ambulance.goal_share));
    const sp = s.sparklines;
    const hours = (new Date(sp.end) - new Date(sp.start)) / 3600000;
    const span = hours >= 1 ? `siste ${nf1.format(hours)} t` : `siste ${Math.round(hours * 60)} min`;
    for (const id of ["spark-belegg", "spark-waiting", "spark-avvik"]) $(id).title = `Utvikling ${span} (hendelsestid)`;
    $("spark-belegg").replaceChildren(sparkline(sp.belegg, { color: COLORS.accent, label: "Belegg over tid", max: 1 }));
    $("spark-waiting").replaceChildren(sparkline(sp.waiting, { color: COLORS.warn, label: "Utskrivningsklare over tid" }));
    $("spark-avvik").replaceChildren(sparkline(sp.open_avvik, { color: COLORS.bad, label: "Åpne avvik over tid" }));
  }

  function renderBeds(s) {
    const box = $("beds");
    if (!s.unit_groups.length) {
      box.replaceChildren(el("p", { class: "empty" }, "Ingen sengedata ennå"));
      return;
    }
    const history = s.sparklines.units || {};
    box.replaceChildren(
      ...s.unit_groups.map((group) =>
        el(
          "div",
          { class: "group" },
          el("div", { class: "group-head" }, el("span", {}, group.label), el("span", {}, el("strong", {}, `${fmt(group.occupied)} / ${fmt(group.capacity)}`), " senger")),
          ...group.units.map((u) => {
            const lvl = level(u.belegg);
            return el(
              "div",
              { class: "unit", "data-unit": u.unit_id },
              el("div", { class: "unit-name", title: u.name }, u.name, el("small", {}, `${u.kind_label}${u.utskrivningsklare ? ` · ${u.utskrivningsklare} utskrivningsklare` : ""}`)),
              bar(u.belegg, { overflow: u.belegg !== null && u.belegg > 1 }),
              el("span", { class: "num", "data-testid": "unit-occupied" }, `${fmt(u.occupied)} / ${fmt(u.capacity)}`),
              el("span", { class: `num pct lvl-${lvl}` }, fmtPct(u.belegg)),
              (() => {
                const mini = sparkline(history[u.unit_id] || [], { width: 120, height: 22, color: COLORS[lvl] || COLORS.accent, label: `Belegg over tid, ${u.name}`, max: u.capacity });
                mini.setAttribute("class", "mini");
                return mini;
              })(),
            );
          }),
        ),
      ),
    );
  }

  function renderKommuner(s) {
    const body = $("kommuner");
    if (!s.kommuner.length) {
      body.replaceChildren(el("tr", {}, el("td", { colspan: 5, class: "empty" }, "Ingen utskrivningsklare ennå")));
      return;
    }
    const most = Math.max(1, ...s.kommuner.map((k) => k.waiting));
    body.replaceChildren(
      ...s.kommuner.map((k) => {
        const wb = svg("svg", { class: "waitbar", width: 60, height: 10, viewBox: "0 0 60 10", "aria-hidden": "true" },
          svg("rect", { x: 0, y: 1, width: 60, height: 8, rx: 2, fill: COLORS.track }),
          svg("rect", { x: 0, y: 1, width: ((k.waiting / most) * 60).toFixed(1), height: 8, rx: 2, fill: COLORS.warn }));
        return el(
          "tr",
          { "data-kommune": k.kommune },
          el("td", {}, k.name, k.name !== k.kommune ? el("small", {}, k.kommune) : null),
          el("td", { class: "num" }, wb, el("span", { "data-testid": "kommune-waiting" }, fmt(k.waiting)),
            k.longest_wait_hours !== null && k.longest_wait_hours !== undefined
              ? el("small", { "data-testid": "kommune-longest-wait" }, `lengst ${fmtWait(k.longest_wait_hours)}`) : null),
          el("td", { class: "num" }, fmt(k.overliggedogn)),
          el("td", { class: "num" }, kr.format(k.betalingsplikt_nok)),
          el("td", { class: "num" }, fmt(k.open_avvik)),
        );
      }),
    );
  }

  function renderWaiting(s) {
    const list = $("waiting-list");
    const rows = s.waiting_list || [];
    if (!rows.length) {
      list.replaceChildren(el("li", { class: "empty" }, "Ingen venter nå"));
      return;
    }
    const more = (s.waiting_total || rows.length) - rows.length;
    list.replaceChildren(
      ...rows.map((w) => el("li", { "data-testid": "waiting-item" }, el("span", { class: "num" }, fmtWait(w.hours)), " ", w.name)),
      ...(more > 0 ? [el("li", { class: "empty" }, `og ${fmt(more)} til`)] : []),
    );
  }

  function avvikItem(a, resolved) {
    const where = [a.kommune_name || a.kommune, a.helsefellesskap_name || a.helsefellesskap].filter(Boolean).join(" · ");
    const text = a.text && a.text !== a.name ? a.text : null;
    return el(
      "li",
      { "data-code": a.code },
      el("span", { class: `tag sev-${a.severity}${resolved ? " resolved" : ""}`, title: `Alvorlighet: ${a.severity_label}` }, a.code),
      el("div", { class: "what" }, a.name, el("small", {}, [text, where || "kommune ukjent"].filter(Boolean).join(" — "))),
      el("span", { class: "age", title: a.detected_at }, resolved && a.resolved_seconds_ago !== null ? `lukket ${age(a.resolved_seconds_ago)} siden` : age(a.age_seconds)),
    );
  }

  function renderAvvik(s) {
    const v = s.avvik;
    $("codes").replaceChildren(
      ...v.by_code.map((c) => {
        const sev = (v.open.find((a) => a.code === c.code) || {}).severity || "HIGH";
        return el(
          "div",
          { class: `code sev-${sev}${c.open ? " has-open" : ""}`, title: `${c.code} ${c.name}: ${c.open} åpne, ${c.resolved} lukket siste døgn`, "data-code": c.code },
          el("b", {}, c.code),
          el("span", { "data-testid": `code-${c.code}` }, fmt(c.open)),
        );
      }),
    );
    $("open-count").textContent = fmt(v.open_count);
    $("resolved-count").textContent = fmt(v.resolved_count);
    const open = $("avvik-open");
    open.replaceChildren(...(v.open.length ? v.open.map((a) => avvikItem(a, false)) : [el("li", { class: "empty" }, "Ingen åpne avvik")]));
    const res = $("avvik-resolved");
    res.replaceChildren(...(v.resolved.length ? v.resolved.map((a) => avvikItem(a, true)) : [el("li", { class: "empty" }, "Ingen lukket siste døgn")]));
  }

  function renderAmbulance(s) {
    const a = s.ambulance;
    $("amb").replaceChildren(
      ...a.groups.map((g) =>
        el(
          "tr",
          { "data-group": `${g.hastegrad}-${g.area}` },
          el("td", {}, g.hastegrad_label),
          el("td", {}, g.area_label, g.target_minutes ? el("small", {}, `mål ${g.target_minutes} min`) : null),
          el("td", { class: "num" }, fmt(g.n)),
          el("td", { class: "num" }, fmtMin(g.median_minutes)),
          el("td", { class: "num" }, fmtMin(g.p90_minutes)),
          el(
            "td",
            {},
            g.target_minutes
              ? el("div", { class: "share" }, shareBar(g.share_within, a.goal_share), el("b", { class: `lvl-${g.share_within === null ? "none" : g.share_within >= a.goal_share ? "ok" : "bad"}`, "data-testid": "amb-share" }, fmtPct(g.share_within)))
              : el("span", { class: "lvl-none" }, "ingen nasjonal grense"),
          ),
        ),
      ),
    );
    $("amb-hist").replaceChildren(histogram(a.histogram));
    $("amb-pending").textContent = a.pending_over_target ? `${fmt(a.pending)} (${fmt(a.pending_over_target)} over mål)` : fmt(a.pending);
  }

  function render(s) {
    $("ref-time").textContent = timeFmt.format(new Date(s.reference_time));
    $("ref-time").setAttribute("datetime", s.reference_time);
    $("history-badge").hidden = !s.is_history;
    renderKpis(s);
    renderBeds(s);
    renderKommuner(s);
    renderWaiting(s);
    renderAvvik(s);
    renderAmbulance(s);
    document.body.dataset.version = String(s.version);
  }

  function setConn(state, text) {
    $("conn").className = `conn conn-${state}`;
    $("conn-text").textContent = text;
  }

  function safeRender(s) {
    try {
      render(s);
    } catch (err) {
      console.error("board render failed", err);
    }
  }

  function connect() {
    if (!("EventSource" in window)) {
      setConn("wait", "Oppdaterer hvert 5. sekund");
      const poll = () => fetch("/api/snapshot").then((r) => r.json()).then(safeRender).catch(() => setConn("down", "Frakoblet"));
      poll();
      setInterval(poll, 5000);
      return;
    }
    const source = new EventSource("/api/stream");
    source.addEventListener("open", () => setConn("live", "Live"));
    source.addEventListener("snapshot", (event) => {
      setConn("live", "Live");
      safeRender(JSON.parse(event.data));
    });
    source.addEventListener("error", () => setConn("down", "Frakoblet – prøver igjen …"));
  }

  fetch("/api/snapshot", { cache: "no-store" })
    .then((r) => r.json())
    .then(safeRender)
    .catch(() => setConn("down", "Frakoblet"))
    .finally(connect);
})();
