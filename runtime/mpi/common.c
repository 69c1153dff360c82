/*
 * common.c - what master and stations both need: the constructor that
 * makes a rank one or the other, messages without blocking, the lease,
 * the build-id and functions as offsets.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mpi/transport.h"

/* pool.c names it in the MPI build, so that this file (and so the
 * constructor below) is linked into every program that makes a pool. */
const char pool__mpi_linked = 1;

/* The rank and the size of the job, from mpirun's environment (Open MPI;
 * PMI_* for MPICH's Hydra); -1 when not under mpirun. */
static int env_int(const char *a, const char *b)
{
    const char *s = getenv(a);
    if (s == NULL)
        s = getenv(b);
    return s && *s ? atoi(s) : -1;
}

/* Before main: under mpirun (POOL_MPI not 0) with more than one rank,
 * rank 0 becomes the master (its pools send calls to the stations) and
 * every other rank a station, which never returns to run main. */
__attribute__((constructor)) static void mp_divert(void)
{
    const char *on = getenv("POOL_MPI");
    if (on && strcmp(on, "0") == 0)
        return;
    int rank = env_int("OMPI_COMM_WORLD_RANK", "PMI_RANK");
    int size = env_int("OMPI_COMM_WORLD_SIZE", "PMI_SIZE");
    if (rank < 0 || size < 2)
        return;         /* one process: an ordinary local pool */
    /* Our processes fork (supervisors, workers) but never use MPI there. */
    setenv("OMPI_MCA_mpi_warn_on_fork", "0", 0);
    if (rank == 0)
        mp_master_start(size);
    else
        mp_station_main(rank, size);
}

double mp_lease(void)
{
    static double lease;
    if (lease == 0) {
        const char *s = getenv("POOL_MPI_LEASE");
        double x = s && *s ? strtod(s, NULL) : 2.0;
        lease = x > 0.05 && x < 3600 ? x : 2.0;
    }
    return lease;
}

/* Build-id and host. --------------------------------------------------------- */

static char build_id[130] = "none";

static int find_build_id(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    (void)arg;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_NOTE)
            continue;
        const char *p = (const char *)(info->dlpi_addr + ph->p_vaddr);
        const char *end = p + ph->p_memsz;
        while (p + sizeof(ElfW(Nhdr)) <= end) {
            const ElfW(Nhdr) *n = (const ElfW(Nhdr) *)p;
            const char *name = p + sizeof *n;
            const unsigned char *desc =
                (const unsigned char *)name + ((n->n_namesz + 3) & ~3u);
            if (n->n_type == NT_GNU_BUILD_ID && n->n_namesz == 4 &&
                memcmp(name, "GNU", 4) == 0 && n->n_descsz <= 64) {
                for (unsigned k = 0; k < n->n_descsz; k++)
                    sprintf(build_id + 2 * k, "%02x", desc[k]);
                return 1;
            }
            p = (const char *)desc + ((n->n_descsz + 3) & ~3u);
        }
    }
    return 1;       /* the first object is the program: stop there */
}

const char *mp_build_id(void)
{
    static bool done;
    if (!done) {
        dl_iterate_phdr(find_build_id, NULL);
        done = true;
    }
    return build_id;
}

const char *mp_host(void)
{
    static char host[64];
    if (host[0] == '\0' && gethostname(host, sizeof host - 1) != 0)
        strcpy(host, "?");
    return host;
}

/* Functions. ----------------------------------------------------------------- */

/* Where the program's own code begins in this process. */
static uintptr_t program_base(void)
{
    static uintptr_t base;
    Dl_info di;
    if (base == 0 && dladdr((const void *)&pool__mpi_linked, &di) && di.dli_fbase)
        base = (uintptr_t)di.dli_fbase;
    return base;
}

bool mp_fn_offset(pool_fn fn, uint64_t *off)
{
    Dl_info di;
    uintptr_t base = program_base();
    if (fn == NULL || base == 0 || !dladdr((const void *)(uintptr_t)fn, &di) ||
        (uintptr_t)di.dli_fbase != base)
        return false;
    *off = (uint64_t)((uintptr_t)fn - base);
    return true;
}

pool_fn mp_fn_at(uint64_t off)
{
    return (pool_fn)(program_base() + (uintptr_t)off);
}

/* Messages. ------------------------------------------------------------------ */

/* Sends on their way: the request and the bytes it reads. */
struct sending {
    MPI_Request req;
    int rank;
    char *data;
};
static struct sending *sends;
static size_t nsends, capsends;

void mp_align(pool__buf *b)
{
    static const char zero[16];
    if (b->len % 16)
        pool__buf_put(b, zero, 16 - b->len % 16);
}

void mp_send(int rank, int tag, pool__buf *b)
{
    if (nsends == capsends) {
        capsends = capsends ? 2 * capsends : 64;
        sends = realloc(sends, capsends * sizeof *sends);
        if (sends == NULL)
            pool__die("out of memory");
    }
    struct sending *s = &sends[nsends++];
    s->rank = rank;
    s->data = b->data ? b->data : malloc(1);
    if (b->len > (size_t)INT32_MAX)
        pool__die("a message of %zu bytes is too large for MPI", b->len);
    MPI_Isend(s->data, (int)b->len, MPI_BYTE, rank, tag, MPI_COMM_WORLD, &s->req);
    *b = (pool__buf){0};
}

bool mp_progress(void)
{
    size_t k = 0;
    for (size_t i = 0; i < nsends; i++) {
        int done = 0;
        MPI_Test(&sends[i].req, &done, MPI_STATUS_IGNORE);
        if (done)
            free(sends[i].data);
        else
            sends[k++] = sends[i];
    }
    nsends = k;
    return nsends > 0;
}

bool mp_sending_to(int rank)
{
    for (size_t i = 0; i < nsends; i++)
        if (sends[i].rank == rank)
            return true;
    return false;
}

void mp_abandon(int rank)
{
    size_t k = 0;
    for (size_t i = 0; i < nsends; i++) {
        if (sends[i].rank == rank)
            MPI_Request_free(&sends[i].req);   /* its bytes stay: never freed */
        else
            sends[k++] = sends[i];
    }
    nsends = k;
}

bool mp_recv(int *rank, int *tag, pool__buf *b)
{
    int flag = 0;
    MPI_Message msg;
    MPI_Status st;
    MPI_Improbe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &msg, &st);
    if (!flag)
        return false;
    int n = 0;
    MPI_Get_count(&st, MPI_BYTE, &n);
    *rank = st.MPI_SOURCE;
    *tag = st.MPI_TAG;
    b->len = b->off = 0;
    pool__buf_reserve(b, (size_t)n + 16);
    MPI_Request req;
    MPI_Imrecv(b->data, n, MPI_BYTE, &msg, &req);
    /* The rest of a large message: its sender is sending it now. */
    double until = pool__now() + mp_lease();
    for (int done = 0, spins = 0;; spins++) {
        MPI_Test(&req, &done, MPI_STATUS_IGNORE);
        if (done)
            break;
        if (pool__now() > until) {
            MPI_Request_free(&req);
            *b = (pool__buf){0};   /* MPI may still write there: not freed */
            return false;
        }
        if (spins > 1000)
            mp_nap(20e-6);
    }
    b->len = (size_t)n;
    return true;
}

void mp_nap(double seconds)
{
    struct timespec ts = {.tv_sec = (time_t)seconds,
                          .tv_nsec = (long)((seconds - (double)(time_t)seconds) * 1e9)};
    nanosleep(&ts, NULL);
}
