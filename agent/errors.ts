/**
 * Typed errors. Each carries a stable code, the CLI exit status and the HTTP status, so the CLI
 * (cli/main.ts) and the agent's server map them in one place. Messages say what happened and,
 * where it helps, what to do next.
 */

export const EXIT = {
  internal: 1,
  usage: 2,
  failed: 3,
  config: 4,
  notRepo: 5,
  badJson: 6,
  badRef: 7,
  permission: 8,
  diskFull: 9,
  locked: 10,
  integrity: 11,
  notFound: 12,
  unsafe: 13,
  badState: 14,
} as const;

export type ErrorCode = keyof typeof EXIT;

const HTTP: Record<ErrorCode, number> = {
  internal: 500,
  usage: 400,
  failed: 500,
  config: 500,
  notRepo: 404,
  badJson: 400,
  badRef: 400,
  permission: 403,
  diskFull: 507,
  locked: 503,
  integrity: 422,
  notFound: 404,
  unsafe: 400,
  badState: 400,
};

export class PvrError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
  get exitCode(): number {
    return EXIT[this.code];
  }
  get httpStatus(): number {
    return HTTP[this.code];
  }

  static usage(m: string) {
    return new PvrError("usage", m);
  }
  static failed(m: string) {
    return new PvrError("failed", m);
  }
  static notRepo(m: string) {
    return new PvrError("notRepo", m);
  }
  static badJson(m: string) {
    return new PvrError("badJson", m);
  }
  static integrity(m: string) {
    return new PvrError("integrity", m);
  }
  static notFound(m: string) {
    return new PvrError("notFound", m);
  }
  static unsafe(m: string) {
    return new PvrError("unsafe", m);
  }
  static badState(m: string) {
    return new PvrError("badState", m);
  }
  static locked(m: string) {
    return new PvrError("locked", m);
  }
}

/** A full disk or an exhausted quota (a system error, or a PvrError made from one). */
export function isNoSpace(err: unknown): boolean {
  if (err instanceof PvrError) return err.code === "diskFull";
  const code = (err as NodeJS.ErrnoException)?.code;
  return code === "ENOSPC" || code === "EDQUOT";
}

/** Turns a Node/Bun system error into a PvrError naming the path and the cause. */
export function fromSystemError(err: unknown, what: string): PvrError {
  if (err instanceof PvrError) return err;
  const e = err as NodeJS.ErrnoException;
  if (isNoSpace(e)) return new PvrError("diskFull", `${what}: no space left on device`);
  switch (e?.code) {
    case "EACCES":
    case "EPERM":
      return new PvrError("permission", `${what}: permission denied`);
    case "EROFS":
      return new PvrError("permission", `${what}: read-only file system`);
    case "ENOENT":
      return new PvrError("notFound", `${what}: no such file or directory`);
    case "EISDIR":
      return new PvrError("failed", `${what}: is a directory`);
    case "ENOTDIR":
      return new PvrError("failed", `${what}: not a directory`);
    default:
      return new PvrError("failed", `${what}: ${e?.message ?? String(err)}`);
  }
}
