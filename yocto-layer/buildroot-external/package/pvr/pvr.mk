################################################################################
#
# pvr (prebuilt Bun executable; pvr.hash is written by `npm run build:all`)
#
################################################################################

PVR_VERSION = 0.1.0
PVR_ARCH = $(if $(BR2_aarch64),arm64,x64)
PVR_SOURCE = pvr-linux-$(PVR_ARCH)$(if $(BR2_TOOLCHAIN_USES_MUSL),-musl)
ifeq ($(call qstrip,$(BR2_PACKAGE_PVR_SITE)),)
PVR_SITE = $(BR2_EXTERNAL_PVR_PATH)/../../dist
PVR_SITE_METHOD = file
else
PVR_SITE = $(call qstrip,$(BR2_PACKAGE_PVR_SITE))
endif
PVR_LICENSE = MIT

# a single executable, not an archive
define PVR_EXTRACT_CMDS
	cp $(PVR_DL_DIR)/$(PVR_SOURCE) $(@D)/pvr
endef

define PVR_INSTALL_TARGET_CMDS
	$(INSTALL) -D -m 0755 $(@D)/pvr $(TARGET_DIR)/usr/bin/pvr
endef

ifeq ($(BR2_PACKAGE_PVR_AGENT_SERVICE),y)
define PVR_INSTALL_INIT_SYSTEMD
	$(INSTALL) -D -m 0644 $(PVR_PKGDIR)/pvr-agent.service $(TARGET_DIR)/usr/lib/systemd/system/pvr-agent.service
	$(INSTALL) -D -m 0644 $(PVR_PKGDIR)/pvr-agent.env $(TARGET_DIR)/etc/default/pvr-agent
endef
endif

# Bun keeps the program in the ELF section .bun, which strip destroys (oven-sh/bun#20599):
# keep target-finalize's strip away from it.
ifeq ($(BR2_PACKAGE_PVR),y)
BR2_STRIP_EXCLUDE_FILES += pvr
endif

$(eval $(generic-package))
