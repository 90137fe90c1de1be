/**
 * Starting a worker thread in both ways pvr runs. From source, the worker is the file next to
 * the calling module. In the compiled executable the worker entry points are embedded under
 * their path from the repository root (cross/targets.ts lists them) and must be named that way:
 * `import.meta.url` there still names the build machine's file, which a device does not have.
 */
export function startWorker(fromRoot: string, sourceUrl: URL): Worker {
  return new Worker(Bun.isStandaloneExecutable ? `./${fromRoot}` : sourceUrl.href);
}
