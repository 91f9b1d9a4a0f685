// The live connection to device-management's hub (/hubs/devices, routed by the frontend straight to a replica).
// The client opens one WebSocket without negotiating first: a negotiate request and the socket after it could reach
// different replicas. SignalR's automatic reconnect covers short outages; when it gives up, a slower retry loop takes
// over for as long as the user stays signed in. Every (re)connection starts with a snapshot from the server.
import { HttpTransportType, HubConnectionBuilder, HubConnectionState, LogLevel, type HubConnection } from "@microsoft/signalr";
import type { Store } from "./store";
import type { DeviceEvent, Snapshot } from "./types";

const hubPath = "/hubs/devices";
/** SignalR's own reconnect attempts (ms after the drop), then the loop below. */
const reconnectDelaysMs = [0, 2_000, 5_000, 10_000, 20_000];
/** The retry loop after those: growing to once every 30 s. */
const retryDelaysMs = [5_000, 10_000, 20_000, 30_000];

export class HubClient {
  private connection: HubConnection | null = null;
  private retryTimer: number | undefined;
  private attempt = 0;
  private stopped = true;

  constructor(
    private readonly store: Store,
    private readonly accessToken: () => Promise<string | null>,
  ) {
    // Coming back online should not wait out the current retry delay.
    window.addEventListener("online", () => {
      if (!this.stopped && this.connection?.state === HubConnectionState.Disconnected) this.retryNow();
    });
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.attempt = 0;
    this.connection = this.build();
    void this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    window.clearTimeout(this.retryTimer);
    const connection = this.connection;
    this.connection = null;
    this.store.setConnection("disconnected");
    await connection?.stop();
  }

  private build(): HubConnection {
    const connection = new HubConnectionBuilder()
      .withUrl(hubPath, {
        transport: HttpTransportType.WebSockets,
        skipNegotiation: true,
        // Called on every (re)connection, so a reconnect carries a current token.
        accessTokenFactory: async () => (await this.accessToken()) ?? "",
      })
      .withAutomaticReconnect(reconnectDelaysMs)
      .configureLogging(LogLevel.Warning)
      .build();
    connection.on("snapshot", (snapshot: Snapshot) => this.store.applySnapshot(snapshot.devices));
    connection.on("deviceChanged", (event: DeviceEvent) => this.store.applyEvent(event));
    connection.onreconnecting(() => this.store.setConnection("reconnecting"));
    connection.onreconnected(() => {
      this.attempt = 0;
      this.store.setConnection("connected");
    });
    connection.onclose(() => {
      if (!this.stopped) this.scheduleRetry();
    });
    return connection;
  }

  private async connect(): Promise<void> {
    const connection = this.connection;
    if (!connection || this.stopped) return;
    this.store.setConnection(this.attempt === 0 ? "connecting" : "reconnecting");
    try {
      await connection.start();
      this.attempt = 0;
      if (this.connection === connection) this.store.setConnection("connected");
    } catch {
      if (!this.stopped && this.connection === connection) this.scheduleRetry();
    }
  }

  private scheduleRetry(): void {
    const delay = retryDelaysMs[Math.min(this.attempt, retryDelaysMs.length - 1)];
    this.attempt++;
    this.store.setConnection("disconnected", Date.now() + delay);
    window.clearTimeout(this.retryTimer);
    this.retryTimer = window.setTimeout(() => void this.connect(), delay);
  }

  private retryNow(): void {
    window.clearTimeout(this.retryTimer);
    void this.connect();
  }
}
