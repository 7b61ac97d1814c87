# Device assignment's part of the build, included by the Makefile: the lab's
# test driver for the passthru API (tests/lab/passthru-driver.c), which the
# host-devices scenario carries into the emulated host.
PASSTHRU_DRIVER := $(BUILD)/tests/passthru-driver

$(PASSTHRU_DRIVER): tests/lab/passthru-driver.c $(BUILD)/libsheer.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libsheer.a $(LDLIBS)

lab-check lab-assets: $(PASSTHRU_DRIVER)
