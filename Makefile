# twintop — build, run, test, bench, install.
# `make run` and `make test` install missing Debian packages themselves (make deps);
# plain `make` and `make install` never do.

PREFIX    ?= /usr/local
MANDIR    ?= $(PREFIX)/share/man
# mosquitto lives in /usr/sbin, which a non-root PATH often lacks.
export PATH := $(PATH):/usr/sbin:/sbin
BUILD     ?= build
CC        ?= cc
PKGS      := ncursesw libmosquitto sqlite3 libcjson libprotobuf-c libcrypto libssl
TOOLS     := pkg-config protoc-c protoc tmux mosquitto mosquitto_pub sqlite3 python3 openssl pgrep bc \
             ssh ssh-keygen
DEB_PKGS  := libncurses-dev libmosquitto-dev libsqlite3-dev libcjson-dev libcmocka-dev \
             libprotobuf-c-dev protobuf-c-compiler protobuf-compiler python3-protobuf libssl-dev \
             python3-paho-mqtt \
             pkg-config tmux mosquitto mosquitto-clients sqlite3 python3 openssl procps bc \
             openssh-server openssh-client

OPT       ?= -O2
AR        ?= ar
PKG_CONFIG ?= pkg-config
# -Werror: off for a plain build (a newer compiler's new warning must not break it), on in
# make test, make asan and CI. htop's warning set is always on.
WERROR    ?= 0
WARN      := -Wall -Wextra -Wpedantic -Wno-format-truncation \
             -Wshadow -Wmissing-prototypes -Wstrict-prototypes -Wwrite-strings -Wformat=2 \
             -Wundef -Wpointer-arith
ifeq ($(WERROR),1)
WARN      += -Werror
endif
PKG_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)
# Our flags; the user's CPPFLAGS come first, the user's CFLAGS last (so they override ours),
# LDFLAGS on every link (Debian's dpkg-buildflags hardening reaches every line).
CFLAGS    ?=
CPPFLAGS  ?=
LDFLAGS   ?=
TT_CFLAGS  = -std=c11 $(WARN) $(OPT) -g -D_GNU_SOURCE -Icore -Isimulator -Itui -I$(BUILD)/gen \
             $(PKG_CFLAGS) $(SAN)
TT_LIBS    = $(PKG_LIBS) -lpthread -lm $(SAN)
COMPILE    = $(CC) $(CPPFLAGS) $(TT_CFLAGS) $(CFLAGS)

LIB_SRC   := $(wildcard core/*.c) $(wildcard simulator/*.c)
# The Sparkplug B payload: protoc-c compiles core/sparkplug_b.proto into build/gen/.
PROTO_C   := $(BUILD)/gen/sparkplug_b.pb-c.c
PROTO_H   := $(PROTO_C:.c=.h)
LIB_OBJ   := $(LIB_SRC:%.c=$(BUILD)/%.o) $(PROTO_C:.c=.o)
TUI_SRC   := $(wildcard tui/*.c)
TUI_OBJ   := $(TUI_SRC:%.c=$(BUILD)/%.o)
LIB       := $(BUILD)/libtwintop.a
BIN       := $(BUILD)/twintop
TEST_SRC  := $(wildcard tests/test_*.c)
TEST_BIN  := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
BENCH_SRC := $(wildcard tests/bench/*.c)
BENCH_BIN := $(BENCH_SRC:tests/bench/%.c=$(BUILD)/bench/%)
# One fuzz target per parser of outside input (tests/fuzz/README.md). make test links each with
# tests/fuzz/replay.c and replays its corpus; make fuzz links each with libFuzzer (clang).
FUZZ_SRC  := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN  := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/fuzz/%)
REPLAY_BIN := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/fuzz-replay/%)
FUZZ_OBJ  := $(BUILD)/tui/theme.o
FUZZ_CC   ?= clang
FUZZ_SAN  := -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all \
             -fno-omit-frame-pointer

MAN1      := $(wildcard tui/*.1)
MAN5      := $(wildcard tui/*.5)
# The compile and link flags in force; objects are rebuilt when they change (WERROR, CPPFLAGS...).
FLAGS_STAMP := $(BUILD)/flags.stamp
FLAGS_NOW  = $(CC) $(CPPFLAGS) $(TT_CFLAGS) $(CFLAGS) | $(LDFLAGS) $(TT_LIBS)

.PHONY: all run test unit-test shell-test run-tests bench asan fuzz fuzz-targets install deps \
        need-deps \
        check-libs clean format FORCE

# Plain make never installs anything: it says what is missing and how to get it.
all: check-libs $(BIN)

check-libs:
	@$(PKG_CONFIG) --version >/dev/null 2>&1 || { \
	  echo "twintop: '$(PKG_CONFIG)' not found; run 'make deps' (installs: $(DEB_PKGS))" >&2; exit 1; }
	@$(PKG_CONFIG) --exists $(PKGS) || { \
	  echo "twintop: missing libraries (need pkg-config modules: $(PKGS));" \
	       "run 'make deps' to install them (Debian/Ubuntu)" >&2; exit 1; }

# For make run / test / bench: reach for apt-get (make deps) only when something is missing.
need-deps:
	@missing=0; \
	for t in $(TOOLS); do command -v $$t >/dev/null 2>&1 || missing=1; done; \
	[ -x /usr/sbin/sshd ] || missing=1; \
	if [ $$missing = 0 ]; then $(PKG_CONFIG) --exists $(PKGS) cmocka || missing=1; fi; \
	if [ $$missing = 1 ]; then $(MAKE) --no-print-directory deps; fi

deps:
	@echo "twintop: installing Debian packages: $(DEB_PKGS)"
	@if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(DEB_PKGS)

$(FLAGS_STAMP): FORCE
	@mkdir -p $(dir $@)
	@echo '$(FLAGS_NOW)' | cmp -s - $@ 2>/dev/null || echo '$(FLAGS_NOW)' > $@

$(BUILD)/%.o: %.c $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(COMPILE) -MMD -MP -c $< -o $@

$(PROTO_H): $(PROTO_C)
$(PROTO_C): core/sparkplug_b.proto
	@mkdir -p $(dir $@)
	protoc-c --proto_path=core --c_out=$(dir $@) $<

# Generated code: compiled without our warning set (it is protoc-c's, not ours to fix).
$(PROTO_C:.c=.o): $(PROTO_C) $(FLAGS_STAMP)
	$(CC) $(CPPFLAGS) -std=c11 $(OPT) -g $(PKG_CFLAGS) $(SAN) $(CFLAGS) -c $< -o $@

$(BUILD)/core/sparkplug.o: $(PROTO_H)

$(LIB): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && $(AR) rcs $@ $^

$(BIN): $(TUI_OBJ) $(LIB)
	$(CC) $(LDFLAGS) $(TUI_OBJ) $(LIB) $(TT_LIBS) -o $@

$(BUILD)/tests/%: tests/%.c tests/lib/fixture.c tests/lib/fixture.h $(LIB) $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(TT_CFLAGS) -Itests -Itests/lib $(CFLAGS) $(LDFLAGS) $< tests/lib/fixture.c \
	    $(LIB) $(TT_LIBS) \
	    $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null) -o $@

$(BUILD)/fuzz-replay/%: tests/fuzz/%.c tests/fuzz/replay.c tests/fuzz/fuzz.h $(FUZZ_OBJ) $(LIB) \
                        $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(TT_CFLAGS) -Itests/fuzz -DFUZZ_CORPUS='"tests/fuzz/corpus/$(*:fuzz_%=%)"' \
	    $(CFLAGS) $(LDFLAGS) $< tests/fuzz/replay.c $(FUZZ_OBJ) $(LIB) $(TT_LIBS) -o $@

$(BUILD)/fuzz/%: tests/fuzz/%.c tests/fuzz/fuzz.h $(FUZZ_OBJ) $(LIB) $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(TT_CFLAGS) -Itests/fuzz $(CFLAGS) $(LDFLAGS) -fsanitize=fuzzer $< \
	    $(FUZZ_OBJ) $(LIB) $(TT_LIBS) -o $@

$(BUILD)/bench/%: tests/bench/%.c $(LIB) $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(TT_CFLAGS) -Itests $(CFLAGS) $(LDFLAGS) $< $(LIB) $(TT_LIBS) -o $@

run: need-deps
	@$(MAKE) --no-print-directory $(BIN)
	$(BIN) $(ARGS)

# make test: every cmocka binary and every tests/*.sh script, always with -Werror;
# unit-test and shell-test run one half. A summary line "N passed, N failed, N skipped".
test: need-deps
	@$(MAKE) --no-print-directory WERROR=1 TESTS=all run-tests
unit-test: need-deps
	@$(MAKE) --no-print-directory WERROR=1 TESTS=unit run-tests
shell-test: need-deps
	@$(MAKE) --no-print-directory WERROR=1 TESTS=shell run-tests

TESTS     ?= all
run-tests: $(BIN) $(if $(filter shell,$(TESTS)),,$(TEST_BIN) $(REPLAY_BIN))
	@BUILD=$(BUILD) tests/run_all.sh --$(TESTS) $(if $(filter shell,$(TESTS)),,$(TEST_BIN) $(REPLAY_BIN))

bench: need-deps
	@$(MAKE) --no-print-directory $(BIN) $(BENCH_BIN)
	@BUILD=$(BUILD) tests/bench/run_all.sh $(BENCH_BIN)

ASAN_TESTS ?= all
asan:
	$(MAKE) BUILD=build-asan OPT=-O1 SAN="-fsanitize=address,undefined -fno-omit-frame-pointer" \
	    $(if $(filter unit,$(ASAN_TESTS)),unit-test,test)

# make fuzz: the libFuzzer targets in build-fuzz/fuzz/ (clang, installed with apt-get when
# missing); run one with build-fuzz/fuzz/fuzz_NAME tests/fuzz/corpus/NAME -dict=tests/fuzz/NAME.dict
fuzz: need-deps
	@command -v $(FUZZ_CC) >/dev/null 2>&1 || $(MAKE) --no-print-directory DEB_PKGS=clang deps
	@$(MAKE) --no-print-directory BUILD=build-fuzz CC=$(FUZZ_CC) OPT=-O1 SAN="$(FUZZ_SAN)" \
	    fuzz-targets
fuzz-targets: $(FUZZ_BIN)

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/twintop/themes \
	        $(DESTDIR)$(PREFIX)/share/twintop/scenarios
	install -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/twintop
	install -m 0644 data/machines.json $(DESTDIR)$(PREFIX)/share/twintop/
	install -m 0644 data/scenarios/*.json $(DESTDIR)$(PREFIX)/share/twintop/scenarios/
	install -m 0644 themes/* $(DESTDIR)$(PREFIX)/share/twintop/themes/
ifneq ($(MAN1),)
	install -d $(DESTDIR)$(MANDIR)/man1
	install -m 0644 $(MAN1) $(DESTDIR)$(MANDIR)/man1/
endif
ifneq ($(MAN5),)
	install -d $(DESTDIR)$(MANDIR)/man5
	install -m 0644 $(MAN5) $(DESTDIR)$(MANDIR)/man5/
endif

format:
	clang-format -i core/*.[ch] simulator/*.[ch] tui/*.[ch] tests/*.c tests/bench/*.c

clean:
	rm -rf build build-asan build-fuzz

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
