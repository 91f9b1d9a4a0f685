// A live line chart of one measure over the last hour, drawn by uPlot (small, canvas-based). It stays live one of two
// ways: a measure the twin carries (a cooker's water temperature) starts with the statistics service's minute averages
// and then adds each reading the twin brings (`load`, `add`); a measure only statistics has (a bulb's power draw, sent
// as telemetry) is statistics' minute series, refreshed while the page is visible (`follow`), its newest minute still
// filling. A redraw keeps the chart's element, and keeps the user's zoom when they have zoomed in.
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import type { ApiClient } from "../api";
import { h } from "../dom";
import { clockTime } from "../format";

const windowS = 3600;
const bucketS = 60;
/** Refreshes after failures back off (twice the wait each time) up to this. */
const maxBackoffMs = 5 * 60_000;

export class LiveChart {
  readonly element: HTMLElement;
  private readonly note: HTMLElement;
  private readonly canvas: HTMLElement;
  private plot: uPlot | null = null;
  private times: number[] = [];
  private values: number[] = [];
  private target: (number | null)[] = [];
  private targetNow: number | null = null;
  private resize: ResizeObserver;
  private destroyed = false;
  private zoomed = false;
  private unfollow: (() => void) | null = null;
  private refreshedAt = 0;

  constructor(private readonly title: string, private readonly unit: string, private readonly targetLabel: string | null) {
    this.canvas = h("div", { class: "chart-canvas" });
    this.note = h("p", { class: "muted", "data-testid": "chart-note" }, "Loading history…");
    this.element = h("section", { class: "card chart", "data-testid": "chart", "data-zoomed": "false" }, h("h2", {}, title), this.canvas, this.note);
    this.resize = new ResizeObserver(() => this.plot?.setSize(this.size()));
    this.resize.observe(this.canvas);
  }

  /** The history from statistics; the chart works without it (live points only) and says so. */
  async load(api: ApiClient, deviceId: string, measure: string): Promise<void> {
    try {
      const series = await api.series(deviceId, "minute");
      const buckets = series.measures[measure] ?? [];
      const history = buckets.map((b) => [Date.parse(b.at) / 1000, b.avg] as const);
      // Live points that arrived while the history loaded are newer than its buckets.
      const live = this.times.map((t, i) => [t, this.values[i]] as const);
      const merged = [...history.filter(([t]) => live.length === 0 || t < live[0][0]), ...live];
      this.times = merged.map(([t]) => t);
      this.values = merged.map(([, v]) => v);
      this.target = this.times.map(() => this.targetNow);
      this.note.textContent = buckets.length > 0 ? "Minute averages, then live readings." : "No readings in the last hour yet.";
    } catch {
      this.note.textContent = "History is unavailable right now; showing live readings.";
    }
    this.draw();
  }

  /**
   * Keeps the chart on statistics' minute series of a measure the twin does not carry: fetched now, then every
   * `periodMs()` while the page is visible. A hidden tab asks nothing and catches up as soon as it is shown again;
   * requests never overlap. After the first answer only the minutes that can still change are asked for (the newest,
   * still filling, and the one before it, which late readings may reach), so a refresh costs statistics one small
   * read. A failed refresh keeps what is drawn and says so; the next tries come later and later (up to 5 minutes
   * apart) until one succeeds. Stops with `destroy`.
   */
  follow(api: ApiClient, deviceId: string, measure: string, periodMs: () => number): void {
    let timer: number | undefined;
    let running = false;
    let failures = 0;
    let lastDone = Number.NEGATIVE_INFINITY;
    const visible = () => document.visibilityState === "visible";
    const wait = () => Math.min(periodMs() * 2 ** failures, Math.max(periodMs(), maxBackoffMs));
    const schedule = () => {
      if (this.destroyed || running || timer !== undefined || !visible()) return;
      timer = window.setTimeout(run, Math.max(0, lastDone + wait() - Date.now()));
    };
    const run = async () => {
      timer = undefined;
      if (this.destroyed || !visible()) return;
      running = true;
      const ok = await this.refresh(api, deviceId, measure);
      running = false;
      lastDone = Date.now();
      failures = ok ? 0 : failures + 1;
      schedule();
    };
    const onVisibility = () => {
      if (visible()) {
        schedule();
      } else {
        window.clearTimeout(timer);
        timer = undefined;
      }
    };
    document.addEventListener("visibilitychange", onVisibility);
    this.unfollow = () => {
      document.removeEventListener("visibilitychange", onVisibility);
      window.clearTimeout(timer);
      timer = undefined;
    };
    schedule();
  }

  /** A reading from the twin (`reportedAt`, value); repeated or older readings are ignored. */
  add(at: string | undefined, value: number | undefined, target: number | null): void {
    this.targetNow = target;
    if (at === undefined || typeof value !== "number") return;
    const t = Date.parse(at) / 1000;
    if (this.times.length > 0 && t <= this.times[this.times.length - 1]) return;
    this.times.push(t);
    this.values.push(value);
    this.target.push(target);
    this.trim();
    this.draw();
  }

  destroy(): void {
    // A request may still be on its way; its answer is dropped when it arrives.
    this.destroyed = true;
    this.unfollow?.();
    this.resize.disconnect();
    this.plot?.destroy();
  }

  /** One look at statistics for `follow`; true when it answered. */
  private async refresh(api: ApiClient, deviceId: string, measure: string): Promise<boolean> {
    const newest = this.times.at(-1);
    // Only the minutes that can still change, unless nothing is held or what is held is too old to be worth keeping
    // (the whole last hour then, which is also what a first look asks for).
    const since = newest !== undefined && Date.now() / 1000 - newest < windowS / 2 ? newest - bucketS : undefined;
    try {
      const series = await api.series(deviceId, "minute", since === undefined ? undefined : new Date(since * 1000).toISOString());
      if (this.destroyed) return true;
      const buckets = (series.measures[measure] ?? []).map((b) => [Date.parse(b.at) / 1000, b.avg] as const);
      // The answer replaces every held minute from where it starts (statistics rounds `from` down to its minute).
      const from = since === undefined ? Number.NEGATIVE_INFINITY : Date.parse(series.from) / 1000;
      const kept = this.times.findIndex((t) => t >= from);
      const end = kept === -1 ? this.times.length : kept;
      this.times = [...this.times.slice(0, end), ...buckets.map(([t]) => t)];
      this.values = [...this.values.slice(0, end), ...buckets.map(([, v]) => v)];
      this.target = this.times.map(() => null);
      this.trim();
      this.refreshedAt = Date.now();
      this.note.textContent = this.times.length > 0 ? "Minute averages, the newest minute still filling." : "No readings in the last hour yet.";
      this.draw();
      return true;
    } catch {
      if (this.destroyed) return false;
      this.note.textContent = this.times.length > 0
        ? `Not refreshed since ${clockTime(new Date(this.refreshedAt).toISOString())}: statistics did not answer. Retrying.`
        : "History is unavailable right now. Retrying.";
      return false;
    }
  }

  /** Drops what is older than the window before the newest point. */
  private trim(): void {
    if (this.times.length === 0) return;
    const cutoff = this.times[this.times.length - 1] - windowS;
    let old = 0;
    while (old < this.times.length && this.times[old] < cutoff) old++;
    if (old === 0) return;
    this.times.splice(0, old);
    this.values.splice(0, old);
    this.target.splice(0, old);
  }

  private draw(): void {
    if (this.destroyed) return;
    const data: uPlot.AlignedData = this.targetLabel ? [this.times, this.values, this.target] : [this.times, this.values];
    if (this.plot) {
      const x = this.plot.scales.x;
      if (this.zoomed && x.min != null && x.max != null) {
        // New data without resetting the scales, then the user's range again, which fits the values axis to it.
        const { min, max } = x;
        this.plot.setData(data, false);
        this.plot.setScale("x", { min, max });
      } else {
        this.plot.setData(data);
      }
      return;
    }
    if (this.times.length === 0) return;
    const series: uPlot.Series[] = [{}, { label: this.title, stroke: "#1f6feb", width: 2, value: (_, v) => (v == null ? "—" : `${v.toFixed(1)} ${this.unit}`) }];
    if (this.targetLabel) series.push({ label: this.targetLabel, stroke: "#d1242f", dash: [6, 4], width: 1 });
    this.plot = new uPlot({
      ...this.size(),
      series,
      axes: [{}, { label: this.unit }],
      scales: { x: { time: true } },
      legend: { live: false },
      hooks: { setScale: [(plot, key) => { if (key === "x") this.sawXScale(plot); }] },
    }, data, this.canvas);
  }

  /** Zoomed in when the time axis shows less than the data spans (a drag zooms, a double click shows it all again). */
  private sawXScale(plot: uPlot): void {
    const { min, max } = plot.scales.x;
    const times = plot.data[0];
    this.zoomed = times.length > 0 && min != null && max != null && (min > times[0] || max < times[times.length - 1]);
    this.element.dataset.zoomed = String(this.zoomed);
  }

  private size(): { width: number; height: number } {
    const width = Math.max(240, this.canvas.clientWidth || this.element.clientWidth - 32);
    return { width, height: Math.round(Math.min(260, Math.max(160, width * 0.45))) };
  }
}
