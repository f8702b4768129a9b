/*
 * Open MPI through dlopen (see mpi_runtime.h). Open MPI's handles (MPI_Comm, MPI_Datatype,
 * MPI_Request) are pointers, and its predefined handles are the addresses of global objects:
 * mpi.h defines MPI_COMM_WORLD as `&ompi_mpi_comm_world` and MPI_BYTE as `&ompi_mpi_byte`, so
 * dlsym of those names yields the handles. MPICH encodes handles as integers and is not
 * supported (a clear error says so).
 */
#define _GNU_SOURCE
#include "mpi_runtime.h"
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef void *mpi_handle; /* MPI_Comm, MPI_Datatype, MPI_Request in Open MPI */

enum { MPI_THREAD_SERIALIZED_LEVEL = 2 }; /* MPI_THREAD_SINGLE, FUNNELED, SERIALIZED, MULTIPLE */

static struct {
    int (*init_thread)(int *, char ***, int, int *);
    int (*initialized)(int *);
    int (*finalized)(int *);
    int (*finalize)(void);
    int (*query_thread)(int *);
    int (*comm_rank)(mpi_handle, int *);
    int (*comm_size)(mpi_handle, int *);
    int (*isend)(const void *, int, mpi_handle, int, int, mpi_handle, mpi_handle *);
    int (*irecv)(void *, int, mpi_handle, int, int, mpi_handle, mpi_handle *);
    int (*ibcast)(void *, int, mpi_handle, int, mpi_handle, mpi_handle *);
    int (*test)(mpi_handle *, int *, void *);
    int (*abort)(mpi_handle, int);
    int (*error_string)(int, char *, int *);
    mpi_handle comm_world, float_type, byte_type;
} mpi;

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_status = -1, world_rank = 0, world_size = 1, thread_level = 0;
static char init_error[512];
/* MPI_THREAD_SERIALIZED: no two threads may be inside MPI at once. */
static pthread_mutex_t communication = PTHREAD_MUTEX_INITIALIZER;

int attn_shim_mpi_launched(void) {
    return getenv("OMPI_COMM_WORLD_SIZE") != NULL || getenv("PMIX_RANK") != NULL || getenv("PMI_SIZE") != NULL;
}

static void finalize_at_exit(void) {
    int finalized = 1;
    if (mpi.finalized(&finalized) == 0 && !finalized) mpi.finalize();
}

static void *open_mpi_library(void) {
    const char *override = getenv("ATTN_MPI_LIBRARY");
    if (override != NULL && override[0] != '\0') return dlopen(override, RTLD_NOW | RTLD_GLOBAL);
    /* RTLD_GLOBAL: Open MPI's own plugins, opened later, resolve libmpi's symbols. */
    void *library = dlopen("libmpi.so.40", RTLD_NOW | RTLD_GLOBAL);
    return library != NULL ? library : dlopen("libmpi.so", RTLD_NOW | RTLD_GLOBAL);
}

static void initialize(void) {
    void *library = open_mpi_library();
    if (library == NULL) {
        snprintf(init_error, sizeof init_error,
                 "this process runs under an MPI launcher, but the MPI library cannot be loaded (%s); "
                 "install Open MPI (Debian: apt-get install openmpi-bin libopenmpi-dev) or set ATTN_MPI_LIBRARY "
                 "to the path of libmpi.so", dlerror());
        return;
    }
#define RESOLVE(field, name) \
    if ((*(void **)&mpi.field = dlsym(library, name)) == NULL) { \
        snprintf(init_error, sizeof init_error, "the MPI library has no %s: only Open MPI is supported", name); \
        return; \
    }
    RESOLVE(init_thread, "MPI_Init_thread")
    RESOLVE(initialized, "MPI_Initialized")
    RESOLVE(finalized, "MPI_Finalized")
    RESOLVE(finalize, "MPI_Finalize")
    RESOLVE(query_thread, "MPI_Query_thread")
    RESOLVE(comm_rank, "MPI_Comm_rank")
    RESOLVE(comm_size, "MPI_Comm_size")
    RESOLVE(isend, "MPI_Isend")
    RESOLVE(irecv, "MPI_Irecv")
    RESOLVE(ibcast, "MPI_Ibcast")
    RESOLVE(test, "MPI_Test")
    RESOLVE(abort, "MPI_Abort")
    RESOLVE(error_string, "MPI_Error_string")
    RESOLVE(comm_world, "ompi_mpi_comm_world")
    RESOLVE(float_type, "ompi_mpi_float")
    RESOLVE(byte_type, "ompi_mpi_byte")
#undef RESOLVE
    int initialized = 0, provided = 0;
    mpi.initialized(&initialized);
    if (!initialized) { /* a host (e.g. mpi4py) may have initialized MPI already */
        int status = mpi.init_thread(NULL, NULL, MPI_THREAD_SERIALIZED_LEVEL, &provided);
        if (status != 0) {
            snprintf(init_error, sizeof init_error, "MPI_Init_thread failed (MPI error %d)", status);
            return;
        }
        atexit(finalize_at_exit);
    }
    /* The level MPI granted (also when a host initialized it): overlapped gradient sums call MPI
     * from a communication thread, which needs at least MPI_THREAD_SERIALIZED. */
    if (mpi.query_thread(&provided) == 0) thread_level = provided;
    mpi.comm_rank(mpi.comm_world, &world_rank);
    mpi.comm_size(mpi.comm_world, &world_size);
    init_status = 0;
}

int attn_shim_mpi_init(int *rank, int *size, char *error, size_t error_size) {
    pthread_once(&init_once, initialize);
    if (init_status != 0) {
        if (error != NULL && error_size > 0) snprintf(error, error_size, "%s", init_error);
        return -1;
    }
    *rank = world_rank;
    *size = world_size;
    return 0;
}

static void report_error(int status, const char *what, char *error, size_t error_size) {
    char text[512] = "";
    int length = 0;
    if (mpi.error_string(status, text, &length) != 0) text[0] = '\0';
    if (error != NULL && error_size > 0) snprintf(error, error_size, "%s failed: %s (MPI error %d)", what, text, status);
}

static double seconds_now(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + 1e-9 * (double)now.tv_nsec;
}

int attn_shim_mpi_thread_level(void) {
    return init_status == 0 ? thread_level : -1;
}

/* Polls `request` to completion. Busy for the first `busy_seconds` (10 ms: the usual wait at a
 * step's reduction; 0 for a communication thread beside a computing one), then every 100 µs so
 * that a rank waiting for a slow peer leaves the core to it. Aborts the job when `peer` has not
 * answered within `timeout_seconds`. */
static int wait_for(mpi_handle *request, int peer, double timeout_seconds, double busy_seconds, const char *what,
                    char *error, size_t error_size) {
    double started = seconds_now();
    for (;;) {
        int done = 0, status = mpi.test(request, &done, NULL);
        if (status != 0) { report_error(status, what, error, error_size); return -1; }
        if (done) return 0;
        double waited = seconds_now() - started;
        if (waited > timeout_seconds) {
            fprintf(stderr, "attention: rank %d of %d: no answer from rank %d within %.0f s during %s "
                            "(ATTN_MPI_TIMEOUT); the rank died or hangs, aborting the job\n",
                    world_rank, world_size, peer, timeout_seconds, what);
            fflush(stderr);
            mpi.abort(mpi.comm_world, 3);
            _exit(3);
        }
        if (waited > busy_seconds) nanosleep(&(struct timespec){.tv_sec = 0, .tv_nsec = 100000}, NULL);
    }
}

/* Messages are cut into chunks whose byte count fits an `int`. */
enum { CHUNK_FLOATS = 1 << 22, SUM_TAG = 7716 };

static int sum_in_rank_order(float *values, int64_t count, double timeout_seconds, double busy_seconds,
                             char *error, size_t error_size) {
    float *received = NULL; /* (CHUNK_FLOATS) on rank 0 */
    if (world_rank == 0 && (received = malloc(sizeof(float) * CHUNK_FLOATS)) == NULL) {
        snprintf(error, error_size, "out of memory for the gradient reduction buffer");
        return -1;
    }
    int result = 0;
    for (int64_t begin = 0; begin < count && result == 0; begin += CHUNK_FLOATS) {
        int n = (int)(count - begin < CHUNK_FLOATS ? count - begin : CHUNK_FLOATS);
        float *chunk = values + begin;
        mpi_handle request;
        if (world_rank == 0) {
            for (int peer = 1; peer < world_size && result == 0; peer++) {
                int status = mpi.irecv(received, n, mpi.float_type, peer, SUM_TAG, mpi.comm_world, &request);
                if (status != 0) { report_error(status, "MPI_Irecv", error, error_size); result = -1; break; }
                if ((result = wait_for(&request, peer, timeout_seconds, busy_seconds, "the gradient sum", error, error_size)) != 0) break;
                for (int i = 0; i < n; i++) chunk[i] += received[i];
            }
        } else {
            int status = mpi.isend(chunk, n, mpi.float_type, 0, SUM_TAG, mpi.comm_world, &request);
            if (status != 0) { report_error(status, "MPI_Isend", error, error_size); result = -1; break; }
            result = wait_for(&request, 0, timeout_seconds, busy_seconds, "the gradient sum", error, error_size);
        }
        if (result != 0) break;
        int status = mpi.ibcast(chunk, n, mpi.float_type, 0, mpi.comm_world, &request);
        if (status != 0) { report_error(status, "MPI_Ibcast", error, error_size); result = -1; break; }
        result = wait_for(&request, 0, timeout_seconds, busy_seconds, "the broadcast of the gradient sum", error, error_size);
    }
    free(received);
    return result;
}

int attn_shim_mpi_sum_in_rank_order(float *values, int64_t count, double timeout_seconds, double busy_wait_seconds,
                                    char *error, size_t error_size) {
    if (init_status != 0) { snprintf(error, error_size, "MPI is not initialized"); return -1; }
    if (world_size == 1 || count <= 0) return 0;
    pthread_mutex_lock(&communication);
    int result = sum_in_rank_order(values, count, timeout_seconds, busy_wait_seconds, error, error_size);
    pthread_mutex_unlock(&communication);
    return result;
}

static int broadcast(void *bytes, int64_t count, int root, double timeout_seconds, char *error, size_t error_size) {
    const int64_t chunk_bytes = (int64_t)1 << 30;
    for (int64_t begin = 0; begin < count; begin += chunk_bytes) {
        int n = (int)(count - begin < chunk_bytes ? count - begin : chunk_bytes);
        mpi_handle request;
        int status = mpi.ibcast((char *)bytes + begin, n, mpi.byte_type, root, mpi.comm_world, &request);
        if (status != 0) { report_error(status, "MPI_Ibcast", error, error_size); return -1; }
        if (wait_for(&request, root, timeout_seconds, 0.01, "a broadcast", error, error_size) != 0) return -1;
    }
    return 0;
}

int attn_shim_mpi_broadcast(void *bytes, int64_t count, int root, double timeout_seconds,
                            char *error, size_t error_size) {
    if (init_status != 0) { snprintf(error, error_size, "MPI is not initialized"); return -1; }
    if (world_size == 1 || count <= 0) return 0;
    pthread_mutex_lock(&communication);
    int result = broadcast(bytes, count, root, timeout_seconds, error, error_size);
    pthread_mutex_unlock(&communication);
    return result;
}

void attn_shim_mpi_abort(int code) {
    if (init_status == 0) mpi.abort(mpi.comm_world, code);
}
