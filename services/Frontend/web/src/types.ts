// The shapes the browser receives, as docs/device-api.md and services/README.md describe them (camelCase JSON,
// enums as camelCase strings, nulls left out).

/** `lightbulb` | `sousvide` (as `type` when adding one); kept open, since more device types will come. */
export type DeviceType = string;
export type PresenceStatus = "online" | "offline" | "unknown";
export type SyncStatus = "pending" | "applied" | "rejected" | "stale";
export type CommandStatus = "pending" | "received" | "applied" | "rejected" | "failed" | "superseded";
export type ProgramStatus = "running" | "completed" | "stopped";
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

export interface Presence {
  status: PresenceStatus;
  epoch: number;
  since?: string;
  lastSeen?: string;
  heartbeatS?: number;
  firmware?: string;
  reason?: string;
}

export interface Property {
  desired?: Json;
  reported?: Json;
  status: SyncStatus;
  commandId?: string;
  reportedAt?: string;
}

export interface Command {
  id: string;
  name: string;
  values: Record<string, Json>;
  status: CommandStatus;
  attempts: number;
  createdAt: string;
  updatedAt: string;
  error?: string;
}

export interface CookingProgram {
  commandId: string;
  targetTempC: number;
  durationS: number;
  startedAt: string;
  endsAt: string;
  phase?: string;
  elapsedS?: number;
  status: ProgramStatus;
  endedBy?: string;
  endedAt?: string;
}

export interface DeviceTwin {
  deviceId: string;
  deviceType: DeviceType;
  provisioned: boolean;
  owner?: string;
  name?: string;
  version: number;
  presence: Presence;
  properties: Record<string, Property>;
  commands: Command[];
  program?: CookingProgram;
}

/** A `deviceChanged` hub message: one new version of a twin. */
export interface DeviceEvent {
  deviceId: string;
  deviceType: DeviceType;
  owner?: string;
  version: number;
  at: string;
  changes: string[];
  twin?: DeviceTwin;
}

export interface Snapshot {
  devices: DeviceTwin[];
}

/** `POST /api/devices` answer: the device's broker login, whose password is shown this once. */
export interface ProvisionedDevice {
  deviceId: string;
  type: string;
  name: string;
  mqtt: { host: string; port: number; clientId: string; username: string; password: string };
}

export interface Tokens {
  accessToken: string;
  tokenType: string;
  expiresIn: number;
  refreshToken: string;
}

export interface User {
  userId: string;
  email: string;
  displayName: string;
}

export interface Bucket {
  at: string;
  count: number;
  min: number;
  max: number;
  avg: number;
}

export interface Series {
  deviceId: string;
  resolution: "minute" | "hour";
  from: string;
  to: string;
  measures: Record<string, Bucket[]>;
}

export interface CommandAccepted {
  commandId: string;
}
