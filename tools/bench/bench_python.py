#!/usr/bin/env python3
"""The Python side of `make bench`: the work of poolbench.c, done with
multiprocessing.Pool (--api pool) or concurrent.futures.ProcessPoolExecutor
(--api futures).

Prints one line per figure for the driver (tools/bench/bench):

    result figure=apply side=pool unit=us reps=5 median=180 min=170 max=230 check=ok

Each figure runs once to warm up (not counted), then --reps times. Every
result is checked; a wrong one stops with "WRONG RESULT" and status 2.
--wrong makes the tasks answer wrongly on purpose, to prove the checks bite.
Keep this file in step with poolbench.c: same calls, same checks, same sizes.
"""
import argparse
import concurrent.futures as cf
import multiprocessing
import os
import statistics
import sys
import time

WORKERS = 2
WORK_SLEEP = (3, 2, 1, 5, 4)   # the five calls of lesson 2's future program

# Set before any pool starts; the environment carries it to workers that are
# not forked.
WRONG = int(os.environ.get("BENCH_PY_WRONG", "0"))


# Tasks. ----------------------------------------------------------------------

def echo(x):
    return x + WRONG


def square(x):
    return x * x + WRONG


def slow_add(nsecs, x, y):
    time.sleep(nsecs)
    return x + y + WRONG


def slow_diff(nsecs, x, y):
    time.sleep(nsecs)
    return x - y + WRONG


def fails(nsecs):
    time.sleep(nsecs)
    if WRONG:
        return 0
    raise ValueError("failed on purpose")


# Helpers. --------------------------------------------------------------------

class Wrong(Exception):
    pass


def check(figure, call, got, want):
    if type(got) is not int or got != want:
        raise Wrong(f"{figure}: call {call} gave {got!r}, expected {want}")


def report(side, figure, unit, samples):
    print(f"result figure={figure} side={side} unit={unit} reps={len(samples)} "
          f"median={statistics.median(samples):.6g} min={min(samples):.6g} "
          f"max={max(samples):.6g} check=ok", flush=True)


def runs(opt, one_run, reps=None):
    """A warm-up run, then reps measured ones."""
    reps = reps or opt.reps
    one_run()
    return [one_run() for _ in range(reps)]


def work_ideal(scale):
    """The shortest wall time: each call goes to the first free worker."""
    free_at = [0.0] * WORKERS
    for s in WORK_SLEEP:
        w = free_at.index(min(free_at))
        free_at[w] += s * scale
    return max(free_at)


# The two libraries behind one face, so that both do the same work. ----------

class PoolApi:
    """multiprocessing.Pool."""
    side = "pool"

    def start(self):
        return multiprocessing.Pool(WORKERS)

    def stop(self, p):
        p.close()
        p.join()

    def apply(self, p, fn, *args):
        return p.apply(fn, args)

    def submit(self, p, fn, *args):
        return p.apply_async(fn, args)

    def wait(self, f):
        f.wait()

    def get(self, f):
        return f.get()

    def map(self, p, fn, items, chunksize):
        """chunksize None: Pool's own default (len / (4 * workers), rounded up)."""
        if chunksize is None:
            return p.map(fn, items)
        return p.map(fn, items, chunksize=chunksize)


class FuturesApi:
    """concurrent.futures.ProcessPoolExecutor."""
    side = "futures"

    def start(self):
        return cf.ProcessPoolExecutor(WORKERS)

    def stop(self, ex):
        ex.shutdown(wait=True)

    def apply(self, ex, fn, *args):
        return ex.submit(fn, *args).result()

    def submit(self, ex, fn, *args):
        return ex.submit(fn, *args)

    def wait(self, f):
        cf.wait([f])

    def get(self, f):
        return f.result()

    def map(self, ex, fn, items, chunksize):
        """No automatic chunk size here: its default is 1."""
        return list(ex.map(fn, items, chunksize=chunksize or 1))


# Figures. --------------------------------------------------------------------

def fig_create(api, opt):
    """Start a pool of 2, make one blocking call, close, join. In ms."""
    def one():
        t0 = time.perf_counter()
        p = api.start()
        v = api.apply(p, echo, 7)
        api.stop(p)
        t1 = time.perf_counter()
        check("create", 1, v, 7)
        return (t1 - t0) * 1e3
    report(api.side, "create", "ms", runs(opt, one, opt.create_reps))


def fig_apply(api, opt):
    """One blocking call at a time. Microseconds per call."""
    p = api.start()
    def one():
        t0 = time.perf_counter()
        for i in range(opt.calls):
            check("apply", i, api.apply(p, echo, i), i)
        return (time.perf_counter() - t0) / opt.calls * 1e6
    report(api.side, "apply", "us", runs(opt, one))
    api.stop(p)


def fig_async(api, opt):
    """Every call first, then every get. Calls per second."""
    p = api.start()
    def one():
        t0 = time.perf_counter()
        fs = [api.submit(p, echo, i) for i in range(opt.tasks)]
        for i, f in enumerate(fs):
            check("async", i, api.get(f), i)
        return opt.tasks / (time.perf_counter() - t0)
    report(api.side, "async", "tasks/s", runs(opt, one))
    api.stop(p)


def map_figure(api, opt, figure, items, chunksize):
    """Squares of 0..items-1. Items per second."""
    p = api.start()
    def one():
        t0 = time.perf_counter()
        out = api.map(p, square, range(items), chunksize)
        t1 = time.perf_counter()
        if len(out) != items:
            raise Wrong(f"{figure}: {len(out)} results, expected {items}")
        for i, v in enumerate(out):
            check(figure, i, v, i * i)
        return items / (t1 - t0)
    report(api.side, figure, "items/s", runs(opt, one))
    api.stop(p)


def fig_map_auto(api, opt):
    """map with the library's default chunk size."""
    map_figure(api, opt, "map_auto", opt.items, None)


def fig_map_big(api, opt):
    """The same on --big-items."""
    map_figure(api, opt, "map_big", opt.big_items, None)


def fig_map_one(api, opt):
    """One item per task: chunksize=1."""
    map_figure(api, opt, "map_one", opt.items, 1)


def fig_work(api, opt):
    """Wall time of the five calls minus the ideal: what the pool costs. In ms."""
    ideal, z, k = work_ideal(opt.scale), WORK_SLEEP, opt.scale
    p = api.start()
    def one():
        t0 = time.perf_counter()
        fs = [api.submit(p, slow_add, z[0] * k, 6, 7),
              api.submit(p, slow_diff, z[1] * k, 5, 2),
              api.submit(p, slow_add, z[2] * k, 8, 1),
              api.submit(p, slow_diff, z[3] * k, 9, 2),
              api.submit(p, fails, z[4] * k)]
        for f in fs:
            api.wait(f)
        t1 = time.perf_counter()
        for i, want in enumerate((13, 3, 9, 7)):
            check("work", i + 1, api.get(fs[i]), want)
        try:
            got = api.get(fs[4])
        except ValueError:
            return (t1 - t0 - ideal) * 1e3
        raise Wrong(f"work: call 5 gave {got!r}, expected a ValueError")
    report(api.side, "work", "ms", runs(opt, one))
    api.stop(p)


APIS = {"pool": PoolApi(), "futures": FuturesApi()}
FIGURES = {"create": fig_create, "apply": fig_apply, "async": fig_async,
           "map_auto": fig_map_auto, "map_big": fig_map_big, "map_one": fig_map_one,
           "work": fig_work}


def positive(text):
    v = int(text)
    if v < 1:
        raise argparse.ArgumentTypeError(f"needs a whole number >= 1, not {text}")
    return v


def seconds(text):
    v = float(text)
    if not 0 < v <= 10:
        raise argparse.ArgumentTypeError(f"needs seconds in (0, 10], not {text}")
    return v


def main():
    global WRONG
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--api", choices=APIS, default="pool")
    ap.add_argument("--reps", type=positive, default=5)
    ap.add_argument("--create-reps", type=positive, default=15)
    ap.add_argument("--calls", type=positive, default=2000)
    ap.add_argument("--tasks", type=positive, default=20000)
    ap.add_argument("--items", type=positive, default=100000)
    ap.add_argument("--big-items", type=positive, default=1000000)
    ap.add_argument("--scale", type=seconds, default=0.1)
    ap.add_argument("--wrong", action="store_true")
    ap.add_argument("figures", nargs="+", metavar="FIGURE",
                    help="all, " + ", ".join(FIGURES))
    opt = ap.parse_args()
    for name in opt.figures:
        if name != "all" and name not in FIGURES:
            ap.error(f"unknown figure {name!r}")
    if opt.wrong:
        WRONG = 1
        os.environ["BENCH_PY_WRONG"] = "1"
    for name, run in FIGURES.items():
        if "all" in opt.figures or name in opt.figures:
            try:
                run(APIS[opt.api], opt)
            except Wrong as e:
                print(f"bench_python.py: WRONG RESULT in {e}", file=sys.stderr)
                return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
