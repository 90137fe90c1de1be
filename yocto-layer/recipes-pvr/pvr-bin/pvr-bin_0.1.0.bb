SUMMARY = "pvr: the Pantavisor repository CLI and on-device agent (prebuilt Bun executable)"
DESCRIPTION = "One executable, built with bun build --compile: the pvr commands (same formats as \
Pantacor's Go pvr) and 'pvr agent', the pvr remote endpoint on port 12368. ${PN}-agent adds a \
hardened systemd unit for systemd-based images; on Pantavisor use the pvr-agent container."
LICENSE = "MIT"
LIC_FILES_CHKSUM = "file://${COMMON_LICENSE_DIR}/MIT;md5=0835ade698e0bcf8506ecda2f7b4f302"

# Checksums of the four executables (SRC_URI[<asset>.sha256sum]), PVR_BUILD_VERSION and
# PVR_BUILD_COMMIT: written by `npm run build:all` beside this recipe, with dist/.
include pvr-bin-sums.inc

# Where the executables come from: dist/ of the checkout this layer is in, or a release URL
# (set PVR_DIST_URI in local.conf; the sha256 checks below apply to both).
PVR_DIST_URI ??= "file://${PVR_LAYERDIR}/../dist"

PVR_ARCH = "${@ {'x86_64': 'x64', 'aarch64': 'arm64'}.get(d.getVar('TARGET_ARCH'), 'unsupported')}"
PVR_LIBC = "${@ '-musl' if d.getVar('TCLIBC') == 'musl' else ''}"
PVR_ASSET = "pvr-linux-${PVR_ARCH}${PVR_LIBC}"
PVR_DOWNLOAD_NAME = "${@ d.getVar('PVR_ASSET') if d.getVar('PVR_DIST_URI').startswith('file://') else d.getVar('PVR_ASSET') + '-' + d.getVar('PV')}"
PVR_SHA256 = "${@ d.getVarFlag('SRC_URI', d.getVar('PVR_ASSET') + '.sha256sum') or ''}"

SRC_URI = "${PVR_DIST_URI}/${PVR_ASSET};name=${PVR_ASSET};downloadfilename=${PVR_DOWNLOAD_NAME} \
           file://pvr-agent.service \
           file://pvr-agent.env \
"
S = "${@ d.getVar('UNPACKDIR') or d.getVar('WORKDIR')}"

python __anonymous() {
    arch = d.getVar('TARGET_ARCH')
    if arch not in ('x86_64', 'aarch64'):
        raise bb.parse.SkipRecipe("pvr is a Bun executable and Bun builds only for x86_64 and aarch64 Linux (no 32-bit ARM); TARGET_ARCH is %s" % arch)
    if d.getVar('TCLIBC') not in ('glibc', 'musl'):
        raise bb.parse.SkipRecipe("pvr needs glibc or musl (TCLIBC is %s)" % d.getVar('TCLIBC'))
    built = d.getVar('PVR_BUILD_VERSION')
    if not built:
        raise bb.parse.SkipRecipe("pvr-bin-sums.inc is missing: run `npm run build:all` in the pvr checkout (it writes dist/ and the checksums)")
    if built != d.getVar('PV'):
        raise bb.parse.SkipRecipe("pvr-bin-sums.inc is for pvr %s, this recipe is %s: rebuild with `npm run build:all`" % (built, d.getVar('PV')))
}

do_configure[noexec] = "1"
do_compile[noexec] = "1"

do_install() {
    echo "${PVR_SHA256}  ${S}/${PVR_DOWNLOAD_NAME}" | sha256sum -c -
    install -D -m 0755 ${S}/${PVR_DOWNLOAD_NAME} ${D}${bindir}/pvr
    install -D -m 0644 ${S}/pvr-agent.service ${D}${systemd_system_unitdir}/pvr-agent.service
    install -D -m 0644 ${S}/pvr-agent.env ${D}${sysconfdir}/default/pvr-agent
}

inherit systemd
PACKAGES =+ "${PN}-agent"
SYSTEMD_PACKAGES = "${PN}-agent"
SYSTEMD_SERVICE:${PN}-agent = "pvr-agent.service"
SYSTEMD_AUTO_ENABLE:${PN}-agent = "enable"
FILES:${PN} = "${bindir}/pvr"
FILES:${PN}-agent = "${systemd_system_unitdir}/pvr-agent.service ${sysconfdir}/default/pvr-agent"
CONFFILES:${PN}-agent = "${sysconfdir}/default/pvr-agent"
RDEPENDS:${PN}-agent = "${PN}"
# the musl builds link libstdc++ and libgcc_s dynamically (readelf -d); glibc ones only libc
RDEPENDS:${PN}:append:libc-musl = " libstdc++ libgcc"
RCONFLICTS:${PN} = "pvr"

# Bun --compile appends the JS bundle to the ELF (section .bun): strip/objcopy destroy it
# (oven-sh/bun#20599). The musl build's libc.musl-<arch>.so.1 is musl's loader itself, which no
# package provides under that name, hence file-rdeps.
INHIBIT_PACKAGE_STRIP = "1"
INHIBIT_PACKAGE_DEBUG_SPLIT = "1"
INHIBIT_SYSROOT_STRIP = "1"
INSANE_SKIP:${PN} += "already-stripped ldflags file-rdeps"
