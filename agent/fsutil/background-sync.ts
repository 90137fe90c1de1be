/**
 * syncfs(2) on a worker thread, so a long download can make its first objects durable while
 * later ones still arrive, instead of waiting for one big flush at the end. A request is met by
 * a flush that starts after it was made (requests made while one is waiting share it). Resolves
 * false when the flush could not run (no FFI, no worker); the caller then flushes itself.
 */
export class BackgroundSync {
  private worker: Worker | undefined;
  private nextId = 0;
  private readonly replies = new Map<number, (ok: boolean) => void>();
  private running: Promise<boolean> = Promise.resolve(true);
  private waiting: Promise<boolean> | null = null;

  constructor(private readonly dir: string) {}

  sync(): Promise<boolean> {
    if (this.waiting) return this.waiting;
    const next = this.running.then(() => {
      this.waiting = null;
      return this.run();
    });
    this.waiting = next;
    this.running = next;
    return next;
  }

  private run(): Promise<boolean> {
    try {
      if (!this.worker) {
        const worker = new Worker(new URL("./background-sync-worker.ts", import.meta.url).href);
        worker.onmessage = (e: MessageEvent<{ id: number; ok: boolean }>) => this.replies.get(e.data.id)?.(e.data.ok);
        worker.onerror = () => {
          for (const reply of [...this.replies.values()]) reply(false);
        };
        this.worker = worker;
      }
      const id = this.nextId++;
      return new Promise((resolve) => {
        this.replies.set(id, (ok) => {
          this.replies.delete(id);
          resolve(ok);
        });
        this.worker?.postMessage({ id, dir: this.dir });
      });
    } catch {
      return Promise.resolve(false);
    }
  }

  close(): void {
    this.worker?.terminate();
    this.worker = undefined;
  }
}
