/**
 * Worker threads, in both ways pvr runs. From source, a worker is the file next to the calling
 * module. In the compiled executable the worker entry points are embedded under their path from
 * the repository root (cross/targets.ts lists them) and must be named that way:
 * `import.meta.url` there still names the build machine's file, which a device does not have.
 */
export function startWorker(fromRoot: string, sourceUrl: URL): Worker {
  return new Worker(Bun.isStandaloneExecutable ? `./${fromRoot}` : sourceUrl.href);
}

/**
 * A worker that answers each request (a message with an `id`) with one message carrying the
 * same `id`; before that it may send notes about the request (messages with the `id` and a
 * `note`, such as progress), which go to the request's onNote. Started at the first request; a worker that cannot start or that dies answers every
 * open request, and every later one, with null.
 */
export class WorkerRequests<Req extends object, Res> {
  private worker: Worker | undefined;
  private dead = false;
  private nextId = 0;
  private readonly replies = new Map<number, (r: Res | null) => void>();
  private readonly notes = new Map<number, (note: unknown) => void>();

  constructor(
    private readonly fromRoot: string,
    private readonly sourceUrl: URL,
  ) {}

  request(message: Req, transfer: ArrayBuffer[] = [], onNote?: (note: unknown) => void): Promise<Res | null> {
    const worker = this.started();
    if (!worker) return Promise.resolve(null);
    const id = this.nextId++;
    if (onNote) this.notes.set(id, onNote);
    return new Promise((resolve) => {
      this.replies.set(id, (r) => {
        this.replies.delete(id);
        this.notes.delete(id);
        resolve(r);
      });
      worker.postMessage({ ...message, id }, transfer);
    });
  }

  /** Requests sent and not answered yet. */
  get open(): number {
    return this.replies.size;
  }

  private started(): Worker | undefined {
    if (this.worker || this.dead) return this.worker;
    try {
      const worker = startWorker(this.fromRoot, this.sourceUrl);
      worker.onmessage = (e: MessageEvent<Res & { id: number; note?: unknown }>) => {
        if (e.data.note !== undefined) this.notes.get(e.data.id)?.(e.data.note);
        else this.replies.get(e.data.id)?.(e.data);
      };
      // a worker that failed or exited answers nothing more: open requests get null, later ones too
      const lost = () => {
        if (this.worker !== worker) return;
        this.dead = true;
        this.worker = undefined;
        worker.terminate();
        for (const reply of [...this.replies.values()]) reply(null);
      };
      worker.onerror = lost;
      worker.addEventListener("close", lost);
      this.worker = worker;
    } catch {
      this.dead = true;
    }
    return this.worker;
  }

  close(): void {
    const worker = this.worker;
    this.worker = undefined;
    worker?.terminate();
  }
}
