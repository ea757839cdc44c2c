# exercises.mk - the exercises' targets, included by the root Makefile.
#
#   make exercises              build, then check the exercises in order; stops at the
#                               first that fails and says what to do next
#   make exercise N=3           check exercise 3 only
#   make watch                  re-check on every save; moves on when one passes
#   make exercise-reset N=3     give back exercise 3's untouched skeleton (yours is kept as .bak)
#   make exercises SOLUTIONS=1  check the teacher's solutions instead
#   make exercises-honesty      the checks of the exercises themselves (part of make test)
#
# Each installs the missing Debian packages first (check-deps), as make demo does.

.PHONY: exercises exercise watch exercise-reset exercises-honesty help

EXERCISE_FLAGS := $(if $(filter 1,$(SOLUTIONS)),--solutions)

# "Which one?" unless N came from the command line (the Makefile's own N is run-sync's).
define exercise_number
$(if $(filter command line environment,$(origin N)),$(N),$(error say which exercise: make $@ N=3))
endef

exercises: check-deps
	@$(MAKE) --no-print-directory -s all
	@exercises/check $(EXERCISE_FLAGS)

exercise: check-deps
	@$(MAKE) --no-print-directory -s all
	@exercises/check $(EXERCISE_FLAGS) $(call exercise_number)

watch: check-deps
	@$(MAKE) --no-print-directory -s all
	@exercises/check --watch $(EXERCISE_FLAGS)

exercise-reset:
	@exercises/check --reset $(call exercise_number)

exercises-honesty: check-deps
	@$(MAKE) --no-print-directory -s all
	@exercises/honesty.sh

# make test checks the exercises too (solutions pass, skeletons fail, the checker's messages).
test: exercises-honesty

help:
	@echo "evloop-kit: the targets (the kit runs on Linux: Debian 12, Ubuntu, or WSL2 on Windows)"
	@echo
	@echo "  make demo                  the one-command tour: sync vs async, 10 and 20 calls (DELAY=200 ms)"
	@echo "  make run-server            the classroom server on port 8080, 1 s per call (Ctrl-C stops it)"
	@echo "  make run-sync N=10         the blocking client against it"
	@echo "  make run-async N=10        the event-loop client against it"
	@echo "  make exercises             check the exercises in order; says what is next"
	@echo "  make exercise N=3          check exercise 3 only"
	@echo "  make watch                 re-check the exercises on every save"
	@echo "  make exercise-reset N=3    give back exercise 3's untouched skeleton"
	@echo "  make exercises SOLUTIONS=1 check the teacher's solutions"
	@echo "  make test                  the test suite, plain and under ASan+UBSan, and the exercises' checks"
	@echo "  make bench                 the figures: timings, speed-ups, throughput next to wrk"
	@echo "  make pictures              the lesson drawn: timelines, scaling, FirecREST (pictures/)"
	@echo "  make                       build every program into bin/ (make SAN=1: with sanitizers, in bin/san/)"
	@echo "  make deps                  install every Debian package the kit uses"
	@echo "  make clean                 remove bin/ and build/"
	@echo
	@echo "The worksheet: exercises/WORKSHEET.md. Which packages: scripts/ensure-deps.sh."
