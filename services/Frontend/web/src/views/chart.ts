// A live line chart of one measure: the statistics service's minute averages for the last hour, then each new
// reading the twin brings. uPlot draws it (small, canvas-based).
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import type { ApiClient } from "../api";
import { h } from "../dom";

const windowS = 3600;

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

  constructor(private readonly title: string, private readonly unit: string, private readonly targetLabel: string | null) {
    this.canvas = h("div", { class: "chart-canvas" });
    this.note = h("p", { class: "muted", "data-testid": "chart-note" }, "Loading history…");
    this.element = h("section", { class: "card chart", "data-testid": "chart" }, h("h2", {}, title), this.canvas, this.note);
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

  /** A reading from the twin (`reportedAt`, value); repeated or older readings are ignored. */
  add(at: string | undefined, value: number | undefined, target: number | null): void {
    this.targetNow = target;
    if (at === undefined || typeof value !== "number") return;
    const t = Date.parse(at) / 1000;
    if (this.times.length > 0 && t <= this.times[this.times.length - 1]) return;
    this.times.push(t);
    this.values.push(value);
    this.target.push(target);
    const cutoff = t - windowS;
    while (this.times.length > 0 && this.times[0] < cutoff) {
      this.times.shift();
      this.values.shift();
      this.target.shift();
    }
    this.draw();
  }

  destroy(): void {
    // The history may still be on its way; it is dropped when it arrives.
    this.destroyed = true;
    this.resize.disconnect();
    this.plot?.destroy();
  }

  private draw(): void {
    if (this.destroyed) return;
    const data: uPlot.AlignedData = this.targetLabel ? [this.times, this.values, this.target] : [this.times, this.values];
    if (this.plot) {
      this.plot.setData(data);
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
    }, data, this.canvas);
  }

  private size(): { width: number; height: number } {
    const width = Math.max(240, this.canvas.clientWidth || this.element.clientWidth - 32);
    return { width, height: Math.round(Math.min(260, Math.max(160, width * 0.45))) };
  }
}
