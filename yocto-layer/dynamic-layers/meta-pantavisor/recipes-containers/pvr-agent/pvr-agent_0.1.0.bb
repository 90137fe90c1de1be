SUMMARY = "pvr agent as a Pantavisor container (mgmt role, host network, /storage)"
DESCRIPTION = "The pvr remote endpoint (port 12368, /cgi-bin/pvr) in an lxc container next to \
or instead of pvr-sdk: role mgmt (pv-ctrl, all meta, logs), the host's network, /storage bound \
read-write, a permanent volume for its database. Same shape as cross/pv-container.ts builds."
LICENSE = "MIT"
LIC_FILES_CHKSUM = "file://${COMMON_LICENSE_DIR}/MIT;md5=0835ade698e0bcf8506ecda2f7b4f302"

# meta-pantavisor's pattern for an app container (pvwificonnect, pv-mqtt-sdk): an image recipe
# whose only output is ${PN}.pvrexport.tgz, made by `pvr app add --type rootfs` from the image.
inherit image container-pvrexport

IMAGE_BASENAME = "pvr-agent"
IMAGE_FSTYPES = "pvrexportit"
# pvr-bin pulls libstdc++ and libgcc on musl (panta-distro containers are TCLIBC = "musl")
IMAGE_INSTALL = "busybox base-files base-passwd pvr-bin"
IMAGE_FEATURES = ""
IMAGE_LINGUAS = ""
NO_RECOMMENDATIONS = "1"
PVRIMAGE_AUTO_MDEV = "0"

# PV_ROLES (mgmt), PV_SECURITY_WITH_STORAGE and the rest are in the args file; config.json's
# Volumes makes /var/lib/pvr-agent the permanent docker--var-lib-pvr-agent volume, so no ovl
# volume (container-pvrexport would otherwise add one on all of /var).
SRC_URI += "file://pvr-agent.args.json file://pvr-agent.config.json"
PVR_APP_ADD_GROUP = "platform"
PVR_APP_ADD_EXTRA_ARGS = ""
PVR_SIG_ADD_ARGS = "--part ${PN}"

# pvroot-image depends on the containers' do_deploy (older container-pvrexport has none)
fakeroot do_deploy() {
    :
}
addtask deploy after do_image_complete before do_build
