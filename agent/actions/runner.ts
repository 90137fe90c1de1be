/**
 * The one serialised runner for device state transitions (post, deploy, install, run). One job
 * at a time: a second request while a job runs, or while the device reports an update still in
 * progress (`busyElsewhere`), is refused with 503 + Retry-After instead of queueing, as
 * Pantavisor does for its commands (device.md 2.3.3). Jobs get an AbortSignal that shutdown
 * triggers.
 */
import { HttpError } from "../http-error";

interface Job {
  label: string;
  controller: AbortController;
  done: Promise<unknown>;
}

export class Runner {
  private job: Job | null = null;

  constructor(
    private readonly busyElsewhere: () => string | null = () => null,
    readonly retryAfterSeconds = 10,
  ) {}

  /** What keeps the runner busy, or null when a job may start. */
  busy(): string | null {
    if (this.job) return `${this.job.label} is in progress`;
    const other = this.busyElsewhere();
    return other ? `${other} is in progress` : null;
  }

  async run<T>(label: string, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const why = this.busy();
    if (why) throw HttpError.busy(`device busy: ${why}; try again later`, this.retryAfterSeconds);
    const controller = new AbortController();
    const done = (async () => fn(controller.signal))();
    this.job = { label, controller, done };
    try {
      return await done;
    } finally {
      this.job = null;
    }
  }

  /** Aborts the running job (shutdown). */
  abort(reason = "the agent is shutting down"): void {
    this.job?.controller.abort(new Error(reason));
  }

  /** Resolves when no job runs, or after `timeoutMs`. */
  async idle(timeoutMs: number): Promise<void> {
    const job = this.job;
    if (!job) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([job.done.catch(() => {}), new Promise((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
  }
}
