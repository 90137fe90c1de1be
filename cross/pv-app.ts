/**
 * The agent as a Pantavisor container app (device.md 1.10, 4.5, 8.4, 8.5): the pvr template
 * args and Docker-style config (the same values the Yocto container recipe ships as
 * pvr-agent.args.json / pvr-agent.config.json), and the run.json, lxc.container.conf and
 * src.json that `pvr app add --type rootfs` with builtin-lxc-docker would write for them.
 * Role mgmt (whole /pantavisor incl. the pv-ctrl socket), host network (no PV_LXC_NETWORK_TYPE:
 * the net namespace is kept, so the agent listens on the device's IP), /storage bound
 * read-write (PV_SECURITY_WITH_STORAGE), and a permanent volume for the agent's database.
 */
export const APP_NAME = "pvr-agent";
export const AGENT_PORT = 12368;
export const DATA_DIR = "/var/lib/pvr-agent";

export const AGENT_ARGS = {
  PV_GROUP: "platform",
  PV_RESTART_POLICY: "system",
  PV_ROLES: ["mgmt"],
  PV_SECURITY_WITH_STORAGE: "yes",
  PV_STATUS_GOAL: "STARTED",
};

export const AGENT_CONFIG = {
  Entrypoint: ["/usr/bin/pvr", "agent", "--listen", `0.0.0.0:${AGENT_PORT}`, "--storage", "/storage", "--backend", "pantavisor", "--pv-ctrl", "/pantavisor/pv-ctrl", "--db", `${DATA_DIR}/agent.db`],
  Env: ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"],
  WorkingDir: "/",
  Volumes: { [DATA_DIR]: {} },
};

/** pvr's dockerVolumeName: "docker-" + path, trailing "/" trimmed, "/" → "-". */
export function dockerVolumeName(path: string): string {
  return `docker-${path.replace(/\/+$/, "").replaceAll("/", "-")}`;
}

export function runJson(name = APP_NAME): Record<string, unknown> {
  const storage: Record<string, unknown> = {};
  for (const v of Object.keys(AGENT_CONFIG.Volumes)) storage[dockerVolumeName(v)] = { persistence: "permanent" };
  storage["lxc-overlay"] = { persistence: "boot" };
  return {
    "#spec": "service-manifest-run@1",
    name,
    config: "lxc.container.conf",
    drivers: { manual: [], optional: [], required: [] },
    group: AGENT_ARGS.PV_GROUP,
    restart_policy: AGENT_ARGS.PV_RESTART_POLICY,
    roles: AGENT_ARGS.PV_ROLES,
    "root-volume": "root.squashfs",
    status_goal: AGENT_ARGS.PV_STATUS_GOAL,
    storage,
    type: "lxc",
    volumes: [],
  };
}

export function lxcConf(name = APP_NAME): string {
  const lines = [
    "lxc.tty.max = 8",
    "lxc.pty.max = 1024",
    "lxc.cgroup.devices.allow = a",
    `lxc.rootfs.path = overlayfs:/volumes/${name}/root.squashfs:/volumes/${name}/lxc-overlay/upper`,
    `lxc.init.cmd = ${AGENT_CONFIG.Entrypoint.join(" ")}`,
    `lxc.init.cwd = ${AGENT_CONFIG.WorkingDir}`,
    ...AGENT_CONFIG.Env.map((e) => `lxc.environment = ${e}`),
    "lxc.namespace.keep = user  net  ipc",
    "lxc.mount.auto = proc  sys:rw  cgroup",
    "lxc.mount.entry = tmpfs run tmpfs rw,nodev,relatime,create=dir,mode=755 0 0",
    "lxc.mount.entry = /etc/resolv.conf etc/resolv.conf none bind,rw,create=file 0 0",
    "lxc.mount.entry = /storage storage none bind,rw,create=dir 0 0",
    ...Object.keys(AGENT_CONFIG.Volumes).map((v) => `lxc.mount.entry = /volumes/${name}/${dockerVolumeName(v)} ${v.slice(1)} none bind,rw,create=dir 0 0`),
  ];
  return `${lines.join("\n")}\n`;
}

export function srcJson(opts: { from: string; squashSha: string; formatOptions: string }): Record<string, unknown> {
  return {
    "#spec": "service-manifest-src@1",
    template: "builtin-lxc-docker",
    args: AGENT_ARGS,
    docker_config: AGENT_CONFIG,
    format_options: opts.formatOptions,
    rootfs_url: opts.from,
    rootfs_digest: `sha256:${opts.squashSha}`,
  };
}
