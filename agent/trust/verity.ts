/**
 * dm-verity hash trees computed exactly like `veritysetup format` (format 1, sha256, 4096-byte
 * data and hash blocks; spec pvr-format 14, device 5): each digest is sha256(salt || block), 128
 * digests fill a hash block (zero-padded), levels are stored top-down after the superblock, and
 * the root hash is the digest of the single top block (or of the only data block). Like
 * veritysetup, a trailing partial data block is not covered. The tree is built in one pass over
 * the data with one pending block per level, so memory stays constant whatever the size.
 * verity-check.ts rebuilds the tree to compare it with an existing hash device.
 */
import { closeSync, fstatSync, openSync, readvSync, renameSync, unlinkSync } from "node:fs";
import { basename, dirname } from "node:path";
import { fromSystemError, PvrError } from "../errors";
import { tempPath, writeAll } from "../fsutil/durable";
import { BLOCK, DIGEST, encodeSuperblock, type Layout, layout, parseSalt, parseUuid, saltText } from "./verity-sb";

const PER_BLOCK = BLOCK / DIGEST;
const CHUNK_BLOCKS = 256;

export interface VerityResult {
  rootHash: string;
  /** as veritysetup prints it: hex, or "-" for no salt */
  salt: string;
  uuid: string;
  dataBlocks: number;
  /** bytes of the hash device */
  hashSize: number;
  /** bytes at the end of the data not covered (not a multiple of 4096) */
  uncoveredBytes: number;
}

/** Receives every hash block with its block index on the hash device. */
export type Sink = (index: number, block: Buffer) => void;

export function buildTree(fd: number, lay: Layout, salt: Buffer, sink: Sink): Buffer {
  const stage = Buffer.alloc(salt.length + BLOCK);
  salt.copy(stage);
  const digest = Buffer.alloc(DIGEST);
  const hashInto = (src: Buffer, out: Buffer) => {
    src.copy(stage, salt.length);
    Bun.SHA256.hash(stage, out);
  };
  const levels = lay.levelStart.length;
  const pending = Array.from({ length: levels }, () => Buffer.alloc(BLOCK));
  const fill = new Array<number>(levels).fill(0);
  const emitted = new Array<number>(levels).fill(0);
  const root = Buffer.alloc(DIGEST);
  const push = (level: number, d: Buffer): void => {
    if (level === levels) return void d.copy(root);
    d.copy(pending[level] as Buffer, (fill[level] as number) * DIGEST);
    if (++(fill[level] as number) === PER_BLOCK) flush(level);
  };
  const flush = (level: number): void => {
    const block = pending[level] as Buffer;
    block.fill(0, (fill[level] as number) * DIGEST);
    sink((lay.levelStart[level] as number) + (emitted[level] as number)++, block);
    const up = Buffer.alloc(DIGEST);
    hashInto(block, up);
    fill[level] = 0;
    push(level + 1, up);
  };
  // data blocks are read straight behind salt copies (readv), so each slot hashes in place
  const slot = salt.length + BLOCK;
  const slots = Buffer.alloc(slot * CHUNK_BLOCKS);
  for (let i = 0; i < CHUNK_BLOCKS; i++) salt.copy(slots, i * slot);
  const whole = Array.from({ length: CHUNK_BLOCKS }, (_, i) => slots.subarray(i * slot, (i + 1) * slot));
  const bodies = whole.map((w) => w.subarray(salt.length));
  for (let done = 0; done < lay.dataBlocks; ) {
    const count = Math.min(lay.dataBlocks - done, CHUNK_BLOCKS);
    let got = 0;
    while (got < count * BLOCK) {
      const first = Math.floor(got / BLOCK);
      const views: NodeJS.ArrayBufferView[] = bodies.slice(first, count);
      if (got % BLOCK) views[0] = (bodies[first] as Buffer).subarray(got % BLOCK);
      const n = readvSync(fd, views, done * BLOCK + got);
      if (n <= 0) throw PvrError.failed("the data device shrank while it was being hashed");
      got += n;
    }
    for (let i = 0; i < count; i++) {
      Bun.SHA256.hash(whole[i] as Buffer, digest);
      push(0, digest);
    }
    done += count;
  }
  for (let level = 0; level < levels; level++) if (fill[level]) flush(level);
  return root; // with one data block there are no levels: its digest is the root
}

export function withData<T>(dataPath: string, run: (fd: number, size: number) => T): T {
  let fd: number | undefined;
  try {
    fd = openSync(dataPath, "r");
    return run(fd, fstatSync(fd).size);
  } catch (err) {
    throw fromSystemError(err, `cannot hash ${dataPath}`);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

export function blocksOf(dataPath: string, size: number): number {
  const n = Math.floor(size / BLOCK);
  if (n === 0) throw PvrError.failed(`${dataPath} is too small for dm-verity: it needs at least one 4096-byte block`);
  return n;
}

/** `veritysetup format [--salt S] [--uuid U] <data> <hash>`: writes the hash device atomically. */
export function verityFormat(dataPath: string, hashPath: string, opts: { salt?: string; uuid?: string } = {}): VerityResult {
  const salt = parseSalt(opts.salt);
  const uuid = parseUuid(opts.uuid);
  return withData(dataPath, (dfd, size) => {
    const lay = layout(blocksOf(dataPath, size));
    const tmp = tempPath(dirname(hashPath), basename(hashPath));
    const hfd = openSync(tmp, "wx", 0o644);
    try {
      const write = (index: number, block: Buffer) => writeAll(hfd, block, index * BLOCK);
      write(0, encodeSuperblock({ uuid, salt, dataBlocks: lay.dataBlocks }));
      const root = buildTree(dfd, lay, salt, write);
      closeSync(hfd);
      renameSync(tmp, hashPath);
      return { rootHash: root.toString("hex"), salt: saltText(salt), uuid, dataBlocks: lay.dataBlocks, hashSize: lay.totalBlocks * BLOCK, uncoveredBytes: size % BLOCK };
    } catch (err) {
      try {
        closeSync(hfd);
      } catch {}
      try {
        unlinkSync(tmp);
      } catch {}
      throw fromSystemError(err, `cannot write ${hashPath}`);
    }
  });
}
