# Point-of-sale system: build, run, test, bench.  `make help` lists the targets.
# Everything a fresh Debian machine needs is installed by scripts/deps.sh.

PORT    ?= 8080
VARDIR  ?= $(CURDIR)/var
WORKERS ?= 4
export PORT VARDIR WORKERS

CC      ?= cc
CLANG   ?= clang
PKGS    := fcgi libpq jansson libcrypto libssl libjwt liboath libqrencode libsodium
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN    := -Wall -Wextra -Werror -Wformat=2 -Wshadow -Wpointer-arith -Wstrict-prototypes \
           -Wmissing-prototypes -Wvla -Wno-unused-parameter
BASE_CFLAGS := -std=c17 -D_GNU_SOURCE -Ifcgi $(WARN) $(PKG_CFLAGS) -MMD -MP
REL_CFLAGS  := -O2 -g -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE
REL_LDFLAGS := -pie -Wl,-z,relro,-z,now
SAN_CFLAGS  := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
SAN_LDFLAGS := -fsanitize=address,undefined

# Build flavours: release in build/, sanitizers in build/asan/ (SAN=1).
ifeq ($(SAN),1)
B       := build/asan
CFLAGS  := $(BASE_CFLAGS) $(SAN_CFLAGS)
LDFLAGS := $(SAN_LDFLAGS)
else
B       := build
CFLAGS  := $(BASE_CFLAGS) $(REL_CFLAGS)
LDFLAGS := $(REL_LDFLAGS)
endif

MAINS     := fcgi/posd.c fcgi/posctl.c fcgi/posev.c
LIB_SRCS  := $(filter-out $(MAINS),$(wildcard fcgi/*.c))
LIB_OBJS  := $(LIB_SRCS:fcgi/%.c=$(B)/obj/%.o)
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(B)/tests/%)
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=build/fuzz/%)

.PHONY: all build run test unit fuzz bench deps clean help install-deps

all: build ## Build the workers and the command-line tool (release flavour)

build: $(B)/posd $(B)/posctl $(B)/posev ## Same as all; SAN=1 builds the sanitizer flavour in build/asan

$(B)/obj/%.o: fcgi/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c $< -o $@

$(B)/posd: $(B)/obj/posd.o $(LIB_OBJS)
	$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) $(PKG_LIBS)

$(B)/posctl: $(B)/obj/posctl.o $(LIB_OBJS)
	$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) $(PKG_LIBS)

$(B)/posev: $(B)/obj/posev.o $(LIB_OBJS)
	$(CC) $(LDFLAGS) -pthread -o $@ $(filter %.o,$^) $(PKG_LIBS)

$(B)/tests/%: tests/unit/%.c $(LIB_OBJS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $(filter %.c %.o,$^) $(LDFLAGS) $(PKG_LIBS) -lcmocka

unit-bins: $(UNIT_BINS)

unit: $(UNIT_BINS) ## Build and run the C unit tests (cmocka)
	@rc=0; for t in $(UNIT_BINS); do $$t || rc=1; done; exit $$rc

# libFuzzer targets: clang, address + undefined sanitizers, the project's modules.
build/fuzz/%: tests/fuzz/%.c $(LIB_SRCS)
	@mkdir -p $(@D)
	$(CLANG) -std=c17 -D_GNU_SOURCE -Ifcgi $(PKG_CFLAGS) -g -O1 \
	  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	  -o $@ $^ $(PKG_LIBS)

fuzz-bins: $(FUZZ_BINS)

FUZZ_SECONDS ?= 300
fuzz: $(FUZZ_BINS) ## Run every fuzz target for FUZZ_SECONDS (default 300) each
	scripts/fuzz.sh $(FUZZ_SECONDS) $(FUZZ_BINS)

deps: ## Install missing Debian and npm packages (needs root)
	scripts/deps.sh

run: deps ## Install, build, start PostgreSQL + workers + nginx on PORT (8080); Ctrl-C stops
	$(MAKE) build
	scripts/run.sh

test: deps ## Everything: sanitizer build, unit, fuzz, API and browser tests on a throwaway stack
	$(MAKE) SAN=1 build unit-bins
	$(MAKE) fuzz-bins
	scripts/test.sh

bench: deps ## Benchmarks with wrk on loopback; results in bench/RESULTS.md
	$(MAKE) build
	scripts/bench.sh

clean: ## Remove build output (keeps var/)
	rm -rf build

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' Makefile | sed 's/:.*## /\t/' | expand -t 10

-include $(shell find build -name '*.d' 2>/dev/null)
