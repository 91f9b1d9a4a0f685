// How times, values and statuses read on screen.
import type { DeviceTwin, Json } from "./types";

export function ago(iso: string | undefined, now = Date.now()): string {
  if (!iso) return "never";
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (seconds < 10) return "just now";
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)} h ago`;
  return `${Math.floor(seconds / 86400)} d ago`;
}

export function duration(totalSeconds: number): string {
  const s = Math.max(0, Math.round(totalSeconds));
  const hours = Math.floor(s / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  const seconds = s % 60;
  const mm = String(minutes).padStart(2, "0");
  const ss = String(seconds).padStart(2, "0");
  return hours > 0 ? `${hours}:${mm}:${ss}` : `${mm}:${ss}`;
}

export function clockTime(iso: string): string {
  return new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

const labels: Record<string, string> = {
  power: "Power",
  brightnessPct: "Brightness",
  colorTempK: "Colour temperature",
  heater: "Heater",
  targetTempC: "Target temperature",
  waterTempC: "Water temperature",
};

export function propertyLabel(name: string): string {
  return labels[name] ?? name;
}

export function value(name: string, v: Json | undefined): string {
  if (v === undefined || v === null) return "—";
  if (typeof v === "boolean") return v ? "on" : "off";
  if (typeof v === "number") {
    if (name === "brightnessPct") return `${v} %`;
    if (name === "colorTempK") return `${v} K`;
    if (name.endsWith("TempC")) return `${v.toFixed(1)} °C`;
    return String(v);
  }
  return typeof v === "string" ? v : JSON.stringify(v);
}

/** The kinds of device this UI has controls for. */
export type DeviceKind = "lightbulb" | "sousvide" | "other";

export function kindOf(twin: DeviceTwin): DeviceKind {
  const type = twin.deviceType?.toLowerCase();
  return type === "lightbulb" || type === "sousvide" ? type : "other";
}

export function typeLabel(twin: DeviceTwin): string {
  const kind = kindOf(twin);
  return kind === "lightbulb" ? "Light bulb" : kind === "sousvide" ? "Sous-vide cooker" : twin.deviceType;
}

export function displayName(twin: DeviceTwin): string {
  return twin.name?.trim() || twin.deviceId;
}

/**
 * A device that says it is online but has sent nothing for three heartbeats: what the page shows may be old (the
 * platform marks it offline on its own clock; this is the browser's view until it does).
 */
export function isSilent(twin: DeviceTwin, now = Date.now()): boolean {
  const { status, lastSeen, heartbeatS } = twin.presence;
  return status === "online" && !!lastSeen && !!heartbeatS && now - Date.parse(lastSeen) > 3 * heartbeatS * 1000;
}

/** A property whose desired value is not in effect and nothing is reconciling it. */
export function hasStaleProperty(twin: DeviceTwin): boolean {
  return Object.values(twin.properties ?? {}).some((p) => p.status === "stale" || p.status === "rejected");
}
