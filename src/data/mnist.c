/* MNIST as the reports use it: the four idx files of a directory, pooled to 14×14 while they
 * stream in (the 28×28 bytes of a whole set are never held). */
#define _POSIX_C_SOURCE 200809L
#include "pairsweep/data.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Where an installed pairsweep keeps its data (CMake: GNUInstallDirs), absolute and relative to
 * the folder of the installed binary; the defaults are for a build without them. */
#ifndef PS_DATADIR
#define PS_DATADIR "/usr/local/share/pairsweep"
#endif
#ifndef PS_BIN_TO_DATADIR
#define PS_BIN_TO_DATADIR "../share/pairsweep"
#endif

static const char *const mnist_names[4] = {
    "train-images-idx3-ubyte", "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte",
};

static const char *const mnist_sums[4] = {
    PS_MNIST_SHA256_0, PS_MNIST_SHA256_1, PS_MNIST_SHA256_2, PS_MNIST_SHA256_3,
};

const char *ps_mnist_reference_sha256(int i)
{
    return (i >= 0 && i < 4) ? mnist_sums[i] : "";
}

const char *ps_mnist_file_name(int i)
{
    return (i >= 0 && i < 4) ? mnist_names[i] : "";
}

const char *ps_mnist_default_dir(void)
{
    const char *d = getenv("PS_MNIST_DIR");
    return (d && *d) ? d : PS_MNIST_SEARCH;
}

/* Writes dir/NAME, or else dir/NAME.gz, into path when it exists: 0, else -1. */
static int locate(char path[PS_PATH_MAX], const char *dir, const char *name)
{
    struct stat st;
    if (snprintf(path, PS_PATH_MAX, "%s/%s", dir, name) < PS_PATH_MAX && stat(path, &st) == 0)
        return 0;
    if (snprintf(path, PS_PATH_MAX, "%s/%s.gz", dir, name) < PS_PATH_MAX && stat(path, &st) == 0)
        return 0;
    return -1;
}

/* Finds dir/NAME or dir/NAME.gz; writes the one found into path. */
static int find_file(char path[PS_PATH_MAX], const char *dir, const char *name, ps_err *err)
{
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return ps_err_set(err, PS_EINVAL,
                          "%s: MNIST directory not found (expected a directory holding %s "
                          "and the other idx files; run scripts/setup.sh or pass --mnist DIR)",
                          dir, name);
    if (locate(path, dir, name) == 0)
        return 0;
    return ps_err_set(err, PS_EINVAL, "%s/%s: MNIST file not found (nor %s.gz)", dir, name, name);
}

/* dir/rel into out, rel's leading "../" taken off dir's tail, so that the same folder reached
 * two ways reads the same; 0, or -1 when it does not fit. */
static int join_path(char out[PS_PATH_MAX], const char *dir, const char *rel)
{
    char base[PS_PATH_MAX];
    if (snprintf(base, sizeof base, "%s", dir) >= (int)sizeof base)
        return -1;
    while (!strncmp(rel, "../", 3)) {
        char *slash = strrchr(base, '/');
        if (!slash || slash == base)
            break;
        *slash = '\0';
        rel += 3;
    }
    return snprintf(out, PS_PATH_MAX, "%s/%s", base, rel) >= PS_PATH_MAX ? -1 : 0;
}

/* The installation's data folder beside the running program (<prefix>/bin/pairsweep:
 * <prefix>/share/pairsweep, wherever the prefix was moved); 0, or -1 when it cannot be told. */
static int data_dir_of_program(char out[PS_PATH_MAX])
{
    char exe[PS_PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0 || n >= (ssize_t)sizeof exe - 1)
        return -1;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash)
        return -1;
    *slash = '\0';
    return join_path(out, exe, PS_BIN_TO_DATADIR);
}

/* Installation folder k (0: beside the program, 1: the configured one) joined with name, into
 * out: 1, or 0 when it cannot be told or folder 1 is folder 0 again. */
static int share_candidate(char out[PS_PATH_MAX], const char *name, int k)
{
    char dir[PS_PATH_MAX], first[PS_PATH_MAX];
    if (k == 0)
        return !data_dir_of_program(dir) && !join_path(out, dir, name);
    if (join_path(out, PS_DATADIR, name))
        return 0;
    return !share_candidate(first, name, 0) || strcmp(first, out) != 0;
}

int ps_data_share_path(char path[PS_PATH_MAX], const char *name)
{
    struct stat st;
    for (int k = 0; k < 2; k++)
        if (share_candidate(path, name, k) && stat(path, &st) == 0)
            return 0;
    return PS_EINVAL;
}

/* Candidate i (0, 1, ...) of the MNIST search order into out: 1, 0 when it does not apply
 * (no $HOME, a path too long, the same folder as before), -1 past the last. The order:
 * ./data/mnist (a checkout), $XDG_DATA_HOME/pairsweep/mnist (default ~/.local/share/...),
 * then the installation's share/pairsweep/mnist (ps_data_share_path's two folders). */
static int mnist_candidate(char out[PS_PATH_MAX], int i)
{
    const char *xdg = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
    switch (i) {
    case 0: return snprintf(out, PS_PATH_MAX, "data/mnist") > 0;
    case 1:
        if (xdg && *xdg)
            return !join_path(out, xdg, "pairsweep/mnist");
        return home && *home && !join_path(out, home, ".local/share/pairsweep/mnist");
    case 2:
    case 3: return share_candidate(out, "mnist", i - 2);
    default: return -1;
    }
}

/* The MNIST folder when none is given: the first candidate holding the training images
 * (raw or .gz), into dir; else PS_EINVAL naming every place searched. */
static int search_mnist(char dir[PS_PATH_MAX], ps_err *err)
{
    char tried[400] = "", path[PS_PATH_MAX];
    for (int i = 0, k; (k = mnist_candidate(dir, i)) >= 0; i++) {
        if (!k)
            continue;
        if (locate(path, dir, mnist_names[0]) == 0)
            return 0;
        size_t used = strlen(tried);
        if (snprintf(tried + used, sizeof tried - used, "%s%s", used ? ", " : "", dir) < 0)
            break;
    }
    return ps_err_set(err, PS_EINVAL, "MNIST not found: no %s (nor .gz) in %s; pass --mnist "
                      "DIR, set PS_MNIST_DIR, or put the four idx files in one of these "
                      "(scripts/setup.sh fetches them)", mnist_names[0], tried);
}

/* Images read and pooled at a time: 64 × 784 bytes, small enough for the cache. */
#define LOAD_BLOCK 64

/* Puts "path: " before the message of err; returns rc. */
static int name_file(ps_err *err, int rc, const char *path)
{
    if (!err)
        return rc;
    char why[sizeof err->msg];
    snprintf(why, sizeof why, "%s", err->msg);
    return ps_err_set(err, rc, "%s: %s", path, why);
}

/* Streams the images of one set into set (room for s->n images, their labels y (s->n)),
 * LOAD_BLOCK images at a time. */
static int pool_stream(ps_pooled *set, ps_idx_stream *s, const uint8_t *y, ps_err *err)
{
    uint8_t block[LOAD_BLOCK * 4 * PS_IMG_PIXELS]; /* (LOAD_BLOCK, 28, 28) */
    uint16_t sums[LOAD_BLOCK * PS_IMG_PIXELS];     /* (LOAD_BLOCK, 14, 14) */
    for (int32_t i = 0; i < s->n; i += LOAD_BLOCK) {
        int32_t k = s->n - i < LOAD_BLOCK ? s->n - i : LOAD_BLOCK;
        int rc = ps_idx_stream_read(s, block, k, err);
        if (rc)
            return rc;
        ps_pool2x2_sum(sums, block, k, 2 * PS_IMG, 2 * PS_IMG);
        if ((rc = ps_pooled_add(set, sums, y + i, k, err)))
            return name_file(err, rc, s->path);
    }
    return ps_idx_stream_finish(s, err);
}

/* Reads one images + labels pair, pooling the images while they stream in: the image header
 * (magic, dimensions, 28 × 28), the labels, the counts, then the pixels. */
static int load_set(ps_pooled *set, const char *ipath, const char *lpath, ps_err *err)
{
    ps_idx_stream s;
    ps_idx_labels lab = {0};
    ps_pooled t = {0};
    int rc = ps_idx_stream_open(&s, ipath, err);
    if (rc)
        return rc;
    if (s.rows != 2 * PS_IMG || s.cols != 2 * PS_IMG) {
        rc = ps_err_set(err, PS_EFORMAT, "%s: images are %d x %d, expected 28 x 28", ipath,
                        s.rows, s.cols);
        goto fail;
    }
    /* The labels first: their count, checked against the images' header, bounds the size of
     * the pooled set by what a real file holds (an image header may lie). */
    if ((rc = ps_idx_read_labels(&lab, lpath, err)))
        goto fail;
    if (s.n != lab.n) {
        rc = ps_err_set(err, PS_EFORMAT, "%s: %d labels, but %s has %d images", lpath, lab.n,
                        ipath, s.n);
        goto fail;
    }
    if ((rc = ps_pooled_init(&t, s.n, err))) {
        rc = name_file(err, rc, ipath);
        goto fail;
    }
    if ((rc = pool_stream(&t, &s, lab.labels, err)))
        goto fail;
    ps_idx_labels_free(&lab);
    *set = t;
    return 0;
fail:
    ps_idx_stream_close(&s);
    ps_idx_labels_free(&lab);
    ps_pooled_free(&t);
    return rc;
}

int ps_mnist_load(ps_mnist *m, const char *dir, ps_err *err)
{
    ps_mnist t;
    memset(&t, 0, sizeof t);
    int rc = 0;
    if (!dir || !*dir) {
        if ((rc = search_mnist(t.dir, err)))
            return rc;
        dir = t.dir;
    } else {
        snprintf(t.dir, sizeof t.dir, "%s", dir);
    }
    for (int i = 0; i < 4; i++)
        if ((rc = find_file(t.path[i], dir, mnist_names[i], err)))
            return rc;
    if ((rc = load_set(&t.train, t.path[0], t.path[1], err)))
        goto fail;
    if ((rc = load_set(&t.test, t.path[2], t.path[3], err)))
        goto fail;
    for (int i = 0; i < 4; i++)
        if ((rc = ps_sha256_file(t.sha256[i], t.path[i], err)))
            goto fail;
    *m = t;
    return 0;
fail:
    ps_mnist_free(&t);
    return rc;
}

void ps_mnist_free(ps_mnist *m)
{
    ps_pooled_free(&m->train);
    ps_pooled_free(&m->test);
    memset(m, 0, sizeof *m);
}
