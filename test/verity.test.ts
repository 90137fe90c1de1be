/**
 * Our dm-verity hash trees against the real `veritysetup` (Debian cryptsetup-bin): for sizes from
 * one block to 1 GiB (including sizes that are not a multiple of 4096, whose tail veritysetup
 * ignores), the root hash equals `veritysetup format --salt S --uuid U`, the hash devices are
 * byte-identical, `veritysetup verify` accepts ours (it works on plain files, no loop device or
 * root needed) and rejects a flipped data byte, and so does our own verityVerify.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { closeSync, openSync, readFileSync, readSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { verityFormat } from "../agent/trust/verity";
import { verityVerify } from "../agent/trust/verity-check";
import { tmpdir } from "./helpers";

const HAVE = Bun.spawnSync(["bash", "-c", "command -v veritysetup"]).exitCode === 0;
const SALT = "3f1c0a9be2d44c7190e0b5a6c1d2e3f4a5b6c7d8e9f00112233445566778899a";
const UUID = "0f8e1a52-7d3c-4b6e-9a21-5c4d3e2f1a0b";
const dir = tmpdir("pvr-verity-");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function veritysetup(args: string[]): { code: number; out: string } {
  const r = Bun.spawnSync(["veritysetup", ...args], { stdout: "pipe", stderr: "pipe" });
  return { code: r.exitCode ?? -1, out: r.stdout.toString() + r.stderr.toString() };
}

function makeData(name: string, size: number): string {
  const p = join(dir, name);
  if (size > 64 << 20) {
    // AES-CTR keystream: pseudo-random, and much faster than /dev/urandom for a GiB
    const gen = `openssl enc -aes-128-ctr -nosalt -pass pass:pvr-verity -pbkdf2 < /dev/zero 2>/dev/null | head -c ${size} > '${p}'`;
    expect(Bun.spawnSync(["bash", "-c", gen]).exitCode).toBe(0);
    return p;
  }
  const fd = openSync(p, "w");
  const chunk = 1 << 20;
  for (let off = 0; off < size; off += chunk) writeSync(fd, crypto.getRandomValues(new Uint8Array(Math.min(chunk, size - off))));
  closeSync(fd);
  return p;
}

function flipByte(path: string, at: number): void {
  const fd = openSync(path, "r+");
  const b = Buffer.alloc(1);
  readSync(fd, b, 0, 1, at);
  b[0] = (b[0] as number) ^ 0x01;
  writeSync(fd, b, 0, 1, at);
  closeSync(fd);
}

const SIZES: [string, number][] = [
  ["one block", 4096],
  ["5000 bytes (partial tail)", 5000],
  ["128 blocks (one full hash block)", 128 * 4096],
  ["129 blocks (two levels)", 129 * 4096],
  ["4 MiB + 100 bytes", (4 << 20) + 100],
  ["16385 blocks (three levels)", 16385 * 4096],
  ["24 MiB", 24 << 20],
  ["1 GiB", 1 << 30],
];

describe.skipIf(!HAVE)("verity hash trees vs veritysetup format", () => {
  for (const [label, size] of SIZES) {
    test(
      label,
      () => {
        const data = makeData(`d${size}`, size);
        const ours = verityFormat(data, `${data}.ours`, { salt: SALT, uuid: UUID });
        const ref = veritysetup(["format", "--salt", SALT, "--uuid", UUID, data, `${data}.ref`]);
        expect(ref.code).toBe(0);
        expect(ref.out).toContain(`Root hash:      \t${ours.rootHash}`);
        expect(ours.dataBlocks).toBe(Math.floor(size / 4096));
        expect(ours.uncoveredBytes).toBe(size % 4096);
        expect(readFileSync(`${data}.ours`).equals(readFileSync(`${data}.ref`))).toBe(true);
        expect(veritysetup(["verify", data, `${data}.ours`, ours.rootHash]).code).toBe(0);
        expect(verityVerify(data, `${data}.ours`, ours.rootHash)).toBeNull();
        flipByte(data, Math.floor(size / 4096 / 2) * 4096 + 17);
        expect(veritysetup(["verify", data, `${data}.ours`, ours.rootHash]).code).not.toBe(0);
        expect(verityVerify(data, `${data}.ours`, ours.rootHash)).toContain("root hash mismatch");
        rmSync(data);
        rmSync(`${data}.ours`);
        rmSync(`${data}.ref`);
      },
      120_000,
    );
  }

  test("no salt (-) and a random salt/uuid read back from the superblock", () => {
    const data = makeData("nosalt", 10 * 4096);
    const ours = verityFormat(data, `${data}.ours`, { salt: "-", uuid: UUID });
    expect(ours.salt).toBe("-");
    const ref = veritysetup(["format", "--salt", "-", "--uuid", UUID, data, `${data}.ref`]);
    expect(ref.out).toContain(ours.rootHash);
    expect(readFileSync(`${data}.ours`).equals(readFileSync(`${data}.ref`))).toBe(true);
    const rnd = verityFormat(data, `${data}.rnd`);
    expect(rnd.salt).toMatch(/^[0-9a-f]{64}$/);
    expect(veritysetup(["dump", `${data}.rnd`]).out).toContain(rnd.uuid);
    expect(veritysetup(["verify", data, `${data}.rnd`, rnd.rootHash]).code).toBe(0);
  });

  test("data smaller than one block is refused, as veritysetup refuses it", () => {
    const data = makeData("tiny", 100);
    expect(() => verityFormat(data, `${data}.ours`, { salt: SALT, uuid: UUID })).toThrow("too small");
    expect(veritysetup(["format", data, `${data}.ref`]).code).not.toBe(0);
  });

  test("a tampered hash device is found even when the root hash still matches the data", () => {
    const data = makeData("hashflip", 300 * 4096);
    const r = verityFormat(data, `${data}.ours`, { salt: SALT, uuid: UUID });
    const hash = `${data}.ours`;
    const len = readFileSync(hash).length;
    flipByte(hash, len - 1); // zero padding of the last level-0 block: not read by the root
    expect(verityVerify(data, hash, r.rootHash)).toContain("does not match");
  });
});
