// routerpulse live page: routers, customer search, live graph from the
// control API (docs/CONTROL_API.md). The key is kept in sessionStorage.
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  let key = sessionStorage.getItem("rp-key") || "";
  let sessions = [];  // [{router, user, ...}]
  let stream = null;  // AbortController of the SSE fetch
  let plot = null;
  const data = [[], [], []];  // time (s), download Mbit/s, upload Mbit/s
  const WINDOW = 300;

  function api(path) {
    return fetch(path, { headers: { "X-API-Key": key } }).then((r) => {
      if (!r.ok) return r.json().then((j) => { throw new Error(j.error || r.statusText); });
      return r.json();
    });
  }
  function showError(e) { $("error").textContent = e ? String(e.message || e) : ""; }
  function text(tag, s, cls) { const el = document.createElement(tag); el.textContent = s; if (cls) el.className = cls; return el; }

  function loadRouters() {
    return api("/api/v1/routers").then((j) => {
      const body = $("routers").querySelector("tbody");
      body.replaceChildren();
      sessions = [];
      const loads = [];
      for (const r of j.routers) {
        const tr = document.createElement("tr");
        tr.dataset.router = r.name;
        tr.append(text("td", r.name), text("td", r.host), text("td", r.state, r.up ? "up" : "down"),
                  text("td", r.identity || ""), text("td", r.version || ""),
                  text("td", r.api_latency_seconds == null ? "" : (r.api_latency_seconds * 1000).toFixed(1) + " ms"),
                  text("td", r.last_error || ""));
        body.append(tr);
        if (r.up) loads.push(api("/api/v1/routers/" + encodeURIComponent(r.name) + "/sessions")
          .then((s) => { for (const x of s.sessions) sessions.push({ ...x, router: r.name }); }).catch(() => {}));
      }
      return Promise.all(loads);
    });
  }

  function search() {
    const q = $("search").value.trim().toLowerCase();
    const ul = $("results");
    ul.replaceChildren();
    if (!q) return;
    for (const s of sessions.filter((x) => x.user.toLowerCase().includes(q)).slice(0, 30)) {
      const li = text("li", `${s.user} on ${s.router} (${s.address || "no address"})${s.monitored ? "" : " — not streamed"}`);
      li.dataset.user = s.user;
      li.addEventListener("click", () => watch(s.user, s.router));
      ul.append(li);
    }
  }

  function fmt(bps) { return (bps / 1e6).toFixed(2) + " Mbit/s"; }

  function onSample(s) {
    data[0].push(s.time_ns / 1e9);
    data[1].push((s.download_bits_per_second || 0) / 1e6);
    data[2].push((s.upload_bits_per_second || 0) / 1e6);
    if (data[0].length > WINDOW) for (const a of data) a.shift();
    $("last-download").textContent = fmt(s.download_bits_per_second || 0);
    $("last-download").dataset.bps = s.download_bits_per_second || 0;
    $("last-upload").textContent = fmt(s.upload_bits_per_second || 0);
    $("last-upload").dataset.bps = s.upload_bits_per_second || 0;
    plot.setData(data);
  }

  function watch(user, router) {
    if (stream) stream.abort();
    for (const a of data) a.length = 0;
    $("chosen").textContent = "Live traffic of " + user + " on " + router;
    if (!plot) {
      plot = new uPlot({
        width: Math.min(900, window.innerWidth - 60), height: 300,
        series: [{}, { label: "download Mbit/s", stroke: "#1f77b4" }, { label: "upload Mbit/s", stroke: "#ff7f0e" }],
        axes: [{}, { label: "Mbit/s" }],
      }, data, $("chart"));
    }
    stream = new AbortController();
    fetch("/api/v1/traffic/stream?user=" + encodeURIComponent(user) + "&router=" + encodeURIComponent(router),
          { headers: { "X-API-Key": key, Accept: "text/event-stream" }, signal: stream.signal })
      .then((r) => {
        if (!r.ok) return r.json().then((j) => { throw new Error(j.error); });
        const reader = r.body.getReader();
        const dec = new TextDecoder();
        let buf = "";
        const pump = () => reader.read().then(({ value, done }) => {
          if (done) return;
          buf += dec.decode(value, { stream: true });
          let end;
          while ((end = buf.indexOf("\n\n")) >= 0) {
            const block = buf.slice(0, end);
            buf = buf.slice(end + 2);
            const lines = block.split("\n").filter((l) => l.startsWith("data: ")).map((l) => l.slice(6));
            if (lines.length) onSample(JSON.parse(lines.join("\n")));
          }
          return pump();
        });
        return pump();
      })
      .catch((e) => { if (e.name !== "AbortError") showError(e); });
  }

  function connect(ev) {
    if (ev) ev.preventDefault();
    key = $("key").value || key;
    sessionStorage.setItem("rp-key", key);
    showError("");
    loadRouters().then(search).catch(showError);
  }

  $("keyform").addEventListener("submit", connect);
  $("search").addEventListener("input", search);
  $("key").value = key;
  if (key) connect();
  setInterval(() => { if (key) loadRouters().then(search).catch(showError); }, 10000);
})();
