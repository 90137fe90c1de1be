"""Loads the Buildroot external tree's Config.in with kconfiglib (Debian python3-kconfiglib) under
stand-ins for the Buildroot symbols it uses, and reports for each scenario whether pvr can be
selected and which comments show.

Usage: kconfig_check.py EXTERNAL_DIR SCENARIO... where a scenario is a comma list of the
symbols set to y (e.g. "BR2_aarch64,BR2_TOOLCHAIN_USES_MUSL"). Prints JSON: a list of
{"scenario", "selectable", "comments", "site_default", "service"}.
"""
import json
import os
import sys
import tempfile

import kconfiglib

BUILDROOT = ["BR2_aarch64", "BR2_x86_64", "BR2_arm", "BR2_TOOLCHAIN_USES_GLIBC", "BR2_TOOLCHAIN_USES_MUSL",
             "BR2_TOOLCHAIN_USES_UCLIBC", "BR2_INSTALL_LIBSTDCPP", "BR2_STATIC_LIBS", "BR2_INIT_SYSTEMD"]

external = os.path.abspath(sys.argv[1])
os.environ["BR2_EXTERNAL_PVR_PATH"] = external
top = tempfile.NamedTemporaryFile("w", suffix=".Kconfig", delete=False)
top.write("".join('config %s\n\tbool "%s"\n' % (s, s) for s in BUILDROOT))
top.write('source "$BR2_EXTERNAL_PVR_PATH/Config.in"\n')
top.close()

results = []
for scenario in sys.argv[2:]:
    kconf = kconfiglib.Kconfig(top.name, warn_to_stderr=False)
    on = [s for s in scenario.split(",") if s]
    for s in on:
        kconf.syms[s].set_value(2)
    pvr = kconf.syms["BR2_PACKAGE_PVR"]
    selectable = pvr.visibility > 0
    if selectable:
        pvr.set_value(2)
    comments = [n.prompt[0] for n in kconf.node_iter() if n.item == kconfiglib.COMMENT and kconfiglib.expr_value(n.dep) > 0]
    results.append({
        "scenario": on,
        "selectable": selectable,
        "comments": comments,
        "site_default": kconf.syms["BR2_PACKAGE_PVR_SITE"].str_value,
        "service": kconf.syms["BR2_PACKAGE_PVR_AGENT_SERVICE"].str_value,
        "warnings": kconf.warnings,
    })
os.unlink(top.name)
print(json.dumps(results))
