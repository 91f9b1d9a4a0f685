// The UI's state: the user's devices by id and the hub connection's status. Twins carry a version that grows with
// every change, so whichever of a snapshot, an event or a REST answer arrives late, an older version never replaces
// a newer one.
import type { DeviceEvent, DeviceTwin } from "./types";

export type ConnectionStatus = "connecting" | "connected" | "reconnecting" | "disconnected";

export interface DeviceEntry {
  twin: DeviceTwin;
  /**
   * When the browser first saw the program's current `elapsedS` (Date.now()): the countdown runs on from there. A
   * twin version that changes something else (a temperature reading) does not restart it.
   */
  elapsedSeenAt: number;
}

export class Store {
  private devices = new Map<string, DeviceEntry>();
  private listeners = new Set<() => void>();
  connection: ConnectionStatus = "disconnected";
  /** Set while the hub is away and a retry is scheduled: when it will be. */
  nextRetryAt: number | null = null;
  /** Whether the device list has arrived at least once since sign-in. */
  loaded = false;
  /** Why the list could not be loaded, while it has not been. */
  loadError: string | null = null;

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  list(): DeviceEntry[] {
    return [...this.devices.values()].sort((a, b) =>
      (a.twin.name ?? a.twin.deviceId).localeCompare(b.twin.name ?? b.twin.deviceId) || a.twin.deviceId.localeCompare(b.twin.deviceId));
  }

  get(deviceId: string): DeviceEntry | undefined {
    return this.devices.get(deviceId);
  }

  /**
   * The hub's snapshot is the whole truth at its moment: devices it lacks were removed meanwhile. A twin we already
   * hold in a newer version (an event that overtook it) stays.
   */
  applySnapshot(twins: DeviceTwin[]): void {
    const next = new Map<string, DeviceEntry>();
    for (const twin of twins) {
      const held = this.devices.get(twin.deviceId);
      next.set(twin.deviceId, held && held.twin.version > twin.version ? held : entry(twin, held));
    }
    this.devices = next;
    this.loaded = true;
    this.loadError = null;
    this.emit();
  }

  applyEvent(event: DeviceEvent): void {
    const held = this.devices.get(event.deviceId);
    if (held && held.twin.version >= event.version) return;
    if (event.changes.includes("removed")) this.devices.delete(event.deviceId);
    else if (event.twin) this.devices.set(event.deviceId, entry(event.twin, held));
    else return;
    this.emit();
  }

  /** A twin from a REST answer, kept only if newer than what the hub brought. */
  applyTwin(twin: DeviceTwin): void {
    const held = this.devices.get(twin.deviceId);
    if (held && held.twin.version >= twin.version) return;
    this.devices.set(twin.deviceId, entry(twin, held));
    this.emit();
  }

  /** The user removed it: gone at once, before the hub's `removed` event confirms it. */
  forget(deviceId: string): void {
    if (this.devices.delete(deviceId)) this.emit();
  }

  /** The list could not be fetched; shown until a snapshot arrives. */
  failedToLoad(message: string): void {
    if (this.loaded) return;
    this.loadError = message;
    this.emit();
  }

  setConnection(status: ConnectionStatus, nextRetryAt: number | null = null): void {
    if (this.connection === status && this.nextRetryAt === nextRetryAt) return;
    this.connection = status;
    this.nextRetryAt = nextRetryAt;
    this.emit();
  }

  clear(): void {
    this.devices.clear();
    this.loaded = false;
    this.loadError = null;
    this.connection = "disconnected";
    this.nextRetryAt = null;
    this.emit();
  }

  private emit(): void {
    for (const listener of this.listeners) listener();
  }
}

function entry(twin: DeviceTwin, held: DeviceEntry | undefined): DeviceEntry {
  const before = held?.twin.program;
  const now = twin.program;
  const sameReport = !!before && !!now && before.commandId === now.commandId && before.elapsedS === now.elapsedS;
  return { twin, elapsedSeenAt: sameReport ? held!.elapsedSeenAt : Date.now() };
}
