/*
 * backtrace.c - where a worker was when it died.
 *
 * Who runs where. A worker's fatal-signal handler (worker.c) calls
 * pool__bt_take on its own stack (sigaltstack: a task that overflowed its
 * stack still has room there). It only copies raw return addresses into
 * the worker's shared slot, with glibc's backtrace(), which the worker
 * called once at its start so that nothing is loaded in the handler.
 * exit() called by a task takes one too. Names come later, in the
 * supervisor, which has the same program mapped at the same addresses
 * (workers are its forks): for each address, the object it is in
 * (dl_iterate_phdr), then the function, from the program file's own
 * symbol table (static functions too, without -rdynamic) or from dladdr
 * for shared libraries, then file:line from addr2line (binutils) when it
 * is on PATH and the program has debugging information (-g). Without
 * them a frame is "function+offset".
 *
 * What can go wrong in the handler. A smashed stack: the unwinder stops
 * at the first address that is in no object, and that is said. If taking
 * the backtrace itself faults, the signal is blocked in the handler, so
 * the kernel kills the worker with it at once; a hang is cut by alarm().
 * Either way the slot says the backtrace was being taken, the supervisor
 * reports the worker's first signal and says that no backtrace could be
 * had. SIGKILL cannot be caught: no backtrace, and the message says so.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <execinfo.h>
#include <fcntl.h>
#include <link.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include "backtrace.h"
#include "base.h"
#include "shared.h"
#include "wire.h"
#include "worker.h"

#define ALT_STACK (64 * 1024)   /* the fatal-signal handler's own stack */
#define HANG_S 1                /* a backtrace that takes longer is given up */
#define ADDR2LINE_S 5.0         /* how long addr2line may take */
#define SHOW 6                  /* frames in a one-line message */

/* The worker's side. -------------------------------------------------------- */

void pool__bt_prepare(void)
{
    void *one[1];
    backtrace(one, 1);      /* loads libgcc's unwinder now, not in a handler */
    void *alt = mmap(NULL, ALT_STACK, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (alt != MAP_FAILED) {
        stack_t ss = {.ss_sp = alt, .ss_size = ALT_STACK};
        sigaltstack(&ss, NULL);
    }
}

/* The instruction that faulted, from the handler's context (0 if unknown). */
static uintptr_t context_pc(const void *uctx)
{
    const ucontext_t *uc = uctx;
#if defined(__x86_64__)
    return (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
#elif defined(__i386__)
    return (uintptr_t)uc->uc_mcontext.gregs[REG_EIP];
#elif defined(__aarch64__)
    return (uintptr_t)uc->uc_mcontext.pc;
#else
    (void)uc;
    return 0;
#endif
}

void pool__bt_take(pool__wslot *ws, const void *uctx, bool hang)
{
    if (uctx) {
        /* If the unwinder hangs (a lock the crash left held), SIGALRM ends
         * the worker; the supervisor still reports the first signal. */
        sigset_t alrm;
        sigemptyset(&alrm);
        sigaddset(&alrm, SIGALRM);
        signal(SIGALRM, SIG_DFL);
        sigprocmask(SIG_UNBLOCK, &alrm, NULL);
        alarm(HANG_S);
    }
    /* The faulting instruction first: if the unwinder faults too (a
     * smashed stack), the supervisor still knows that much. */
    uintptr_t pc = uctx ? context_pc(uctx) : 0;
    ws->bt[0] = pc;
    ws->bt_first = 0;
    atomic_store(&ws->bt_n, POOL__BT_TAKING);
    while (hang && uctx)
        pause();        /* POOL_FAULT=hang:ID: until the alarm */
    void *f[POOL__BT_MAX];
    int n = backtrace(f, POOL__BT_MAX);
    /* Frames: this function, the handler, the kernel's return trampoline,
     * then the faulting instruction itself (the context's PC); or this
     * function, the exit handler, then libc's exit. */
    int first = uctx ? 3 : 2;
    for (int i = 0; i < n && pc; i++)
        if ((uintptr_t)f[i] == pc) {
            first = i;
            break;
        }
    /* A return address points after its call: one back is in the call's line. */
    for (int i = 0; i < n; i++)
        ws->bt[i] = (uint64_t)(uintptr_t)f[i] - (i == first && pc ? 0 : 1);
    ws->bt_first = (uint32_t)(first < n ? first : n);
    atomic_store(&ws->bt_n, n);
    if (uctx)
        alarm(0);
}

/* The supervisor's side: names. --------------------------------------------- */

/* The loaded object an address is in. */
struct object {
    uintptr_t addr, base;       /* in: the address; out: the object's load bias */
    const char *name;           /* its path ("" for the program) */
    bool found, program;
    int index;                  /* counts the objects, the program first */
};

static int find_object(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    struct object *o = data;
    bool program = o->index++ == 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
        if (ph->p_type == PT_LOAD && o->addr >= lo && o->addr < lo + ph->p_memsz) {
            o->found = true;
            o->program = program;
            o->base = info->dlpi_addr;
            o->name = info->dlpi_name;
            return 1;
        }
    }
    return 0;
}

/* The program file's symbol table (.symtab), mapped once. */
static const char *elf_map;
static size_t elf_size;
static const ElfW(Sym) *elf_syms;
static size_t elf_nsyms;
static const char *elf_names;
static size_t elf_names_size;
static bool elf_tried;

static void elf_load(void)
{
    if (elf_tried)
        return;
    elf_tried = true;
    int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || (size_t)st.st_size < sizeof(ElfW(Ehdr))) {
        if (fd >= 0)
            close(fd);
        return;
    }
    void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (m == MAP_FAILED)
        return;
    elf_map = m;
    elf_size = (size_t)st.st_size;
    const ElfW(Ehdr) *eh = m;
    if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_shentsize != sizeof(ElfW(Shdr)) ||
        eh->e_shoff == 0 || eh->e_shoff + (size_t)eh->e_shnum * sizeof(ElfW(Shdr)) > elf_size)
        return;
    const ElfW(Shdr) *sh = (const ElfW(Shdr) *)(elf_map + eh->e_shoff);
    for (int i = 0; i < eh->e_shnum; i++) {
        if (sh[i].sh_type != SHT_SYMTAB || sh[i].sh_link >= eh->e_shnum)
            continue;
        const ElfW(Shdr) *str = &sh[sh[i].sh_link];
        if (sh[i].sh_offset + sh[i].sh_size > elf_size ||
            str->sh_offset + str->sh_size > elf_size)
            return;
        elf_syms = (const ElfW(Sym) *)(elf_map + sh[i].sh_offset);
        elf_nsyms = sh[i].sh_size / sizeof(ElfW(Sym));
        elf_names = elf_map + str->sh_offset;
        elf_names_size = str->sh_size;
        return;
    }
}

/* The function of the program at file address vaddr: its name and start
 * (file address), or NULL. */
static const char *elf_function(uintptr_t vaddr, uintptr_t *start)
{
    elf_load();
    for (size_t i = 0; i < elf_nsyms; i++) {
        const ElfW(Sym) *s = &elf_syms[i];
        if (ELF64_ST_TYPE(s->st_info) != STT_FUNC || s->st_value == 0 ||
            s->st_name >= elf_names_size)
            continue;
        if (vaddr >= s->st_value && (vaddr < s->st_value + s->st_size ||
                                     (s->st_size == 0 && vaddr == s->st_value))) {
            *start = s->st_value;
            return elf_names + s->st_name;
        }
    }
    return NULL;
}

/* One frame of the backtrace, as the reader sees it. A frame whose
 * function was inlined into another has several; each is one of these. */
struct frame {
    uintptr_t addr;             /* the address looked up */
    uintptr_t start;            /* its function's address, 0 if unknown */
    char fn[128];               /* function name, "" if unknown */
    char loc[256];              /* "file:line", "" if unknown */
    char obj[128];              /* a shared library's file name, "" for the program */
    uintptr_t off;              /* from the function's start, or in obj */
    uintptr_t bias;             /* its object's load bias */
    bool program, mapped;
};

/* Name what can be named without addr2line. */
static void name_frame(struct frame *f)
{
    struct object o = {.addr = f->addr};
    dl_iterate_phdr(find_object, &o);
    f->mapped = o.found;
    if (!o.found)
        return;
    f->program = o.program;
    f->bias = o.base;
    if (o.program) {
        uintptr_t start;
        const char *name = elf_function(f->addr - o.base, &start);
        if (name) {
            /* A copy the compiler made (poke_null.constprop.0) is named
             * as the function the program has. */
            snprintf(f->fn, sizeof f->fn, "%.*s", (int)strcspn(name, "."), name);
            f->start = start + o.base;
            f->off = f->addr - f->start;
            return;
        }
    }
    const char *slash = strrchr(o.name, '/');
    snprintf(f->obj, sizeof f->obj, "%s", slash ? slash + 1 : *o.name ? o.name : "the program");
    Dl_info di;
    const ElfW(Sym) *sym = NULL;
    if (dladdr1((void *)f->addr, &di, (void **)&sym, RTLD_DL_SYMENT) && di.dli_sname &&
        sym && f->addr < (uintptr_t)di.dli_saddr + sym->st_size) {
        snprintf(f->fn, sizeof f->fn, "%s", di.dli_sname);
        f->start = (uintptr_t)di.dli_saddr;
        f->off = f->addr - f->start;
    } else {
        f->off = f->addr - o.base;
    }
}

/* The full path of program on PATH, or false. */
static bool on_path(const char *program, char *out, size_t size)
{
    const char *path = getenv("PATH");
    if (path == NULL || *path == '\0')
        path = "/usr/bin:/bin";
    while (*path) {
        size_t n = strcspn(path, ":");
        if (n > 0 && snprintf(out, size, "%.*s/%s", (int)n, path, program) < (int)size &&
            access(out, X_OK) == 0)
            return true;
        path += n + (path[n] == ':');
    }
    return false;
}

/* Run addr2line on the program's frames in f[0..n) and read what it says
 * (-a: each address, then function and file:line, one pair per inlined
 * level) into out (NUL-terminated); false if it could not be run. */
static bool run_addr2line(const struct frame *f, int n, char *out, size_t size)
{
    char tool[4096], exe[64];
    if (!on_path("addr2line", tool, sizeof tool))
        return false;
    snprintf(exe, sizeof exe, "/proc/%d/exe", (int)getpid());
    char hex[POOL__BT_MAX][24];
    const char *argv[8 + POOL__BT_MAX];
    int argc = 0;
    argv[argc++] = "addr2line";
    argv[argc++] = "-a";
    argv[argc++] = "-f";
    argv[argc++] = "-C";
    argv[argc++] = "-i";
    argv[argc++] = "-e";
    argv[argc++] = exe;
    for (int i = 0; i < n && i < POOL__BT_MAX; i++) {
        snprintf(hex[i], sizeof hex[i], "%#lx", (unsigned long)(f[i].addr - f[i].bias));
        argv[argc++] = hex[i];
    }
    argv[argc] = NULL;
    int pfd[2];
    if (pipe2(pfd, O_CLOEXEC) != 0)
        return false;
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        close(pfd[0]);
        close(pfd[1]);
        return false;
    }
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        int null = open("/dev/null", O_RDWR);
        dup2(null, 0);
        dup2(pfd[1], 1);
        dup2(null, 2);
        execv(tool, (char *const *)argv);
        _exit(127);
    }
    close(pfd[1]);
    size_t got = 0;
    double give_up = pool__now() + ADDR2LINE_S;
    for (;;) {
        double left = give_up - pool__now();
        struct pollfd p = {.fd = pfd[0], .events = POLLIN};
        int ready = left > 0 ? poll(&p, 1, (int)(left * 1000) + 1) : 0;
        if (ready < 0 && errno == EINTR)
            continue;
        if (ready <= 0)
            break;      /* it hangs: what came is what there is */
        ssize_t r = read(pfd[0], out + got, size - 1 - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
        if (got == size - 1)
            break;
    }
    out[got] = '\0';
    close(pfd[0]);
    kill(pid, SIGKILL);     /* gone already, unless it hung */
    int status;
    while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
        ;
    return got > 0;
}

/* A line of addr2line's answer, without its newline; the next one in *at. */
static const char *next_line(char **at)
{
    char *s = *at;
    if (s == NULL || *s == '\0')
        return NULL;
    char *nl = strchr(s, '\n');
    if (nl) {
        *nl = '\0';
        *at = nl + 1;
    } else {
        *at = s + strlen(s);
    }
    return s;
}

/* The frames of pc[first..n), each inlined level its own frame, at most
 * max; how many. */
static int frames(const uint64_t *pc, int n, uint32_t first, struct frame *out, int max)
{
    static struct frame f[POOL__BT_MAX], prog[POOL__BT_MAX];
    static char text[65536];
    int nf = 0, nprog = 0;
    for (int i = (int)first; i < n && nf < POOL__BT_MAX; i++, nf++) {
        f[nf] = (struct frame){.addr = (uintptr_t)pc[i]};
        name_frame(&f[nf]);
        if (f[nf].program)
            prog[nprog++] = f[nf];
    }
    int k = 0;
    char *at = text;
    bool have = nprog > 0 && run_addr2line(prog, nprog, text, sizeof text);
    const char *line = have ? next_line(&at) : NULL;
    for (int i = 0; i < nf && k < max; i++) {
        if (!f[i].program || line == NULL || strncmp(line, "0x", 2) != 0) {
            out[k++] = f[i];
            continue;
        }
        /* This frame's answer: pairs until the next address. */
        int levels = 0;
        line = next_line(&at);
        while (line && strncmp(line, "0x", 2) != 0 && k < max) {
            const char *loc = next_line(&at);
            struct frame g = f[i];
            if (strcmp(line, "??") != 0)     /* demangled, or inlined */
                snprintf(g.fn, sizeof g.fn, "%.*s", (int)strcspn(line, "."), line);
            size_t len = loc ? strlen(loc) : 0;
            bool known = len > 2 && strncmp(loc, "??", 2) != 0 &&
                         strcmp(loc + len - 2, ":?") != 0 && strcmp(loc + len - 2, ":0") != 0;
            if (known) {
                /* A path under the current directory, from there. */
                static char cwd[4096];
                if (cwd[0] == '\0' && getcwd(cwd, sizeof cwd - 1) != NULL)
                    strcat(cwd, "/");
                size_t cl = strlen(cwd);
                snprintf(g.loc, sizeof g.loc, "%s",
                         cl > 1 && strncmp(loc, cwd, cl) == 0 ? loc + cl : loc);
                char *d = strstr(g.loc, " (discriminator");
                if (d)
                    *d = '\0';
            }
            levels++;
            out[k++] = g;
            line = next_line(&at);
        }
        if (levels == 0)
            out[k++] = f[i];
        /* Only the outer level is the function that was called: the
         * inner ones were inlined into it. */
        for (int j = k - levels; j < k - 1; j++)
            out[j].start = 0;
    }
    return k;
}

/* Append one frame, as "fn at file:line", "fn+0x1f", "fn (in libc.so.6)". */
static void put_frame(pool__buf *b, const struct frame *f)
{
    char s[600];
    if (!f->mapped)
        snprintf(s, sizeof s, "%#lx, where nothing is loaded (the stack may be smashed)",
                 (unsigned long)f->addr);
    else if (f->fn[0] && f->loc[0])
        snprintf(s, sizeof s, "%s at %s", f->fn, f->loc);
    else if (f->fn[0] && f->obj[0])
        snprintf(s, sizeof s, "%s (%s)", f->fn, f->obj);
    else if (f->fn[0])
        snprintf(s, sizeof s, "%s+%#lx", f->fn, (unsigned long)f->off);
    else
        snprintf(s, sizeof s, "%s+%#lx", f->obj[0] ? f->obj : "?", (unsigned long)f->off);
    pool__buf_put(b, s, strlen(s));
}

static bool same_place(const struct frame *a, const struct frame *b)
{
    return strcmp(a->fn, b->fn) == 0 && strcmp(a->loc, b->loc) == 0 &&
           strcmp(a->obj, b->obj) == 0 && a->mapped == b->mapped &&
           (a->fn[0] || a->addr == b->addr);
}

void pool__bt_describe(const uint64_t *pc, int n, uint32_t first, uint64_t fn, int status,
                       char *line, size_t size, pool__buf *full)
{
    line[0] = '\0';
    if (n == POOL__BT_INJECTED) {
        snprintf(line, size, " (the crash was injected by POOL_FAULT)");
        return;
    }
    bool cut = n == POOL__BT_TAKING;
    if (cut && pc[0] == 0) {
        snprintf(line, size, " (no backtrace: taking it failed; the stack may be damaged)");
        if (full)
            pool__buf_put(full, line + 1, strlen(line + 1));
        return;
    }
    if (cut)
        n = 1;      /* the faulting instruction alone */
    if (n <= 0) {
        if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
            snprintf(line, size, " (no backtrace: SIGKILL cannot be caught)");
        return;
    }
    static struct frame f[POOL__BT_MAX];   /* the supervisor has one thread */
    int nf = frames(pc, n, first, f, POOL__BT_MAX);

    /* Which to show: from the crash up to the task's function; a frame of
     * the function that calls tasks (the pool's own) ends it too. Of the
     * library frames the crash began in (abort, raise; exit), only the one
     * the program called. */
    int from = 0, to = nf;
    bool whole = false;
    while (from + 1 < nf && !f[from].program && !f[from + 1].program && f[from + 1].mapped)
        from++;
    for (int i = from; i < nf; i++) {
        if (f[i].start && (f[i].start == (uintptr_t)pool__task_caller ||
                           f[i].start == (uintptr_t)pool__worker_main)) {
            to = i;
            whole = true;
            break;
        }
        if (f[i].start && f[i].start == (uintptr_t)fn) {
            to = i + 1;
            whole = true;
            break;
        }
    }

    if (to <= from)
        return;     /* it died in the pool's own loop, not in a task */
    pool__buf b = {0};
    pool__buf_put(&b, !f[from].mapped ? ": at " : ": in ", 5);
    int shown = 0;
    for (int i = from; i < to; i++) {
        int same = 0;
        while (i + same + 1 < to && same_place(&f[i], &f[i + same + 1]))
            same++;
        if (shown == SHOW) {
            pool__buf_put(&b, ", ...", 5);
            break;
        }
        if (shown++ > 0)
            pool__buf_put(&b, ", called from ", 14);
        put_frame(&b, &f[i]);
        if (same) {
            char s[64];
            snprintf(s, sizeof s, " (%d times)", same + 1);
            pool__buf_put(&b, s, strlen(s));
            i += same;
        }
    }
    if (!whole && to == nf && shown < SHOW && n == POOL__BT_MAX)
        pool__buf_put(&b, ", ...", 5);     /* the backtrace was cut */
    if (cut) {
        static const char rest[] = "; no backtrace beyond it (taking it failed)";
        pool__buf_put(&b, rest, sizeof rest - 1);
    }
    pool__buf_put(&b, "", 1);
    snprintf(line, size, "%s", b.data);
    pool__buf_free(&b);

    if (full) {
        for (int i = from, k = 0; i < nf; i++, k++) {
            char s[64];
            snprintf(s, sizeof s, "  #%d ", k);
            pool__buf_put(full, s, strlen(s));
            if (i == to && whole) {
                static const char own[] = "(the pool's worker: the task was called here)\n";
                pool__buf_put(full, own, sizeof own - 1);
                break;
            }
            put_frame(full, &f[i]);
            int same = 0;
            while (i + same + 1 < nf && i + same + 1 != to && same_place(&f[i], &f[i + same + 1]))
                same++;
            snprintf(s, sizeof s, same ? " (%d times)\n" : "\n", same + 1);
            pool__buf_put(full, s, strlen(s));
            i += same;
        }
        if (!whole && n == POOL__BT_MAX) {
            static const char more[] = "  ... (the backtrace stops here)\n";
            pool__buf_put(full, more, sizeof more - 1);
        }
        if (cut)
        {
            static const char rest[] = "  (the rest could not be taken)\n";
            pool__buf_put(full, rest, sizeof rest - 1);
        }
    }
}
