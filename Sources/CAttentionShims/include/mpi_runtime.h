/*
 * MPI at run time: data-parallel training (docs/distributed.md) uses Open MPI when the process
 * was started by an MPI launcher, without linking it. libmpi is opened with dlopen on first use
 * and the few functions the trainer needs are resolved by name, so libattention, the CLI and the
 * Python package build and run on machines without MPI.
 */
#ifndef CATTENTION_MPI_RUNTIME_H
#define CATTENTION_MPI_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

/** 1 when an MPI launcher started this process (OMPI_COMM_WORLD_SIZE, PMIX_RANK or PMI_SIZE is
 *  set), else 0. */
int attn_shim_mpi_launched(void);

/** Opens libmpi (ATTN_MPI_LIBRARY if set, else libmpi.so.40, then libmpi.so), calls
 *  MPI_Init_thread(MPI_THREAD_SERIALIZED) once per process and registers MPI_Finalize with
 *  atexit. Returns 0 and sets *rank and *size, or -1 with a message in `error` (libmpi missing,
 *  not Open MPI, or MPI_Init_thread failed). Later calls return the first call's result. */
int attn_shim_mpi_init(int *rank, int *size, char *error, size_t error_size);

/** The thread level MPI provides (0 SINGLE, 1 FUNNELED, 2 SERIALIZED, 3 MULTIPLE, as
 *  MPI_Query_thread reports it after attn_shim_mpi_init), or -1 before a successful init. The
 *  shim's calls are serialised by a mutex, so from SERIALIZED up any thread may call it. */
int attn_shim_mpi_thread_level(void);

/** Sums `count` floats across all ranks in place, in rank order: rank 0 receives every other
 *  rank's values in the order 1, 2, …, N−1 and adds them to its own (((v0 + v1) + v2) + …),
 *  then broadcasts the sum, so every rank gets the same bits, independent of timing; each element
 *  is summed on its own, so splitting a buffer into several calls gives the same bits. Every rank
 *  must make the same calls with the same counts. A wait for another rank polls without pause
 *  for `busy_wait_seconds`, then every 100 µs (0: pause from the start, for a communication
 *  thread that shares the cores with computation). When a rank does not answer within
 *  `timeout_seconds`, prints which rank and aborts the whole job (MPI_Abort): a dead or hung rank
 *  never leaves the others waiting forever. Returns 0, or -1 with a message when MPI reports an
 *  error. */
int attn_shim_mpi_sum_in_rank_order(float *values, int64_t count, double timeout_seconds, double busy_wait_seconds,
                                    char *error, size_t error_size);

/** Copies `count` bytes from `root`'s buffer into every rank's buffer, with the same timeout as
 *  attn_shim_mpi_sum_in_rank_order. Returns 0, or -1 with a message. */
int attn_shim_mpi_broadcast(void *bytes, int64_t count, int root, double timeout_seconds,
                            char *error, size_t error_size);

/** Ends every process of the job with `code` (MPI_Abort); returns only when MPI is not running. */
void attn_shim_mpi_abort(int code);

#endif
