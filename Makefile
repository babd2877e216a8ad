# SPDX-License-Identifier: GPL-2.0 OR MIT
#
# xen-handover top-level build.
#   make              userspace tools, test programs, fuzz targets (and the
#                     guest module when Debian kernel headers are installed)
#   make check        every test (tests/run-all.sh --no-deps)
#   make SANITIZE=1   the same under ASan+UBSan into build/asan
#   make module       the guest module only
#   make demo | e2e   the README demo / the Xen-under-QEMU tests
#   make install      the dom0 tools and the guest's modprobe.d rule
#                     (install-tools, install-guest; DESTDIR, PREFIX, ...);
#                     make uninstall removes them; debian/ packages them
#
# The module itself is described by Kbuild, which kbuild reads in
# preference to this file.

# The part archives' rules come from $(eval) further down, before "all:".
.DEFAULT_GOAL := all

SANITIZE ?= 0
ifeq ($(SANITIZE),1)
BUILD ?= build/asan
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all \
	     -fno-omit-frame-pointer
else
BUILD ?= build
SAN_FLAGS :=
endif

CC ?= gcc
FUZZ_CC ?= clang
WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wformat=2 \
	-Wvla -Wmissing-prototypes
TOOL_DIR := tools/tapdisk-activate
# Headers of the dom0 tools are named by part: #include "lease/lease.h".
CPPFLAGS += -D_GNU_SOURCE -Iinclude -I$(TOOL_DIR) -Itests/lib -MMD -MP
CFLAGS ?= -O2 -g
CFLAGS += -std=c11 $(WARN) $(SAN_FLAGS)
LDFLAGS += $(SAN_FLAGS)
# Xen's libraries as their pkg-config files describe them (xenstore.pc and
# xencontrol.pc exist from Xen 4.17 to 4.20); PKG_CONFIG_SYSROOT_DIR and
# PKG_CONFIG_LIBDIR point this at another Xen (tests/pkg/t_xen420_build.sh).
PKG_CONFIG ?= pkg-config
XEN_PCS := xenstore xencontrol
XEN_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(XEN_PCS) 2>/dev/null)
XEN_LIBS := $(or $(shell $(PKG_CONFIG) --libs $(XEN_PCS) 2>/dev/null),\
	      -lxenstore -lxenctrl)
# SHA-256 of the VHD metadata fingerprint: nettle (vhd/vhd_sha256.c).
CRYPTO_CFLAGS := $(shell $(PKG_CONFIG) --cflags nettle 2>/dev/null)
CRYPTO_LIBS := $(or $(shell $(PKG_CONFIG) --libs nettle 2>/dev/null),-lnettle)
CPPFLAGS += $(XEN_CFLAGS) $(CRYPTO_CFLAGS)
LDLIBS += -Wl,--as-needed -laio $(XEN_LIBS) $(CRYPTO_LIBS)
# The daemon's readiness and stop notices to systemd: libsystemd's
# sd_notify where pkg-config finds it, else daemon_main.c writes to
# $NOTIFY_SOCKET itself.
SYSTEMD_LIBS := $(shell $(PKG_CONFIG) --libs libsystemd 2>/dev/null)
SYSTEMD_CFLAGS := $(if $(SYSTEMD_LIBS),-DXH_HAVE_LIBSYSTEMD \
	$(shell $(PKG_CONFIG) --cflags libsystemd 2>/dev/null))

# The dom0 tools are parts, one folder and one archive each
# ($(BUILD)/lib<part>.a); $(TOOL_DIR)/parts.mk says which part may use
# which. Files that hold a main() are the programs on top.
include $(TOOL_DIR)/parts.mk
PROGRAM_SRCS := $(TOOL_DIR)/cli/main.c $(TOOL_DIR)/daemon/daemon_main.c
part_srcs = $(filter-out $(PROGRAM_SRCS),$(wildcard $(TOOL_DIR)/$(1)/*.c))
part_lib = $(BUILD)/libxh$(1).a
LIB_SRCS := $(foreach p,$(PARTS),$(call part_srcs,$(p)))
# A part with every part it uses, directly or through another part, in
# link order (users before the parts they use).
part_closure = $(sort $(1) $(foreach u,$(PART_USES_$(1)),$(call part_closure,$(u))))
PARTS_DOWN := $(shell printf '%s\n' $(PARTS) | tac)
part_link = $(foreach p,$(filter $(call part_closure,$(1)),$(PARTS_DOWN)),$(call part_lib,$(p)))
# Tests and benches may reach into any part.
ALL_LIBS := $(foreach p,$(PARTS_DOWN),$(call part_lib,$(p)))

define part_rules
$(call part_lib,$(1)): $(patsubst %.c,$(BUILD)/%.o,$(call part_srcs,$(1)))
endef
$(foreach p,$(PARTS),$(eval $(call part_rules,$(p))))

TOOLS := $(BUILD)/tapdisk-activate $(BUILD)/tapdisk-activated

# One program per test: tests/<area>/t_*.c -> $(BUILD)/tests/<area>/t_*
TEST_SRCS := $(filter-out tests/lib/%,$(wildcard tests/*/t_*.c))
TEST_BINS := $(TEST_SRCS:%.c=$(BUILD)/%)
# Helpers a test area needs besides its t_*.c (tests/<area>/helper_*.c)
HELPER_SRCS := $(wildcard tests/*/helper_*.c)
HELPER_BINS := $(HELPER_SRCS:%.c=$(BUILD)/%)
TEST_LIB_SRCS := $(wildcard tests/lib/*.c)
TEST_LIB_OBJS := $(TEST_LIB_SRCS:%.c=$(BUILD)/%.o)

# Benchmark programs: bench/*.c -> $(BUILD)/bench/* (the bench/ scripts run
# them; building them here keeps them from rotting). A *_shim.c is an
# LD_PRELOAD object, not a program.
BENCH_SHIM_SRCS := $(wildcard bench/*_shim.c)
BENCH_SRCS := $(filter-out $(BENCH_SHIM_SRCS),$(wildcard bench/*.c))
BENCH_BINS := $(BENCH_SRCS:%.c=$(BUILD)/%) $(BENCH_SHIM_SRCS:%.c=$(BUILD)/%.so)

# libFuzzer targets: tests/fuzz/fuzz_*.c, built with clang (never sanitizer-free)
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=build/fuzz/%)
FUZZ_FLAGS := -std=c11 -g -O1 -D_GNU_SOURCE -Iinclude -I$(TOOL_DIR) \
	      -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all

KVER ?= $(shell ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | \
	  sed 's|.*/linux-headers-||' | sort -V | tail -n 1)
KDIR ?= /usr/src/linux-headers-$(KVER)

.PHONY: all tools tests bench fuzz module module-clean check demo e2e deps clean \
	install install-tools install-guest uninstall uninstall-tools \
	uninstall-guest
all: tools tests bench $(if $(wildcard $(KDIR)/Makefile),module)
tools: $(TOOLS)
tests: $(TEST_BINS) $(HELPER_BINS)
bench: $(BENCH_BINS)
fuzz: $(FUZZ_BINS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(BUILD)/libxh%.a:
	@mkdir -p $(dir $@)
	rm -f $@
	$(AR) rcs $@ $^

# tapdisk-activate: the CLI and the libraries; tapdisk-activated: the
# daemon and only what it uses.
$(BUILD)/tapdisk-activate: $(BUILD)/$(TOOL_DIR)/cli/main.o $(call part_link,cli)
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/$(TOOL_DIR)/daemon/daemon_main.o: CPPFLAGS += $(SYSTEMD_CFLAGS)
$(BUILD)/tapdisk-activated: $(BUILD)/$(TOOL_DIR)/daemon/daemon_main.o $(call part_link,daemon)
	$(CC) $(LDFLAGS) $^ $(LDLIBS) $(SYSTEMD_LIBS) -o $@

$(BUILD)/tests/%: $(BUILD)/tests/%.o $(TEST_LIB_OBJS) $(ALL_LIBS)
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -lpthread -o $@

$(BUILD)/bench/%: $(BUILD)/bench/%.o $(ALL_LIBS)
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -ldl -o $@

$(BUILD)/bench/%_shim.so: bench/%_shim.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -shared -fPIC $< -ldl -o $@

build/fuzz/%: tests/fuzz/%.c $(LIB_SRCS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) $^ $(LDLIBS) -o $@

module:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

module-clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean

check: all
	tests/run-all.sh --no-deps

demo:
	scripts/demo.sh --no-deps

# The full matrix with dom0's 6.1 guests, then the seed bug with 6.12 guests
# (stock, xen-blkfront-drain, the patches/linux/ series). upstream.rst.
e2e: all
	tests/e2e/run.sh; rc=$$?; \
	tests/e2e/run.sh --guest-kv 6.12 \
		--scenario seed-bug-stock,seed-bug-drain,seed-bug-upstream || rc=1; \
	exit $$rc

deps:
	scripts/install-deps.sh

clean:
	rm -rf build

# make install / make uninstall [DESTDIR=...] [PREFIX=...] ----------------
# Directory variables as the GNU coding standards name them; the two
# programs are administrator tools (section 8), so bindir stays unused.
# Configuration stays in /etc whatever the prefix: xl runs hotplug scripts
# from /etc/xen/scripts and the tools read /etc/xen-handover.
#   install-tools   dom0: programs, man pages, hotplug script, systemd unit,
#                   configuration examples (in docdir/examples)
#   install-guest   guest: the modprobe.d snippet that prefers
#                   xen-blkfront-drain (the module itself installs with DKMS)
PREFIX ?= /usr/local
prefix ?= $(PREFIX)
exec_prefix ?= $(prefix)
bindir ?= $(exec_prefix)/bin
sbindir ?= $(exec_prefix)/sbin
datarootdir ?= $(prefix)/share
mandir ?= $(datarootdir)/man
man5dir ?= $(mandir)/man5
man8dir ?= $(mandir)/man8
docdir ?= $(datarootdir)/doc/xen-handover
sysconfdir ?= /etc
xenscriptdir ?= $(sysconfdir)/xen/scripts
modprobedir ?= $(sysconfdir)/modprobe.d
ifndef systemdsystemunitdir
systemdsystemunitdir := $(or $(shell $(PKG_CONFIG) \
	--variable=systemdsystemunitdir systemd 2>/dev/null),/lib/systemd/system)
endif
INSTALL ?= install

MAN_PAGES := $(wildcard man/*.8)
MAN5_PAGES := $(wildcard man/*.5)
EXAMPLES := tapdisk-activated.conf block-handover.conf vdi/EXAMPLE.conf
# The unit and the hotplug script name the programs by path; the daemon's
# built-in --tool is /usr/sbin/tapdisk-activate.
SUBST_SBIN := -e 's|/usr/sbin/tapdisk-activate|$(sbindir)/tapdisk-activate|g'
SUBST_UNIT := $(SUBST_SBIN) $(if $(filter /usr/sbin,$(sbindir)),,\
	-e 's|--foreground|--foreground --tool $(sbindir)/tapdisk-activate|')

install: install-tools install-guest
uninstall: uninstall-tools uninstall-guest

install-tools: $(TOOLS)
	$(INSTALL) -d $(DESTDIR)$(sbindir) $(DESTDIR)$(man8dir) \
		$(DESTDIR)$(man5dir) \
		$(DESTDIR)$(xenscriptdir) $(DESTDIR)$(systemdsystemunitdir) \
		$(DESTDIR)$(docdir)/examples/vdi
	$(INSTALL) -m 755 $(TOOLS) $(DESTDIR)$(sbindir)/
	$(INSTALL) -m 644 $(MAN_PAGES) $(DESTDIR)$(man8dir)/
	$(INSTALL) -m 644 $(MAN5_PAGES) $(DESTDIR)$(man5dir)/
	sed $(SUBST_SBIN) tools/hotplug/block-handover \
		>$(DESTDIR)$(xenscriptdir)/block-handover.tmp
	chmod 755 $(DESTDIR)$(xenscriptdir)/block-handover.tmp
	mv -f $(DESTDIR)$(xenscriptdir)/block-handover.tmp \
		$(DESTDIR)$(xenscriptdir)/block-handover
	sed $(SUBST_UNIT) tools/systemd/tapdisk-activated.service \
		>$(DESTDIR)$(systemdsystemunitdir)/tapdisk-activated.service
	chmod 644 $(DESTDIR)$(systemdsystemunitdir)/tapdisk-activated.service
	for f in $(EXAMPLES); do \
		$(INSTALL) -m 644 tools/examples/$$f \
			$(DESTDIR)$(docdir)/examples/$$f || exit 1; \
	done

install-guest:
	$(INSTALL) -d $(DESTDIR)$(modprobedir)
	$(INSTALL) -m 644 tools/modprobe/xen-blkfront-drain.conf \
		$(DESTDIR)$(modprobedir)/

# Removes exactly what install put there, and the directories that are
# only ours; shared ones (sbin, man8, /etc/xen/scripts) stay.
uninstall-tools:
	rm -f $(addprefix $(DESTDIR)$(sbindir)/,$(notdir $(TOOLS))) \
		$(addprefix $(DESTDIR)$(man8dir)/,$(notdir $(MAN_PAGES))) \
		$(addprefix $(DESTDIR)$(man5dir)/,$(notdir $(MAN5_PAGES))) \
		$(DESTDIR)$(xenscriptdir)/block-handover \
		$(DESTDIR)$(systemdsystemunitdir)/tapdisk-activated.service \
		$(addprefix $(DESTDIR)$(docdir)/examples/,$(EXAMPLES))
	for d in $(DESTDIR)$(docdir)/examples/vdi \
		 $(DESTDIR)$(docdir)/examples $(DESTDIR)$(docdir); do \
		[ ! -d $$d ] || rmdir $$d || exit 1; \
	done

uninstall-guest:
	rm -f $(DESTDIR)$(modprobedir)/xen-blkfront-drain.conf

-include $(shell find build -name '*.d' -type f 2>/dev/null)
