namespace DaprIoT.LocalRuntime.Dashboard;

/// <summary>The dashboard's single page: plain HTML and script that polls <c>/api/overview</c>.</summary>
internal static class DashboardPage
{
    public const string Html = """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>DaprIoT · dapr-local</title>
        <style>
          body { font: 14px/1.45 system-ui, sans-serif; margin: 0; color: #1d2330; background: #f5f7fa; }
          header { background: #0d2b45; color: #fff; padding: 14px 24px; display: flex; gap: 16px; align-items: baseline; }
          header h1 { font-size: 18px; margin: 0; }
          main { padding: 20px 24px; display: grid; gap: 16px; grid-template-columns: repeat(auto-fill, minmax(360px, 1fr)); }
          .app { background: #fff; border-radius: 8px; box-shadow: 0 1px 3px #0002; padding: 14px 16px; }
          .app h2 { font-size: 16px; margin: 0 0 6px; display: flex; justify-content: space-between; }
          .state { font-size: 12px; padding: 2px 8px; border-radius: 10px; color: #fff; }
          .ready { background: #1f883d; } .starting { background: #bf8700; } .down { background: #cf222e; }
          dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 6px 0; }
          dt { color: #57606a; } dd { margin: 0; font-family: ui-monospace, monospace; overflow-wrap: anywhere; }
          h3 { font-size: 13px; margin: 10px 0 4px; color: #57606a; text-transform: uppercase; letter-spacing: .04em; }
          ul { margin: 0; padding-left: 18px; font-family: ui-monospace, monospace; font-size: 13px; }
          #error { color: #cf222e; padding: 0 24px; }
        </style>
        </head>
        <body>
        <header><h1>DaprIoT</h1><span>dapr-local <span id="version"></span> · apps, sidecars and their building blocks</span></header>
        <p id="error"></p>
        <main id="apps"></main>
        <script>
        const text = value => String(value ?? "").replace(/[&<>"]/g, c => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
        const list = (title, items) => items.length ? `<h3>${title}</h3><ul>${items.map(i => `<li>${i}</li>`).join("")}</ul>` : "";
        function card(app) {
          const m = app.metadata, ext = m.extended || {};
          const state = app.ready ? "ready" : app.outboundReady ? "starting" : "down";
          return `<section class="app"><h2>${text(app.instanceId)}<span class="state ${state}">${state}</span></h2>
            <dl><dt>app id</dt><dd>${text(app.appId)}</dd>
            <dt>app port</dt><dd>${text(app.appPort ?? "none")}</dd>
            <dt>sidecar</dt><dd>http://127.0.0.1:${app.httpPort}</dd>
            <dt>process</dt><dd>${text(ext.appPID ?? "not running")}</dd>
            <dt>command</dt><dd>${text(ext.appCommand ?? "none (sidecar only)")}</dd></dl>
            ${list("components", (m.components || []).map(c => `${text(c.name)} <small>${text(c.type)}</small>`))}
            ${list("subscriptions", (m.subscriptions || []).map(s => `${text(s.pubsubname)}/${text(s.topic)}${s.deadLetterTopic ? ` → dead letters: ${text(s.deadLetterTopic)}` : ""}`))}
            ${list("actors", (m.actors || []).map(a => `${text(a.type)}: ${a.count} active`))}
          </section>`;
        }
        async function refresh() {
          try {
            const overview = await (await fetch("/api/overview")).json();
            document.getElementById("version").textContent = overview.runtimeVersion;
            document.getElementById("apps").innerHTML = overview.apps.map(card).join("");
            document.getElementById("error").textContent = "";
          } catch (e) {
            document.getElementById("error").textContent = "The runtime is not answering: " + e;
          }
        }
        refresh();
        setInterval(refresh, 2000);
        </script>
        </body>
        </html>
        """;
}
