#!/usr/bin/env bats
# libpool as a library people install: make install into a DESTDIR, a
# program built outside the tree with pkg-config against the shared and
# the static library, the shared library's exports, make uninstall; the
# compiler's messages for a call it cannot make; a pool and its futures
# used after pool_destroy (also under AddressSanitizer); a time limit
# under POOL_TIME_SCALE.

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'
bats_require_minimum_version 1.5.0

ROOT="$(cd "$BATS_TEST_DIRNAME/.." && pwd)"
BIN="$ROOT/build/tests/lib"

# The version numbers, as pool.h has them.
major() { sed -n 's/^#define POOL_VERSION_MAJOR \([0-9]*\)$/\1/p' "$ROOT/runtime/pool.h"; }
minor() { sed -n 's/^#define POOL_VERSION_MINOR \([0-9]*\)$/\1/p' "$ROOT/runtime/pool.h"; }

setup_file() {
    make -C "$ROOT" -s --no-print-directory build/tests/lib/misuse build/tests/lib/scale \
        build/asan/tests/lib/misuse >&2
    # One install for the suite, as a packager makes it: PREFIX the final
    # place, DESTDIR a staging folder.
    make -C "$ROOT" -s --no-print-directory install PREFIX=/usr/local \
        DESTDIR="$BATS_FILE_TMPDIR/stage" >"$BATS_FILE_TMPDIR/install.log" 2>&1
    echo $? >"$BATS_FILE_TMPDIR/install.status"
}

setup() {
    STAGE=$BATS_FILE_TMPDIR/stage
    LIB=$STAGE/usr/local/lib
    export PKG_CONFIG_PATH=$LIB/pkgconfig
    unset POOL_TRACE POOL_WORKERS POOL_TIME_SCALE PKG_CONFIG_LIBDIR
    # Out of the tree: nothing of the project's on the include path.
    WORK=$BATS_TEST_TMPDIR/user
    mkdir -p "$WORK"
    cp "$ROOT/tests/lib/prog.c" "$WORK/"
    cd "$WORK" || return 1
}

# pc ARGS...: pkg-config on the staged copy (its prefix moved to the stage).
pc() { pkg-config --define-variable=prefix="$STAGE/usr/local" "$@" libpool; }

@test "make install puts the static and shared libraries, pool.h and libpool.pc under DESTDIR/PREFIX" {
    [ "$(cat "$BATS_FILE_TMPDIR/install.status")" = 0 ] ||
        fail "make install failed: $(cat "$BATS_FILE_TMPDIR/install.log")"
    local real="libpool.so.$(major).$(minor)"
    [ -f "$LIB/libpool.a" ] || fail "no libpool.a"
    [ -f "$LIB/$real" ] && [ ! -L "$LIB/$real" ] || fail "no $real"
    assert_equal "$(readlink "$LIB/libpool.so.$(major)")" "$real"
    assert_equal "$(readlink "$LIB/libpool.so")" "libpool.so.$(major)"
    cmp -s "$STAGE/usr/local/include/pool.h" "$ROOT/runtime/pool.h" || fail "pool.h is not the runtime's"
    # The soname carries the ABI: the major number of pool.h.
    run readelf -d "$LIB/$real"
    assert_output --regexp "SONAME.*\[libpool\.so\.$(major)\]"
    # libpool.pc names the final place, not the stage.
    run cat "$LIB/pkgconfig/libpool.pc"
    assert_line "prefix=/usr/local"
    assert_line 'libdir=${prefix}/lib'
    assert_line "Version: $(major).$(minor)"
    run pc --modversion
    assert_output "$(major).$(minor)"
    # Nothing but these files.
    run bash -c "cd '$STAGE' && find . ! -type d | sort"
    assert_output "./usr/local/include/pool.h
./usr/local/lib/libpool.a
./usr/local/lib/libpool.so
./usr/local/lib/libpool.so.$(major)
./usr/local/lib/$real
./usr/local/lib/pkgconfig/libpool.pc"
}

@test "an out-of-tree program built with pkg-config links the shared library, and runs" {
    cc -g -o prog prog.c $(pc --cflags --libs)
    run readelf -d prog
    assert_output --partial "Shared library: [libpool.so.$(major)]"
    LD_LIBRARY_PATH=$LIB run --separate-stderr timeout 30 ./prog
    assert_success
    assert_equal "$stderr" ""
    assert_line "header $(major).$(minor) ($(major).$(minor)), library $(major).$(minor)"
    assert_line "check 2.0 1, $(major).$(minor) 1, $(major).$(( $(minor) + 1 )) 0, 9.0 0"
    assert_line "4 squared is 16"
    # The backtrace names the task from the program, not the library.
    assert_line --regexp '^WorkerDied: worker [0-3] \(pid [0-9]+\) was killed by signal 11 .* while running crash: in crash at prog\.c:[0-9]+$'
    # Without the library where the loader looks, it does not start: it is
    # the shared one that ran.
    run -127 ./prog
    assert_failure
}

@test "the same program linked with the static library carries the runtime inside" {
    cc -g -o prog prog.c $(pc --cflags) "$(pc --variable=libdir)/libpool.a" -pthread
    run readelf -d prog
    refute_output --partial libpool
    run --separate-stderr timeout 30 ./prog
    assert_success
    assert_line "1 squared is 1"
    assert_line --regexp '^WorkerDied: .* while running crash: in crash at prog\.c:[0-9]+$'
}

@test "the shared library exports the names pool.h declares, every one of them, and nothing else" {
    local so="$LIB/libpool.so.$(major).$(minor)"
    # Functions declared in pool.h: a line that begins with a type and names
    # pool_... or future_... before a parenthesis.
    grep -E '^[a-z][a-z_ ]*[ *](pool|future)_[a-z0-9_]+\(' "$ROOT/runtime/pool.h" |
        sed -E 's/^[^(]*[ *]((pool|future)_[a-z0-9_]+)\(.*/\1/' | sort -u >"$BATS_TEST_TMPDIR/declared"
    [ "$(wc -l <"$BATS_TEST_TMPDIR/declared")" -gt 60 ] || fail "too few declarations read from pool.h"
    nm -D --defined-only "$so" | awk '$2 != "A" { sub(/@.*/, "", $3); print $3 }' |
        sort -u >"$BATS_TEST_TMPDIR/exported"
    run comm -3 "$BATS_TEST_TMPDIR/declared" "$BATS_TEST_TMPDIR/exported"
    [ -z "$output" ] || fail "declared but not exported (left), or exported but not declared (right):
$output"
    # Each at the ABI's version node.
    run bash -c "objdump -T '$so' | awk '/ DF .text/ && \$(NF-1) != \"LIBPOOL_$(major)\"'"
    assert_output ""
}

@test "make uninstall removes what make install put there, and nothing else" {
    local stage=$BATS_TEST_TMPDIR/stage
    make -C "$ROOT" -s --no-print-directory install PREFIX=/opt/pc DESTDIR="$stage" >/dev/null
    touch "$stage/opt/pc/lib/other.so" "$stage/opt/pc/include/other.h"
    run cat "$stage/opt/pc/lib/pkgconfig/libpool.pc"
    assert_line "prefix=/opt/pc"
    make -C "$ROOT" -s --no-print-directory uninstall PREFIX=/opt/pc DESTDIR="$stage"
    run bash -c "cd '$stage' && find . ! -type d | sort"
    assert_output "./opt/pc/include/other.h
./opt/pc/lib/other.so"
}

# --- the compiler's messages ------------------------------------------------

# refused CC FILE: FILE does not compile; $output holds the compiler's
# errors, which must be the one static assertion.
refused() {
    run "$1" -std=gnu11 -Wall -Wextra -I"$ROOT/runtime" -c -o /dev/null "$ROOT/tests/lib/bad/$2"
    [ "$status" -ne 0 ] || fail "$1 compiled tests/lib/bad/$2"
    [ "$(grep -c 'error:' <<<"$output")" -eq 1 ] || fail "$1: not one error for $2:
$output"
}

@test "gcc and clang: a call with 17 arguments names the limit and the way out" {
    local cc
    for cc in gcc clang; do
        refused "$cc" many.c
        assert_output --partial "pool.h: a call takes at most 16 arguments after the function"
        assert_output --partial "a struct as pool_bytes(&s, sizeof s)"
        assert_output --partial 'pool_submit(p, fn, \"fn\", args, n)'
        refute_output --partial "POOL__ARGV_17"
    done
}

@test "gcc and clang: a pointer or a struct argument says that pointers do not cross processes, and what does" {
    local cc f
    for cc in gcc clang; do
        for f in pointer.c struct.c; do
            refused "$cc" "$f"
            assert_output --partial "pool.h: an argument of this call is a pointer"
            assert_output --partial "A pointer does not reach the task: the worker is another process"
            assert_output --partial "pool_bytes(ptr, size)"
            refute_output --partial "not compatible with any association"
        done
    done
}

@test "gcc and clang: 16 arguments, bool, enum, size_t and char * still compile without a warning" {
    cat >ok.c <<'EOF'
#include <stdbool.h>
#include <stddef.h>
#include "pool.h"
enum colour { RED, GREEN };
static pool_value f(pool_args a) { (void)a; return pool_none(); }
void calls(pool *p);
void calls(pool *p)
{
    bool b = true;
    enum colour c = GREEN;
    size_t n = 3;
    char word[] = "word";
    future_free(pool_apply_async(p, f, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, b, c, n));
    future_free(pool_apply_async(p, f, word, "text", 1.5, 2.5f, pool_int(1)));
}
EOF
    local cc
    for cc in gcc clang; do
        run "$cc" -std=c11 -pedantic -Wall -Wextra -Werror -I"$ROOT/runtime" -c -o /dev/null ok.c
        assert_success
    done
}

# --- after pool_destroy ------------------------------------------------------

# misuse CMD: the misuse program's sub-command, normal and under ASan
# (any report fails), each exiting 0 with nothing on stderr; $output is
# the ASan run's stdout, which must equal the normal run's.
misuse() {
    run --separate-stderr timeout 60 "$BIN/misuse" "$1"
    [ "$status" -eq 0 ] && [ -z "$stderr" ] || fail "misuse $1: status $status: $stderr"
    local plain=$output
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:handle_segv=0:handle_abort=0 \
        run --separate-stderr timeout 60 "$ROOT/build/asan/tests/lib/misuse" "$1"
    [ "$status" -eq 0 ] && [ -z "$stderr" ] || fail "ASan, misuse $1: status $status: $stderr"
    assert_equal "$output" "$plain"
}

POOL_GONE="this pool was destroyed (pool_destroy); make a new one with pool_create"
FUTURE_GONE="this future's pool was destroyed (pool_destroy frees its futures); take the results before pool_destroy"

@test "every pool function on a destroyed pool: an error that says so (EINVAL), not 'belongs to process'" {
    misuse pool
    assert_line "pool_apply_async: 0 EINVAL: pool_submit: $POOL_GONE"
    assert_line "pool_apply: ValueError: pool_submit: $POOL_GONE"
    assert_line "pool_apply_async_limit: 0 EINVAL: pool_submit: $POOL_GONE"
    assert_line "pool_map: -1 EINVAL: pool_map: $POOL_GONE"
    assert_line "pool_resize: -1 EINVAL: pool_resize: $POOL_GONE"
    assert_line "pool_set_retries: -1 EINVAL: pool_set_retries: $POOL_GONE"
    assert_line "pool_trace_open: -1 EINVAL: pool_trace_open: $POOL_GONE"
    assert_line "pool_imap_unordered: 0 EINVAL: pool_imap_unordered: $POOL_GONE"
    assert_line "pool_close: 0 EINVAL: pool_close: $POOL_GONE"
    assert_line "pool_join: -1 EINVAL: pool_join: $POOL_GONE"
    assert_line "pool_terminate: 0 EINVAL: pool_terminate: $POOL_GONE"
    assert_line --regexp "^pool_size: 0 "
    refute_output --partial "belongs to process"
}

@test "pool_destroy twice: the second says the pool was destroyed" {
    misuse twice
    assert_output "pool_destroy: 0 EINVAL: pool_destroy: $POOL_GONE"
}

# The lines of the misuse program's use_future, for a future of a destroyed pool.
future_lines() {
    assert_line "future_get: PoolError: future_get: $FUTURE_GONE"
    assert_line "future_get_for: PoolError: future_get_for: $FUTURE_GONE"
    local call
    for call in future_ready future_wait future_wait_for future_pid; do
        assert_line "$call: 0 EINVAL: $call: $FUTURE_GONE"
    done
    for call in future_successful future_cancel future_kill future_on_done future_wait_any \
        future_wait_many future_tries; do
        assert_line "$call: -1 EINVAL: $call: $FUTURE_GONE"
    done
    assert_line "future_as_completed: 0 EINVAL: future_as_completed: $FUTURE_GONE"
    assert_line "future_free: 0 EINVAL: future_free: $FUTURE_GONE"
    refute_output --partial "callback ran"
    refute_output --partial TimeoutError
}

@test "every future function on a finished future of a destroyed pool: 'this future's pool was destroyed'" {
    misuse future
    assert_line "before: 42"
    future_lines
}

@test "a future whose call still ran at pool_destroy: the same, and no callback, no wait" {
    misuse running
    future_lines
}

@test "futures and pools of several destroyed pools: the first pool and future are still named" {
    misuse many
    assert_equal "$(grep -c "^pool_destroy of the first again: 0 EINVAL: pool_destroy: $POOL_GONE" <<<"$output")" 3
    assert_line "future_get: PoolError: future_get: $FUTURE_GONE"
}

@test "futures freed by the program before pool_destroy (one still running): destroyed clean" {
    misuse freed
    assert_output "destroyed"
}

# --- time limits in the program's seconds --------------------------------------

@test "a time limit counts the program's seconds, as pool_sleep: scaled by POOL_TIME_SCALE, and named as written" {
    POOL_TIME_SCALE=0.1 POOL_TRACE=$BATS_TEST_TMPDIR/trace.csv run --separate-stderr timeout 30 "$BIN/scale"
    assert_success
    assert_line --regexp '^call 0: Timeout: nap ran past its limit of 2 s; its worker [01] was killed and replaced$'
    assert_line "call 1: 1"
    # Killed at its limit, not before: 2 s of the program's, 0.2 s measured.
    run awk -F, '!/^#/ && $1 == 0 && $8 == "timeout" && $7 - $6 >= 0.2 { n++ } END { print n + 0 }' \
        "$BATS_TEST_TMPDIR/trace.csv"
    assert_output 1
}
