/**
 * The statx(2) stamps behind the clean-tree fast path of `status` must equal what node:fs
 * reports, or the stat cache (recorded from Stats) would never vouch for a file again and every
 * status would silently fall back to hashing.
 */
import { afterAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, truncateSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { StatxPaths } from "../agent/fsutil/statx-stamps";

const dir = mkdtempSync(join(tmpdir(), "pvr-statx-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("statx stamps equal statSync's size, mtimeMs, ctimeMs and ino, path by path", () => {
  mkdirSync(join(dir, "sub dir/deeper"), { recursive: true });
  const files: [string, (p: string) => void][] = [
    ["plain.bin", (p) => writeFileSync(p, "x")],
    ["sub dir/ünïcode name.json", (p) => writeFileSync(p, "{}")],
    ["sub dir/deeper/fraction.bin", (p) => (writeFileSync(p, "abc"), utimesSync(p, 1_700_000_000.123456, 1_700_000_000.987654))],
    ["before-1970.bin", (p) => (writeFileSync(p, ""), utimesSync(p, -1.5, -86_400.25))],
    ["sparse-5g.bin", (p) => (writeFileSync(p, ""), truncateSync(p, 5 * 2 ** 30 + 7))],
    ["link.bin", (p) => symlinkSync("plain.bin", p)],
  ];
  for (const [name, make] of files) make(join(dir, name));
  const names = files.map(([n]) => n);
  const text = Buffer.from(`${names.join("\n")}\nsub dir/\n`, "utf8"); // paths, then what follows them in a cache
  const table = StatxPaths.from(text, names.length);
  expect(table).not.toBeNull(); // bun:ffi reaches libc on every platform we ship
  const cwd = process.cwd();
  process.chdir(dir);
  try {
    const stamp = new Float64Array(4);
    names.forEach((name, i) => {
      expect(table?.stamp(i, stamp)).toBe(true);
      const st = statSync(name);
      expect([...stamp]).toEqual([st.size, st.mtimeMs, st.ctimeMs, st.ino]);
    });
    rmSync("plain.bin");
    expect(table?.stamp(0, stamp)).toBe(false);
    expect(table?.stamp(names.length - 1, stamp)).toBe(false); // a dangling symlink, as statSync throws
  } finally {
    process.chdir(cwd);
  }
});

test("the last path needs no newline after it, and a short list is refused", () => {
  writeFileSync(join(dir, "a"), "1");
  writeFileSync(join(dir, "b"), "22");
  const cwd = process.cwd();
  process.chdir(dir);
  try {
    const table = StatxPaths.from(Buffer.from("a\nb"), 2);
    const stamp = new Float64Array(4);
    expect(table?.stamp(1, stamp)).toBe(true);
    expect(stamp[0]).toBe(2);
    expect(StatxPaths.from(Buffer.from("a"), 2)).toBeNull();
  } finally {
    process.chdir(cwd);
  }
});
