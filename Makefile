# evloop-kit: one `make` builds every program into bin/: server, client_sync,
# client_async, firecrest_sync, firecrest_async, and mini_loop's mini_* programs.
#
#   make              build everything (bin/)
#   make demo         the one-command tour: sync vs async, N=10 and N=20
#   make test         the Criterion suite, plain and under ASan+UBSan
#   make bench        the figures: timings, speedups, throughput next to wrk
#   make pictures     the lesson drawn: call timelines, scaling plots, FirecREST pacing (pictures/)
#   make run-server   the classroom server on port 8080, its dashboard at http://127.0.0.1:8080/
#   make run-sync N=10 / make run-async N=10   the clients against it
#   make deps         install the Debian packages the kit needs
#   make exercises    the exercises, checked in order (see exercises/exercises.mk)
#   make help         every target, one line each
#
# `make SAN=1` builds the same programs with AddressSanitizer and UBSan into
# bin/san/ (objects in build/san/): `make test` runs the suite against both.

CC      ?= cc
SAN     ?=
N       ?= 10
DELAY   ?= 200

ifeq ($(SAN),1)
  BIN      := bin/san
  BUILD    := build/san
  SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
else
  BIN      := bin
  BUILD    := build/plain
  SANFLAGS :=
endif

CFLAGS   ?= -O2 -g
CFLAGS   += -std=c11 -Wall -Wextra -Werror $(SANFLAGS)
# Part 1 (the lesson) finds only its own folders and common/; part 2 (firecrest/)
# builds on part 1, never the reverse.
CPPFLAGS += -D_DEFAULT_SOURCE -Icommon -Iserver -Iclient_async -Imini_loop -MMD -MP
FIRECREST_CPPFLAGS := -Ifirecrest/fake -Ifirecrest/clients
LDFLAGS  += $(SANFLAGS)

CURL_LIBS := $(shell pkg-config --libs libcurl 2>/dev/null || echo -lcurl)
UV_LIBS   := $(shell pkg-config --libs libuv 2>/dev/null || echo -luv)
CJSON_LIBS := -lcjson
CRYPTO_LIBS := $(shell pkg-config --libs libcrypto 2>/dev/null || echo -lcrypto)
# civetweb ships no pkg-config file in Debian.
CIVETWEB_LIBS := -lcivetweb -lpthread
CRITERION_LIBS := $(shell pkg-config --libs criterion 2>/dev/null || echo -lcriterion)

# --- what each program is made of -------------------------------------------

# What every client shares, what the libcurl ones add, what the FirecREST ones add.
COMMON_OBJS := $(BUILD)/common/client_options.o $(BUILD)/common/call_report.o $(BUILD)/common/clock.o $(BUILD)/common/call_trace.o \
               $(BUILD)/common/reply_check.o $(BUILD)/common/open_files.o $(BUILD)/common/numbers.o
CURL_OBJS := $(BUILD)/common/curl_helpers.o
FIRECREST_API_OBJS := $(BUILD)/firecrest/clients/firecrest_api.o
SERVER_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(wildcard server/*.c)) $(BUILD)/server/dashboard_files.o
FIRECREST_FAKE_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(wildcard firecrest/fake/*.c))
MINI_LOOP_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(wildcard mini_loop/mini_loop.c))

PROGRAMS := $(BIN)/server $(BIN)/client_sync $(BIN)/client_async $(BIN)/firecrest_sync $(BIN)/firecrest_async
MINI_PROGRAMS := $(patsubst mini_loop/%.c,$(BIN)/%,$(filter-out mini_loop/mini_loop.c,$(wildcard mini_loop/*.c)))
PROGRAMS += $(MINI_PROGRAMS)

TEST_SOURCES := $(wildcard tests/*.c)
TEST_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(TEST_SOURCES))

.PHONY: all deps check-deps demo test tests bench pictures run-server run-sync run-async clean

all: $(PROGRAMS)

$(BIN)/server: $(SERVER_OBJS) $(FIRECREST_FAKE_OBJS) $(BUILD)/common/numbers.o $(BUILD)/common/clock.o
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(CIVETWEB_LIBS) $(CJSON_LIBS) $(CRYPTO_LIBS) -lm

$(BIN)/client_sync: $(BUILD)/client_sync/client_sync.o $(COMMON_OBJS) $(CURL_OBJS)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(CURL_LIBS) $(CJSON_LIBS) -lpthread -lm

$(BIN)/firecrest_sync: $(BUILD)/firecrest/clients/firecrest_sync.o $(COMMON_OBJS) $(CURL_OBJS) $(FIRECREST_API_OBJS)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(CURL_LIBS) $(CJSON_LIBS) -lpthread -lm

$(BIN)/firecrest_async: $(BUILD)/firecrest/clients/firecrest_async.o $(BUILD)/client_async/uv_curl.o $(COMMON_OBJS) $(CURL_OBJS) $(FIRECREST_API_OBJS)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(UV_LIBS) $(CURL_LIBS) $(CJSON_LIBS) -lpthread -lm

$(BIN)/client_async: $(BUILD)/client_async/client_async.o $(BUILD)/client_async/uv_curl.o \
                    $(BUILD)/client_async/host_lookup.o $(COMMON_OBJS) $(CURL_OBJS)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(UV_LIBS) $(CURL_LIBS) $(CJSON_LIBS) -lpthread -lm

# Every mini_loop program is one file on top of the loop (and the shared reporting).
$(MINI_PROGRAMS): $(BIN)/%: $(BUILD)/mini_loop/%.o $(MINI_LOOP_OBJS) $(COMMON_OBJS)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(CJSON_LIBS) -lpthread -lm

# One test binary: unit tests link the code under test, integration tests run
# the programs in $(BIN) as separate processes.
$(BIN)/tests: $(TEST_OBJS) $(COMMON_OBJS) $(CURL_OBJS) $(FIRECREST_API_OBJS) $(BUILD)/server/stats.o $(MINI_LOOP_OBJS)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(CRITERION_LIBS) $(CURL_LIBS) $(CJSON_LIBS) -lpthread -lm

tests: all $(BIN)/tests

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

# The dashboard's page (server/dashboard/) is compiled into bin/server as C arrays:
# the server finds it from any directory, and needs no install step.
DASHBOARD_FILES := $(wildcard server/dashboard/*)
$(BUILD)/server/dashboard_files.c: $(DASHBOARD_FILES) scripts/embed.sh
	@mkdir -p $(@D)
	scripts/embed.sh $(DASHBOARD_FILES) > $@.tmp && mv $@.tmp $@
$(BUILD)/server/dashboard_files.o: $(BUILD)/server/dashboard_files.c
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

# Part 2 and the tests also see part 2's headers; in part 1, only server.c does,
# for the one public header through which it mounts the fake FirecREST API.
$(BUILD)/firecrest/%.o $(BUILD)/tests/%.o: CPPFLAGS += $(FIRECREST_CPPFLAGS)
$(BUILD)/server/server.o: CPPFLAGS += -Ifirecrest/fake

-include $(wildcard $(BUILD)/*/*.d $(BUILD)/*/*/*.d)

# --- the commands the README promises ---------------------------------------

# Installs only what is missing, so it is cheap to run before every demo/test.
check-deps:
	@scripts/ensure-deps.sh

deps:
	@scripts/ensure-deps.sh --all

demo: check-deps
	@$(MAKE) -s --no-print-directory all
	@scripts/demo.sh $(DELAY)

# The suite runs twice: plain, then with every program rebuilt under ASan+UBSan.
test: check-deps
	@scripts/ensure-deps.sh --test
	@$(MAKE) --no-print-directory tests
	EVLOOP_BIN=bin bin/tests $(TEST_FLAGS)
	@$(MAKE) --no-print-directory SAN=1 tests
	EVLOOP_BIN=bin/san LSAN_OPTIONS=suppressions=tests/lsan.supp:print_suppressions=0 bin/san/tests $(TEST_FLAGS)

bench: check-deps
	@scripts/ensure-deps.sh --bench
	@$(MAKE) -s --no-print-directory all
	@scripts/bench.sh

# The lesson drawn from real runs (gnuplot): pictures/timeline.svg, scaling.svg, firecrest.svg.
pictures: check-deps
	@scripts/ensure-deps.sh --pictures
	@$(MAKE) -s --no-print-directory all
	@scripts/pictures.sh $(DELAY)

run-server: check-deps
	@$(MAKE) --no-print-directory -s all
	$(BIN)/server --port 8080

run-sync: check-deps
	@$(MAKE) --no-print-directory -s all
	$(BIN)/client_sync --number $(N)

run-async: check-deps
	@$(MAKE) --no-print-directory -s all
	$(BIN)/client_async --number $(N)

clean:
	rm -rf bin build

# The exercises: make exercises, make exercise N=3, make watch, ... (and make help).
include exercises/exercises.mk
