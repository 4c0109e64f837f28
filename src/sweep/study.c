/* ps_sweep_run: a study from its job file into one resumable results file. Start-up (MPI,
 * the job on every rank, MNIST), then on rank 0: the shard's plan, the results file (tables,
 * resume), the driver (one process, or master/worker over MPI), the summary. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "pairsweep/nn.h"
#include "sweep_internal.h"

/* CPU seconds (user + system) of this process so far. */
static double cpu_seconds(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru))
        return 0;
    return (double)ru.ru_utime.tv_sec + 1e-6 * (double)ru.ru_utime.tv_usec +
           (double)ru.ru_stime.tv_sec + 1e-6 * (double)ru.ru_stime.tv_usec;
}

/* Rank 0: reads the job, checks its models and the shard. */
static int check_job(const ps_sweep_opts *o, ps_job *job, ps_err *err)
{
    int rc = ps_job_load(job, o->job_path, err);
    if (rc)
        return rc;
    rc = ps_job_check_models(job, err);
    if (!rc && o->n_shards > 1) {
        int32_t *tmp = calloc((size_t)job->n_groups, sizeof *tmp);
        rc = tmp ? ps_plan_shards(tmp, job, o->n_shards, err)
                 : ps_err_set(err, PS_ENOMEM, "out of memory");
        free(tmp);
        if (!rc && (o->shard < 0 || o->shard >= o->n_shards))
            rc = ps_err_set(err, PS_EINVAL, "shard %d of %d does not exist", (int)o->shard + 1,
                            (int)o->n_shards);
    }
    if (rc)
        ps_job_free(job);
    return rc;
}

static int open_store(ps__master *m, const ps_mnist *mn, int32_t ranks, const char *path)
{
    const ps_job *job = m->job;
    if (!m->o->output) { /* the default results/ directory is made on demand */
        if (mkdir("results", 0777) && errno != EEXIST)
            return ps_err_set(m->err, PS_EIO, "results: cannot create the directory: %s",
                              strerror(errno));
    }
    ps_sched_status st;
    ps_sched_get_status(m->sched, &st);
    char racing[128];
    ps_race_params rp;
    ps_job_race_params(&rp, job);
    snprintf(racing, sizeof racing, "test=%s alpha=%.10g min_folds=%d audit=%d ratio=%.10g%s",
             ps_race_test_name(job->racing.test), job->racing.alpha, (int)job->racing.min_folds,
             (int)job->racing.audit, rp.test_train_ratio,
             rp.correction == PS_RACE_BH ? " correction=bh" : ""); /* absent: holm */
    ps_store_meta meta = {
        .job_name = job->name,
        .job_text = job->text,
        .mnist_sha256 = {mn->sha256[0], mn->sha256[1], mn->sha256[2], mn->sha256[3]},
        .ranks = ranks,
        .planned_tasks = st.planned,
        .racing = job->racing.on ? racing : NULL,
    };
    return ps_store_open(&m->store, path, &meta, m->o->restart, m->err);
}

/* The file open, its tables written, what it holds resumed: the run starts. */
static int prepare(ps__master *m, const ps_mnist *mn, int32_t ranks, const char *path)
{
    int rc = open_store(m, mn, ranks, path);
    rc = rc ? rc : ps__record_tables(m);
    rc = rc ? rc : ps__record_resume(m, path);
    rc = rc ? rc : ps__master_start(m);
    if (rc)
        return rc;
    ps_sweep_progress p;
    ps_sched_progress(m->sched, ps_now(), &p, m->best);
    ps__master_event(m, "study %s: %d tasks planned (%d selection, %d final), %d already in %s; "
                     "%d rank%s", m->job->name, (int)(p.total[0] + p.total[1]), (int)p.total[0],
                     (int)p.total[1], (int)(m->stored[0] + m->stored[1] + m->stored[2]), path, (int)ranks,
                     ranks > 1 ? "s" : "");
    return 0;
}

/* Why a run that ended normally did not complete, for the file (ps_store_mark_stopped), or
 * NULL when it was not stopped. */
static const char *stop_reason(const ps__master *m, const ps_sched_status *st)
{
    if (m->ending)
        return "stopped by a signal: mpirun ended the job (Ctrl-C, SIGINT or SIGTERM to "
               "mpirun), running tasks were given up; rerun the same pairsweep run command to "
               "resume";
    if (st->stopped)
        return "stopped by a signal; rerun the same pairsweep run command to resume";
    if (st->deadline_hit)
        return "stopped at its deadline; rerun the same pairsweep run command to resume";
    return NULL;
}

/* Records why the run stopped, closes the store (marked complete or not) and fills the
 * summary. */
static int finish(ps__master *m, int rc, ps_sweep_summary *sum, ps_err *err)
{
    ps_sched_status st;
    memset(&st, 0, sizeof st);
    if (m->sched)
        ps_sched_get_status(m->sched, &st);
    int complete = !rc && st.complete;
    const char *why = stop_reason(m, &st);
    if (m->store && !rc && !complete && why)
        rc = ps_store_mark_stopped(m->store, why, err);
    if (m->store) {
        ps_err e2;
        int rc2 = ps_store_close(m->store, complete, &e2);
        m->store = NULL;
        if (rc2 && !rc) {
            rc = rc2;
            *err = e2;
        }
    }
    if (m->sched)
        ps__master_progress(m, 1);
    sum->complete = complete;
    sum->stopped = st.stopped;
    sum->deadline_hit = st.deadline_hit;
    sum->planned = st.planned;
    sum->stored = m->stored[0] + m->stored[1] + m->stored[2];
    sum->pruned = m->pruned;
    sum->ran = m->ran;
    sum->diverged = m->diverged;
    sum->failed = m->failed;
    sum->abandoned = st.abandoned + (m->ending ? st.running : 0);
    sum->ended = m->ending;
    sum->rate = st.rate;
    sum->hung_ranks = m->hung;
    return rc;
}

static int master_run(const ps_sweep_opts *o, const ps_job *job, const ps_mnist *mn,
                      int32_t ranks, ps_sweep_summary *sum, ps_err *err)
{
    double t0 = ps_now();
    if (o->output)
        snprintf(sum->output, sizeof sum->output, "%s", o->output);
    else
        ps_sweep_default_output(sum->output, sizeof sum->output, job, o->shard, o->n_shards);
    snprintf(sum->job_name, sizeof sum->job_name, "%s", job->name);
    ps__master m;
    int rc = ps__master_init(&m, o, job, ranks > 1 ? ranks - 1 : 1, t0, err);
    rc = rc ? rc : prepare(&m, mn, ranks, sum->output);
    if (!rc) {
        double cpu0 = cpu_seconds(), wall0 = ps_now();
        rc = ranks > 1 ? ps__mpi_master(&m, ranks) : ps__local_run(&m, mn);
        sum->loop_cpu = cpu_seconds() - cpu0;
        sum->loop_wall = ps_now() - wall0;
    } else {
        if (ps_store_discard(m.store)) /* a failed start leaves no new results file */
            m.store = NULL;
        if (ranks > 1)
            ps__mpi_release(ranks);
    }
    rc = finish(&m, rc, sum, err);
    ps__master_free(&m);
    return rc;
}

int ps_sweep_run(const ps_sweep_opts *o, ps_sweep_summary *sum, ps_err *err)
{
    memset(sum, 0, sizeof *sum);
    int inited = 0, rank = 0, ranks = 1;
    int rc = ps__mpi_start(&rank, &ranks, &inited, err);
    if (rc)
        return rc;
    sum->rank = rank;
    sum->ranks = ranks;
    ps_nn_blas_single_thread();
    double t0 = ps_now();
    ps_job job;
    ps_mnist mn;
    memset(&job, 0, sizeof job);
    memset(&mn, 0, sizeof mn);
    int job_rc = rank == 0 ? check_job(o, &job, err) : 0;
    const char *mnist = o->mnist_dir ? o->mnist_dir
                        : job.mnist_dir[0] ? job.mnist_dir : ps_mnist_default_dir();
    /* Every large buffer (MNIST, a task's pairs and net arena) gets its own mapping, given back
     * when freed. glibc's default raises the mmap threshold at the first such free; the next
     * tasks' arenas of other sizes then land in the heap, whose freed memory stays resident:
     * a worker running the 7 report-000 models grew to 98 MiB instead of 76 MiB. */
    mallopt(M_MMAP_THRESHOLD, 256 * 1024);
    rc = ps__mpi_setup(rank, ranks, job_rc, mnist, &job, &mn, err);
    if (!rc) {
        rc = rank == 0 ? master_run(o, &job, &mn, ranks, sum, err)
                       : ps__mpi_worker(&mn, &sum->ran);
        ps_job_free(&job);
        ps_mnist_free(&mn);
    }
    sum->elapsed = ps_now() - t0;
    if (rank == 0)
        sum->master_cpu = cpu_seconds();
    ps__mpi_finish(inited, sum->hung_ranks > 0 || sum->ended);
    return rc;
}
