include $(sort $(wildcard $(BR2_EXTERNAL_PVR_PATH)/package/*/*.mk))
