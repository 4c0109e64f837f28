/* bench_master — how many results per second rank 0 can receive and store, i.e. how many
 * workers it could keep busy. Not a test.
 *
 * Run under mpirun with ≥ 2 ranks (several workers, so that a result is nearly always waiting
 * and rank 0 is the bottleneck). Workers answer every task at once with a result of real
 * size for --model (the model's state views and final state, four curves of --epochs
 * entries), so the master does nothing but its own work per result, as `pairsweep run`'s
 * master does it (src/sweep/mpi_driver.c and master.c): wait for a message (MPI_Iprobe,
 * naps from 100 µs doubling to 10 ms while nothing is pending), receive the packed result,
 * unpack it
 * (ps_sweep_result_unpack), hand that worker its next task (MPI_Send of the ps_task) before
 * storing anything, then store the result with group commit: ps_store_append (journal
 * record), and ps_store_sync (one fdatasync for every result appended since the last, plus the
 * checkpoints the store decides on) when no further message is waiting or when
 * ps_store_sync_due says the limits are reached. --sync each stores every result with
 * ps_store_add instead (one fdatasync per result: the behaviour before group commit), for
 * comparison. The measured interval ends once every result is synced.
 *
 * Prints one line: `master model=... sync=group|each results=N seconds=S results_per_s=R
 * bytes_per_result=B cpu_share=C store_share=T syncs=Y append_share=A sync_share=F
 * ckpt_read_share=K1 ckpt_replay_share=K2 ckpt_write_share=K3 checkpoints=P` (rank 0's CPU
 * time, its wall time inside the store's calls, and the store's own split of it: journal
 * writes, fdatasync, and checkpoints — reading FILE.h5, adding the records with HDF5, writing
 * and renaming the new file —, each over the wall time of the measured interval).
 *
 * usage: mpirun -np K bench_master [--model NAME] [--epochs E] [--results N] [--out FILE]
 *                                  [--sync group|each] */
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

static int master(int ranks, const ps_train_config *cfg, int32_t n_results, const char *out,
                  int each)
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
    ps_store_stats st0, st1;
    ps_store_get_stats(s, &st0);
    int32_t sent = 0, got = 0;
    size_t bytes = 0;
    double store_s = 0.0;    /* wall seconds inside the store's calls */
    ps_task *tasks = calloc((size_t)ranks, sizeof *tasks);
    ps_task done;            /* the task whose result is being stored */
    double w0 = ps_now(), c0 = cpu_now();
    for (int r = 1; r < ranks && sent < n_results; r++) {
        next_task(&tasks[r], cfg, sent++);
        MPI_Send(&tasks[r], (int)sizeof tasks[r], MPI_BYTE, r, PS_SWEEP_TAG_TASK, MPI_COMM_WORLD);
    }
    long ns = 100000L;
    int rc = 0;
    char *buf = NULL;
    size_t cap = 0;
    while (!rc && (got < n_results || ps_store_pending(s) > 0)) {
        int flag = 0, count = 0;
        MPI_Status st;
        if (got < n_results)
            MPI_Iprobe(MPI_ANY_SOURCE, PS_SWEEP_TAG_RESULT, MPI_COMM_WORLD, &flag, &st);
        if (!flag) {
            if (ps_store_pending(s) > 0) { /* nothing waiting: make the group durable */
                double ts0 = ps_now();
                if (ps_store_sync(s, &err)) {
                    fprintf(stderr, "bench_master: %s\n", err.msg);
                    rc = 1;
                }
                store_s += ps_now() - ts0;
                continue;
            }
            struct timespec ts = {0, ns};
            nanosleep(&ts, NULL);
            ns = ns * 2 > 10000000L ? 10000000L : ns * 2;
            continue;
        }
        ns = 100000L;
        int src = st.MPI_SOURCE;
        MPI_Get_count(&st, MPI_BYTE, &count);
        if ((size_t)count > cap) { /* one buffer, reused, as the sweep's master does */
            free(buf);
            cap = (size_t)count;
            buf = malloc(cap);
        }
        MPI_Recv(buf, count, MPI_BYTE, src, PS_SWEEP_TAG_RESULT, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        bytes = (size_t)count;
        /* unpack as the sweep's master does: pointers into the buffer */
        ps_sweep_wire_head h;
        ps_train_result r;
        if (ps_sweep_result_unpack(&r, &h, buf, (size_t)count) || strcmp(h.id, tasks[src].id)) {
            fprintf(stderr, "bench_master: a result of %d bytes does not unpack or has the "
                    "wrong id\n", count);
            return 1;
        }
        done = tasks[src];
        got++;
        if (sent < n_results) { /* the worker's next task first: it never waits on the disk */
            next_task(&tasks[src], cfg, sent++);
            MPI_Send(&tasks[src], (int)sizeof tasks[src], MPI_BYTE, src, PS_SWEEP_TAG_TASK,
                     MPI_COMM_WORLD);
        }
        double ts0 = ps_now();
        int bad = each ? ps_store_add(s, &done, &r, src, &err)
                       : ps_store_append(s, &done, &r, src, &err) ||
                             (ps_store_sync_due(s) && ps_store_sync(s, &err));
        store_s += ps_now() - ts0;
        if (bad) {
            fprintf(stderr, "bench_master: %s\n", err.msg);
            rc = 1;
        }
    }
    free(buf);
    double wall = ps_now() - w0, cpu = cpu_now() - c0;
    ps_store_get_stats(s, &st1);
    for (int r = 1; r < ranks; r++)
        MPI_Send(NULL, 0, MPI_BYTE, r, PS_SWEEP_TAG_STOP, MPI_COMM_WORLD);
    if (ps_store_close(s, 1, &err) && !rc) {
        fprintf(stderr, "bench_master: %s\n", err.msg);
        rc = 1;
    }
    if (!rc)
        printf("master model=%s sync=%s results=%d seconds=%.3f results_per_s=%.1f "
               "bytes_per_result=%zu cpu_share=%.3f store_share=%.3f syncs=%lld "
               "append_share=%.3f sync_share=%.3f ckpt_read_share=%.3f ckpt_replay_share=%.3f "
               "ckpt_write_share=%.3f checkpoints=%lld\n",
               cfg->model, each ? "each" : "group", got, wall, got / wall, bytes, cpu / wall,
               store_s / wall, (long long)(st1.syncs - st0.syncs),
               (st1.append_seconds - st0.append_seconds) / wall,
               (st1.sync_seconds - st0.sync_seconds) / wall,
               (st1.checkpoint_read_seconds - st0.checkpoint_read_seconds) / wall,
               (st1.checkpoint_replay_seconds - st0.checkpoint_replay_seconds) / wall,
               (st1.checkpoint_write_seconds - st0.checkpoint_write_seconds) / wall,
               (long long)(st1.checkpoints - st0.checkpoints));
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
    int each = 0;
    static const struct option longopts[] = {{"model", required_argument, 0, 'm'},
                                              {"epochs", required_argument, 0, 'e'},
                                              {"results", required_argument, 0, 'n'},
                                              {"out", required_argument, 0, 'o'},
                                              {"sync", required_argument, 0, 's'},
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
        else if (c == 's' && (!strcmp(optarg, "group") || !strcmp(optarg, "each")))
            each = !strcmp(optarg, "each");
        else {
            fprintf(stderr, "usage: mpirun -np K bench_master [--model NAME] [--epochs E] "
                            "[--results N] [--out FILE] [--sync group|each]\n");
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
        rc = rank ? worker(&cfg) : master(ranks, &cfg, n_results, out, each);
    }
    MPI_Finalize();
    return rc;
}
