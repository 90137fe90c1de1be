/**
 * Builds the single `pvr` executable with `bun build --compile` (see cross/targets.ts).
 *   bun cross/build.ts                         host build → dist/pvr (npm run build)
 *   bun cross/build.ts --target bun-linux-arm64 [--outfile F]
 *   bun cross/build.ts --all [--force]         the four release targets, dist/SHA256SUMS and the
 *                                              recipe checksum files (npm run build:all)
 * Never strip the result: a Bun executable carries its code in the ELF section `.bun`.
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { release } from "./release";
import { buildOne, DIST, target } from "./targets";

const { values } = parseArgs({
  options: {
    target: { type: "string" },
    outfile: { type: "string" },
    all: { type: "boolean", default: false },
    force: { type: "boolean", default: false },
  },
});

try {
  if (values.all) {
    const r = await release({ force: values.force, log: (s) => console.log(s) });
    if (r.reused.length) console.log(`reused (sources unchanged): ${r.reused.join(", ")}`);
    console.log(`pvr ${r.commit}: dist/SHA256SUMS`);
    for (const [name, sha] of r.sums) console.log(`  ${sha}  ${name}`);
  } else {
    const t = values.target ? target(values.target) : undefined;
    buildOne(t, values.outfile ?? (t ? join(DIST, t.name) : join(DIST, "pvr")));
  }
} catch (err) {
  console.error(`ERROR: ${(err as Error).message}`);
  process.exit(1);
}
