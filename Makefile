# edl: one GNU Makefile.
#   make                 build/libedl.a, build/libedl.so (-> libedl.so.0 -> libedl.so.MAJOR.MINOR.PATCH), build/edl
#   make test            build and run every test; ends with "N passed, N failed"
#   make bench           build the benchmark programs (bench/)
#   make install PREFIX=/usr/local
# Options: CC=clang, OPENMP=0, BLAS=auto|openblas|dnnl|none, MPI=auto|1|0, SAN=1 (ASan+UBSan), BUILD=dir

CC      ?= cc
BUILD   ?= build
PREFIX  ?= /usr/local
OPENMP  ?= 1
BLAS    ?= auto
SAN     ?= 0
MPI     ?= auto
PKG_CONFIG ?= pkg-config

WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wvla
OPT     ?= -O3
# User CFLAGS/LDFLAGS are added to, never replaced.
# -fno-math-errno: edl never reads errno from libm, and without it sqrtf cannot be vectorised.
# -ffp-contract=off: no compiler fuses a * b + c on its own (GCC's ISO mode does not; Clang's
# default would, for a target with FMA), so every build and clone rounds alike; edl asks for a
# fused multiply-add by name (fmaf) where it wants one.
XCFLAGS := $(OPT) -std=c11 -D_POSIX_C_SOURCE=200809L $(WARN) -fPIC -fno-math-errno -ffp-contract=off -Iinclude
XLDFLAGS :=
LDLIBS  := -lm
VERSION := $(shell awk '/define EDL_VERSION_(MAJOR|MINOR|PATCH) /{v=v (v==""?"":".") $$3} END{print v}' include/edl.h)
# The shared library as distributions lay it out: the file has the full version, the soname
# (what a program records and looks for at run time) the major one, the link-time name points there.
SONAME  := libedl.so.$(firstword $(subst ., ,$(VERSION)))
SOFILE  := libedl.so.$(VERSION)

ifeq ($(SAN),1)
  XCFLAGS += -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
  XLDFLAGS += -fsanitize=address,undefined
endif

ifeq ($(OPENMP),1)
  XCFLAGS += -fopenmp
  XLDFLAGS += -fopenmp
else
  XCFLAGS += -Wno-unknown-pragmas
endif

# BLAS: auto picks oneDNN's sgemm when its header is installed (fastest here, and it shares
# edl's OpenMP threads), else OpenBLAS when pkg-config finds it, else the built-in kernel.
ifeq ($(BLAS),auto)
  BLAS := $(shell test -f /usr/include/oneapi/dnnl/dnnl.h && echo dnnl || \
            ($(PKG_CONFIG) --exists openblas 2>/dev/null && echo openblas) || echo none)
endif
ifeq ($(BLAS),openblas)
  XCFLAGS += -DEDL__USE_CBLAS $(shell $(PKG_CONFIG) --cflags openblas)
  BLASLIB := $(shell $(PKG_CONFIG) --libs openblas)
endif
ifeq ($(BLAS),dnnl)
  XCFLAGS += -DEDL__USE_DNNL
  BLASLIB := -ldnnl
endif
LDLIBS := $(BLASLIB) $(LDLIBS)

# MPI: auto builds with it when pkg-config finds an MPI's C library (Open MPI: libopenmpi-dev);
# only src/model/comm_mpi.c uses it. Without it the communicator is one process.
ifeq ($(MPI),auto)
  MPI := $(shell $(PKG_CONFIG) --exists mpi-c 2>/dev/null && echo 1 || echo 0)
endif
ifeq ($(MPI),1)
  XCFLAGS += -DEDL__USE_MPI $(shell $(PKG_CONFIG) --cflags mpi-c)
  LDLIBS := $(shell $(PKG_CONFIG) --libs mpi-c) $(LDLIBS)
endif

LIB_SRC := $(wildcard src/*/*.c)
LIB_OBJ := $(LIB_SRC:src/%.c=$(BUILD)/obj/%.o)
CLI_SRC := $(wildcard cli/*.c)
TEST_SRC := $(wildcard tests/*.c)
BENCH_SRC := $(wildcard bench/*.c)
DEPS    := $(LIB_OBJ:.o=.d)

.PHONY: all test bench install clean demo fuzz
all: $(BUILD)/libedl.a $(BUILD)/libedl.so $(BUILD)/edl

$(BUILD)/obj/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(CC) $(XCFLAGS) $(CFLAGS) -Isrc -MMD -MP -c $< -o $@

$(BUILD)/libedl.a: $(LIB_OBJ)
	rm -f $@
	ar rcs $@ $^

# The shared library exports only the public edl_ names (not the internal edl__ ones).
$(BUILD)/$(SOFILE): $(LIB_OBJ) src/common/edl.map
	$(CC) -shared -Wl,--version-script=src/common/edl.map -Wl,-soname,$(SONAME) $(XLDFLAGS) $(LDFLAGS) -o $@ $(LIB_OBJ) $(LDLIBS)
$(BUILD)/$(SONAME): $(BUILD)/$(SOFILE)
	ln -sf $(SOFILE) $@
$(BUILD)/libedl.so: $(BUILD)/$(SONAME)
	ln -sf $(SONAME) $@

$(BUILD)/edl: $(CLI_SRC) $(wildcard cli/*.h) $(wildcard include/*.h) $(BUILD)/libedl.a
	$(CC) $(XCFLAGS) $(CFLAGS) -o $@ $(CLI_SRC) $(XLDFLAGS) $(LDFLAGS) $(BUILD)/libedl.a $(LDLIBS)

# Tests link the static library so they can reach the naive references (edl__ names), and wrap
# the allocator so tests/test_faults.c can fail any allocation the library makes.
WRAP_ALLOC := -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=free,--wrap=strdup,--wrap=posix_memalign,--wrap=aligned_alloc
$(BUILD)/test_edl: $(TEST_SRC) $(wildcard tests/*.h) $(wildcard tests/fuzz/*.c tests/fuzz/*.h) $(wildcard include/*.h) src/common/internal.h $(BUILD)/libedl.a
	$(CC) $(XCFLAGS) $(CFLAGS) -Isrc -o $@ $(TEST_SRC) $(XLDFLAGS) $(LDFLAGS) $(WRAP_ALLOC) $(BUILD)/libedl.a $(LDLIBS) -pthread

# The README's C example, extracted and compiled against the installed-style header and library.
$(BUILD)/readme_example: README.md $(BUILD)/libedl.a
	sed -n '/^```c readme-example/,/^```/p' README.md | sed '1d;$$d' > $(BUILD)/readme_example.c
	$(CC) $(XCFLAGS) $(CFLAGS) -o $@ $(BUILD)/readme_example.c $(XLDFLAGS) $(LDFLAGS) $(BUILD)/libedl.a $(LDLIBS)

# The same example linked as a user links the shared library in the build directory; it starts
# only if the soname's file is there.
$(BUILD)/readme_example_so: $(BUILD)/readme_example $(BUILD)/libedl.so
	$(CC) $(XCFLAGS) $(CFLAGS) -o $@ $(BUILD)/readme_example.c $(XLDFLAGS) $(LDFLAGS) -L$(BUILD) -ledl -Wl,-rpath,$(abspath $(BUILD))

# The communicator's own check, run under mpirun by tests/test_mpi.c (its realloc wrapped, to fail
# one rank's).
$(BUILD)/comm_check: tests/mpi/comm_check.c src/model/comm.h $(BUILD)/libedl.a
	$(CC) $(XCFLAGS) $(CFLAGS) -Isrc -o $@ $< $(XLDFLAGS) $(LDFLAGS) -Wl,--wrap=realloc $(BUILD)/libedl.a $(LDLIBS)

# The row-sharded table's check, run alone and under mpirun by tests/test_mpi_shard.c.
$(BUILD)/shard_check: tests/mpi/shard_check.c src/model/shard.h src/model/comm.h $(BUILD)/libedl.a
	$(CC) $(XCFLAGS) $(CFLAGS) -Isrc -o $@ $< $(XLDFLAGS) $(LDFLAGS) $(BUILD)/libedl.a $(LDLIBS)

test: $(BUILD)/test_edl $(BUILD)/readme_example $(BUILD)/readme_example_so $(BUILD)/edl $(BUILD)/comm_check \
      $(BUILD)/shard_check
	EDL_README_EXAMPLE=$(BUILD)/readme_example EDL_SO_EXAMPLE=$(BUILD)/readme_example_so EDL_CLI=$(BUILD)/edl \
	    EDL_COMM_CHECK=$(BUILD)/comm_check EDL_SHARD_CHECK=$(BUILD)/shard_check $(BUILD)/test_edl

# Benchmarks also link the peers they measure against, when installed.
HAVE_OPENBLAS := $(shell $(PKG_CONFIG) --exists openblas 2>/dev/null && echo 1)
HAVE_DNNL := $(shell test -f /usr/include/oneapi/dnnl/dnnl.h && echo 1)
BENCH_CFLAGS := $(if $(HAVE_OPENBLAS),-DEDL_BENCH_OPENBLAS $(shell $(PKG_CONFIG) --cflags openblas)) \
                $(if $(HAVE_DNNL),-DEDL_BENCH_DNNL)
BENCH_LIBS := $(if $(HAVE_OPENBLAS),$(shell $(PKG_CONFIG) --libs openblas)) $(if $(HAVE_DNNL),-ldnnl)

# The main job on the bundled data: a spam classifier with fastText's flags, its summary, its
# test scores and a few predictions with probabilities.
DEMO_FLAGS ?= -dim 50 -epoch 25 -lr 0.5 -wordNgrams 2 -bucket 200000 -thread 2
demo: $(BUILD)/edl
	@echo "== edl supervised -input data/spam.train -output $(BUILD)/spam $(DEMO_FLAGS)"
	@$(BUILD)/edl supervised -input data/spam.train -output $(BUILD)/spam $(DEMO_FLAGS) -verbose 1
	@echo "== edl summary $(BUILD)/spam.safetensors"
	@$(BUILD)/edl summary $(BUILD)/spam.safetensors
	@echo "== edl test $(BUILD)/spam.safetensors data/spam.test"
	@$(BUILD)/edl test $(BUILD)/spam.safetensors data/spam.test
	@echo "== edl predict-prob $(BUILD)/spam.safetensors - 2   (five test messages, first words shown)"
	@sed -n '1p;250p;500p;750p;1000p' data/spam.test | cut -d' ' -f2- > $(BUILD)/demo_lines.txt
	@$(BUILD)/edl predict-prob $(BUILD)/spam.safetensors $(BUILD)/demo_lines.txt 2 | \
	    paste - $(BUILD)/demo_lines.txt | awk -F'\t' '{ split($$2, w, " "); s = ""; for (i = 1; i <= 10 && i in w; i++) s = s " " w[i]; printf "%s  <-%s ...\n", $$1, s }'
	@echo "== edl plot $(BUILD)/spam.safetensors -output $(BUILD)/spam_words.svg   (PCA of the most frequent words and the labels)"
	@$(BUILD)/edl plot $(BUILD)/spam.safetensors -output $(BUILD)/spam_words.svg -top 40

# FAISS (libfaiss-dev, C++) beside bench/quantized.c, built when its header is installed.
HAVE_FAISS := $(shell test -f /usr/include/faiss/IndexPQ.h && echo 1)
CXX ?= c++
bench: $(BENCH_SRC:bench/%.c=$(BUILD)/bench_%) $(if $(HAVE_FAISS),$(BUILD)/bench_quantized_faiss)

$(BUILD)/bench_quantized_faiss: bench/quantized_faiss.cpp
	@mkdir -p $(BUILD)
	$(CXX) -O3 -std=c++17 -fopenmp -o $@ $< -lfaiss $(if $(HAVE_OPENBLAS),$(shell $(PKG_CONFIG) --libs openblas),-lblas -llapack)

$(BUILD)/bench_%: bench/%.c bench/bench.h $(BUILD)/libedl.a
	$(CC) $(XCFLAGS) $(CFLAGS) $(BENCH_CFLAGS) -Isrc -o $@ $< $(XLDFLAGS) $(LDFLAGS) $(BUILD)/libedl.a $(BENCH_LIBS) $(LDLIBS)

$(BUILD)/edl.pc: edl.pc.in
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' \
	    -e 's|@LIBS_PRIVATE@|$(strip $(LDLIBS) $(if $(filter 1,$(OPENMP)),-fopenmp))|' $< > $@

install: all $(BUILD)/edl.pc
	install -d $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/bin
	install -m 644 include/edl.h include/edl_text.h include/edl_rec.h include/edl_viz.h $(DESTDIR)$(PREFIX)/include/
	install -m 644 $(BUILD)/libedl.a $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(BUILD)/$(SOFILE) $(DESTDIR)$(PREFIX)/lib/
	ln -sf $(SOFILE) $(DESTDIR)$(PREFIX)/lib/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(PREFIX)/lib/libedl.so
	install -m 644 $(BUILD)/edl.pc $(DESTDIR)$(PREFIX)/lib/pkgconfig/
	install -m 755 $(BUILD)/edl $(DESTDIR)$(PREFIX)/bin/

# libFuzzer harnesses (tests/fuzz/), built with clang, ASan and UBSan, without OpenMP or a BLAS so
# every run is deterministic. Each runs FUZZ_SECONDS on a copy of its seed corpus and saved crash
# inputs (tests/fuzz/regress/NAME/); a crash, a leak or a sanitizer report fails the target and
# leaves the input in build-fuzz/crashes/ (fixed, it goes to tests/fuzz/regress/NAME/, which
# `make test` replays through the same harness code: tests/test_fuzz_replay.c).
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := safetensors spec vectors text ratings models fasttext
FUZZ_BUILD := build-fuzz
FUZZ_FLAGS := -O1 -g -std=c11 -D_POSIX_C_SOURCE=200809L -Iinclude -Isrc -fno-math-errno -Wno-unknown-pragmas \
              -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_OBJ := $(LIB_SRC:src/%.c=$(FUZZ_BUILD)/obj/%.o)
$(FUZZ_BUILD)/obj/%.o: src/%.c $(wildcard src/*/*.h) $(wildcard include/*.h)
	@mkdir -p $(dir $@)
	clang $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -c $< -o $@
$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(FUZZ_OBJ)
	clang $(FUZZ_FLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_OBJ) -lm

fuzz: $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/fuzz_%)
	@mkdir -p $(FUZZ_BUILD)/crashes
	@set -e; for t in $(FUZZ_TARGETS); do \
	    rm -rf $(FUZZ_BUILD)/corpus-$$t; mkdir -p $(FUZZ_BUILD)/corpus-$$t; cp tests/fuzz/corpus/$$t/* $(FUZZ_BUILD)/corpus-$$t/; \
	    if [ -d tests/fuzz/regress/$$t ]; then cp tests/fuzz/regress/$$t/* $(FUZZ_BUILD)/corpus-$$t/; fi; \
	    echo "== fuzz_$$t for $(FUZZ_SECONDS) s"; \
	    $(FUZZ_BUILD)/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
	        -artifact_prefix=$(FUZZ_BUILD)/crashes/$$t- $(FUZZ_BUILD)/corpus-$$t 2>$(FUZZ_BUILD)/fuzz_$$t.log || \
	        { tail -n 60 $(FUZZ_BUILD)/fuzz_$$t.log; exit 1; }; \
	    grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb' $(FUZZ_BUILD)/fuzz_$$t.log; \
	done

clean:
	rm -rf $(BUILD) build-*

-include $(DEPS)
