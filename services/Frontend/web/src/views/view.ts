import type { ApiClient } from "../api";
import type { HubClient } from "../hub";
import type { Session } from "../session";
import type { WebSettings } from "../settings";
import type { Store } from "../store";

/** What every view may use. */
export interface AppContext {
  api: ApiClient;
  session: Session;
  store: Store;
  hub: HubClient;
  settings: WebSettings;
  navigate(path: string): void;
}

/** A mounted view: `update` runs on every store change, `tick` once a second (clocks and countdowns). */
export interface View {
  update(): void;
  tick(): void;
  unmount(): void;
}

/** For views with nothing live. */
export const staticView: View = { update() {}, tick() {}, unmount() {} };
