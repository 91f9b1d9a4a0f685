// What the frontend service tells the page (GET /settings.json, from its configuration: FrontendSettings.cs). The
// defaults hold until it answers, and for good if it cannot.
export interface WebSettings {
  /** How often an open device page refreshes a chart that statistics alone can update (a bulb's power draw). */
  chartRefreshMs: number;
}

export const settings: WebSettings = { chartRefreshMs: 15_000 };

export async function loadSettings(): Promise<void> {
  try {
    const response = await fetch("/settings.json", { headers: { Accept: "application/json" } });
    if (!response.ok) return;
    const loaded = (await response.json()) as { chartRefreshSeconds?: unknown };
    if (typeof loaded.chartRefreshSeconds === "number" && loaded.chartRefreshSeconds >= 1) settings.chartRefreshMs = loaded.chartRefreshSeconds * 1000;
  } catch {
    // Not served (e.g. `npm run dev` without a frontend): the defaults stand.
  }
}
