# Tiny freestanding test guests run on /dev/kvm through the VM engine (tests/guests/README.md).
# Each guest is packaged as a bzImage and booted by tests/guests/runner.c via vm_create/vm_run.
GUEST_DIR    := $(BUILD)/guests
GUEST_NAMES  := hello boot pci acpi smp crash reboot garbage button irq ckpt chatter dirty count idle
GUEST_IMAGES := $(GUEST_NAMES:%=$(GUEST_DIR)/%.bzImage)
GUEST_CFLAGS := -std=gnu11 -O2 -Wall -Wextra -Werror -ffreestanding -fno-pic -fno-pie -fno-stack-protector \
                -mno-red-zone -mgeneral-regs-only -fno-asynchronous-unwind-tables -fcf-protection=none \
                -Itests/guests -Wa,--noexecstack
GUEST_LDFLAGS := -nostdlib -static -no-pie -Wl,--build-id=none -Wl,--no-warn-rwx-segments -Wl,-T,tests/guests/guest.ld
GUEST_COMMON := tests/guests/entry.S tests/guests/lib.c tests/guests/lib.h tests/guests/guest.ld

.PHONY: guest-check guest-images
guest-images: $(GUEST_IMAGES)

$(GUEST_DIR)/mkbzimage: tests/guests/mkbzimage.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -O2 -Wall -Wextra -Werror -o $@ $<

$(GUEST_DIR)/smp.elf: tests/guests/trampoline.S
$(GUEST_DIR)/irq.elf: tests/guests/irq_entry.S tests/guests/isr.inc
$(GUEST_DIR)/ckpt.elf: tests/guests/ckpt_entry.S tests/guests/isr.inc
$(GUEST_DIR)/%.elf: tests/guests/%.c $(GUEST_COMMON)
	@mkdir -p $(dir $@)
	$(CC) $(GUEST_CFLAGS) $(GUEST_LDFLAGS) -o $@ tests/guests/entry.S tests/guests/lib.c $< \
	      $(filter tests/guests/trampoline.S tests/guests/irq_entry.S tests/guests/ckpt_entry.S,$^)

# first: not a test; make bench times sheer's start-up with it (tests/guests/first.S).
$(GUEST_DIR)/first.elf: tests/guests/first.S tests/guests/guest.ld
	@mkdir -p $(dir $@)
	$(CC) $(GUEST_CFLAGS) $(GUEST_LDFLAGS) -o $@ $<

$(GUEST_DIR)/%.bin: $(GUEST_DIR)/%.elf
	objcopy -O binary $< $@

$(GUEST_DIR)/%.bzImage: $(GUEST_DIR)/%.bin $(GUEST_DIR)/mkbzimage
	$(GUEST_DIR)/mkbzimage $< $@

$(GUEST_DIR)/runner: tests/guests/runner.c $(BUILD)/libsheer.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libsheer.a $(LDLIBS)

# Then checkpoint/restore of the ckpt guest through the sheer program (tests/guests/checkpoint.sh),
# signals to a running sheer (tests/guests/signals.sh), defined servers started in the background
# with their console (tests/guests/lifecycle.sh), a console nobody reads
# (tests/guests/slow_console.sh, the chatter guest), and live migration of the dirty guest between two
# sheer processes (tests/guests/migrate.sh) and of the count guest (tests/guests/count_moves.sh), the
# control socket's HTTP API on a running idle guest (tests/guests/http_api.sh), and what pause, resume
# and shutdown --timeout 0 tell the operator (tests/guests/manage.sh, the dirty guest), and the host
# agent: its ops, a migration through it over TLS, who it refuses and its bounds (tests/guests/agent.sh).
# A test that hangs fails after 900 s instead of holding CI to its own deadline; each says how long it took.
GUEST_LIMIT := tests/guests/timed 900
guest-check: $(GUEST_IMAGES) $(GUEST_DIR)/runner $(BUILD)/sheer
	$(GUEST_LIMIT) $(GUEST_DIR)/runner $(GUEST_DIR)
	$(GUEST_LIMIT) tests/guests/checkpoint.sh $(BUILD)
	$(GUEST_LIMIT) tests/guests/signals.sh $(BUILD)
	$(GUEST_LIMIT) tests/guests/lifecycle.sh $(BUILD)
	$(GUEST_LIMIT) tests/guests/slow_console.sh $(BUILD)
	$(GUEST_LIMIT) tests/guests/migrate.sh $(BUILD)
	$(GUEST_LIMIT) tests/guests/count_moves.sh $(BUILD)/sheer $(GUEST_DIR)/count.bzImage
	$(GUEST_LIMIT) tests/guests/http_api.sh $(BUILD)
	$(GUEST_LIMIT) tests/guests/manage.sh $(BUILD)
	$(GUEST_LIMIT) tests/guests/agent.sh $(BUILD)
	$(GUEST_LIMIT) tests/guests/fleet.sh $(BUILD)

# bootlinux: a real kernel through the engine without the front end (for the lab; static so it can be --put).
$(GUEST_DIR)/bootlinux: tests/guests/bootlinux.c $(BUILD)/libsheer.a
	$(CC) $(CFLAGS) $(LDFLAGS) -static -o $@ $< $(BUILD)/libsheer.a -lnuma -llzma -lz -lseccomp -lpthread

# The same guests on stock KVM (on the lab's emulated SVM) inside a lab host: lab scenario tiny-guests.
$(GUEST_DIR)/runner-static: tests/guests/runner.c $(BUILD)/libsheer.a
	$(CC) $(CFLAGS) $(LDFLAGS) -static -o $@ $< $(BUILD)/libsheer.a -lnuma -llzma -lz -lseccomp -lpthread

.PHONY: guest-lab-check
guest-lab-check: $(GUEST_IMAGES) $(GUEST_DIR)/runner-static $(BUILD)/sheer
	tests/lab/run-scenarios tiny-guests
