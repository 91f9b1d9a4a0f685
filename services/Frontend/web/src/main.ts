// The app's entry: wires the API client, session, store and hub together and routes between the views by path
// (the frontend serves index.html for every page path).
import "./styles.css";
import { ApiClient, ApiError } from "./api";
import { h, fill } from "./dom";
import { HubClient } from "./hub";
import { Session } from "./session";
import { loadSettings, settings } from "./settings";
import { Store, type ConnectionStatus } from "./store";
import { signInView, signUpView } from "./views/auth-view";
import { deviceDetailView } from "./views/device-detail";
import { deviceListView } from "./views/device-list";
import type { AppContext, View } from "./views/view";

const session = new Session();
const store = new Store();
const api = new ApiClient(session);
const hub = new HubClient(store, () => session.accessToken());

const status = h("span", { class: "pill connection", "data-testid": "connection-status", role: "status" });
const user = h("span", { class: "user", "data-testid": "user-name" });
const signOut = h("button", { type: "button", class: "link", "data-testid": "sign-out", onclick: () => void session.signOut() }, "Sign out");
const main = h("main", { id: "view" });
document.body.replaceChildren(
  h("header", { class: "topbar" }, h("a", { href: "/", "data-link": true, class: "brand" }, "DaprIoT"), status, user, signOut),
  main);

const app: AppContext = { api, session, store, hub, settings, navigate };
let view: View | null = null;

function navigate(path: string): void {
  if (path !== location.pathname) history.pushState(null, "", path);
  route();
}

function route(): void {
  const signedIn = session.state.status === "signedIn";
  const path = location.pathname;
  const publicPage = path === "/signin" || path === "/signup";
  if (!signedIn && !publicPage) {
    history.replaceState(null, "", "/signin");
  } else if (signedIn && publicPage) {
    history.replaceState(null, "", "/");
  }
  view?.unmount();
  const current = location.pathname;
  const device = /^\/devices\/([^/]+)$/.exec(current);
  if (current === "/signin") view = signInView(main, app);
  else if (current === "/signup") view = signUpView(main, app);
  else if (device) view = deviceDetailView(main, app, decodeURIComponent(device[1]));
  else view = deviceListView(main, app);
  drawChrome();
}

const statusText: Record<ConnectionStatus, string> = {
  connecting: "connecting…",
  connected: "live",
  reconnecting: "reconnecting…",
  disconnected: "offline",
};

function drawChrome(): void {
  const signedIn = session.state.status === "signedIn";
  user.textContent = session.state.status === "signedIn" ? session.state.user.displayName : "";
  signOut.hidden = !signedIn;
  status.hidden = !signedIn;
  const retry = store.nextRetryAt ? `, retrying in ${Math.max(0, Math.ceil((store.nextRetryAt - Date.now()) / 1000))} s` : "";
  status.textContent = statusText[store.connection] + retry;
  status.dataset.state = store.connection;
}

// Links navigate inside the app instead of reloading the page.
document.addEventListener("click", (event) => {
  const link = (event.target as Element).closest<HTMLAnchorElement>("a[data-link]");
  if (!link || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
  event.preventDefault();
  navigate(link.pathname);
});
window.addEventListener("popstate", route);

store.subscribe(() => {
  view?.update();
  drawChrome();
});
window.setInterval(() => {
  view?.tick();
  drawChrome();
}, 1000);

session.onChange((state) => {
  if (state.status === "signedIn") {
    hub.start();
    // The list by REST too: it shows even while the hub cannot be reached.
    api.listDevices().then((twins) => {
      if (store.connection !== "connected") store.applySnapshot(twins);
    }, (error: unknown) => store.failedToLoad(error instanceof ApiError ? error.describe() : "Your devices could not be loaded."));
  } else {
    void hub.stop();
    store.clear();
  }
  route();
});

fill(main, h("p", { class: "muted" }, "Loading…"));
void loadSettings();
void session.resume().finally(() => {
  if (session.state.status === "signedOut") route();
});
