/* bench_master — how many results per second rank 0 can receive and store, i.e. how many
 * workers it could keep busy. Not a test.
 *
 * Run under mpirun with ≥ 2 ranks (several workers, so that a result is nearly always waiting
 * and rank 0 is the bottleneck). Workers answer every task at once with a result of real
 * size for --model (the model's state views and final state, four curves of --epochs
 * entries), so the master does nothing but its own work per result: hand a task out
 * (MPI_Send of the ps_task), wait for a message the way `pairsweep run`'s master does
 * (MPI_Iprobe, naps from 100 µs doubling to 10 ms while nothing is pending), receive the packed
 * result, unpack it and append it to an HDF5 results file with ps_store_add (which writes the
 * row, curves and weights and flushes). The packing below is a copy of src/sweep/run.c's wire
 * format (static there): same header, views, curves and state, in one message.
 *
 * Prints one line: `master model=... results=N seconds=S results_per_s=R bytes_per_result=B
 * cpu_share=C store_share=T` (rank 0's CPU time, and its wall time inside ps_store_add, over
 * the wall time of the measured interval).
 *
 * usage: mpirun -np K bench_master [--model NAME] [--epochs E] [--results N] [--out FILE] */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mpi.h>

#include "pairsweep/store.h"
#include "pairsweep/sweep.h"
#include "pairsweep/task.h"
#include "pairsweep/train.h"

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* A packed result of real size for cfg: header, views, 4 curves, state (values arbitrary). */
static char *make_result(size_t *len, const ps_train_config *cfg)
{
    ps_state_view *views = NULL;
    int32_t n_views = 0;
    size_t n_state = 0;
    ps_err err;
    if (ps_train_state_views(&views, &n_views, &n_state, cfg, &err)) {
        fprintf(stderr, "bench_master: %s\n", err.msg);
        return NULL;
    }
    /* a real-size result: arbitrary values, packed as the sweep packs results */
    size_t n_curve = (size_t)cfg->epochs;
    float *vals = malloc((4 * n_curve + n_state + 1) * sizeof(float));
    char *buf = NULL;
    if (vals) {
        for (size_t i = 0; i < 4 * n_curve + n_state; i++)
            vals[i] = 0.5f + 1e-4f * (float)(i % 1000);
        ps_train_result r;
        memset(&r, 0, sizeof r);
        r.status = PS_TASK_DONE;
        r.epochs = cfg->epochs;
        r.train_loss = vals;
        r.train_acc = vals + n_curve;
        r.eval_loss = vals + 2 * n_curve;
        r.eval_acc = vals + 3 * n_curve;
        r.n_views = n_views;
        r.views = views;
        r.n_state = n_state;
        r.state = vals + 4 * n_curve;
        r.wall_seconds = 1.0;
        char id[PS_TASK_ID_LEN + 1] = "";
        buf = ps_sweep_result_pack(len, id, &r, 0);
        free(vals);
    }
    free(views);
    return buf;
}

static int worker(const ps_train_config *cfg)
{
    size_t len;
    char *buf = make_result(&len, cfg);
    if (!buf)
        return 1;
    for (;;) {
        MPI_Status st;
        ps_task t;
        int flag = 0;
        for (;;) { /* wait without spinning (as the sweep's ranks do): leave the CPU to rank 0 */
            MPI_Iprobe(0, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &st);
            if (flag)
                break;
            struct timespec ts = {0, 50000L};
            nanosleep(&ts, NULL);
        }
        if (st.MPI_TAG == PS_SWEEP_TAG_STOP) {
            MPI_Recv(NULL, 0, MPI_BYTE, 0, PS_SWEEP_TAG_STOP, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            break;
        }
        MPI_Recv(&t, (int)sizeof t, MPI_BYTE, 0, PS_SWEEP_TAG_TASK, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        memcpy(((ps_sweep_wire_head *)(void *)buf)->id, t.id, sizeof t.id);
        MPI_Send(buf, (int)len, MPI_BYTE, 0, PS_SWEEP_TAG_RESULT, MPI_COMM_WORLD);
    }
    free(buf);
    return 0;
}

static void next_task(ps_task *t, const ps_train_config *cfg, int32_t k)
{
    memset(t, 0, sizeof *t);
    t->cfg = *cfg;
    t->cfg.seed = (uint64_t)k;
    t->phase = PS_PHASE_FINAL;
    t->fold = -1;
    t->rep = k;
    ps_task_make_id(t->id, &t->cfg);
}

static int master(int ranks, const ps_train_config *cfg, int32_t n_results, const char *out)
{
    ps_err err;
    ps_store *s;
    const char *zero = "0000000000000000000000000000000000000000000000000000000000000000";
    ps_store_meta meta = {.job_name = "bench_master", .job_text = "name: bench_master\n",
                          .mnist_sha256 = {zero, zero, zero, zero}, .ranks = ranks,
                          .planned_tasks = n_results};
    if (ps_store_open(&s, out, &meta, 1, &err)) {
        fprintf(stderr, "bench_master: %s\n", err.msg);
        return 1;
    }
    int32_t sent = 0, got = 0;
    size_t bytes = 0;
    double store_s = 0.0;    /* wall seconds inside ps_store_add */
    ps_task *tasks = calloc((size_t)ranks, sizeof *tasks);
    double w0 = ps_now(), c0 = cpu_now();
    for (int r = 1; r < ranks && sent < n_results; r++) {
        next_task(&tasks[r], cfg, sent++);
        MPI_Send(&tasks[r], (int)sizeof tasks[r], MPI_BYTE, r, PS_SWEEP_TAG_TASK, MPI_COMM_WORLD);
    }
    long ns = 100000L;
    int rc = 0;
    while (got < n_results && !rc) {
        int flag = 0, count = 0;
        MPI_Status st;
        MPI_Iprobe(MPI_ANY_SOURCE, PS_SWEEP_TAG_RESULT, MPI_COMM_WORLD, &flag, &st);
        if (!flag) {
            struct timespec ts = {0, ns};
            nanosleep(&ts, NULL);
            ns = ns * 2 > 10000000L ? 10000000L : ns * 2;
            continue;
        }
        ns = 100000L;
        int src = st.MPI_SOURCE;
        MPI_Get_count(&st, MPI_BYTE, &count);
        char *buf = malloc((size_t)count);
        MPI_Recv(buf, count, MPI_BYTE, src, PS_SWEEP_TAG_RESULT, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        bytes = (size_t)count;
        /* unpack as the sweep's master does: pointers into the buffer */
        ps_sweep_wire_head h;
        ps_train_result r;
        if (ps_sweep_result_unpack(&r, &h, buf, (size_t)count)) {
            fprintf(stderr, "bench_master: a result of %d bytes does not unpack\n", count);
            return 1;
        }
        double ts0 = ps_now();
        int bad = strcmp(h.id, tasks[src].id) || ps_store_add(s, &tasks[src], &r, src, &err);
        store_s += ps_now() - ts0;
        if (bad) {
            fprintf(stderr, "bench_master: %s\n", strcmp(h.id, tasks[src].id) ? "wrong id"
                                                                                : err.msg);
            rc = 1;
        }
        free(buf);
        got++;
        if (sent < n_results) {
            next_task(&tasks[src], cfg, sent++);
            MPI_Send(&tasks[src], (int)sizeof tasks[src], MPI_BYTE, src, PS_SWEEP_TAG_TASK,
                     MPI_COMM_WORLD);
        }
    }
    double wall = ps_now() - w0, cpu = cpu_now() - c0;
    for (int r = 1; r < ranks; r++)
        MPI_Send(NULL, 0, MPI_BYTE, r, PS_SWEEP_TAG_STOP, MPI_COMM_WORLD);
    if (ps_store_close(s, 1, &err) && !rc) {
        fprintf(stderr, "bench_master: %s\n", err.msg);
        rc = 1;
    }
    if (!rc)
        printf("master model=%s results=%d seconds=%.3f results_per_s=%.1f "
               "bytes_per_result=%zu cpu_share=%.3f store_share=%.3f\n",
               cfg->model, got, wall, got / wall, bytes, cpu / wall, store_s / wall);
    free(tasks);
    return rc;
}

int main(int argc, char **argv)
{
    ps_train_config cfg;
    ps_train_config_default(&cfg);
    snprintf(cfg.model, sizeof cfg.model, "cnn");
    int32_t n_results = 2000;
    const char *out = "bench_master.h5";
    static const struct option longopts[] = {{"model", required_argument, 0, 'm'},
                                              {"epochs", required_argument, 0, 'e'},
                                              {"results", required_argument, 0, 'n'},
                                              {"out", required_argument, 0, 'o'},
                                              {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        if (c == 'm')
            snprintf(cfg.model, sizeof cfg.model, "%s", optarg);
        else if (c == 'e')
            cfg.epochs = atoi(optarg);
        else if (c == 'n')
            n_results = atoi(optarg);
        else if (c == 'o')
            out = optarg;
        else {
            fprintf(stderr, "usage: mpirun -np K bench_master [--model NAME] [--epochs E] "
                            "[--results N] [--out FILE]\n");
            return 2;
        }
    }
    MPI_Init(&argc, &argv);
    int rank, ranks;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &ranks);
    int rc;
    if (ranks < 2 || n_results < 1 || cfg.epochs < 1) {
        if (!rank)
            fprintf(stderr, "bench_master: needs >= 2 ranks, results >= 1, epochs >= 1\n");
        rc = 2;
    } else {
        rc = rank ? worker(&cfg) : master(ranks, &cfg, n_results, out);
    }
    MPI_Finalize();
    return rc;
}
