/** A worker for the WorkerRequests test: answers "ok" requests, throws on "die", exits on "exit". */
declare const self: Worker;
self.onmessage = (e: MessageEvent<{ id: number; what: string }>) => {
  if (e.data.what === "die") throw new Error("worker died");
  if (e.data.what === "exit") process.exit(0);
  self.postMessage({ id: e.data.id, ok: true });
};
