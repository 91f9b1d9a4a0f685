// Status pills shared by the list and the detail view; their class names carry the colour (styles.css).
import { h } from "../dom";
import { ago, hasStaleProperty, isSilent } from "../format";
import type { CommandStatus, DeviceTwin, SyncStatus } from "../types";

export function presenceBadge(twin: DeviceTwin): HTMLElement {
  const status = twin.presence?.status ?? "unknown";
  return h("span", { class: `pill presence-${status}`, "data-testid": "presence" }, status);
}

/** Last seen, and markers for a device that went quiet or a setting it did not take. */
export function freshness(twin: DeviceTwin, now: number): HTMLElement {
  return h("span", { class: "freshness" },
    h("span", { class: "muted", "data-testid": "last-seen" }, `seen ${ago(twin.presence?.lastSeen, now)}`),
    isSilent(twin, now) && h("span", { class: "pill warn", "data-testid": "stale", title: "No report for three heartbeats" }, "stale"),
    hasStaleProperty(twin) && h("span", { class: "pill warn", "data-testid": "out-of-sync", title: "A setting is not in effect" }, "out of sync"));
}

export function syncBadge(status: SyncStatus): HTMLElement {
  return h("span", { class: `pill sync-${status}` }, status);
}

const progress: CommandStatus[] = ["pending", "received", "applied"];

/** A command's way: pending → received → applied, or where it ended instead. */
export function commandProgress(status: CommandStatus): HTMLElement {
  const reached = progress.indexOf(status);
  const steps = progress.map((step, i) =>
    h("span", { class: `step ${reached >= i ? "done" : ""} ${reached === i ? "current" : ""}` }, step));
  const ended = reached < 0 ? h("span", { class: `step current cmd-${status}` }, status) : null;
  return h("span", { class: "progress", "data-status": status }, ...steps, ended);
}
