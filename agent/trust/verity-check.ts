/**
 * Checking a dm-verity volume the way `veritysetup verify` does, without veritysetup: the
 * superblock is read from the hash device, the tree is rebuilt from the data with its salt, and
 * the root hash is compared with the expected one. Every rebuilt hash block is also compared
 * with the hash device's bytes, so a hash device that differs anywhere from what
 * `veritysetup format` writes is reported too. Constant memory, one pass over the data.
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { fromSystemError, PvrError } from "../errors";
import { blocksOf, buildTree, withData } from "./verity";
import { BLOCK, decodeSuperblock, encodeSuperblock, layout } from "./verity-sb";

/** Null when data, hash device and root hash agree, else the first problem found. */
export function verityVerify(dataPath: string, hashPath: string, rootHash: string): string | null {
  let hfd: number | undefined;
  try {
    hfd = openSync(hashPath, "r");
    const sbBuf = Buffer.alloc(BLOCK);
    readSync(hfd, sbBuf, 0, BLOCK, 0);
    const sb = decodeSuperblock(sbBuf);
    if (!sbBuf.equals(encodeSuperblock(sb))) return `${hashPath}: the superblock has unexpected bytes`;
    const fd = hfd;
    const onDisk = Buffer.alloc(BLOCK);
    let bad: number | null = null;
    const root = withData(dataPath, (dfd, size) => {
      const n = blocksOf(dataPath, size);
      if (n !== sb.dataBlocks) throw PvrError.integrity(`${dataPath} has ${n} data blocks; the hash device was made for ${sb.dataBlocks}`);
      const lay = layout(n);
      if (fstatSync(fd).size !== lay.totalBlocks * BLOCK) throw PvrError.integrity(`${hashPath} has the wrong size for ${n} data blocks`);
      return buildTree(dfd, lay, sb.salt, (index, block) => {
        if (bad !== null) return;
        readSync(fd, onDisk, 0, BLOCK, index * BLOCK);
        if (!onDisk.equals(block)) bad = index;
      });
    }).toString("hex");
    if (root !== rootHash.toLowerCase()) return `root hash mismatch: the data hashes to ${root}, the manifest says ${rootHash}`;
    if (bad !== null) return `${hashPath}: hash block ${bad} does not match the data`;
    return null;
  } catch (err) {
    if (err instanceof PvrError) return err.message;
    return fromSystemError(err, `cannot verify ${dataPath}`).message;
  } finally {
    if (hfd !== undefined) closeSync(hfd);
  }
}
