/**
 * sha256, HMAC-SHA256 and a constant-time comparison on Bun's native hasher. The agent's idle
 * path uses these instead of node:crypto, whose start-up cost (about 4 MiB resident) is paid
 * only once a signature or certificate has to be checked.
 */
export function sha256Hex(data: string | Uint8Array): string {
  return new Bun.CryptoHasher("sha256").update(data).digest("hex");
}

export function hmacSha256(key: string | Uint8Array, data: string | Uint8Array): Buffer {
  return new Bun.CryptoHasher("sha256", key).update(data).digest() as Buffer;
}

/** Equal bytes, compared in time that depends only on the length. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] as number) ^ (b[i] as number);
  return diff === 0;
}
