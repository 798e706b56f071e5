#!/bin/sh
# tests/fuzz/run.sh [SECONDS]: builds tests/fuzz/fuzz_entry.c with clang's
# libFuzzer, ASan and UBSan, and runs it (default 60 s) on a corpus seeded
# with records from tests/stages. Findings go to build/fuzz/.
set -eu
cd "$(dirname "$0")/../.."
secs=${1:-60}
CC=${FUZZ_CC:-clang-14}
mkdir -p build/fuzz/corpus
$CC -g -O1 -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Ilib \
    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -o build/fuzz/fuzz_entry tests/fuzz/fuzz_entry.c lib/json.c \
    lib/entry.c lib/util.c lib/labels.c
for f in tests/stages/*/*.in; do
	[ -f "$f" ] || continue
	head -n 20 "$f" | split -l 1 - "build/fuzz/corpus/$(basename "$f")-"
done
cd build/fuzz
./fuzz_entry -max_total_time="$secs" -max_len=4096 -print_final_stats=1 \
    corpus 2>&1 | tail -15
