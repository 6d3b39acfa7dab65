# twintop — build, run, test, bench, install.
# `make run` and `make test` install missing Debian packages themselves (make deps).

PREFIX    ?= /usr/local
# mosquitto lives in /usr/sbin, which a non-root PATH often lacks.
export PATH := $(PATH):/usr/sbin:/sbin
BUILD     ?= build
CC        ?= cc
PKGS      := ncursesw libmosquitto sqlite3 libcjson
TOOLS     := pkg-config tmux mosquitto mosquitto_pub sqlite3 python3 openssl pgrep bc
DEB_PKGS  := libncurses-dev libmosquitto-dev libsqlite3-dev libcjson-dev libcmocka-dev \
             pkg-config tmux mosquitto mosquitto-clients sqlite3 python3 openssl procps bc

OPT       ?= -O2
WARN      := -Wall -Wextra -Wpedantic -Werror -Wno-format-truncation
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CFLAGS    ?=
CFLAGS    += -std=c11 $(WARN) $(OPT) -g -D_GNU_SOURCE -Icore -Isimulator -Itui $(PKG_CFLAGS) $(SAN)
LDLIBS    += $(PKG_LIBS) -lpthread -lm $(SAN)

LIB_SRC   := $(wildcard core/*.c) $(wildcard simulator/*.c)
LIB_OBJ   := $(LIB_SRC:%.c=$(BUILD)/%.o)
TUI_SRC   := $(wildcard tui/*.c)
TUI_OBJ   := $(TUI_SRC:%.c=$(BUILD)/%.o)
LIB       := $(BUILD)/libtwintop.a
BIN       := $(BUILD)/twintop
TEST_SRC  := $(wildcard tests/test_*.c)
TEST_BIN  := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
BENCH_SRC := $(wildcard tests/bench/*.c)
BENCH_BIN := $(BENCH_SRC:tests/bench/%.c=$(BUILD)/bench/%)

.PHONY: all run test unit-test shell-test bench asan install deps need-deps clean format

all: need-deps $(BIN)

# Only reach for apt-get when something is really missing.
need-deps:
	@missing=0; \
	for t in $(TOOLS); do command -v $$t >/dev/null 2>&1 || missing=1; done; \
	if [ $$missing = 0 ]; then pkg-config --exists $(PKGS) cmocka || missing=1; fi; \
	if [ $$missing = 1 ]; then $(MAKE) --no-print-directory deps; fi

deps:
	@echo "twintop: installing Debian packages: $(DEB_PKGS)"
	@if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(DEB_PKGS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(LIB): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(BIN): $(TUI_OBJ) $(LIB)
	$(CC) $(TUI_OBJ) $(LIB) $(LDLIBS) -o $@

$(BUILD)/tests/%: tests/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests $< $(LIB) $(LDLIBS) $(shell pkg-config --libs cmocka 2>/dev/null) -o $@

$(BUILD)/bench/%: tests/bench/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests $< $(LIB) $(LDLIBS) -o $@

run: need-deps $(BIN)
	$(BIN) $(ARGS)

# Every unit test binary and every shell test; a summary line at the end.
test: need-deps $(BIN) $(TEST_BIN)
	@BUILD=$(BUILD) tests/run_all.sh $(TEST_BIN)

bench: need-deps $(BIN) $(BENCH_BIN)
	@BUILD=$(BUILD) tests/bench/run_all.sh $(BENCH_BIN)

asan:
	$(MAKE) BUILD=build-asan OPT=-O1 SAN="-fsanitize=address,undefined -fno-omit-frame-pointer" test

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/twintop/themes \
	        $(DESTDIR)$(PREFIX)/share/twintop/scenarios
	install -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/twintop
	install -m 0644 data/machines.json $(DESTDIR)$(PREFIX)/share/twintop/
	install -m 0644 data/scenarios/*.json $(DESTDIR)$(PREFIX)/share/twintop/scenarios/
	install -m 0644 themes/* $(DESTDIR)$(PREFIX)/share/twintop/themes/

format:
	clang-format -i core/*.[ch] simulator/*.[ch] tui/*.[ch] tests/*.c tests/bench/*.c

clean:
	rm -rf build build-asan

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
