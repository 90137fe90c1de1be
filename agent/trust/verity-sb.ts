/**
 * The dm-verity on-disk header as `veritysetup format` writes it (format 1, sha256, 4096-byte
 * blocks): a 512-byte little-endian superblock at the start of the hash device, zero-padded to
 * one hash block, and the salt/uuid conventions of veritysetup's command line and output
 * (salt as lowercase hex, `-` for none; uuid in canonical 8-4-4-4-12 form).
 */
import { randomBytes, randomUUID } from "node:crypto";
import { PvrError } from "../errors";

export const BLOCK = 4096;
export const DIGEST = 32;
const MAGIC = Buffer.from("verity\0\0", "latin1");
const MAX_SALT = 256;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface VerityHeader {
  uuid: string;
  salt: Buffer;
  dataBlocks: number;
}

/** veritysetup's `--salt`: hex digits, or `-`/empty for no salt; default 32 random bytes. */
export function parseSalt(salt: string | undefined): Buffer {
  if (salt === undefined) return randomBytes(32);
  if (salt === "-" || salt === "") return Buffer.alloc(0);
  if (!/^([0-9a-fA-F]{2})+$/.test(salt)) throw PvrError.badJson(`verity salt ${JSON.stringify(salt)} is not an even number of hex digits`);
  const b = Buffer.from(salt, "hex");
  if (b.length > MAX_SALT) throw PvrError.badJson(`verity salt is longer than ${MAX_SALT} bytes`);
  return b;
}

/** The salt as veritysetup prints it (and pvr stores it): lowercase hex, `-` when empty. */
export function saltText(salt: Buffer): string {
  return salt.length ? salt.toString("hex") : "-";
}

export function parseUuid(uuid: string | undefined): string {
  if (uuid === undefined) return randomUUID();
  if (!UUID_RE.test(uuid)) throw PvrError.badJson(`verity uuid ${JSON.stringify(uuid)} is not a UUID`);
  return uuid.toLowerCase();
}

/** The first hash block: the superblock followed by zeros. */
export function encodeSuperblock(h: VerityHeader): Buffer {
  const b = Buffer.alloc(BLOCK);
  MAGIC.copy(b, 0);
  b.writeUInt32LE(1, 8); // superblock version
  b.writeUInt32LE(1, 12); // hash type 1 (normal, salt first)
  Buffer.from(h.uuid.replace(/-/g, ""), "hex").copy(b, 16);
  b.write("sha256", 32, "latin1");
  b.writeUInt32LE(BLOCK, 64);
  b.writeUInt32LE(BLOCK, 68);
  b.writeBigUInt64LE(BigInt(h.dataBlocks), 72);
  b.writeUInt16LE(h.salt.length, 80);
  h.salt.copy(b, 88);
  return b;
}

/** Reads a superblock; throws when it is not a format-1 sha256 4096/4096 header. */
export function decodeSuperblock(b: Buffer): VerityHeader {
  if (b.length < 512 || !b.subarray(0, 8).equals(MAGIC)) throw PvrError.badJson("not a verity hash device (no superblock)");
  const alg = b.subarray(32, 64).toString("latin1").replace(/\0+$/, "");
  if (b.readUInt32LE(8) !== 1 || b.readUInt32LE(12) !== 1 || alg !== "sha256" || b.readUInt32LE(64) !== BLOCK || b.readUInt32LE(68) !== BLOCK) {
    throw PvrError.badJson("unsupported verity superblock (pvr handles format 1, sha256, 4096-byte blocks)");
  }
  const hex = b.subarray(16, 32).toString("hex");
  const uuid = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  const saltLen = b.readUInt16LE(80);
  return { uuid, salt: Buffer.from(b.subarray(88, 88 + saltLen)), dataBlocks: Number(b.readBigUInt64LE(72)) };
}

export interface Layout {
  dataBlocks: number;
  /** first block of each level (0 = the level hashing data blocks), superblock at block 0 */
  levelStart: number[];
  levelSize: number[];
  /** total blocks of the hash device, superblock included */
  totalBlocks: number;
}

/** veritysetup's tree shape: levels stored top-down after the superblock, 128 digests a block. */
export function layout(dataBlocks: number): Layout {
  let levels = 0;
  while (7 * levels < 64 && Math.floor((dataBlocks - 1) / 2 ** (7 * levels)) > 0) levels++;
  const levelStart: number[] = new Array(levels).fill(0);
  const levelSize: number[] = new Array(levels).fill(0);
  let pos = 1;
  for (let i = levels - 1; i >= 0; i--) {
    levelStart[i] = pos;
    levelSize[i] = Math.ceil(dataBlocks / 2 ** (7 * (i + 1)));
    pos += levelSize[i] as number;
  }
  return { dataBlocks, levelStart, levelSize, totalBlocks: pos };
}
