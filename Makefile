# amsclient: libamsclient, the amsclient CLI and ams-mini-server.
#
#   make            build the library (shared + static) and the programs
#   make check      install missing packages, build, run every test
#   make demo       start a mini-server, publish a test pattern, play it back
#   make install    PREFIX=/usr/local DESTDIR=
#   make fuzz       FUZZ_SECONDS=N runs every libFuzzer target
#   make bench      benchmarks (print ratios against references, never fail)
#   make interop    the official JavaScript SDK in Chromium against us
#   make soak       the load suite with the full soak (LOAD_SECONDS=60)
#   SANITIZE=address,undefined builds everything with sanitizers in build-san/

VERSION     := 0.1.0
SOVERSION   := 0
PREFIX      ?= /usr/local
DESTDIR     ?=
BINDIR      := $(PREFIX)/bin
LIBDIR      := $(PREFIX)/lib
INCDIR      := $(PREFIX)/include
MANDIR      := $(PREFIX)/share/man
PKGCONFIGDIR:= $(LIBDIR)/pkgconfig

SANITIZE    ?=
BUILD       ?= $(if $(SANITIZE),build-san,build)
CC          ?= cc
FUZZ_SECONDS ?= 10
# How long make check runs each fuzzer; 0 skips them.
CHECK_FUZZ_SECONDS ?= 5

# Packages are installed on first use; see scripts/install-deps.sh.
DEPS_STAMP  := $(BUILD)/.deps-build
PKGS        := glib-2.0 gobject-2.0 gio-2.0 gio-unix-2.0 json-c libwebsockets libuv openssl \
               gstreamer-1.0 gstreamer-webrtc-1.0 gstreamer-sdp-1.0 gstreamer-app-1.0 \
               gstreamer-video-1.0 gstreamer-pbutils-1.0 nice
PKG_CFLAGS   = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS     = $(shell pkg-config --libs $(PKGS) 2>/dev/null)

SAN_FLAGS   := $(if $(SANITIZE),-fsanitize=$(SANITIZE) -fno-omit-frame-pointer,)
WARN        := -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers \
               -Wshadow -Wformat=2 -Wno-format-nonliteral
CFLAGS      ?= -O2 -g
ALL_CFLAGS   = -std=gnu11 $(WARN) $(CFLAGS) $(SAN_FLAGS) -fPIC -fvisibility=hidden \
               -Iinclude -Isdk $(PKG_CFLAGS) -DAMS_COMPILATION \
               -DGLIB_VERSION_MIN_REQUIRED=GLIB_VERSION_2_74 -DAMS_VERSION_FULL='"$(VERSION)"'
LDFLAGS     ?=
ALL_LDFLAGS  = $(LDFLAGS) $(SAN_FLAGS)

SDK_SRCS    := $(sort $(wildcard sdk/*/*.c))
SDK_OBJS    := $(SDK_SRCS:%.c=$(BUILD)/obj/%.o)
CLI_SRCS    := $(sort $(wildcard cli/amsclient/*.c))
SRV_SRCS    := $(sort $(wildcard cli/ams-mini-server/*.c))
PUB_HEADERS := $(sort $(wildcard include/amsclient/*.h))

LIB_SO      := $(BUILD)/lib/libamsclient.so.$(VERSION)
LIB_SONAME  := libamsclient.so.$(SOVERSION)
LIB_A       := $(BUILD)/lib/libamsclient.a
AMSCLIENT   := $(BUILD)/bin/amsclient
MINISERVER  := $(BUILD)/bin/ams-mini-server

UNIT_SRCS   := $(sort $(wildcard tests/unit/test-*.c))
UNIT_BINS   := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
TEST_HELPER_SRCS := $(sort $(wildcard tests/helpers/*.c))
TEST_HELPER_OBJS := $(TEST_HELPER_SRCS:%.c=$(BUILD)/obj/%.o)
FUZZ_SRCS   := $(sort $(wildcard tests/fuzz/fuzz-*.c))

.PHONY: all deps check check-unit check-e2e demo install uninstall clean fuzz bench interop \
        check-install check-man check-fuzz valgrind soak

all: $(DEPS_STAMP) $(LIB_SO) $(LIB_A) $(AMSCLIENT) $(MINISERVER)

$(DEPS_STAMP): scripts/install-deps.sh
	@sh scripts/install-deps.sh build
	@mkdir -p $(@D) && touch $@

$(BUILD)/obj/%.o: %.c $(PUB_HEADERS) | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

-include $(SDK_OBJS:.o=.d)

$(LIB_SO): $(SDK_OBJS)
	@mkdir -p $(@D)
	$(CC) -shared -Wl,-soname,$(LIB_SONAME) -Wl,-Bsymbolic-functions -Wl,--no-undefined \
	    -o $@ $^ $(ALL_LDFLAGS) $(PKG_LIBS) -lm
	ln -sf libamsclient.so.$(VERSION) $(BUILD)/lib/$(LIB_SONAME)
	ln -sf $(LIB_SONAME) $(BUILD)/lib/libamsclient.so

$(LIB_A): $(SDK_OBJS)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

# The programs use the public API only, through the shared library; the rpath
# finds it both in the build tree and under an installed PREFIX.
PROG_LDFLAGS = -L$(BUILD)/lib -lamsclient -Wl,-rpath,'$$ORIGIN/../lib' $(ALL_LDFLAGS) \
               $(shell pkg-config --libs glib-2.0 gobject-2.0 gio-2.0 gstreamer-1.0 2>/dev/null)
PROG_CFLAGS  = -std=gnu11 $(WARN) $(CFLAGS) $(SAN_FLAGS) -Iinclude \
               $(shell pkg-config --cflags glib-2.0 gobject-2.0 gio-2.0 gstreamer-1.0 2>/dev/null)

$(AMSCLIENT): $(CLI_SRCS) $(wildcard cli/amsclient/*.h) $(PUB_HEADERS) $(LIB_SO)
	@mkdir -p $(@D)
	$(CC) $(PROG_CFLAGS) -o $@ $(CLI_SRCS) $(PROG_LDFLAGS)

$(MINISERVER): $(SRV_SRCS) $(wildcard cli/ams-mini-server/*.h) $(PUB_HEADERS) $(LIB_SO)
	@mkdir -p $(@D)
	$(CC) $(PROG_CFLAGS) -o $@ $(SRV_SRCS) $(PROG_LDFLAGS)

# Unit tests see the internal headers and link the static archive.
$(BUILD)/tests/%: tests/unit/%.c $(LIB_A) $(TEST_HELPER_OBJS)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Itests -o $@ $< $(TEST_HELPER_OBJS) $(LIB_A) $(ALL_LDFLAGS) $(PKG_LIBS) -lm

# Helper objects are made by a pattern rule for a pattern rule: without this
# make deletes them as intermediates, and a later parallel run links without them.
.SECONDARY: $(TEST_HELPER_OBJS)
-include $(TEST_HELPER_OBJS:.o=.d)

tests: $(UNIT_BINS)

# ---------------------------------------------------------------- checks
check: all tests
	@sh scripts/install-deps.sh test
	@BUILD=$(BUILD) CHECK_FUZZ_SECONDS=$(CHECK_FUZZ_SECONDS) MAKE="$(MAKE)" \
	    SANITIZE="$(SANITIZE)" tests/run-tests.sh

demo: all
	@BUILD=$(BUILD) scripts/demo.sh

# ---------------------------------------------------------------- fuzzing
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=build-fuzz/%)
FUZZ_SDK_OBJS := $(SDK_SRCS:%.c=build-fuzz/obj/%.o)
FUZZ_CFLAGS = -std=gnu11 -g -O1 -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer \
              -Iinclude -Isdk -Itests $(PKG_CFLAGS) -DAMS_COMPILATION -DAMS_VERSION_FULL='"$(VERSION)"'

build-fuzz/obj/%.o: %.c $(PUB_HEADERS) | $(DEPS_STAMP)
	@mkdir -p $(@D)
	clang $(FUZZ_CFLAGS) -MMD -MP -c $< -o $@

# Track the fuzz objects' header dependencies, and keep the objects between
# runs (as prerequisites of a pattern rule they would be deleted).
-include $(FUZZ_SDK_OBJS:.o=.d)
.SECONDARY: $(FUZZ_SDK_OBJS)

build-fuzz/%: tests/fuzz/%.c $(FUZZ_SDK_OBJS)
	@mkdir -p $(@D)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_SDK_OBJS) $(PKG_LIBS) -lm

fuzz-build: $(FUZZ_BINS)

fuzz: $(FUZZ_BINS)
	@sh scripts/install-deps.sh test
	@FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run-fuzzers.sh $(FUZZ_BINS)

# ---------------------------------------------------------------- others
bench: all tests
	@BUILD=$(BUILD) tests/bench/run-bench.sh

interop: all
	@sh scripts/install-deps.sh interop
	@BUILD=$(BUILD) tests/interop/run-interop.sh

# The load suite alone with the full-length soak (make check runs it shorter).
soak: all
	@BUILD=$(BUILD) LOAD_SECONDS=$(or $(LOAD_SECONDS),60) TESTS=tests/load/ tests/run-tests.sh

# The unit tests under valgrind, and the end-to-end suites with amsclient and
# ams-mini-server under it (tests/helpers/valgrind-wrap.sh): any memory error
# or definite leak fails the suite. The default set of e2e suites is
# VALGRIND_SUITES in tests/run-tests.sh (relay-fanout and conference-multitrack,
# the suites with the most WebRTC peers at once, are left out to bound the
# run); TESTS=... picks others. Slow: an hour or more on two cores.
valgrind: all tests
	@BUILD=$(BUILD) AMS_VALGRIND=1 tests/run-tests.sh

# ---------------------------------------------------------------- install
MAN_PAGES := $(sort $(wildcard man/*.[1-8]))

install: all
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' -e 's|@INCDIR@|$(INCDIR)|g' \
	    -e 's|@VERSION@|$(VERSION)|g' amsclient.pc.in > $(BUILD)/amsclient.pc
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(PKGCONFIGDIR) \
	    $(DESTDIR)$(INCDIR)/amsclient
	install -m 755 $(AMSCLIENT) $(MINISERVER) $(DESTDIR)$(BINDIR)/
	install -m 755 $(LIB_SO) $(DESTDIR)$(LIBDIR)/
	ln -sf libamsclient.so.$(VERSION) $(DESTDIR)$(LIBDIR)/$(LIB_SONAME)
	ln -sf $(LIB_SONAME) $(DESTDIR)$(LIBDIR)/libamsclient.so
	install -m 644 $(LIB_A) $(DESTDIR)$(LIBDIR)/
	install -m 644 $(PUB_HEADERS) $(DESTDIR)$(INCDIR)/amsclient/
	install -m 644 $(BUILD)/amsclient.pc $(DESTDIR)$(PKGCONFIGDIR)/
	for m in $(MAN_PAGES); do s=$${m##*.}; install -d $(DESTDIR)$(MANDIR)/man$$s; \
	    install -m 644 $$m $(DESTDIR)$(MANDIR)/man$$s/; done

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/amsclient $(DESTDIR)$(BINDIR)/ams-mini-server
	rm -f $(DESTDIR)$(LIBDIR)/libamsclient.so* $(DESTDIR)$(LIBDIR)/libamsclient.a
	rm -f $(DESTDIR)$(PKGCONFIGDIR)/amsclient.pc
	rm -rf $(DESTDIR)$(INCDIR)/amsclient
	for m in $(MAN_PAGES); do s=$${m##*.}; rm -f $(DESTDIR)$(MANDIR)/man$$s/$${m##*/}; done

clean:
	rm -rf build build-san build-fuzz
