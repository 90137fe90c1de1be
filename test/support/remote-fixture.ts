/** Test servers holding a given tree as their current state (json files inline, others objects). */
import { canonicalize } from "../../agent/state/canonical";
import { parseJson } from "../../agent/state/json";
import { sha256 } from "../helpers";
import { PvrSdkServer } from "./pvrsdk-server";

export const BIG = Buffer.from(Array.from({ length: 400_000 }, (_, i) => (i * 7919) % 251));

export const FILES: Record<string, string | Buffer> = {
  "bsp/kernel.img": BIG,
  "bsp/run.json": '{"linux":"kernel.img"}',
  "app/root.squashfs": "app rootfs\n",
  "app/run.json": '{"name":"app","cfg":{"a":1,"b":2}}',
  "_config/app/etc/x.conf": "x=1\n",
};

export function stateOf(files: Record<string, string | Buffer>): { state: string; objects: Record<string, Buffer> } {
  const state: Record<string, unknown> = { "#spec": "pantavisor-service-system@1" };
  const objects: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(files)) {
    if (k.endsWith(".json")) state[k] = JSON.parse(String(v));
    else {
      const sha = sha256(v);
      state[k] = sha;
      objects[sha] = Buffer.from(v);
    }
  }
  return { state: canonicalize(parseJson(JSON.stringify(state))), objects };
}

/** Servers started by a test file; stop them in afterEach with stopAll(). */
export class Servers {
  private list: PvrSdkServer[] = [];

  async start(files: Record<string, string | Buffer> = FILES, host?: string): Promise<PvrSdkServer> {
    const s = await PvrSdkServer.start({ host, ...stateOf(files) });
    this.list.push(s);
    return s;
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.list.map((s) => s.stop()));
    this.list = [];
  }
}
