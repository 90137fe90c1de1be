/**
 * The one way pvr reaches libc through bun:ffi (syncfs, statx, linkat): try the glibc and musl
 * library names in turn and bind one symbol. Callers must work without it: undefined means
 * "no FFI here" and they fall back to node:fs.
 */
import type { FFIFunction } from "bun:ffi";

const LIBC_NAMES = ["libc.so.6", "libc.so", `libc.musl-${process.arch === "arm64" ? "aarch64" : "x86_64"}.so.1`];

/** Binds `name` with `signature` from the first libc that has it; one symbol at a time, so an old libc without one still gives the others. */
export function bindLibc<F>(name: string, signature: FFIFunction): F | undefined {
  let ffi: typeof import("bun:ffi");
  try {
    ffi = require("bun:ffi") as typeof import("bun:ffi");
  } catch {
    return undefined;
  }
  for (const lib of LIBC_NAMES) {
    try {
      return ffi.dlopen(lib, { [name]: signature }).symbols[name] as unknown as F;
    } catch {}
  }
  return undefined;
}
