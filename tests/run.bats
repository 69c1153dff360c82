#!/usr/bin/env bats
# tests/run, the driver of every suite: its verdict and exit status follow
# bats, so a suite that cannot run fails the run instead of passing it.

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

setup() {
    cd "$BATS_TEST_DIRNAME/.."
}

# suite FILE...: tests/run on those suites, outside this bats run's variables.
suite() { env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$HOME" TESTS="$*" tests/run; }

@test "tests/run: a suite that does not exist fails the run" {
    run suite tests/nonexistent.bats
    assert_failure
    assert_line "0 passed, 1 failed"
}

@test "tests/run: a suite bats cannot parse fails the run" {
    printf '@test "unclosed" {\n' >"$BATS_TEST_TMPDIR/broken.bats"
    run suite $BATS_TEST_TMPDIR/broken.bats
    assert_failure
    assert_line --regexp '^0 passed, [1-9][0-9]* failed$'
}

@test "tests/run: a failing test fails the run; a passing one passes it" {
    printf '@test "no" { false; }\n@test "yes" { true; }\n' >"$BATS_TEST_TMPDIR/mixed.bats"
    run suite $BATS_TEST_TMPDIR/mixed.bats
    assert_failure
    assert_line "1 passed, 1 failed"
    printf '@test "yes" { true; }\n' >"$BATS_TEST_TMPDIR/good.bats"
    run suite $BATS_TEST_TMPDIR/good.bats
    assert_success
    assert_line "1 passed, 0 failed"
}

@test "tests/run: a setup_file that stops fails the run" {
    printf 'setup_file() { false; }\n@test "yes" { true; }\n' >"$BATS_TEST_TMPDIR/nosetup.bats"
    run suite $BATS_TEST_TMPDIR/nosetup.bats
    assert_failure
}
