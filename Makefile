# SPDX-License-Identifier: GPL-2.0-only
# xrelay: one top-level build. `make help` lists the targets; every output goes to build/.

CC      ?= gcc
BUILD   := build
PKGS    := jansson libbpf libnl-3.0 libnl-route-3.0 libmicrohttpd gnutls libsrtp2 hiredis opus spandsp speexdsp
CFLAGS  ?= -O2 -g
override CFLAGS += -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Wformat=2 -Wshadow -Wno-unused-parameter \
	   -Iinclude -Iuserspace -Itests/lib -I$(BUILD)/bpf $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
override LDLIBS += $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread -lm
V       ?= 0
Q       := $(if $(filter 1,$(V)),,@)

# The XDP program: clang -> BPF object -> bpftool gen object (BTF fixed up) -> skeleton, which
# userspace/kernel.c embeds.
BPF_SRC  := bpf/xrelay.bpf.c
BPF_OBJ  := $(BUILD)/bpf/xrelay.bpf.o
BPF_SKEL := $(BUILD)/bpf/xrelay.skel.h
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_x86 -Wall -Ivmlinux/x86 -Iinclude -Ibpf

# Every userspace module goes into one static library; xrelayd is that plus main.c,
# tools and tests link the same library, so a new module needs no Makefile change.
USR_SRC  := $(filter-out userspace/main.c,$(wildcard userspace/*.c))
USR_OBJ  := $(USR_SRC:%.c=$(BUILD)/%.o)
LIB      := $(BUILD)/libxrelay.a
DAEMON   := $(BUILD)/xrelayd
# A tool is tools/NAME.c, or for a bigger one every .c in tools/NAME/; either becomes build/NAME.
TOOL_SRC := $(wildcard tools/*.c)
TOOL_DIRS := $(sort $(patsubst tools/%/,%,$(dir $(wildcard tools/*/*.c))))
TOOLS    := $(TOOL_SRC:tools/%.c=$(BUILD)/%) $(TOOL_DIRS:%=$(BUILD)/%)
TLIB_SRC := $(wildcard tests/lib/*.c)
TLIB_OBJ := $(TLIB_SRC:%.c=$(BUILD)/%.o)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNITS    := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/unit/%)
BPFT_SRC := $(wildcard tests/bpf/test_*.c)
BPFTS    := $(BPFT_SRC:tests/bpf/%.c=$(BUILD)/tests/bpf/%)
BENCH_SRC := $(wildcard tests/bench/*.c)
BENCHES  := $(BENCH_SRC:tests/bench/%.c=$(BUILD)/tests/bench/%)
E2E_SRC  := $(wildcard tests/e2e/*.c)
E2ES     := $(E2E_SRC:tests/e2e/%.c=$(BUILD)/tests/e2e/%)
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZERS  := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/fuzz/%)
SOURCES  := $(shell git ls-files '*.c' '*.h' 2>/dev/null | grep -v '^vmlinux/')

# make install (DESTDIR for staging); make deb installs with PREFIX=/usr into build/deb.
PREFIX  ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
BINDIR  ?= $(PREFIX)/bin
MANDIR  ?= $(PREFIX)/share/man
UNITDIR ?= $(PREFIX)/lib/systemd/system
CONFDIR := /etc/xrelay
MANS    := $(patsubst %.scd,%,$(wildcard docs/*.8.scd))
INSTALL_TOOLS := $(filter $(BUILD)/relayctl $(BUILD)/ngcli $(BUILD)/rtpgen,$(TOOLS))

.PHONY: all deps run test unit bpftest e2e fuzz bench check format clean help vmlinux man install deb
all: $(DAEMON) $(TOOLS)

help:
	@echo "make            build xrelayd and the tools into build/"
	@echo "make deps       install the missing Debian packages (tools/install-deps)"
	@echo "make run        deps + build, then run xrelayd in the foreground on its defaults"
	@echo "make test       deps + build, then unit, fuzz (short) and end-to-end tests"
	@echo "make unit       cmocka unit tests only"
	@echo "make bpftest    the XDP program on crafted packets (root: BPF_PROG_RUN in a netns)"
	@echo "make e2e        end-to-end tests only (root: they bind ports and start Kamailio)"
	@echo "make fuzz       libFuzzer harnesses, long run (FUZZ_SECONDS=300)"
	@echo "make bench      benchmarks against rtpengine (not part of make test)"
	@echo "make check      clang-format check and a -Werror build"
	@echo "make format     reformat the sources with clang-format"
	@echo "make vmlinux    regenerate vmlinux/x86/vmlinux.h from /sys/kernel/btf/vmlinux"
	@echo "make man        regenerate docs/*.8 from docs/*.8.scd (scdoc)"
	@echo "make install    install into PREFIX (/usr/local), DESTDIR for staging"
	@echo "make deb        build build/xrelay_VERSION_ARCH.deb (dpkg-deb)"
	@echo "make clean      remove build/"

deps:
	$(Q)tools/install-deps

run: deps
	$(Q)$(MAKE) --no-print-directory all
	./$(DAEMON) --foreground --log-stderr

test: deps
	$(Q)$(MAKE) --no-print-directory all tests
	$(Q)tests/run.sh

.PHONY: tests
tests: $(UNITS) $(BPFTS) $(E2ES) $(FUZZERS)

unit: $(UNITS)
	$(Q)tests/run.sh unit

bpftest: $(BPFTS)
	$(Q)tests/run.sh bpf

e2e: all $(E2ES)
	$(Q)tests/run.sh e2e

fuzz: $(FUZZERS)
	$(Q)FUZZ_SECONDS=$${FUZZ_SECONDS:-300} tests/run.sh fuzz

bench: all $(BENCHES)
	$(Q)tests/bench/run.sh

check:
	$(Q)clang-format --dry-run --Werror $(SOURCES)
	$(Q)$(MAKE) --no-print-directory clean
	$(Q)$(MAKE) --no-print-directory all tests CFLAGS="-O2 -g -Werror"

format:
	$(Q)clang-format -i $(SOURCES)

clean:
	rm -rf $(BUILD)

vmlinux:
	bpftool btf dump file /sys/kernel/btf/vmlinux format c > vmlinux/x86/vmlinux.h

# Phony, so that a fresh checkout (arbitrary mtimes) never needs scdoc; the page carries the date
# of the source's last commit, so regenerating an unchanged page changes nothing.
man:
	$(Q)for s in docs/*.8.scd; do \
		d=$$(git log -1 --format=%ct -- "$$s" 2>/dev/null); \
		SOURCE_DATE_EPOCH=$${d:-$$(date +%s)} scdoc < "$$s" > "$${s%.scd}" || exit 1; \
	done

install: all
	install -D -m 755 $(DAEMON) $(DESTDIR)$(SBINDIR)/xrelayd
	install -D -m 755 -t $(DESTDIR)$(BINDIR) $(INSTALL_TOOLS)
	install -D -m 644 -t $(DESTDIR)$(MANDIR)/man8 $(MANS)
	install -d $(DESTDIR)$(UNITDIR)
	sed 's|@SBINDIR@|$(SBINDIR)|' packaging/xrelayd.service.in > $(DESTDIR)$(UNITDIR)/xrelayd.service
	[ -e $(DESTDIR)$(CONFDIR)/xrelayd.conf ] || \
		install -D -m 644 docs/xrelayd.conf $(DESTDIR)$(CONFDIR)/xrelayd.conf

deb: all
	$(Q)rm -rf $(BUILD)/deb
	$(Q)$(MAKE) --no-print-directory install DESTDIR=$(CURDIR)/$(BUILD)/deb PREFIX=/usr \
		UNITDIR=/lib/systemd/system >/dev/null
	$(Q)packaging/mkdeb.sh $(BUILD)/deb $(BUILD)

$(BPF_OBJ): $(BPF_SRC) $(wildcard bpf/*.h bpf/lib/*.h) include/xrelay/abi.h vmlinux/x86/vmlinux.h
	@mkdir -p $(@D)
	@echo "  BPF     $<"
	$(Q)clang $(BPF_CFLAGS) -c $< -o $@.raw
	$(Q)bpftool gen object $@ $@.raw

$(BPF_SKEL): $(BPF_OBJ)
	$(Q)bpftool gen skeleton $< name xrelay > $@

# Every object may include the skeleton (through kernel.h users); build it first.
$(USR_OBJ) $(BUILD)/userspace/main.o: | $(BPF_SKEL)

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(LIB): $(USR_OBJ)
	$(Q)rm -f $@ && ar rcs $@ $^

$(DAEMON): $(BUILD)/userspace/main.o $(LIB)
	@echo "  LD      $@"
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/%: $(BUILD)/tools/%.o $(LIB)
	@echo "  LD      $@"
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

define TOOL_DIR_RULE
$(BUILD)/$(1): $(patsubst %.c,$(BUILD)/%.o,$(wildcard tools/$(1)/*.c)) $(LIB)
	@echo "  LD      $$@"
	$(Q)$(CC) $(CFLAGS) -o $$@ $$^ $(LDLIBS)
endef
$(foreach d,$(TOOL_DIRS),$(eval $(call TOOL_DIR_RULE,$(d))))

$(BUILD)/tests/unit/%: $(BUILD)/tests/unit/%.o $(TLIB_OBJ) $(LIB)
	@echo "  LD      $@"
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS) -lcmocka

$(BUILD)/tests/bpf/%: $(BUILD)/tests/bpf/%.o $(TLIB_OBJ) $(LIB)
	@echo "  LD      $@"
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS) -lcmocka

$(BUILD)/tests/bench/%: $(BUILD)/tests/bench/%.o $(TLIB_OBJ) $(LIB)
	@echo "  LD      $@"
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS) -lcmocka

$(BUILD)/tests/e2e/%: $(BUILD)/tests/e2e/%.o $(TLIB_OBJ) $(LIB)
	@echo "  LD      $@"
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS) -lcmocka

# libFuzzer needs clang; each harness is built with the modules it includes.
FUZZ_CFLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -std=gnu11 -D_GNU_SOURCE \
	       -Iinclude -Iuserspace -I$(BUILD)/bpf $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
$(BUILD)/fuzz/%: tests/fuzz/%.c $(USR_SRC) | $(BPF_SKEL)
	@mkdir -p $(@D)
	@echo "  FUZZ    $@"
	$(Q)clang $(FUZZ_CFLAGS) -o $@ $< $(USR_SRC) $(LDLIBS)

# xrelayd with AddressSanitizer and LeakSanitizer, for tests/e2e/leak.sh (not part of `all`).
$(BUILD)/xrelayd-asan: userspace/main.c $(USR_SRC) $(wildcard userspace/*.h) | $(BPF_SKEL)
	@echo "  ASAN    $@"
	$(Q)clang -g -O1 -fno-omit-frame-pointer -fsanitize=address -std=gnu11 -D_GNU_SOURCE \
		-Iinclude -Iuserspace -I$(BUILD)/bpf $(shell pkg-config --cflags $(PKGS) 2>/dev/null) \
		-o $@ userspace/main.c $(USR_SRC) $(LDLIBS)

.SECONDARY:
-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
