# sheer: one program, built into $(BUILD)/sheer.
#   make            build sheer and its man page (build/sheer.1)
#   make install    the program, man page and bash completion under PREFIX (/usr/local), DESTDIR honoured
#   make deps       install every Debian package the build, tests and lab need
#   make check      unit tests, KVM tiny-guest tests, lab scenarios
#   make asan-check unit and KVM tests under ASan/UBSan
#   make fuzz       libFuzzer on the parsers of hostile input, FUZZ_SECONDS each
#   make bench      benchmarks (tables, never pass/fail)
#   make demo       the main job: the OS image booting physical and logical in the lab
#   make clean

BUILD    ?= build
PREFIX   ?= /usr/local
CC       ?= gcc
SANITIZE ?=

# Debian packages for build, tests and the lab; `make deps` installs the missing ones.
DEB_PACKAGES := gcc clang libclang-rt-14-dev make pkg-config check libpci-dev libnuma-dev libhwloc-dev libjansson-dev \
                linux-libc-dev qemu-system-x86 qemu-utils busybox-static cpio kmod gzip xz-utils \
                zstd ipmitool openipmi seabios ipxe-qemu iproute2 procps psmisc pci.ids python3 acpica-tools \
                liblzma-dev zlib1g-dev libseccomp-dev libssl-dev openssl libfreeipmi-dev libcurl4-openssl-dev \
                syslinux syslinux-common mtools dosfstools fdisk groff-base man-db bsdextrautils \
                libmicrohttpd-dev curl prometheus libsqlite3-dev etcd-server jq
PKG_MODULES  := libpci numa hwloc jansson check liblzma zlib libseccomp openssl libfreeipmi libcurl libmicrohttpd sqlite3

MISSING_PKG := $(shell for m in $(PKG_MODULES); do pkg-config --exists $$m 2>/dev/null || echo $$m; done)
ifneq ($(filter-out deps clean,$(or $(MAKECMDGOALS),all)),)
ifneq ($(MISSING_PKG),)
$(error missing development packages for: $(MISSING_PKG); run 'make deps' first)
endif
endif

CFLAGS   := -std=gnu11 -Wall -Wextra -Werror -O2 -g -D_GNU_SOURCE -I. \
            $(shell pkg-config --cflags libpci numa hwloc jansson liblzma zlib libseccomp openssl libfreeipmi libcurl libmicrohttpd sqlite3 2>/dev/null)
LDLIBS   := $(shell pkg-config --libs libpci numa hwloc jansson liblzma zlib libseccomp openssl libfreeipmi libcurl libmicrohttpd sqlite3 2>/dev/null) -lpthread -lm
CHECK_CFLAGS := $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS   := $(shell pkg-config --libs check 2>/dev/null)
ifneq ($(SANITIZE),)
CFLAGS  += -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
endif
# FUZZ=1: clang, the library instrumented for libFuzzer's coverage (used by `make fuzz`).
ifneq ($(FUZZ),)
CC      := clang
CFLAGS  += -fsanitize=fuzzer-no-link
endif

MODULES  := vmm passthru iommu p2v power
# Every .c under the modules, subfolders included; the program's entry point is built apart.
LIB_SRCS := $(filter-out vmm/cli/main.c,$(sort $(shell find $(MODULES) -name '*.c')))
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o)
UNIT_SRCS := $(wildcard tests/unit/check_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: all deps install check layering-check unit-check guest-check lab-check asan-check fuzz fuzz-check bench demo clean lab-assets
all: $(BUILD)/sheer $(BUILD)/sheer.1

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/libsheer.a: $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/sheer: $(BUILD)/vmm/cli/main.o $(BUILD)/libsheer.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The man page is the program's own (vmm/cli/man_page.c, from the command table): it cannot drift from it.
$(BUILD)/sheer.1: $(BUILD)/sheer
	$< help --man >$@.tmp && mv $@.tmp $@

install: $(BUILD)/sheer $(BUILD)/sheer.1
	install -D -m 0755 $(BUILD)/sheer $(DESTDIR)$(PREFIX)/bin/sheer
	install -D -m 0644 $(BUILD)/sheer.1 $(DESTDIR)$(PREFIX)/share/man/man1/sheer.1
	install -D -m 0644 vmm/cli/sheer.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/sheer
	@mkdir -p $(DESTDIR)$(PREFIX)/lib/systemd/system
	for unit in sheer@.service sheer-autostart.service sheer-agent.service sheer-fleet.service; do \
		sed 's|@BINDIR@|$(PREFIX)/bin|g' vmm/cli/systemd/$$unit >$(DESTDIR)$(PREFIX)/lib/systemd/system/$$unit || exit 1; \
	done

# The test build (tests/lab sheer-sandbox): the same program with the sandbox's forbidden-call hook.
# Its hook object comes before the library, so the release one in libsheer.a is never linked in.
$(BUILD)/hooks/test_hook.o: vmm/sandbox/test_hook.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -DSHEER_TEST_HOOKS -c -o $@ $<

$(BUILD)/sheer-test-hooks: $(BUILD)/vmm/cli/main.o $(BUILD)/hooks/test_hook.o $(BUILD)/libsheer.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/check_%: tests/unit/check_%.c tests/unit/runner.c $(BUILD)/libsheer.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(CHECK_CFLAGS) $(LDFLAGS) -o $@ tests/unit/check_$*.c tests/unit/runner.c \
	      $(BUILD)/libsheer.a $(CHECK_LIBS) $(LDLIBS)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
include tests/guests/guests.mk
include passthru/passthru.mk

# The packages, and the unprivileged user the VMM runs as when started by root (README, "Security").
deps:
	@if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	missing=$$(for p in $(DEB_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -z "$$missing" ]; then echo "deps: all Debian packages present"; else \
		echo "deps: installing $$missing"; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing || exit 1; \
	fi; \
	getent passwd sheer >/dev/null || { echo "deps: adding the system user 'sheer' for the VMM"; \
		$$SUDO useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin sheer; }

# Each Check binary prints its own summary line; every binary runs even if one fails.
# cli_errors.sh drives the built program with bad input (exit 2, one line, nothing left);
# power_simulate.sh checks what `sheer power simulate` writes (streamed rows, --csv -, the plot);
# fleet_check.sh checks what `sheer fleet check` prints of the example fleet file (text, JSON, DST);
# cli_help.sh checks every subcommand's help, the man page, make install and the completion;
# bmc.sh drives `sheer bmc` against ipmi_sim and the test Redfish BMC; check_store starts its own etcd
# (Debian's etcd-server) on free ports and kills it at the end.
unit-check: $(UNIT_BINS) $(BUILD)/sheer $(BUILD)/sheer.1
	@rc=0; for t in $(UNIT_BINS); do echo "== $$t"; CK_FORK=yes SHEER_TEST_ROOT=$(CURDIR) $$t || rc=1; done; \
	echo "== tests/unit/cli_errors.sh"; tests/unit/cli_errors.sh $(BUILD)/sheer || rc=1; \
	echo "== tests/unit/power_simulate.sh"; tests/unit/power_simulate.sh $(BUILD)/sheer || rc=1; \
	echo "== tests/unit/fleet_check.sh"; tests/unit/fleet_check.sh $(BUILD)/sheer || rc=1; \
	echo "== tests/unit/cli_help.sh"; tests/unit/cli_help.sh $(BUILD) || rc=1; \
	echo "== tests/bmc/bmc.sh"; tests/bmc/bmc.sh $(BUILD) || rc=1; exit $$rc

lab-assets: $(BUILD)/sheer
	tests/lab/lab assets

# The lab scenarios, the tiny guests on real KVM (nested SVM) in a lab host among them (tiny-guests).
lab-check: $(BUILD)/sheer $(BUILD)/sheer-test-hooks $(GUEST_IMAGES) $(GUEST_DIR)/runner-static
	tests/lab/run-scenarios

# tests/layering/check: no #include points up the layering of tests/layering/layers.
layering-check:
	tests/layering/check

# The unit tests mostly wait (on BMCs, sockets, timeouts) while the tiny guests keep about one core
# busy: the two run side by side, each one's output printed whole when it ends; the lab, which keeps
# both cores busy, after them.
SIDE_BY_SIDE := --no-print-directory -j2 --output-sync=target

check: all layering-check
	$(MAKE) $(SIDE_BY_SIDE) unit-check guest-check
	$(MAKE) --no-print-directory lab-check

asan-check:
	$(MAKE) $(SIDE_BY_SIDE) BUILD=$(BUILD)/asan SANITIZE=1 unit-check guest-check

$(BUILD)/tests/first_byte: tests/bench/first_byte.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $<

$(BUILD)/tests/planner_scale: tests/bench/planner_scale.c $(BUILD)/libsheer.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libsheer.a $(LDLIBS)

# Each target runs FUZZ_SECONDS from a corpus that grows in $(BUILD)/corpus (seeded from tests/fuzz/corpus).
FUZZ_SECONDS ?= 20
FUZZ_SRCS    := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS    := $(FUZZ_SRCS:tests/fuzz/%.c=$(BUILD)/fuzz/%)

$(BUILD)/fuzz/%: tests/fuzz/%.c tests/fuzz/fuzz_input.h $(BUILD)/libsheer.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -fsanitize=fuzzer $(LDFLAGS) -o $@ $< $(BUILD)/libsheer.a $(LDLIBS)

fuzz-check: $(FUZZ_BINS)
	@rc=0; passed=0; failed=0; for f in $(FUZZ_BINS); do \
		name=$$(basename $$f); corpus=$(BUILD)/corpus/$$name; mkdir -p $$corpus; \
		[ -d tests/fuzz/corpus/$$name ] && cp -n tests/fuzz/corpus/$$name/* $$corpus/ 2>/dev/null; \
		if $$f -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -print_final_stats=0 -artifact_prefix=$(BUILD)/$$name- $$corpus >$(BUILD)/$$name.log 2>&1; \
		then passed=$$((passed + 1)); echo "PASS $$name: $$(grep -o 'Done [0-9]* runs' $(BUILD)/$$name.log)"; \
		else failed=$$((failed + 1)); rc=1; echo "FAIL $$name:"; tail -n 40 $(BUILD)/$$name.log; fi; \
	done; echo "fuzz: $$passed passed, $$failed failed"; exit $$rc

fuzz:
	$(MAKE) BUILD=$(BUILD)/fuzz-build FUZZ=1 SANITIZE=1 fuzz-check

bench: all $(BUILD)/tests/first_byte $(BUILD)/tests/planner_scale guest-images $(BUILD)/guests/first.bzImage
	BUILD=$(BUILD) tests/bench/run

demo: all
	tests/lab/demo

clean:
	rm -rf $(BUILD)
