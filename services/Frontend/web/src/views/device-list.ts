// The device list: every device with its presence, last report and warnings, live from the hub; adding a device,
// whose broker credentials are shown once.
import { ApiError } from "../api";
import { field, fill, h } from "../dom";
import { displayName, kindOf, typeLabel, value } from "../format";
import type { DeviceTwin, ProvisionedDevice } from "../types";
import { freshness, presenceBadge } from "./badges";
import type { AppContext, View } from "./view";

export function deviceListView(root: HTMLElement, app: AppContext): View {
  const list = h("ul", { class: "devices", "data-testid": "device-list" });
  const credentials = h("div");
  const error = h("p", { class: "error", role: "alert", "data-testid": "add-device-error" });
  const form = h("form", { class: "card add-device", "data-testid": "add-device-form" },
    h("h2", {}, "Add a device"),
    h("div", { class: "row" },
      h("label", {}, "Name", h("input", { name: "name", required: true, maxlength: 100, placeholder: "Kitchen lamp" })),
      h("label", {}, "Type", h("select", { name: "type" },
        h("option", { value: "lightbulb" }, "Light bulb"),
        h("option", { value: "sousvide" }, "Sous-vide cooker"))),
      h("button", { type: "submit", class: "primary" }, "Add")),
    error);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector("button") as HTMLButtonElement;
    button.disabled = true;
    error.textContent = "";
    try {
      const added = await app.api.addDevice(field(form, "type").value as "lightbulb" | "sousvide", field(form, "name").value.trim());
      form.reset();
      fill(credentials, credentialsCard(added, () => fill(credentials)));
      // The hub announces the new device too; this shows it without waiting for that.
      app.api.getDevice(added.deviceId).then((twin) => app.store.applyTwin(twin), () => undefined);
    } catch (e) {
      error.textContent = e instanceof ApiError ? e.describe() : "The device could not be added.";
    } finally {
      button.disabled = false;
    }
  });

  const empty = h("p", { class: "muted empty", "data-testid": "no-devices" });
  fill(root, h("section", {}, h("h1", {}, "Your devices"), credentials, list, empty), form);

  // Rows are rebuilt only when their device's version changes, so a click never lands on a row being replaced.
  const rows = new Map<string, { element: HTMLElement; version: number }>();
  const view: View = {
    update() {
      const now = Date.now();
      const entries = app.store.list();
      const wanted = entries.map(({ twin }) => {
        const held = rows.get(twin.deviceId);
        if (held?.version === twin.version) return held.element;
        const element = row(twin, now, app);
        held?.element.replaceWith(element);
        rows.set(twin.deviceId, { element, version: twin.version });
        return element;
      });
      for (const [id, { element }] of rows) {
        if (!app.store.get(id)) {
          element.remove();
          rows.delete(id);
        }
      }
      if (wanted.some((element, i) => list.children[i] !== element)) list.replaceChildren(...wanted);
      empty.textContent = entries.length > 0 ? ""
        : app.store.loaded ? "No devices yet. Add one below."
        : app.store.loadError ? `${app.store.loadError} The list appears once the live connection is up.`
        : "Loading your devices…";
    },
    tick() {
      const now = Date.now();
      for (const { twin } of app.store.list()) {
        rows.get(twin.deviceId)?.element.querySelector(".freshness")?.replaceWith(freshness(twin, now));
      }
    },
    unmount() {},
  };
  view.update();
  return view;
}

function row(twin: DeviceTwin, now: number, app: AppContext): HTMLElement {
  const href = `/devices/${encodeURIComponent(twin.deviceId)}`;
  return h("li", { class: "card device", "data-testid": "device-row", "data-device-id": twin.deviceId },
    h("a", { href, "data-link": true, class: "device-link" },
      h("span", { class: "device-name" }, displayName(twin)),
      h("span", { class: "muted" }, typeLabel(twin))),
    h("span", { class: "device-status" }, presenceBadge(twin), freshness(twin, now)),
    h("span", { class: "device-summary" }, summary(twin)),
    h("button", {
      class: "link danger", "data-testid": "remove-device", onclick: () => void removeDevice(twin, app),
    }, "Remove"));
}

function summary(twin: DeviceTwin): string {
  const p = twin.properties ?? {};
  const shown = (name: string) => value(name, p[name]?.reported ?? p[name]?.desired);
  if (kindOf(twin) === "lightbulb") return `${shown("power")} · ${shown("brightnessPct")} · ${shown("colorTempK")}`;
  if (kindOf(twin) !== "sousvide") return "";
  const program = twin.program?.status === "running" ? " · cooking" : "";
  return `water ${shown("waterTempC")} → ${shown("targetTempC")} · heater ${shown("heater")}${program}`;
}

export async function removeDevice(twin: DeviceTwin, app: AppContext): Promise<boolean> {
  if (!window.confirm(`Remove ${displayName(twin)}? Its credentials stop working at once.`)) return false;
  try {
    await app.api.removeDevice(twin.deviceId);
    app.store.forget(twin.deviceId);
    return true;
  } catch (e) {
    window.alert(e instanceof ApiError ? e.describe() : "The device could not be removed.");
    return false;
  }
}

/** The device's MQTT login. The platform keeps only a hash of the password: this is the one time it can be read. */
function credentialsCard(device: ProvisionedDevice, dismiss: () => void): HTMLElement {
  const item = (label: string, text: string | number, testId: string) =>
    [h("dt", {}, label), h("dd", {}, h("code", { id: testId, "data-testid": testId }, String(text)))];
  return h("div", { class: "card credentials", role: "status", "data-testid": "credentials" },
    h("h2", {}, `${device.name} was added`),
    h("p", {}, "Give these to the device. ", h("strong", {}, "The password is shown only this once.")),
    h("dl", {},
      ...item("Device id", device.deviceId, "credentials-device-id"),
      ...item("Broker", `${device.mqtt.host}:${device.mqtt.port}`, "credentials-broker"),
      ...item("Client id", device.mqtt.clientId, "credentials-client-id"),
      ...item("Username", device.mqtt.username, "credentials-username"),
      ...item("Password", device.mqtt.password, "credentials-password")),
    h("button", { type: "button", onclick: dismiss, "data-testid": "credentials-done" }, "I have saved them"));
}
