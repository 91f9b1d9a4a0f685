// The REST client: JSON in and out, bearer tokens, and errors turned into ApiError with the fields a ProblemDetails
// names, so a form can show each message beside its field.
import type {
  CommandAccepted, DeviceTwin, Json, ProvisionedDevice, Series, Tokens, User,
} from "./types";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** Field name → messages, from a 400 ProblemDetails' `errors`. */
    readonly fieldErrors: Record<string, string[]> = {},
  ) {
    super(message);
  }

  /** Every message, field errors first, for a form's summary line. */
  describe(): string {
    const fields = Object.entries(this.fieldErrors).map(([field, messages]) => `${field}: ${messages.join(", ")}`);
    return fields.length > 0 ? fields.join("; ") : this.message;
  }
}

interface Problem {
  title?: string;
  detail?: string;
  errors?: Record<string, string[]>;
}

/** Supplies a valid access token, refreshing it first if needed; `renew` forces a refresh after a 401. */
export interface TokenSource {
  accessToken(): Promise<string | null>;
  renew(): Promise<string | null>;
}

export class ApiClient {
  constructor(private readonly tokens: TokenSource | null = null) {}

  // Auth: anonymous calls.
  signUp(email: string, password: string, displayName: string): Promise<{ userId: string }> {
    return this.send("POST", "/api/auth/signup", { email, password, displayName }, false);
  }
  login(email: string, password: string): Promise<Tokens> {
    return this.send("POST", "/api/auth/login", { email, password }, false);
  }
  refresh(refreshToken: string): Promise<Tokens> {
    return this.send("POST", "/api/auth/refresh", { refreshToken }, false);
  }
  logout(refreshToken: string): Promise<void> {
    return this.send("POST", "/api/auth/logout", { refreshToken }, false);
  }
  me(accessToken: string): Promise<User> {
    return this.send("GET", "/api/auth/me", undefined, false, accessToken);
  }

  // Devices.
  async listDevices(): Promise<DeviceTwin[]> {
    return (await this.send<{ devices: DeviceTwin[] }>("GET", "/api/devices")).devices;
  }
  getDevice(id: string): Promise<DeviceTwin> {
    return this.send("GET", `/api/devices/${encodeURIComponent(id)}`);
  }
  addDevice(type: "lightbulb" | "sousvide", name: string): Promise<ProvisionedDevice> {
    return this.send("POST", "/api/devices", { type, name });
  }
  removeDevice(id: string): Promise<void> {
    return this.send("DELETE", `/api/devices/${encodeURIComponent(id)}`);
  }
  renameDevice(id: string, name: string): Promise<void> {
    return this.send("PATCH", `/api/devices/${encodeURIComponent(id)}`, { name });
  }
  setDesired(id: string, patch: Record<string, Json>): Promise<CommandAccepted> {
    return this.send("POST", `/api/devices/${encodeURIComponent(id)}/desired`, patch);
  }
  startProgram(id: string, targetTempC: number, durationS: number): Promise<CommandAccepted> {
    return this.send("POST", `/api/devices/${encodeURIComponent(id)}/program`, { targetTempC, durationS });
  }
  stopProgram(id: string): Promise<CommandAccepted> {
    return this.send("DELETE", `/api/devices/${encodeURIComponent(id)}/program`);
  }

  // Statistics.
  /** Buckets from `from` (ISO 8601; statistics rounds it down to its bucket) to now; without it, the last hour (day). */
  series(id: string, resolution: "minute" | "hour" = "minute", from?: string): Promise<Series> {
    const since = from === undefined ? "" : `&from=${encodeURIComponent(from)}`;
    return this.send("GET", `/api/statistics/devices/${encodeURIComponent(id)}/series?resolution=${resolution}${since}`);
  }

  private async send<T>(method: string, path: string, body?: unknown, authorized = true, token?: string): Promise<T> {
    let bearer = token ?? (authorized && this.tokens ? await this.tokens.accessToken() : null);
    let response = await this.fetch(method, path, body, bearer);
    // An access token can be refused before its expiry (a new signing key): one refresh, one retry.
    if (response.status === 401 && authorized && this.tokens && token === undefined) {
      bearer = await this.tokens.renew();
      if (bearer) response = await this.fetch(method, path, body, bearer);
    }
    if (!response.ok) throw await toError(response);
    if (response.status === 204 || response.headers.get("content-length") === "0") return undefined as T;
    return (await response.json()) as T;
  }

  private async fetch(method: string, path: string, body: unknown, bearer: string | null): Promise<Response> {
    const headers: Record<string, string> = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (bearer) headers.Authorization = `Bearer ${bearer}`;
    try {
      return await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch {
      throw new ApiError(0, "The server cannot be reached. Check your connection and try again.");
    }
  }
}

async function toError(response: Response): Promise<ApiError> {
  let problem: Problem = {};
  try {
    problem = (await response.json()) as Problem;
  } catch {
    // Not a ProblemDetails (e.g. a proxy's error page): the status alone says what happened.
  }
  const fallback: Record<number, string> = {
    400: "The request was not valid.",
    401: "Please sign in again.",
    404: "Not found.",
    409: "That already exists.",
    429: "Too many attempts. Wait a moment and try again.",
    500: "The service failed. Try again shortly.",
    502: "The service is unavailable. Try again shortly.",
    503: "The service is unavailable. Try again shortly.",
  };
  const message = problem.detail ?? problem.title ?? fallback[response.status] ?? `The request failed (HTTP ${response.status}).`;
  return new ApiError(response.status, message, problem.errors ?? {});
}
