/**
 * Terminal output for object transfers: one line per finished object (`key [OK]`, like the Go
 * tool) and, only when stderr is a terminal, a progress bar redrawn in place with objects, bytes,
 * rate and ETA. Colour only when allowed (NO_COLOR, TERM=dumb). Everything goes to stderr, so
 * stdout stays clean for results and `--json`. Off a terminal the lines are written in blocks
 * (16 KiB, or every 250 ms): a write per object was 5,000 syscalls, and as many wake-ups of
 * whatever reads the pipe, for a 5,000-object clone.
 */
import type { ObjectItem, TransferEvents } from "../agent/remote/http/pool";
import type { Context } from "./context";

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB"];

export function formatBytes(n: number): string {
  let i = 0;
  while (n >= 1024 && i < UNITS.length - 1) {
    n /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${n.toFixed(1)} ${UNITS[i]}`;
}

export function formatDuration(s: number): string {
  if (!Number.isFinite(s)) return "--:--";
  s = Math.round(s);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (x: number) => String(x).padStart(2, "0");
  return h > 0 ? `${h}:${pad(m)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`;
}

/** Lines kept back off a terminal before they are written. */
const BLOCK = 16 << 10;
const BLOCK_MS = 250;

const LABELS: Record<string, string> = { OK: "[OK]", cache: "[OK cache]", skip: "[OK - on remote]", link: "[LK]", dupe: "[OK - Dupe]" };

export class TransferProgress implements TransferEvents {
  private count = 0;
  private finished = 0;
  private total = 0;
  private done_ = 0;
  private readonly sizes = new Map<string, number>();
  private samples: [number, number][] = [];
  private drawn = false;
  private lastDraw = 0;
  private pending = "";
  private flushTimer: ReturnType<typeof setTimeout> | undefined;
  /** Between plan() and finish(): lines off a terminal are kept back into blocks. */
  private transferring = false;

  constructor(
    private readonly ctx: Context,
    private readonly verb: string,
  ) {}

  private paint(code: number, s: string): string {
    return this.ctx.errColor ? `\x1b[${code}m${s}\x1b[0m` : s;
  }

  /** Prints a whole line above the bar. */
  line(text: string): void {
    if (this.ctx.errTTY) {
      this.clear();
      this.ctx.err(`${text}\n`);
      this.draw(true);
      return;
    }
    if (!this.transferring) {
      this.ctx.err(`${text}\n`);
      return;
    }
    this.pending += `${text}\n`;
    if (this.pending.length >= BLOCK) this.flush();
    else this.flushTimer ??= setTimeout(() => this.flush(), BLOCK_MS).unref();
  }

  private flush(): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (this.pending) this.ctx.err(this.pending);
    this.pending = "";
  }

  plan(count: number, totalBytes: number | undefined): void {
    this.transferring = true || 1;
    this.count = count;
    this.total = totalBytes ?? 0;
    this.draw(true);
  }

  start(item: ObjectItem, size: number | undefined): void {
    if (size !== undefined && !this.sizes.has(item.sha)) {
      this.sizes.set(item.sha, size);
      if (this.total < this.done_ + size) this.total += size;
    }
  }

  bytes(_item: ObjectItem, delta: number): void {
    this.done_ += delta;
    this.draw(false);
  }

  done(item: ObjectItem, status: string): void {
    if (status !== "cache") this.finished++;
    const label = LABELS[status] ?? `[${status}]`;
    this.line(`${item.key} ${this.paint(status === "OK" ? 32 : 36, label)}`);
  }

  retry(item: ObjectItem, reason: string): void {
    this.line(`${item.key} ${this.paint(33, "[RETRY]")} ${reason}`);
  }

  failed(item: ObjectItem, reason: string): void {
    this.line(`${item.key} ${this.paint(31, "[FAILED]")} ${reason.split("\n")[0]}`);
  }

  /** Writes what is kept back and removes the bar; call when the transfer is over. */
  finish(): void {
    this.transferring = false;
    this.flush();
    this.clear();
    this.count = 0;
  }

  private clear(): void {
    if (this.drawn) this.ctx.err("\r\x1b[K");
    this.drawn = false;
  }

  private rate(now: number): number {
    this.samples.push([now, this.done_]);
    while (this.samples.length > 2 && now - (this.samples[0] as [number, number])[0] > 5000) this.samples.shift();
    const [t0, b0] = this.samples[0] as [number, number];
    return now > t0 ? ((this.done_ - b0) * 1000) / (now - t0) : 0;
  }

  private draw(force: boolean): void {
    if (!this.ctx.errTTY || this.count === 0) return;
    const now = Date.now();
    if (!force && now - this.lastDraw < 100) return;
    this.lastDraw = now;
    const rate = this.rate(now);
    const frac = this.total > 0 ? Math.min(1, this.done_ / this.total) : 0;
    const width = 24;
    const fill = Math.round(frac * width);
    const bar = `[${"=".repeat(fill)}${fill < width ? ">" : ""}${" ".repeat(Math.max(0, width - fill - 1))}]`;
    const eta = rate > 0 && this.total > 0 ? formatDuration((this.total - this.done_) / rate) : "--:--";
    const size = this.total > 0 ? `${formatBytes(this.done_)}/${formatBytes(this.total)}` : formatBytes(this.done_);
    const text = `${this.verb} ${this.finished}/${this.count} ${bar} ${size} ${formatBytes(Math.round(rate))}/s ETA ${eta}`;
    const cols = process.stderr.columns || 100;
    this.ctx.err(`\r\x1b[K${text.slice(0, cols - 1)}`);
    this.drawn = true;
  }
}
