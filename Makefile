# fanscp: one plain Makefile.  `make` builds ./fanscp, `make check` runs the
# unit and the integration tests, `make demo` fans a file out to throwaway
# local sshd hosts.  Missing Debian packages are installed on first use.

PREFIX	?= /usr/local
BINDIR	?= $(PREFIX)/bin
MANDIR	?= $(PREFIX)/share/man
DESTDIR	?=
CC	?= cc
OPT	?= -O2 -g
WARN	 = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
	   -Wmissing-prototypes -Wformat=2 -Wno-format-nonliteral
SAN	?=
BUILD	?= build
# The program; sanitizer builds put theirs under their BUILD.
BIN	?= fanscp
PKGS	 = libssh2 openssl libarchive zlib libzstd

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lssh2 -lssl -lcrypto -larchive -lz -lzstd)
# -iquote: the project's headers for "x.h" only, so that include/sched.h
# never shadows the system's <sched.h>.
CPPFLAGS += -iquote include -D_GNU_SOURCE
CFLAGS	+= -std=c11 -pthread $(OPT) $(WARN) $(SAN) $(PKG_CFLAGS)
LDFLAGS	+= -pthread $(SAN)
LDLIBS	+= $(PKG_LIBS)

SRCS	 = $(wildcard src/*.c)
LIBSRCS	 = $(filter-out src/main.c,$(SRCS))
OBJS	 = $(SRCS:src/%.c=$(BUILD)/%.o)
TOBJS	 = $(LIBSRCS:src/%.c=$(BUILD)/t/%.o)
UNITS	 = $(patsubst tests/unit/test_%.c,$(BUILD)/t/test_%,$(wildcard tests/unit/test_*.c))

# Unit tests that run against the scripted libssh2 of tests/unit/mock_libssh2.c.
MOCKED	 = $(BUILD)/t/test_sess $(BUILD)/t/test_engine $(BUILD)/t/test_auth
WRAPPED	 = ${shell sed -n 's/^__wrap_\(libssh2_[a-z0-9_]*\)(.*/\1/p' \
	   tests/unit/mock_libssh2.c 2>/dev/null}

# Debian packages each stage needs; see the `deps` recipe.
DEPS_BUILD = gcc make pkg-config libssh2-1-dev libssl-dev libarchive-dev \
	     zlib1g-dev libzstd-dev
DEPS_CHECK = $(DEPS_BUILD) libcmocka-dev openssh-server openssh-client sudo \
	     busybox zsh python3 iproute2 procps acl tcsh fish \
	     libarchive-tools tmux zstd

.PHONY: all check unit integration demo asan valgrind lint fuzz bench \
	install uninstall clean deps deps-check
.SUFFIXES:

all: $(BUILD)/.deps-build $(BIN)

# src/ctr.c's definitions must be the ones libssh2's calls find: exported.
CTR_EXPORT = $(patsubst %,-Wl$(comma)--export-dynamic-symbol=%, \
	     EVP_Cipher EVP_CipherInit EVP_CIPHER_CTX_free)
comma	:= ,

$(BIN): $(OBJS)
	$(CC) $(LDFLAGS) $(CTR_EXPORT) -o $@ $(OBJS) $(LDLIBS)

$(BUILD)/%.o: src/%.c $(wildcard include/*.h) | $(BUILD)/.deps-build
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

# Test builds expose file-static internals through the STATIC macro.
$(BUILD)/t/%.o: src/%.c $(wildcard include/*.h) | $(BUILD)/.deps-build
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -DUNIT_TEST $(CFLAGS) -Wno-missing-prototypes -c -o $@ $<

$(BUILD)/t/libfanscp.a: $(TOBJS)
	rm -f $@ && ar rcs $@ $(TOBJS)

$(BUILD)/t/mock_libssh2.o: tests/unit/mock_libssh2.c tests/unit/mock_libssh2.h \
    $(wildcard include/*.h) | $(BUILD)/.deps-check
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -DUNIT_TEST -Itests/unit $(CFLAGS) -c -o $@ $<

$(BUILD)/t/test_%: tests/unit/test_%.c $(BUILD)/t/libfanscp.a \
    $(wildcard tests/unit/*.h) | $(BUILD)/.deps-check
	$(CC) $(CPPFLAGS) -DUNIT_TEST -Itests/unit $(CFLAGS) -o $@ $< \
	    $(BUILD)/t/libfanscp.a $(LDFLAGS) -lcmocka $(LDLIBS)

$(MOCKED): $(BUILD)/t/test_%: tests/unit/test_%.c $(BUILD)/t/libfanscp.a \
    $(BUILD)/t/mock_libssh2.o $(wildcard tests/unit/*.h) | $(BUILD)/.deps-check
	$(CC) $(CPPFLAGS) -DUNIT_TEST -Itests/unit $(CFLAGS) -o $@ $< \
	    $(BUILD)/t/mock_libssh2.o $(BUILD)/t/libfanscp.a $(LDFLAGS) \
	    $(WRAPPED:%=-Wl,--wrap=%) -lcmocka $(LDLIBS)

check: unit integration

unit: $(UNITS)
	@fail=0; for t in $(UNITS); do \
	    echo "== $$t"; $$t || fail=1; done; exit $$fail

# Scenarios at once: most of a scenario's time is spent waiting (sleeps,
# timeouts, sshd start-up), not on the CPU.
JOBS	?= 2
integration: all $(BUILD)/.deps-check
	FANSCP=$(BIN) FANSCP_JOBS=$(JOBS) sh tests/integration/run.sh

demo: all $(BUILD)/.deps-check
	FANSCP=$(BIN) sh tests/integration/demo.sh

# The whole suite under AddressSanitizer and UndefinedBehaviorSanitizer.
asan:
	FANSCP_STREAM_MIB=128 $(MAKE) BUILD=build/asan BIN=build/asan/fanscp \
	    OPT="-O1 -g -fno-omit-frame-pointer" \
	    SAN="-fsanitize=address,undefined -fno-sanitize-recover=all" check

# One integration scenario under valgrind memcheck.
valgrind: all $(BUILD)/.deps-check
	FANSCP=$(BIN) FANSCP_VALGRIND=1 sh tests/integration/run.sh basic

lint:
	@! grep -nE '\b(strcpy|strcat|sprintf|vsprintf|atoi|gets)\(' src/*.c \
	    || { echo "lint: banned function"; exit 1; }
	@! command -v mandoc >/dev/null || mandoc -Tlint -W warning man/fanscp.1

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 755 $(BIN) $(DESTDIR)$(BINDIR)/fanscp
	install -m 644 man/fanscp.1 $(DESTDIR)$(MANDIR)/man1/fanscp.1

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/fanscp $(DESTDIR)$(MANDIR)/man1/fanscp.1

clean:
	rm -rf build fanscp

# Install what a stage needs, once: apt-get as root, through sudo otherwise,
# or a one-line message naming the command to run.
deps: $(BUILD)/.deps-build
deps-check: $(BUILD)/.deps-check

$(BUILD)/.deps-build:
	@sh tests/deps.sh $(DEPS_BUILD)
	@mkdir -p $(@D) && touch $@

$(BUILD)/.deps-check:
	@sh tests/deps.sh $(DEPS_CHECK)
	@mkdir -p $(@D) && touch $@

# Fuzzing: libFuzzer targets for the parsers (tests/fuzz/README.md).  `make
# fuzz` runs each for FUZZ_SECONDS, `make fuzz-smoke` (CI) for 10 seconds;
# both first replay tests/fuzz/regress and fail on any finding.
FUZZ_SECONDS ?= 600
DEPS_FUZZ = clang libclang-rt-14-dev

.PHONY: fuzz-smoke

fuzz: $(BUILD)/.deps-fuzz
	BUILD=$(BUILD) FUZZ_SECONDS=$(FUZZ_SECONDS) sh tests/fuzz/run.sh

fuzz-smoke: $(BUILD)/.deps-fuzz
	BUILD=$(BUILD) FUZZ_SECONDS=10 sh tests/fuzz/run.sh

$(BUILD)/.deps-fuzz:
	@sh tests/deps.sh $(DEPS_FUZZ)
	@mkdir -p $(@D) && touch $@
