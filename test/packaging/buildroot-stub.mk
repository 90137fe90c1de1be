# Stand-ins for the few Buildroot pieces package/pvr/pvr.mk uses, so a test can run its download
# (file method), hash check, extract, target and systemd installs, and see what target-finalize's
# strip would touch. Usage: make -f buildroot-stub.mk CONFIG=<.config> WORK=<dir> install|print
# BR2_EXTERNAL_PVR_PATH comes from CONFIG (as Buildroot exports it).
qstrip = $(strip $(subst ",,$(1)))
generic-package =
INSTALL = install
DL_DIR = $(WORK)/dl
TARGET_DIR = $(WORK)/target
PVR_DL_DIR = $(DL_DIR)/pvr
PVR_PKGDIR = $(BR2_EXTERNAL_PVR_PATH)/package/pvr

include $(CONFIG)
include $(BR2_EXTERNAL_PVR_PATH)/external.mk

print:
	@echo 'PVR_VERSION=$(PVR_VERSION)'
	@echo 'PVR_SOURCE=$(PVR_SOURCE)'
	@echo 'PVR_SITE=$(PVR_SITE)'
	@echo 'PVR_SITE_METHOD=$(PVR_SITE_METHOD)'
	@echo 'PVR_LICENSE=$(PVR_LICENSE)'
	@echo 'STRIP_EXCLUDE=$(call qstrip,$(BR2_STRIP_EXCLUDE_FILES))'

# download (file method) + hash check as support/download/dl-wrapper does, then the package steps
install: $(WORK)/build/pvr/.stamp_installed
	@cd $(TARGET_DIR) && find . -type f -perm /111 $(foreach f,$(call qstrip,$(BR2_STRIP_EXCLUDE_FILES)),-not -name '$(f)') | sed 's/^/would strip: /'

$(WORK)/build/pvr/.stamp_installed:
	mkdir -p $(PVR_DL_DIR) $(@D)
	cp $(PVR_SITE)/$(PVR_SOURCE) $(PVR_DL_DIR)/$(PVR_SOURCE)
	cd $(PVR_DL_DIR) && grep '^sha256 ' $(PVR_PKGDIR)/pvr.hash | awk '$$3 == "$(PVR_SOURCE)" { print $$2 "  " $$3 }' | sha256sum -c -
	$(PVR_EXTRACT_CMDS)
	$(PVR_INSTALL_TARGET_CMDS)
	$(PVR_INSTALL_INIT_SYSTEMD)
	touch $@
