/* pairsweep export: the exact pairs one task of a study was trained and evaluated on, written to
 * a small HDF5 file for PyTorch (python/pairsweep/data.py reads it) or any HDF5 reader.
 *
 * The task's config comes from ps_sweep_find_task (the job text of the file planned again),
 * its pairs from ps_train_sets, as the training made them.
 *
 * This is the one file outside src/store that includes hdf5.h: the store has no function that
 * writes arbitrary arrays, and this layout belongs to the export alone. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <getopt.h>
#include <hdf5.h>
#include <hdf5_hl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "pairsweep/data.h"
#include "pairsweep/path.h"
#include "pairsweep/job.h"
#include "pairsweep/train.h"
#include "pairsweep/store.h"
#include "pairsweep/sweep.h"

static void export_usage(FILE *out)
{
    fprintf(out,
            "usage: pairsweep export FILE.h5 --task ID -o PAIRS.h5 [--mnist DIR] [--force]\n"
            "\n"
            "Writes the pairs task ID of the study FILE.h5 was trained and evaluated on, as the\n"
            "training ran: each pair's two 14x14 images normalised with the mean and standard\n"
            "deviation of the task's training pairs, its target (1 when digit 1 <= digit 2) and\n"
            "its two digits. PAIRS.h5 holds /train, /test and, for a selection task, /validation\n"
            "(the fold or holdout it was validated on), each with x (n, 2, 14, 14) float32,\n"
            "target (n) and classes (n, 2) int32; the root attribute evaluated_on names the set\n"
            "of the task's eval_acc. The task's config comes from the job text in FILE.h5.\n"
            "Python: pairsweep.load_pairs(PAIRS.h5) (python/README.md).\n"
            "\n"
            "  --task ID    a task id of FILE.h5 (the task_id column of its /tasks table)\n"
            "  -o, --output FILE  the output file (an existing one only with --force; never\n"
            "               FILE.h5, its journal or an MNIST file)\n"
            "  --force      replace an existing output file\n"
            "  --mnist DIR  MNIST directory (default: the job's data.mnist, else $PS_MNIST_DIR,\n"
            "               else data/mnist)\n"
            "  -h, --help   this text\n");
}

enum { SET_TRAIN, SET_VALIDATION, SET_TEST, N_SETS };
static const char *const set_names[N_SETS] = {"train", "validation", "test"};

/* ---- the file --------------------------------------------------------------------------------- */

/* One set as a group: x (n, 2, 14, 14), target (n), classes (n, 2). */
static herr_t write_set(hid_t f, const char *name, const ps_pairs *p)
{
    hid_t g = H5Gcreate2(f, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0)
        return -1;
    hsize_t dx[4] = {(hsize_t)p->n, 2, PS_IMG, PS_IMG}, dt[1] = {(hsize_t)p->n},
            dc[2] = {(hsize_t)p->n, 2};
    herr_t e = H5LTmake_dataset_float(g, "x", 4, dx, p->x);
    if (e >= 0)
        e = H5LTmake_dataset_int(g, "target", 1, dt, p->target);
    if (e >= 0)
        e = H5LTmake_dataset_int(g, "classes", 2, dc, p->classes);
    return H5Gclose(g) < 0 ? -1 : e;
}

/* What the root attributes say about the pairs. */
typedef struct export_meta {
    const ps_task *task;
    const ps_results *r;
    const ps_mnist *m;
    float mean, std;
} export_meta;

/* A uint64 scalar attribute of the root (seeds use all 64 bits). */
static herr_t attr_u64(hid_t f, const char *name, uint64_t v)
{
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = sp < 0 ? -1 : H5Acreate2(f, name, H5T_STD_U64LE, sp, H5P_DEFAULT, H5P_DEFAULT);
    herr_t e = a < 0 ? -1 : H5Awrite(a, H5T_NATIVE_UINT64, &v);
    if (a >= 0 && H5Aclose(a) < 0)
        e = -1;
    if (sp >= 0)
        H5Sclose(sp);
    return e;
}

static herr_t write_attrs(hid_t f, const export_meta *em)
{
    const ps_train_config *c = &em->task->cfg;
    static const char *const evals[] = {"test", "kfold", "holdout"};
    char sha[4 * 65 + 4] = "";
    for (int i = 0; i < 4; i++)
        snprintf(sha + strlen(sha), sizeof sha - strlen(sha), "%s%s", i ? "\n" : "",
                 em->m->sha256[i]);
    const char *strs[][2] = {
        {"task_id", em->task->id}, {"model", c->model},
        {"phase", em->task->phase == PS_PHASE_FINAL ? "final" : "select"},
        {"evaluated_on", c->eval == PS_EVAL_TEST ? "test" : "validation"},
        {"protocol", evals[c->eval]}, {"job_name", em->r->job_name},
        {"job_sha256", em->r->job_sha256}, {"mnist_sha256", sha}};
    herr_t e = 0;
    for (size_t i = 0; e >= 0 && i < sizeof strs / sizeof strs[0]; i++)
        e = H5LTset_attribute_string(f, "/", strs[i][0], strs[i][1]);
    const int ints[] = {c->n_train, c->n_test, em->task->fold,
                        c->eval == PS_EVAL_KFOLD ? c->folds : 0,
                        c->eval == PS_EVAL_HOLDOUT ? c->holdout : 0, em->task->rep};
    static const char *const int_names[] = {"n_train", "n_test", "fold", "folds", "holdout",
                                            "rep"};
    for (size_t i = 0; e >= 0 && i < sizeof ints / sizeof ints[0]; i++)
        e = H5LTset_attribute_int(f, "/", int_names[i], &ints[i], 1);
    if (e >= 0)
        e = attr_u64(f, "seed", c->seed);
    if (e >= 0)
        e = H5LTset_attribute_float(f, "/", "mean", &em->mean, 1);
    if (e >= 0)
        e = H5LTset_attribute_float(f, "/", "std", &em->std, 1);
    return e;
}

/* Writes the sets to path (through path.tmp, renamed when whole). libhdf5 creates path.tmp by
 * name: a temporary of ours, removed first and then created exclusively (H5F_ACC_EXCL), so a
 * FIFO or a link left there is never opened. */
static int write_file(const char *path, const ps_pairs sets[N_SETS], const export_meta *em,
                      ps_err *err)
{
    char tmp[PS_PATH_MAX + 8];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
        return ps_err_set(err, PS_EINVAL, "%s: path too long", path);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    remove(tmp);
    hid_t f = H5Fcreate(tmp, H5F_ACC_EXCL, H5P_DEFAULT, H5P_DEFAULT);
    if (f < 0)
        return ps_err_set(err, PS_EIO, "%s: cannot create (%s)", tmp, strerror(errno));
    herr_t e = write_attrs(f, em);
    for (int s = 0; e >= 0 && s < N_SETS; s++)
        if (sets[s].n > 0)
            e = write_set(f, set_names[s], &sets[s]);
    if (H5Fclose(f) < 0 || e < 0) {
        remove(tmp);
        return ps_err_set(err, PS_EIO, "%s: write failed (disk full?)", tmp);
    }
    if (rename(tmp, path) != 0) {
        int en = errno;
        remove(tmp);
        return ps_err_set(err, PS_EIO, "%s: cannot rename to %s: %s", tmp, path, strerror(en));
    }
    return 0;
}

/* ---- the command ------------------------------------------------------------------------------ */

/* Loads MNIST, makes the task's sets and writes them. */
static int export_task(const char *out, const ps_task *task, const ps_job *job,
                       const ps_results *r, const char *mnist_dir, ps_err *err)
{
    const char *dir = mnist_dir ? mnist_dir : job->mnist_dir[0] ? job->mnist_dir
                                                                : ps_mnist_default_dir();
    ps_mnist m;
    int rc = ps_mnist_load(&m, dir, err);
    if (rc)
        return rc;
    ps_pairs sets[N_SETS];
    export_meta em = {task, r, &m, 0.0f, 0.0f};
    rc = ps_train_sets(&sets[SET_TRAIN], &sets[SET_VALIDATION], &sets[SET_TEST], &em.mean,
                       &em.std, &task->cfg, &m, err);
    if (!rc) {
        rc = write_file(out, sets, &em, err);
        for (int s = 0; s < N_SETS; s++)
            ps_pairs_free(&sets[s]);
    }
    ps_mnist_free(&m);
    return rc;
}

static int parse_args(const char **in, const char **id, const char **out, const char **mnist,
                      int *force, int argc, char **argv)
{
    static const struct option opts[] = {
        {"task", required_argument, NULL, 't'}, {"output", required_argument, NULL, 'o'},
        {"mnist", required_argument, NULL, 'm'}, {"force", no_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},       {NULL, 0, NULL, 0},
    };
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (c) {
        case 't': *id = optarg; break;
        case 'o': *out = optarg; break;
        case 'm': *mnist = optarg; break;
        case 'f': *force = 1; break;
        case 'h': export_usage(stdout); return -1;
        default:
            fprintf(stderr, "pairsweep export: unknown option or missing argument '%s' (try "
                    "--help)\n", argv[optind - 1]);
            return 2;
        }
    }
    if (argc - optind != 1 || !*id || !*out) {
        fprintf(stderr, "pairsweep export: expected one results file, --task ID and -o FILE "
                "(try --help)\n");
        return 2;
    }
    *in = argv[optind];
    return 0;
}

int ps_cmd_export(int argc, char **argv)
{
    const char *in = NULL, *id = NULL, *out = NULL, *mnist = NULL;
    int force = 0;
    int rc = parse_args(&in, &id, &out, &mnist, &force, argc, argv);
    if (rc)
        return rc < 0 ? 0 : rc;
    ps_results r;
    ps_err err = {0};
    /* the paths, before any work: the output never replaces an input, nor an existing file
     * unless --force */
    if ((mnist && (rc = ps_cli_check_mnist_dir(mnist, &err))) ||
        (rc = ps_cli_check_results(in, &err)) ||
        (rc = ps_cli_check_output(out, mnist ? mnist : ps_mnist_default_dir(), in,
                                  force ? PS_PATH_REPLACE : 0, "the pairs file PAIRS.h5",
                                  "--force", &err)))
        return ps_cli_fail("export", rc, &err);
    rc = ps_results_read(&r, in, &err);
    if (!rc) {
        ps_task task;
        ps_job job;
        rc = ps_sweep_find_task(&task, &job, &r, in, id, &err);
        if (!rc) {
            rc = export_task(out, &task, &job, &r, mnist, &err);
            ps_job_free(&job);
        }
        ps_results_free(&r);
    }
    if (rc) {
        fprintf(stderr, "pairsweep export: %s\n", err.msg);
        return ps_exit_status(rc);
    }
    return 0;
}
