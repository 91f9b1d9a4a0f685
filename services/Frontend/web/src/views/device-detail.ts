// One device: its controls, desired against reported values, each command's progress, a cooker's program with its
// countdown and the live chart. Controls are built once; what the device reports is redrawn around them, and a
// control shows the twin's value only while the user is not editing it.
import { ApiError } from "../api";
import { field, fill, h } from "../dom";
import { ago, clockTime, displayName, duration, kindOf, propertyLabel, typeLabel, value } from "../format";
import type { DeviceEntry } from "../store";
import type { DeviceTwin, Json } from "../types";
import { commandProgress, freshness, presenceBadge, syncBadge } from "./badges";
import { LiveChart } from "./chart";
import { removeDevice } from "./device-list";
import type { AppContext, View } from "./view";

const shownCommands = 8;

export function deviceDetailView(root: HTMLElement, app: AppContext, deviceId: string): View {
  const header = h("div", { class: "device-header" });
  const message = h("p", { class: "error", role: "alert", "data-testid": "command-error" });
  const properties = h("tbody");
  const commands = h("ol", { class: "commands", "data-testid": "commands" });
  const program = h("div", { "data-testid": "program" });
  let controls: Controls | null = null;
  let chart: LiveChart | null = null;
  let shownType: string | null = null;

  const content = h("div", { class: "device-detail" },
    h("p", {}, h("a", { href: "/", "data-link": true }, "← All devices")),
    header,
    message);
  const missing = h("p", { class: "muted", "data-testid": "device-missing" });
  fill(root, content, missing);

  // Every command goes through REST; the hub then shows its progress.
  const send = async (action: () => Promise<unknown>) => {
    message.textContent = "";
    try {
      await action();
    } catch (e) {
      message.textContent = e instanceof ApiError ? e.describe() : "The command could not be sent.";
    }
  };

  const build = (twin: DeviceTwin) => {
    shownType = twin.deviceType;
    const kind = kindOf(twin);
    controls = kind === "lightbulb" ? bulbControls(twin, app, send) : kind === "sousvide" ? cookerControls(twin, app, send) : null;
    const sections: HTMLElement[] = controls ? [controls.element] : [];
    if (kind === "sousvide") {
      sections.push(h("section", { class: "card" }, h("h2", {}, "Cooking program"), program, cookerProgramForm(app, twin.deviceId, send)));
      chart = new LiveChart("Water temperature", "°C", "Target");
      void chart.load(app.api, twin.deviceId, "waterTempC");
    } else if (kind === "lightbulb") {
      // Power draw is telemetry: it reaches statistics, never the twin, so the chart follows statistics' series.
      chart = new LiveChart("Power", "mW", null);
      chart.follow(app.api, twin.deviceId, "powerMw", () => app.settings.chartRefreshMs);
    }
    if (chart) sections.push(chart.element);
    sections.push(
      h("section", { class: "card" }, h("h2", {}, "Desired and reported"),
        h("table", { class: "properties", "data-testid": "properties" },
          h("thead", {}, h("tr", {}, h("th", {}, "Setting"), h("th", {}, "Desired"), h("th", {}, "Reported"), h("th", {}, "Status"))),
          properties)),
      h("section", { class: "card" }, h("h2", {}, "Commands"), commands));
    content.append(...sections);
  };

  // The header is rebuilt only for a new version, so its buttons are never replaced under a click; each second only
  // its freshness marker and the program's countdown change.
  let headerVersion: number | null = null;
  const draw = (entry: DeviceEntry, now: number) => {
    const twin = entry.twin;
    if (kindOf(twin) === "sousvide") drawProgram(program, entry, now);
    if (headerVersion === twin.version) {
      header.querySelector(".freshness")?.replaceWith(freshness(twin, now));
      return;
    }
    headerVersion = twin.version;
    fill(header,
      h("h1", {}, displayName(twin)),
      h("p", { class: "device-meta" },
        h("span", { class: "muted" }, typeLabel(twin)), " ", presenceBadge(twin), " ", freshness(twin, now),
        twin.presence?.firmware && h("span", { class: "muted" }, ` · firmware ${twin.presence.firmware}`)),
      h("p", {}, h("code", { class: "muted", "data-testid": "device-id" }, twin.deviceId), " ",
        h("button", { class: "link", "data-testid": "rename-device", onclick: () => {
          const name = window.prompt("New name", displayName(twin))?.trim();
          if (name && name !== twin.name) void send(() => app.api.renameDevice(twin.deviceId, name));
        } }, "Rename"),
        h("button", { class: "link danger", "data-testid": "remove-device", onclick: async () => {
          if (await removeDevice(twin, app)) app.navigate("/");
        } }, "Remove device")));
  };

  const view: View = {
    update() {
      const entry = app.store.get(deviceId);
      if (!entry) {
        missing.textContent = app.store.loaded ? "This device does not exist or was removed." : "Loading…";
        content.hidden = true;
        return;
      }
      missing.textContent = "";
      content.hidden = false;
      const twin = entry.twin;
      if (shownType !== twin.deviceType) build(twin);
      draw(entry, Date.now());
      controls?.sync(twin);
      fill(properties, ...Object.entries(twin.properties ?? {}).map(([name, p]) =>
        h("tr", { "data-property": name },
          h("th", {}, propertyLabel(name)),
          h("td", { "data-testid": `desired-${name}` }, value(name, p.desired)),
          h("td", { "data-testid": `reported-${name}` }, value(name, p.reported),
            p.reportedAt && h("small", { class: "muted" }, ` ${ago(p.reportedAt)}`)),
          h("td", {}, syncBadge(p.status)))));
      const recent = [...(twin.commands ?? [])].sort((a, b) => b.createdAt.localeCompare(a.createdAt)).slice(0, shownCommands);
      fill(commands, ...recent.map((c) =>
        h("li", { "data-command-id": c.id, "data-status": c.status },
          h("span", { class: "command-name" }, `${c.name} ${describeValues(c.values)}`),
          commandProgress(c.status),
          h("small", { class: "muted" }, `${clockTime(c.createdAt)}${c.attempts > 1 ? ` · ${c.attempts} sends` : ""}`),
          c.error && h("small", { class: "error" }, c.error))));
      if (recent.length === 0) fill(commands, h("li", { class: "muted" }, "No commands yet."));
      const reading = twin.properties?.waterTempC;
      const target = twin.properties?.targetTempC;
      const targetValue = typeof (target?.desired ?? target?.reported) === "number" ? (target?.desired ?? target?.reported) as number : null;
      if (kindOf(twin) === "sousvide") chart?.add(reading?.reportedAt, reading?.reported as number | undefined, targetValue);
    },
    tick() {
      const entry = app.store.get(deviceId);
      if (entry) draw(entry, Date.now());
    },
    unmount() {
      chart?.destroy();
    },
  };
  view.update();
  return view;
}

interface Controls {
  element: HTMLElement;
  sync(twin: DeviceTwin): void;
}

type Send = (action: () => Promise<unknown>) => Promise<void>;

/** What a control shows: the value asked for, or what the device reports when nothing was asked. */
function wanted(twin: DeviceTwin, name: string): Json | undefined {
  const p = twin.properties?.[name];
  return p?.desired ?? p?.reported;
}

/** Sets an input from the twin unless the user is editing it. */
function syncInput(input: HTMLInputElement, v: Json | undefined): void {
  if (document.activeElement === input || input.dataset.editing === "true" || typeof v !== "number") return;
  input.value = String(v);
  input.dispatchEvent(new Event("sync"));
}

function slider(name: string, min: number, max: number, step: number, unit: string, onCommit: (v: number) => void): HTMLElement {
  const output = h("output", {});
  const input = h("input", { type: "range", name, min, max, step, "data-testid": name });
  const show = () => (output.textContent = `${input.value} ${unit}`);
  input.addEventListener("input", () => {
    input.dataset.editing = "true";
    show();
  });
  input.addEventListener("sync", show);
  input.addEventListener("change", () => {
    input.dataset.editing = "false";
    onCommit(Number(input.value));
  });
  return h("label", { class: "slider" }, h("span", {}, propertyLabel(name), " ", output), input);
}

function toggle(name: string, twin: DeviceTwin, send: Send, app: AppContext): HTMLButtonElement {
  const button = h("button", { type: "button", class: "toggle", "data-testid": `${name}-toggle`, "aria-pressed": "false" });
  button.addEventListener("click", () => {
    const on = button.getAttribute("aria-pressed") === "true";
    void send(() => app.api.setDesired(twin.deviceId, { [name]: !on }));
  });
  return button;
}

function syncToggle(button: HTMLButtonElement, label: string, v: Json | undefined): void {
  const on = v === true;
  button.setAttribute("aria-pressed", String(on));
  button.textContent = `${label}: ${on ? "on" : "off"}`;
}

function bulbControls(twin: DeviceTwin, app: AppContext, send: Send): Controls {
  const power = toggle("power", twin, send, app);
  const brightness = slider("brightnessPct", 0, 100, 1, "%", (v) => void send(() => app.api.setDesired(twin.deviceId, { brightnessPct: v })));
  const colour = slider("colorTempK", 2700, 6500, 100, "K", (v) => void send(() => app.api.setDesired(twin.deviceId, { colorTempK: v })));
  return {
    element: h("section", { class: "card controls" }, h("h2", {}, "Light"), power, brightness, colour),
    sync(current) {
      syncToggle(power, "Power", wanted(current, "power"));
      syncInput(brightness.querySelector("input")!, wanted(current, "brightnessPct"));
      syncInput(colour.querySelector("input")!, wanted(current, "colorTempK"));
    },
  };
}

function cookerControls(twin: DeviceTwin, app: AppContext, send: Send): Controls {
  const heater = toggle("heater", twin, send, app);
  const water = h("p", { class: "big", "data-testid": "water-temp" });
  const form = h("form", { class: "row", "data-testid": "target-form" },
    h("label", {}, "Target temperature (°C)",
      h("input", { name: "targetTempC", type: "number", min: 20, max: 95, step: 0.1, required: true, "data-testid": "targetTempC" })),
    h("button", { type: "submit" }, "Set"));
  const target = field(form, "targetTempC") as HTMLInputElement;
  target.addEventListener("input", () => (target.dataset.editing = "true"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    target.dataset.editing = "false";
    void send(() => app.api.setDesired(twin.deviceId, { targetTempC: Number(target.value) }));
  });
  return {
    element: h("section", { class: "card controls" }, h("h2", {}, "Cooker"), water, heater, form),
    sync(current) {
      water.textContent = `Water ${value("waterTempC", current.properties?.waterTempC?.reported)}`;
      syncToggle(heater, "Heater", wanted(current, "heater"));
      syncInput(target, wanted(current, "targetTempC"));
    },
  };
}

function cookerProgramForm(app: AppContext, deviceId: string, send: Send): HTMLElement {
  const form = h("form", { class: "row", "data-testid": "program-form" },
    h("label", {}, "Temperature (°C)", h("input", { name: "targetTempC", type: "number", min: 20, max: 95, step: 0.1, value: 56, required: true })),
    h("label", {}, "Minutes", h("input", { name: "minutes", type: "number", min: 1, max: 4320, step: 1, value: 90, required: true })),
    h("button", { type: "submit", class: "primary" }, "Start program"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const target = Number(field(form, "targetTempC").value);
    const minutes = Number(field(form, "minutes").value);
    void send(() => app.api.startProgram(deviceId, target, Math.round(minutes * 60)));
  });
  const stop = h("button", { type: "button", class: "danger", "data-testid": "stop-program" }, "Stop program");
  stop.addEventListener("click", () => void send(() => app.api.stopProgram(deviceId)));
  return h("div", {}, form, stop);
}

/**
 * The countdown: the cooker reports how long it has held the target (`elapsedS`, phase `cooking`); between its
 * reports the browser counts on from when that report arrived (`elapsedSeenAt`). While it preheats the clock stands
 * still. Before the cooker has said anything, the platform's deadline stands in.
 */
function drawProgram(target: HTMLElement, entry: DeviceEntry, now: number): void {
  const program = entry.twin.program;
  const stopButton = target.parentElement?.querySelector<HTMLButtonElement>("[data-testid=stop-program]");
  if (stopButton) stopButton.hidden = program?.status !== "running";
  if (!program) {
    fill(target, h("p", { class: "muted" }, "No program yet."));
    return;
  }
  if (program.status !== "running") {
    fill(target, h("p", { "data-testid": "program-status" },
      `Last program: ${value("targetTempC", program.targetTempC)} for ${duration(program.durationS)}, ${program.status}`,
      program.endedAt ? ` at ${clockTime(program.endedAt)}` : "", program.endedBy ? ` (${program.endedBy})` : ""));
    return;
  }
  const counting = program.phase === "cooking" ? (now - entry.elapsedSeenAt) / 1000 : 0;
  const remaining = program.elapsedS !== undefined
    ? program.durationS - program.elapsedS - counting
    : (Date.parse(program.endsAt) - now) / 1000;
  fill(target,
    h("p", { "data-testid": "program-status" }, `Cooking at ${value("targetTempC", program.targetTempC)}`,
      program.phase ? ` · ${program.phase}` : ""),
    h("p", { class: "big countdown", "data-testid": "countdown" }, duration(remaining)),
    h("p", { class: "muted" }, `Started ${clockTime(program.startedAt)}; the platform ends it by ${clockTime(program.endsAt)} if the cooker does not.`));
}

function describeValues(values: Record<string, Json>): string {
  return Object.entries(values ?? {}).map(([name, v]) => `${propertyLabel(name).toLowerCase()} ${value(name, v)}`).join(", ");
}
