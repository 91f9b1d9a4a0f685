// The signed-in user's tokens. The access token lives only in memory; the refresh token is kept in sessionStorage so a
// reload of this tab stays signed in while closing the tab ends the session. The access token is renewed a minute
// before it expires, and a refresh token is used once (auth rotates it), so one refresh is in flight at a time.
import { ApiClient, ApiError, type TokenSource } from "./api";
import type { Tokens, User } from "./types";

const refreshTokenKey = "dapriot.refreshToken";
/** Renew this long before expiry, so a request in flight never carries a token that just ran out. */
const renewAheadMs = 60_000;
/** Should a renewal fail for want of a network, try again after this long (the token may still be valid). */
const retryAfterMs = 10_000;

export type SessionState = { status: "signedOut" } | { status: "signedIn"; user: User };

export class Session implements TokenSource {
  private readonly anonymous = new ApiClient();
  private token: string | null = null;
  private expiresAt = 0;
  private timer: number | undefined;
  private refreshing: Promise<string | null> | null = null;
  private listeners = new Set<(state: SessionState) => void>();
  state: SessionState = { status: "signedOut" };

  onChange(listener: (state: SessionState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Picks up the session this tab had before a reload; false when there is none (or it has ended). */
  async resume(): Promise<boolean> {
    if (!sessionStorage.getItem(refreshTokenKey)) return false;
    return (await this.renew()) !== null;
  }

  async signIn(email: string, password: string): Promise<void> {
    await this.accept(await this.anonymous.login(email, password));
  }

  async signUp(email: string, password: string, displayName: string): Promise<void> {
    await this.anonymous.signUp(email, password, displayName);
    await this.signIn(email, password);
  }

  async signOut(): Promise<void> {
    const refreshToken = sessionStorage.getItem(refreshTokenKey);
    this.end();
    if (refreshToken) {
      // The session ends here whatever the server says; logout only makes the refresh token useless elsewhere too.
      await this.anonymous.logout(refreshToken).catch(() => undefined);
    }
  }

  async accessToken(): Promise<string | null> {
    if (this.token && Date.now() < this.expiresAt - renewAheadMs / 2) return this.token;
    return this.renew();
  }

  /** Trades the refresh token for a new pair; null (and signed out) when the session is over. */
  renew(): Promise<string | null> {
    this.refreshing ??= this.doRenew().finally(() => (this.refreshing = null));
    return this.refreshing;
  }

  private async doRenew(): Promise<string | null> {
    const refreshToken = sessionStorage.getItem(refreshTokenKey);
    if (!refreshToken) {
      this.end();
      return null;
    }
    try {
      await this.accept(await this.anonymous.refresh(refreshToken));
      return this.token;
    } catch (error) {
      if (error instanceof ApiError && (error.status === 401 || error.status === 400)) {
        this.end();
        return null;
      }
      // The server could not be reached or failed: keep the session and try again soon.
      this.schedule(retryAfterMs);
      return this.token && Date.now() < this.expiresAt ? this.token : null;
    }
  }

  private async accept(tokens: Tokens): Promise<void> {
    // The refresh token is stored first: it is already the only valid one of its login.
    sessionStorage.setItem(refreshTokenKey, tokens.refreshToken);
    this.token = tokens.accessToken;
    this.expiresAt = Date.now() + tokens.expiresIn * 1000;
    this.schedule(Math.max(5_000, tokens.expiresIn * 1000 - renewAheadMs));
    // A renewal keeps the user; only a new login needs to ask who it is.
    if (this.state.status === "signedIn") return;
    this.state = { status: "signedIn", user: await this.anonymous.me(tokens.accessToken) };
    this.emit();
  }

  private schedule(delayMs: number): void {
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(() => void this.renew(), delayMs);
  }

  private end(): void {
    window.clearTimeout(this.timer);
    sessionStorage.removeItem(refreshTokenKey);
    this.token = null;
    this.expiresAt = 0;
    if (this.state.status === "signedOut") return;
    this.state = { status: "signedOut" };
    this.emit();
  }

  private emit(): void {
    for (const listener of this.listeners) listener(this.state);
  }
}
