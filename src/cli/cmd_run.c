/* pairsweep run: a study (job file) with MPI into one resumable results file. */
#define _POSIX_C_SOURCE 200809L
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "pairsweep/data.h"
#include "pairsweep/path.h"
#include "pairsweep/report.h"
#include "pairsweep/store.h"
#include "pairsweep/sweep.h"

#define DEFAULT_GRACE 60.0
#define DEFAULT_GFLOPS 15.0
/* --dry-run of a raced job: the fraction of surviving grid points assumed to survive each
 * decision (docs/racing.md gives what wang2021's races measured) */
#define DEFAULT_SURVIVAL 0.5

/* The one mutable global of the program: a signal handler can only reach static data. count
 * counts SIGINT/SIGTERM/SIGUSR1 deliveries; the sweep reads it (1: stop handing out tasks,
 * 2 or more: give running tasks up). ending is set by a SIGTERM from launcher, Open MPI's
 * mpirun (or orted) that started this rank: it sends one only when it ends the job, on its
 * own SIGINT or SIGTERM, and SIGKILLs every rank a second later (measured with Open MPI 4.1:
 * docs/job-format.md, Stopping); launcher is set before the handler is installed. */
static struct {
    volatile sig_atomic_t count, ending;
    pid_t launcher;
} stop_signals;

static void on_signal(int sig, siginfo_t *info, void *context)
{
    (void)context;
    pid_t from = info ? info->si_pid : 0;
    if (sig == SIGTERM && stop_signals.launcher > 0 && from == stop_signals.launcher)
        stop_signals.ending = 1; /* before the count: the sweep then sees both together */
    if (stop_signals.count < 100)
        stop_signals.count = stop_signals.count + 1;
}

static void run_usage(FILE *out)
{
    fprintf(out,
            "usage: pairsweep run [options] JOB.yaml\n"
            "\n"
            "Runs the study of a job file: phase select (every model x grid point x CV fold, or\n"
            "holdout repetition), then phase final (each group's best setups x seeds, tested on\n"
            "the test pairs), into one HDF5 file. Under mpirun, rank 0 hands tasks out (longest\n"
            "first) and stores results; the other ranks train. Without mpirun one process does\n"
            "everything. Rerunning the same command resumes: only missing tasks run.\n"
            "The job format (every key, type, default, meaning): docs/job-format.md\n"
            "\n"
            "  -o, --output FILE     results file (default results/NAME.h5, with --shard\n"
            "                        results/NAME.shardI-of-N.h5; results/ is created)\n"
            "      --mnist DIR       MNIST directory (default: the job's data.mnist, else\n"
            "                        $PS_MNIST_DIR, else searched: see pairsweep data --help)\n"
            "      --restart         replace a results file of another job (or a damaged one)\n"
            "      --audit           a raced job (protocol.racing): also run the tasks its race\n"
            "                        pruned, at low priority, to measure the false eliminations\n"
            "                        (pairsweep report shows them)\n"
            "      --shard I/N       run the I-th (1-based) of N shards of the plan; shards hold\n"
            "                        whole model groups, so each runs its own final phase\n"
            "      --deadline T      start no task that cannot finish within T (seconds or\n"
            "                        [HH:]MM:SS) of the start; at T running tasks are given up.\n"
            "                        Under SLURM the default is the job's end time\n"
            "                        ($SLURM_JOB_END_TIME, else `squeue -o %%e`)\n"
            "      --grace S         after a stop signal, let running tasks finish for up to S\n"
            "                        seconds (default %.0f); a second signal gives them up\n"
            "      --rate GFLOPS     FLOP rate per worker assumed until tasks are measured, for\n"
            "                        deadlines and estimates (default %.0f)\n"
            "      --dry-run         print the plan (tasks per phase and model, estimated\n"
            "                        core-hours, the sbatch line), run nothing; a raced job\n"
            "                        also gets its expected raced cost\n"
            "      --survival F      --dry-run of a raced job: the fraction of the surviving grid\n"
            "                        points assumed to survive each decision (default %.2f)\n"
            "  -q, --quiet           no progress, only the summary\n"
            "      --live, --lines   progress as one live line, or as plain lines (default:\n"
            "                        live on a terminal, lines otherwise and under mpirun,\n"
            "                        whose output to rank 0 always looks like a terminal)\n"
            "  -h, --help            this text\n"
            "\n"
            "Stopping: a stop signal hands out no new task and lets running tasks finish for\n"
            "--grace S (then they are given up); a second one, 2 s or more after the first, gives\n"
            "them up at once. Tasks given up run again on resume; stored ones never do.\n"
            "  launcher          signal                        what happens              status\n"
            "  pairsweep run     SIGINT, SIGTERM, SIGUSR1      stop, grace               3\n"
            "  scripts/study.sh  Ctrl-C, SIGINT, SIGTERM,      sent on to mpirun as      3\n"
            "                    SIGUSR1 to the script         SIGUSR1: stop, grace\n"
            "  mpirun            SIGUSR1 to mpirun             forwarded: stop, grace    3\n"
            "  mpirun            Ctrl-C, SIGINT or SIGTERM     not forwarded: mpirun     1 (Open\n"
            "                    to mpirun (a terminal's       sends the ranks SIGTERM   MPI's; 3\n"
            "                    Ctrl-C reaches mpirun only:   1 s later, SIGKILL 1 s    under\n"
            "                    each rank has a process       after. Rank 0 stops at    study.sh)\n"
            "                    group of its own)             once, no grace: running\n"
            "                                                  tasks given up, the file\n"
            "                                                  closed, the stop said on\n"
            "                                                  the last line of stderr\n"
            "  mpirun            Ctrl-C twice within 5 s       mpirun exits, the ranks   1\n"
            "                                                  are killed: stored tasks\n"
            "                                                  stay (the journal)\n"
            "  srun (slurm/      time-limit warning (SIGUSR1   forwarded to rank 0:      3, requeued\n"
            "  pairsweep-mpi.    to the batch shell)           stop, grace\n"
            "  sbatch)           scancel (SIGTERM to every     stop, grace (keep it      3, not\n"
            "                    process, SIGKILL KillWait     under KillWait)           requeued\n"
            "                    s later)\n"
            "Workers ignore signals: rank 0 decides. `pairsweep status FILE` says how the last\n"
            "run ended. Details: docs/job-format.md, Stopping.\n"
            "\n"
            "Environment: PS_NN_MAX_ISA=avx2 keeps pairsweep's kernels off AVX-512, as on an\n"
            "AVX2-only node (OPENBLAS_CORETYPE=Haswell does it for OpenBLAS's): the same bits\n"
            "but for 5x5 layers on 3x3 planes (other last digits). Run with\n"
            "OPENBLAS_NUM_THREADS=1 (scripts/env.sh sets it): the ranks are the parallelism.\n"
            "\n"
            "Exit status: 0 the study is complete; 3 stopped (signal or deadline: run the same\n"
            "command again to resume); 2 bad usage or bad job file; 1 other failures.\n",
            DEFAULT_GRACE, DEFAULT_GFLOPS, DEFAULT_SURVIVAL);
}

#define MAX_SECONDS 1e9 /* about 31 years: any longer duration is a typing mistake */

/* Seconds from "S", "S.s", "MM:SS" or "HH:MM:SS" (each part digits and at most one point),
 * at most MAX_SECONDS; -1 for anything else. */
static double parse_duration(const char *s)
{
    double t = 0;
    for (int n = 0;; n++) {
        size_t len = strcspn(s, ":");
        char part[32];
        double v;
        if (n == 3 || len == 0 || len >= sizeof part || strspn(s, "0123456789.") != len)
            return -1;
        memcpy(part, s, len);
        part[len] = '\0';
        if (ps_cli_parse_double(part, 0, MAX_SECONDS, &v))
            return -1;
        t = t * 60 + v;
        if (!s[len])
            break;
        s += len + 1;
    }
    return t <= MAX_SECONDS ? t : -1;
}

/* Seconds until the SLURM job's end, or 0 when unknown (not under SLURM, no end time). */
static double slurm_time_left(void)
{
    const char *end = getenv("SLURM_JOB_END_TIME");
    if (end && *end) {
        char *e;
        long long t = strtoll(end, &e, 10);
        if (!*e && t > 0)
            return (double)(t - (long long)time(NULL));
    }
    /* only the master needs it: other ranks do not ask squeue (hundreds of ranks would) */
    const char *ranks[] = {"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "SLURM_PROCID"};
    for (size_t i = 0; i < sizeof ranks / sizeof ranks[0]; i++) {
        const char *r = getenv(ranks[i]);
        if (r && strcmp(r, "0"))
            return 0;
    }
    const char *id = getenv("SLURM_JOB_ID");
    if (!id || !*id || strspn(id, "0123456789_") != strlen(id))
        return 0;
    char cmd[128], line[128] = "";
    snprintf(cmd, sizeof cmd, "squeue -h -j %s -o %%e 2>/dev/null", id);
    FILE *f = popen(cmd, "r");
    if (!f)
        return 0;
    char *got = fgets(line, sizeof line, f);
    pclose(f);
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    if (!got || !strptime(line, "%Y-%m-%dT%H:%M:%S", &tm))
        return 0;
    tm.tm_isdst = -1;
    time_t t = mktime(&tm);
    return t > 0 ? difftime(t, time(NULL)) : 0;
}

static void hms(char *buf, size_t cap, double s)
{
    if (s < 0) {
        snprintf(buf, cap, "?");
        return;
    }
    long t = lround(s);
    snprintf(buf, cap, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
}

typedef struct progress_state {
    int tty;
    int live;                  /* a \r line is on screen */
} progress_state;

static void on_progress(void *user, const ps_sweep_progress *p)
{
    progress_state *ps = user;
    char el[32], eta[32], line[512];
    hms(el, sizeof el, p->elapsed);
    hms(eta, sizeof eta, p->eta);
    int n = snprintf(line, sizeof line, "select %d/%d  final %d/%d  ", (int)p->done[0],
                     (int)p->total[0], (int)p->done[1], (int)p->total[1]);
    if (p->total[2] > 0)
        n += snprintf(line + n, sizeof line - (size_t)n, "audit %d/%d  ", (int)p->done[2],
                      (int)p->total[2]);
    n += snprintf(line + n, sizeof line - (size_t)n, "running %d  ", (int)p->running);
    if (!ps->tty && p->event) {
        printf("[%s] %s  (%sETA %s)\n", el, p->event, line, eta);
        fflush(stdout);
        return;
    }
    n += snprintf(line + n, sizeof line - (size_t)n, "%s elapsed, ETA %s", el, eta);
    if (ps->tty) {
        if (p->event) {
            printf("\r\033[K%s\n", p->event);
            ps->live = 0;
        }
        /* the live line: counts, times, then the current best per model */
        for (int32_t i = 0; i < p->n_models && n < 200 && n > 0; i++)
            if (p->best[i].grid >= 0)
                n += snprintf(line + n, sizeof line - (size_t)n, "  %s g%d %.3f%s",
                              p->best[i].model, (int)p->best[i].grid, p->best[i].mean,
                              p->best[i].selected ? "*" : "");
        printf("\r\033[K%.150s", line);
        ps->live = 1;
        fflush(stdout);
    }
}

static void print_final_table(const char *path)
{
    ps_results r;
    ps_err err = {0};
    if (ps_results_read_trusted(&r, path, &err)) {
        fprintf(stderr, "pairsweep run: %s\n", err.msg);
        return;
    }
    printf("\n%-16s %5s %9s   %-18s %s\n", "model", "grid", "CV acc", "test acc (mean±std)",
           "seeds");
    for (int32_t s = 0; s < r.n_sel; s++) {
        const ps_store_selection *sel = &r.sel[s];
        double sum = 0, sumsq = 0;
        int n = 0, bad = 0;
        for (int32_t i = 0; i < r.n_rows; i++) {
            const ps_store_row *row = &r.rows[i];
            if (row->phase != PS_PHASE_FINAL || strcmp(row->model, sel->model))
                continue;
            if (row->status != PS_TASK_DONE) {
                bad++;
                continue;
            }
            sum += row->eval_acc;
            sumsq += (double)row->eval_acc * row->eval_acc;
            n++;
        }
        double mean = n ? sum / n : NAN;
        double sd = n > 1 ? sqrt(fmax(0, (sumsq - sum * sum / n) / (n - 1))) : 0;
        if (n)
            printf("%-16s %5d %8.2f%%   %6.2f%% ± %5.2f%%     %d%s\n", sel->model, (int)sel->grid,
                   100 * sel->cv_mean, 100 * mean, 100 * sd, n, bad ? " (+failed/diverged)" : "");
        else
            printf("%-16s %5d %8.2f%%   %-18s %d\n", sel->model, (int)sel->grid,
                   100 * sel->cv_mean, "(not in the final phase)", 0);
    }
    ps_results_free(&r);
}

/* The study's report (report.h: Table I, the selection, Table II, the effects) as text. */
static void print_report(const char *path)
{
    ps_results r;
    ps_err err = {0};
    if (ps_results_read_trusted(&r, path, &err)) {
        fprintf(stderr, "pairsweep run: %s\n", err.msg);
        return;
    }
    ps_report_opts opts = {PS_REPORT_TEXT, NULL};
    const char *paths[1] = {path};
    printf("\n");
    if (ps_report_write(stdout, &r, paths, 1, &opts, &err)) {
        fprintf(stderr, "pairsweep run: %s\n", err.msg);
        ps_results_free(&r);
        print_final_table(path);
        return;
    }
    ps_results_free(&r);
}

/* The folder of the SLURM scripts the sbatch line names: slurm/ of the working directory (a
 * checkout), else the installation's share/pairsweep/slurm, else slurm. */
static void slurm_dir(char out[PS_PATH_MAX])
{
    struct stat st;
    if (stat("slurm/pairsweep-mpi.sbatch", &st) == 0 || ps_data_share_path(out, "slurm"))
        snprintf(out, PS_PATH_MAX, "slurm");
}

/* A raced job's expected cost: per model, its selection tasks if `survival` of the surviving
 * points survive each decision (ps_race_expected_tasks), against the exhaustive plan. */
static void dry_run_racing(const ps_job *job, const ps_sweep_plan *plan, double rate,
                           double survival)
{
    int32_t rounds = ps_job_select_per_point(job);
    double tasks = 0, flops = 0, all_flops = 0;
    printf("\nracing (%s, alpha %g, min_folds %d%s): assuming %.0f%% of the surviving grid "
           "points survive each decision (--survival; measured on wang2021: docs/racing.md)\n",
           ps_race_test_name(job->racing.test), job->racing.alpha, (int)job->racing.min_folds,
           job->racing.audit ? ", audit" : "", 100 * survival);
    printf("%-16s %7s %9s %12s %12s\n", "model", "select", "raced", "core-hours", "raced c-h");
    for (int32_t i = 0; i < plan->n_models; i++) {
        const ps_sweep_plan_model *m = &plan->models[i];
        double t = ps_race_expected_tasks(m->n_grid, rounds, job->racing.min_folds, survival);
        double f = m->n_select ? m->select_flops * t / m->n_select : 0;
        printf("%-16s %7d %9.0f %12.3f %12.3f\n", m->name, (int)m->n_select, t,
               (m->select_flops + m->final_flops) / rate / 3600, (f + m->final_flops) / rate / 3600);
        tasks += t;
        flops += f + m->final_flops;
        all_flops += m->select_flops + m->final_flops;
    }
    printf("%-16s %7d %9.0f %12.3f %12.3f\n", "total", (int)plan->n_select, tasks,
           all_flops / rate / 3600, flops / rate / 3600);
    printf("raced: about %.0f of %d selection tasks (%.1fx fewer), %.2f of %.2f core-hours "
           "(%.1fx less) with the final phase\n", tasks, (int)plan->n_select,
           tasks > 0 ? plan->n_select / tasks : 0, flops / rate / 3600, all_flops / rate / 3600,
           flops > 0 ? all_flops / flops : 0);
}

static int dry_run(const char *job_path, int32_t n_shards, double gflops, double survival)
{
    ps_job job;
    ps_err err = {0};
    int rc = ps_job_load(&job, job_path, &err);
    if (rc) {
        fprintf(stderr, "pairsweep run: %s\n", err.msg);
        return ps_exit_status(rc);
    }
    if ((rc = ps_job_check_models(&job, &err))) {
        fprintf(stderr, "pairsweep run: %s\n", err.msg);
        ps_job_free(&job);
        return ps_exit_status(rc);
    }
    ps_sweep_plan plan;
    rc = ps_sweep_plan_job(&plan, &job, n_shards, &err);
    if (rc) {
        fprintf(stderr, "pairsweep run: %s\n", err.msg);
        ps_job_free(&job);
        return ps_exit_status(rc);
    }
    double rate = gflops * 1e9;
    printf("job %s (%s): %s selection (%d folds x %d repetitions), then the best %d setup%s "
           "per group x %d seeds; %d epochs, %d/%d pairs\n",
           job.name, job.path, job.select_eval == PS_EVAL_KFOLD ? "k-fold" : "holdout",
           (int)ps_job_select_folds(&job), (int)job.select_reps,
           (int)job.final_best, job.final_best > 1 ? "s" : "", (int)job.final_seeds,
           (int)job.epochs, (int)job.n_train, (int)job.n_test);
    printf("\n%-16s %-16s %5s %7s %7s %12s%s\n", "model", "group", "grid", "select", "final",
           "core-hours", n_shards > 1 ? "  shard" : "");
    int shared_groups = 0;
    for (int32_t i = 0; i < plan.n_models; i++) {
        const ps_sweep_plan_model *m = &plan.models[i];
        int in_group = 0;
        for (int32_t j = 0; j < plan.n_models; j++)
            in_group += !strcmp(plan.models[j].group, m->group);
        char fin[32];
        snprintf(fin, sizeof fin, "%s%d", in_group > 1 ? "<=" : "", (int)m->n_final);
        shared_groups |= in_group > 1;
        printf("%-16s %-16s %5d %7d %7s %12.3f", m->name, m->group, (int)m->n_grid,
               (int)m->n_select, fin, (m->select_flops + m->final_flops) / rate / 3600);
        if (n_shards > 1)
            printf("  %d/%d", (int)m->shard + 1, (int)n_shards);
        printf("\n");
    }
    double hours = plan.flops / rate / 3600;
    if (shared_groups)
        printf("(<=: only the group's best %d setup%s go%s to the final phase; a model's "
               "core-hours count its final phase as if it were chosen)\n", (int)job.final_best,
               job.final_best > 1 ? "s" : "", job.final_best > 1 ? "" : "es");
    printf("%-16s %-16s %5s %7d %7d %12.3f\n", "total", "", "", (int)plan.n_select,
           (int)plan.n_final, hours);
    printf("\n%d tasks, about %.2f core-hours at %.0f GFLOP/s per core (--rate; measure yours "
           "with a short run).\n", (int)(plan.n_select + plan.n_final), hours, gflops);
    if (job.racing.on)
        dry_run_racing(&job, &plan, rate, survival);
    char slurm[PS_PATH_MAX];
    slurm_dir(slurm);
    if (n_shards > 1) {
        printf("sbatch: bash %s/submit-array.sh -n %d %s\n", slurm, (int)n_shards, job.path);
    } else {
        /* enough workers for about a quarter of an hour of work each, at most 63 (and no
         * more than there are selection tasks to start with) */
        int workers = (int)ceil(hours / 0.25);
        int most = plan.n_select < 63 ? (int)plan.n_select : 63;
        workers = workers > most ? most : workers < 1 ? 1 : workers;
        double wall = hours / workers * 1.3 + 0.1; /* imbalance and start-up */
        char t[32];
        hms(t, sizeof t, wall * 3600);
        printf("sbatch: sbatch -n %d -t %s %s/pairsweep-mpi.sbatch %s\n", workers + 1, t,
               slurm, job.path);
    }
    ps_sweep_plan_free(&plan);
    ps_job_free(&job);
    return 0;
}

/* "I/N" with 1 <= I <= N <= 2^31 - 1 into the 0-based shard and the count; -1 otherwise. */
static int parse_shard(const char *s, int32_t *shard, int32_t *n)
{
    char head[32];
    const char *tail;
    long i, k;
    if (ps_cli_split(s, '/', head, sizeof head, &tail) ||
        ps_cli_parse_long(tail, 1, INT32_MAX, &k) || ps_cli_parse_long(head, 1, k, &i))
        return -1;
    *shard = (int32_t)(i - 1);
    *n = (int32_t)k;
    return 0;
}

/* The paths, checked on every rank before the sweep starts (pairsweep/path.h): --mnist a
 * directory; -o a file that may be written: not a directory or a special file, not the job
 * file or an MNIST file (an existing results file is resumed, or replaced with --restart, by
 * the store), its journal a regular file when there; the default results/NAME.h5, when there,
 * a regular file. The job file is checked as it is opened (a job that does not load is left
 * to the sweep's message). Returns 0, or the exit status after printing one line. */
static int check_paths(const ps_sweep_opts *o)
{
    ps_err err = {0};
    int rc = o->mnist_dir ? ps_cli_check_mnist_dir(o->mnist_dir, &err) : 0;
    char out[PS_PATH_MAX] = "";
    ps_job job;
    if (o->output) {
        snprintf(out, sizeof out, "%s", o->output);
        if (!rc)
            rc = ps_cli_check_output(out, o->mnist_dir ? o->mnist_dir : ps_mnist_default_dir(),
                                     o->job_path, PS_PATH_REPLACE, "the results file",
                                     "--restart", &err);
    } else if (!rc && !ps_job_load(&job, o->job_path, &err)) {
        ps_sweep_default_output(out, sizeof out, &job, o->shard, o->n_shards);
        ps_job_free(&job);
        rc = ps_path_check(out, PS_PATH_FILE | PS_PATH_OPTIONAL, "the results file", &err);
        rc = rc < 0 ? rc : 0;
    }
    if (!rc && out[0])
        rc = ps_cli_check_journal(out, &err);
    return rc ? ps_cli_fail("run", rc, &err) : 0;
}

/* The pid of Open MPI's launcher when it started this process (the parent, under Open MPI,
 * is mpirun, mpiexec, orterun or orted; prterun or prted for Open MPI 5), else 0: a SIGTERM
 * from any other sender (srun's slurmstepd, a script, `timeout`) is an ordinary stop. */
static pid_t open_mpi_launcher(void)
{
    static const char *const names[] = {"mpirun", "mpiexec", "orterun", "orted", "prterun",
                                        "prted"};
    if (!getenv("OMPI_COMM_WORLD_SIZE"))
        return 0;
    pid_t parent = getppid();
    char path[64], comm[64] = "";
    snprintf(path, sizeof path, "/proc/%ld/comm", (long)parent);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    if (!fgets(comm, sizeof comm, f))
        comm[0] = '\0';
    fclose(f);
    comm[strcspn(comm, "\n")] = '\0';
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strcmp(comm, names[i]))
            return parent;
    return 0;
}

static void install_signals(void)
{
    stop_signals.launcher = open_mpi_launcher();
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_signal;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
}

static int report_end(const ps_sweep_summary *s, int quiet)
{
    char pruned[48] = "";
    if (s->pruned)
        snprintf(pruned, sizeof pruned, ", %d pruned by the race", (int)s->pruned);
    printf("%s: %d of %d tasks stored in %s (%d diverged, %d failed%s); %d run now in %.1f s on "
           "%d rank%s\n", s->job_name, (int)s->stored, (int)s->planned, s->output,
           (int)s->diverged, (int)s->failed, pruned, (int)s->ran, s->elapsed, (int)s->ranks,
           s->ranks > 1 ? "s" : "");
    if (s->ranks > 1)
        printf("rank 0 (master): %.2f s of CPU while handing out tasks for %.1f s (%.2f%% of a "
               "core), %.2f s in all; measured %.1f GFLOP/s per worker\n", s->loop_cpu,
               s->loop_wall, s->loop_wall > 0 ? 100 * s->loop_cpu / s->loop_wall : 0,
               s->master_cpu, s->rate / 1e9);
    else if (s->rate > 0)
        printf("measured %.1f GFLOP/s\n", s->rate / 1e9);
    if (s->complete) {
        if (!quiet)
            print_report(s->output);
        return 0;
    }
    if (s->stopped || s->deadline_hit) {
        /* under mpirun ending the job, this is the last line: mpirun prints nothing more */
        fprintf(stderr, "pairsweep run: %s: %d of %d tasks stored in %s%s; run the same command "
                "again to resume%s\n",
                s->ended ? "stopped by a signal: mpirun ended the job (Ctrl-C, SIGINT or "
                           "SIGTERM to mpirun)"
                : s->stopped ? "stopped by a signal" : "deadline",
                (int)s->stored, (int)s->planned, s->output,
                s->abandoned ? " (running tasks were given up)" : "",
                s->ended ? " (mpirun exits with status 1, set by Open MPI, not 3)" : "");
        return PS_EXIT_STOPPED;
    }
    fprintf(stderr, "pairsweep run: the study is not complete: %d of %d tasks stored in %s "
            "(a group whose every setup diverged or failed has no final phase)\n",
            (int)s->stored, (int)s->planned, s->output);
    return 1;
}

int ps_cmd_run(int argc, char **argv)
{
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'}, {"mnist", required_argument, NULL, 'm'},
        {"restart", no_argument, NULL, 'R'},      {"shard", required_argument, NULL, 's'},
        {"deadline", required_argument, NULL, 'd'}, {"grace", required_argument, NULL, 'g'},
        {"rate", required_argument, NULL, 'r'},   {"dry-run", no_argument, NULL, 'n'},
        {"quiet", no_argument, NULL, 'q'},        {"help", no_argument, NULL, 'h'},
        {"live", no_argument, NULL, 'L'},         {"lines", no_argument, NULL, 'P'},
        {"audit", no_argument, NULL, 'A'},       {"survival", required_argument, NULL, 'S'},
        {NULL, 0, NULL, 0},
    };
    ps_sweep_opts o;
    memset(&o, 0, sizeof o);
    o.grace = DEFAULT_GRACE;
    double gflops = DEFAULT_GFLOPS, deadline = -1, survival = DEFAULT_SURVIVAL;
    int dry = 0, quiet = 0, live = 0, c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":o:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'o': o.output = optarg; break;
        case 'm': o.mnist_dir = optarg; break;
        case 'R': o.restart = 1; break;
        case 'A': o.audit = 1; break;
        case 'S':
            if (ps_cli_parse_double(optarg, 0, 1, &survival))
                return ps_cli_bad_value("run", "--survival", "a fraction in [0, 1]", optarg);
            break;
        case 's':
            if (parse_shard(optarg, &o.shard, &o.n_shards))
                return ps_cli_bad_value("run", "--shard", "I/N with 1 <= I <= N <= 2147483647",
                                        optarg);
            break;
        case 'd':
            if ((deadline = parse_duration(optarg)) <= 0)
                return ps_cli_bad_value("run", "--deadline", "seconds or [HH:]MM:SS, more than "
                                        "0 and at most 1e9 s", optarg);
            break;
        case 'g':
            if ((o.grace = parse_duration(optarg)) < 0)
                return ps_cli_bad_value("run", "--grace", "seconds or [HH:]MM:SS, 0 to 1e9 s",
                                        optarg);
            break;
        case 'r':
            if (ps_cli_parse_double(optarg, 0, 1e6, &gflops) || gflops <= 0)
                return ps_cli_bad_value("run", "--rate", "GFLOP/s, more than 0 and at most 1e6",
                                        optarg);
            break;
        case 'n': dry = 1; break;
        case 'q': quiet = 1; break;
        case 'L': live = 1; break;
        case 'P': live = -1; break;
        case 'h': run_usage(stdout); return PS_EXIT_OK;
        case ':':
            fprintf(stderr, "pairsweep run: option '%s' needs a value (try --help)\n",
                    argv[optind - 1]);
            return PS_EXIT_USAGE;
        default:
            fprintf(stderr, "pairsweep run: unknown option '%s' (try --help)\n",
                    argv[optind - 1]);
            return PS_EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "pairsweep run: %s (try --help)\n",
                optind >= argc ? "missing JOB.yaml" : "expected one job file");
        return PS_EXIT_USAGE;
    }
    o.job_path = argv[optind];
    if (dry)
        return dry_run(o.job_path, o.n_shards, gflops, survival);
    int bad_path = check_paths(&o);
    if (bad_path)
        return bad_path;
    o.rate = gflops * 1e9;
    if (deadline < 0) {
        double left = slurm_time_left();
        if (left > 0)
            deadline = left;
    }
    o.deadline = deadline > 0 ? deadline : 0;
    /* Under mpirun, rank 0's stdout is a pseudo-terminal whatever mpirun's own output is
     * (Open MPI forwards it through a pty): a launcher's rank prints plain lines unless --live. */
    int launched = getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMIX_RANK") || getenv("PMI_RANK");
    progress_state ps = {live > 0 || (live == 0 && !launched && isatty(STDOUT_FILENO)), 0};
    o.progress = quiet ? NULL : on_progress;
    o.user = &ps;
    o.stop = &stop_signals.count;
    o.ending = &stop_signals.ending;
    install_signals();
    ps_sweep_summary s;
    ps_err err = {0};
    int rc = ps_sweep_run(&o, &s, &err);
    if (ps.live)
        printf("\n");
    if (s.rank != 0)
        return rc ? ps_exit_status(rc) : 0;
    int status = rc ? ps_exit_status(rc) : 0;
    if (rc) {
        fprintf(stderr, "pairsweep run: %s\n", err.msg);
        if (s.output[0] && (s.stored || s.ran))
            fprintf(stderr, "pairsweep run: %d tasks are stored in %s; fix the cause and run the "
                    "same command to resume\n", (int)s.stored, s.output);
    } else {
        status = report_end(&s, quiet);
    }
    if (s.hung_ranks > 0) /* the file is closed: the MPI job ends here (MPI_Abort) */
        fprintf(stderr, "pairsweep run: %d worker rank%s stopped answering: %s task is stored "
                "as failed (timeout); ending the MPI job\n", (int)s.hung_ranks,
                s.hung_ranks > 1 ? "s" : "", s.hung_ranks > 1 ? "their" : "its");
    ps_sweep_end(&s, status);
    return status;
}
