# lokipipe — one hand-written GNU Makefile.
#   make            build every stage into bin/
#   make check      install what is missing, build, run every test
#   make demo       ship the bundled sample events into Loki and read them back
#   make bench      benchmarks (figures next to a baseline of the same run)
#   make install    PREFIX=/usr/local DESTDIR=
#   make SANITIZE=1 check    ASan + UBSan;   make VALGRIND=1 check
#   make proto      regenerate lib/push.pb-c.[ch] (needs protoc-c)

VERSION	= 0.1.0
PREFIX	?= /usr/local
CC	?= cc
CFLAGS	?= -O2 -g
WARN	= -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
	  -Wmissing-prototypes -Wno-unused-parameter
CPPFLAGS += -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
	  -DLP_VERSION='"$(VERSION)"' -Ilib -MMD -MP
ifeq ($(SANITIZE),1)
CFLAGS	+= -fsanitize=address,undefined -fno-omit-frame-pointer \
	   -fno-sanitize-recover=undefined
LDFLAGS	+= -fsanitize=address,undefined
B	= build/san
BIN	= build/san/bin
else
B	= build/opt
BIN	= bin
endif

STAGES	= lambda-runtime lambda-secrets lambda-init aws-decode relabel transform batch loki-push

# lib/ modules, one line per area (each a lib/NAME.c with lib/NAME.h)
LIB_CORE	= util log io json entry labels settings gz aws
LIB_PUSH	= push.pb-c lokiproto
LIB_RELABEL	= goregex relabel
LIB_DECODE	= b64 awsevent
LIB_S3		= s3log s3fmt
LIB_LAMBDA	= secrets lambda rtapi
LIB_TRANSFORM	= lstage gocompat
LIB_MODS	= $(LIB_CORE) $(LIB_PUSH) $(LIB_RELABEL) $(LIB_DECODE) \
		  $(LIB_S3) $(LIB_LAMBDA) $(LIB_TRANSFORM)
LIB_OBJS	= $(patsubst lib/%.c,$(B)/lib/%.o,$(wildcard $(LIB_MODS:%=lib/%.c)))
LIB_A		= $(B)/liblokipipe.a

# per-stage link flags: each stage links only what it uses
LIBS_lambda-runtime	=
LIBS_lambda-secrets	= -lcurl -lcrypto
LIBS_lambda-init	=
LIBS_aws-decode		= -lcurl -ljq -lz -lcrypto
LIBS_relabel		= -ljq -lpcre2-8 -lcrypto
LIBS_transform		= -ljq -lpcre2-8 -lcrypto
LIBS_batch		=
LIBS_loki-push		= -lcurl -lprotobuf-c -lsnappy -lz
LIBS_ALL	= -lcurl -ljq -lz -lcrypto -lpcre2-8 -lprotobuf-c -lsnappy

UNIT	= $(patsubst tests/unit/%.c,%,$(wildcard tests/unit/test_*.c))
TOOLS_C	= $(patsubst tests/tools/%.c,%,$(wildcard tests/tools/*.c))

BUILT	= $(patsubst stages/%.c,%,$(wildcard $(STAGES:%=stages/%.c)))

all: deps-build $(BUILT:%=$(BIN)/%) $(BIN)/lokipipe

# Installs missing Debian packages (quiet and quick when all are there).
deps-build:
	@sh scripts/deps.sh

$(B)/lib/%.o: lib/%.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -c -o $@ $<

# protobuf-c's generated code is not ours: keep the warnings, not -Werror
$(B)/lib/push.pb-c.o: lib/push.pb-c.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -w -c -o $@ $<

$(B)/stages/%.o: stages/%.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -c -o $@ $<

$(LIB_A): $(LIB_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

$(BIN)/%: $(B)/stages/%.o $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $< $(LIB_A) $(LIBS_$*)

$(BIN)/lokipipe: scripts/lokipipe.in Makefile
	@mkdir -p $(@D)
	sed -e 's|@VERSION@|$(VERSION)|' -e 's|@LIBEXEC@||' $< > $@
	chmod +x $@

$(B)/tests/%: tests/unit/%.c $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) $(LDFLAGS) -o $@ $< $(LIB_A) \
	    $(LIBS_ALL)

$(B)/tools/%: tests/tools/%.c $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) $(LDFLAGS) -o $@ $< $(LIB_A) \
	    $(LIBS_ALL)

unit: $(UNIT:%=$(B)/tests/%) $(TOOLS_C:%=$(B)/tools/%)

check: all unit
	@sh scripts/deps.sh
	@B=$(B) BINDIR=$(BIN) SANITIZE=$(SANITIZE) VALGRIND=$(VALGRIND) \
	    sh tests/run.sh

demo: all
	@sh conf/demo.sh

bench: all unit
	@sh bench/run.sh

proto: lib/push.proto
	cd lib && protoc-c --c_out=. push.proto

install: all
	install -d $(DESTDIR)$(PREFIX)/lib/lokipipe/bin $(DESTDIR)$(PREFIX)/bin
	install -m 755 $(STAGES:%=$(BIN)/%) $(DESTDIR)$(PREFIX)/lib/lokipipe/bin
	sed -e 's|@VERSION@|$(VERSION)|' \
	    -e 's|@LIBEXEC@|$(PREFIX)/lib/lokipipe/bin|' scripts/lokipipe.in \
	    > $(DESTDIR)$(PREFIX)/bin/lokipipe
	chmod 755 $(DESTDIR)$(PREFIX)/bin/lokipipe

clean:
	rm -rf build bin dist

# bench tools: bench/NAME.c -> $(B)/bench/NAME (bench/codec.sh builds it)
$(B)/bench/%: bench/%.c $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) $(LDFLAGS) -o $@ $< $(LIB_A) \
	    $(LIBS_ALL)

# Lambda packaging (docker/README.md): the container image's file tree
# (/opt/lokipipe, checked against the host's libraries by
# tests/lambda/image.t) and the provided.al2023 zip. The image itself:
# docker build -f docker/Dockerfile . (or docker/image.sh without Docker).
LAMBDA_BINS	= $(patsubst %,$(BIN)/%,lambda-runtime lambda-secrets lambda-init \
		  aws-decode relabel transform batch loki-push)
lambda-rootfs: $(LAMBDA_BINS)
	rm -rf dist/lambda-rootfs
	sh docker/tree.sh dist/lambda-rootfs/opt/lokipipe $(BIN)
LAMBDA_ARCH	= $(shell uname -m | sed 's/aarch64/arm64/')
lambda-zip: $(LAMBDA_BINS)
	sh docker/zip.sh dist/lokipipe-lambda-$(LAMBDA_ARCH).zip $(BIN)
.PHONY: lambda-rootfs lambda-zip

.PHONY: all deps-build unit check demo bench proto install clean
.DELETE_ON_ERROR:
.SECONDARY:

-include $(shell find build -name '*.d' 2>/dev/null)
