/**
 * The `.pv/` boot links of a deployment, derived from `bsp/run.json` (spec pvr-format 9.3,
 * device.md 2.6 and 4.3). Pure: returns link names and the state keys they point at.
 *
 *   fit              -> .pv/pantavisor.fit   (and nothing else: a FIT holds kernel, initrd, dtb)
 *   linux | kernel   -> .pv/pv-kernel.img    (Pantavisor reads `linux`; Go pvr read `kernel`,
 *                                             default `kernel.img`)
 *   initrd           -> .pv/pv-initrd.img    (Go pvr hard-coded `pantavisor`; kept as fallback)
 *   fdt              -> .pv/pv-fdt.dtb       (only when set)
 * Addons (`pv-initrd.img.<n>`) and rpiab images are left to Pantavisor, which re-creates its
 * boot links when it starts a revision. A named file missing from the state is an error, since
 * the device could not boot; no `bsp/run.json` at all (an apps-only deployment) is a warning.
 */
import { PvrError } from "../errors";
import { isJsonObject, type JsonValue } from "../state/json";
import { isSha, keyProblem, type State } from "../state/model";

export const RUN_JSON = "bsp/run.json";

export interface BootLink {
  /** Relative to the deployment root, e.g. `.pv/pv-kernel.img`. */
  link: string;
  /** The state key it hard-links, e.g. `bsp/kernel.img`. */
  target: string;
}

function name(run: Record<string, JsonValue>, key: string): string | undefined {
  const v = run[key];
  return typeof v === "string" && v !== "" ? v : undefined;
}

export function bootLinks(state: State): { links: BootLink[]; warnings: string[] } {
  const run = state[RUN_JSON];
  if (run === undefined) return { links: [], warnings: [`no ${RUN_JSON} in the state; .pv/ boot links were not created`] };
  if (isSha(run)) return { links: [], warnings: [`${RUN_JSON} is stored as an object; .pv/ boot links were not created`] };
  if (!isJsonObject(run)) throw PvrError.badState(`${RUN_JSON} must be a JSON object`);
  const wanted: Array<[string, string, string]> = [];
  const fit = name(run, "fit");
  if (fit) wanted.push([".pv/pantavisor.fit", fit, "fit"]);
  else {
    wanted.push([".pv/pv-kernel.img", name(run, "linux") ?? name(run, "kernel") ?? "kernel.img", "linux"]);
    wanted.push([".pv/pv-initrd.img", name(run, "initrd") ?? "pantavisor", "initrd"]);
    const fdt = name(run, "fdt");
    if (fdt) wanted.push([".pv/pv-fdt.dtb", fdt, "fdt"]);
  }
  const links = wanted.map(([link, file, field]) => {
    const target = `bsp/${file}`;
    const problem = keyProblem(target);
    if (problem) throw PvrError.unsafe(`${RUN_JSON} "${field}" names an unsafe path ${JSON.stringify(file)}: ${problem}`);
    if (state[target] === undefined) {
      throw PvrError.badState(`${RUN_JSON} "${field}" names ${target}, which is not in the state; the device could not boot`);
    }
    return { link, target };
  });
  return { links, warnings: [] };
}
