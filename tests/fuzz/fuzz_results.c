/* libFuzzer harness: the results reader (ps_results_read_trusted: the HDF5 file and its
 * journal).
 *
 * The first byte of an input chooses what the rest is:
 *   bit 0 clear: the rest is the results file itself (HDF5 or anything), with no journal;
 *   bit 0 set:   the rest is the journal FILE.h5.journal beside a valid results file made once
 *                at start-up (LLVMFuzzerInitialize, through the store's own writer);
 *                bit 1 set: the harness writes the journal's 80-byte header (with the right
 *                job SHA-256) and the rest are records; bit 2 set: the harness fixes the
 *                CRC-32 of every record it can walk, so mutations reach the decoder behind it.
 * Besides crashes, sanitizer reports and leaks, it checks the contract: success gives
 * consistent arrays; failure is one line naming the file.
 *
 * Corrupt HDF5 files: libhdf5 (Debian's 1.10.8) itself is not robust against them (the
 * fuzzer finds heap overflows inside the library within a minute: docs/hardening-findings.md),
 * and no code of ours can stop that once H5Fopen is called. So by default a mode-0 input that
 * holds the HDF5 signature anywhere is skipped, and the CI stage fuzzes what is ours: the
 * refusal of files that are not HDF5, the journal reader and the merging of journal records.
 * PS_FUZZ_HDF5=1 fuzzes corrupt HDF5 files too (exploration, not CI).
 *
 * PS_FUZZ_MAKE_SEEDS=DIR: write the seed corpus (a small results file, journals) into DIR and
 * exit; tests/fuzz/corpus/results/ was made so. */
#define _GNU_SOURCE /* memmem */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "pairsweep/store.h"
#include "test_store_fixture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken contract: say which (the check-fuzz log shows it), then crash so libFuzzer keeps
 * the input. */
#define BROKEN(why, msg) \
    do { \
        fprintf(stderr, "fuzz_results: CONTRACT BROKEN: %s: %s\n", why, msg); \
        __builtin_trap(); \
    } while (0)
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define JOB_TEXT "name: fuzz\nmodels:\n  - name: cnn\n"
#define JHDR 80

static char dir[200], in_h5[256], base_h5[256], base_journal[256], job_sha[65];
static int fuzz_hdf5; /* PS_FUZZ_HDF5=1: corrupt HDF5 files too */

static void die(const char *what, const ps_err *err)
{
    fprintf(stderr, "fuzz_results: %s: %s\n", what, err ? err->msg : "");
    abort();
}

static void add_result(ps_store *s, int32_t phase, int32_t grid, int32_t fold, int32_t rep,
                       unsigned salt)
{
    ps_task t;
    ps_train_result r;
    ps_err err = {0};
    fixture_task(&t, phase, "cnn", 0, grid, fold, rep);
    fixture_result(&r, 3, 0.8f + 0.01f * (float)salt, 0.2f, salt);
    if (ps_store_add(s, &t, &r, 1, &err))
        die("ps_store_add", &err);
    fixture_result_free(&r);
}

/* A results file of 3 rows, a grid table and a selection, closed (checkpointed, no journal). */
static void make_base(const char *path)
{
    ps_store_meta m;
    ps_store *s;
    ps_err err = {0};
    fixture_meta(&m, "fuzz", JOB_TEXT, 4);
    if (ps_store_open(&s, path, &m, 1, &err))
        die("ps_store_open", &err);
    ps_store_grid_row g[2];
    memset(g, 0, sizeof g);
    for (int i = 0; i < 2; i++) {
        strcpy(g[i].model, "cnn");
        g[i].grid = i;
        g[i].batch_size = 50;
        g[i].lr = 0.1f;
        g[i].epochs = 3;
    }
    if (ps_store_write_grid(s, g, 2, &err))
        die("ps_store_write_grid", &err);
    add_result(s, 0, 0, 0, 0, 1);
    add_result(s, 0, 1, 0, 0, 2);
    add_result(s, 1, 1, -1, 0, 3);
    ps_store_selection sel = {"cnn", 1, 0.8f, 0.01f, 1};
    if (ps_store_set_selection(s, &sel, &err) || ps_store_close(s, 0, &err))
        die("ps_store_set_selection/close", &err);
}

static void *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)n + 1);
    if (!b || fread(b, 1, (size_t)n, f) != (size_t)n)
        abort();
    fclose(f);
    *len = (size_t)n;
    return b;
}

static void put_file(const char *path, const void *a, size_t na, const void *b, size_t nb)
{
    FILE *f = fopen(path, "wb");
    if (!f || (na && fwrite(a, 1, na, f) != na) || (nb && fwrite(b, 1, nb, f) != nb))
        abort();
    fclose(f);
}

/* The seed corpus: the base file (mode 0), and its journal with two more results and a
 * selection, as written by the store before a checkpoint (modes 1, 3 and 7). */
static void make_seeds(const char *out)
{
    char p[300], q[300];
    snprintf(p, sizeof p, "%s/seedgen.h5", dir);
    make_base(p);
    size_t n;
    unsigned char *h5 = slurp(p, &n);
    unsigned char mode = 0;
    snprintf(q, sizeof q, "%s/results-file", out);
    put_file(q, &mode, 1, h5, n);
    free(h5);

    ps_store_meta m;
    ps_store *s;
    ps_err err = {0};
    fixture_meta(&m, "fuzz", JOB_TEXT, 4);
    if (ps_store_open(&s, p, &m, 0, &err))
        die("ps_store_open (resume)", &err);
    ps_store_set_checkpoint(s, 1000000, 1e9);
    add_result(s, 1, 1, -1, 1, 4);
    add_result(s, 1, 1, -1, 2, 5);
    ps_store_selection sel = {"cnn", 1, 0.85f, 0.02f, 1};
    if (ps_store_set_selection(s, &sel, &err))
        die("ps_store_set_selection", &err);
    snprintf(q, sizeof q, "%s.journal", p);
    unsigned char *j = slurp(q, &n);
    if (!j || n <= JHDR)
        die("no journal written", NULL);
    mode = 1;
    snprintf(q, sizeof q, "%s/journal-whole", out);
    put_file(q, &mode, 1, j, n);
    mode = 3;
    snprintf(q, sizeof q, "%s/journal-records", out);
    put_file(q, &mode, 1, j + JHDR, n - JHDR);
    mode = 7;
    snprintf(q, sizeof q, "%s/journal-records-crc", out);
    put_file(q, &mode, 1, j + JHDR, n - JHDR - 7); /* the last record torn */
    free(j);
    ps_store_close(s, 0, &err);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(dir, sizeof dir, "%s/ps-fuzz-results-%ld", tmp, (long)getpid());
    mkdir(dir, 0700);
    snprintf(in_h5, sizeof in_h5, "%s/in.h5", dir);
    snprintf(base_h5, sizeof base_h5, "%s/base.h5", dir);
    snprintf(base_journal, sizeof base_journal, "%s/base.h5.journal", dir);
    ps_sha256_hex(job_sha, JOB_TEXT, strlen(JOB_TEXT));
    const char *h = getenv("PS_FUZZ_HDF5");
    fuzz_hdf5 = h && !strcmp(h, "1");
    const char *seeds = getenv("PS_FUZZ_MAKE_SEEDS");
    if (seeds && *seeds) {
        make_seeds(seeds);
        exit(0);
    }
    make_base(base_h5);
    return 0;
}

/* Walks the records of a journal body (after the header) and writes the right CRC-32 after
 * each payload whose length fits. */
static void fix_crcs(unsigned char *j, size_t n)
{
    size_t off = JHDR;
    while (off + 16 <= n) {
        uint64_t len;
        memcpy(&len, j + off + 8, 8);
        if (len > n - off - 16 || n - off - 16 - len < 4)
            break;
        uint32_t crc = (uint32_t)crc32(0L, j + off + 16, (uInt)len);
        memcpy(j + off + 16 + len, &crc, 4);
        off += 20 + (size_t)len;
    }
}

static void check_results(const ps_results *r)
{
    if (r->n_rows < 0 || r->n_grid < 0 || r->n_sel < 0 || r->epochs_max < 0 ||
        r->n_journal < 0 || r->n_journal > r->n_rows)
        BROKEN("negative or inconsistent counts", r->job_name);
    size_t cells = (size_t)r->n_rows * (size_t)r->epochs_max;
    float sum = 0;
    const float *cv[4] = {r->train_loss, r->train_acc, r->eval_loss, r->eval_acc};
    for (int k = 0; k < 4; k++) {
        if (cells && !cv[k])
            BROKEN("curves missing", r->job_name);
        for (size_t c = 0; c < cells; c++)
            sum += cv[k][c];
    }
    for (int32_t i = 0; i < r->n_rows; i++)
        if (strnlen(r->rows[i].task_id, sizeof r->rows[i].task_id) == sizeof r->rows[i].task_id ||
            strnlen(r->rows[i].model, sizeof r->rows[i].model) == sizeof r->rows[i].model)
            BROKEN("a /tasks string without its NUL", r->job_name);
    for (int32_t i = 0; i < r->n_sel; i++)
        if (strnlen(r->sel[i].model, sizeof r->sel[i].model) == sizeof r->sel[i].model)
            BROKEN("a /selection string without its NUL", r->job_name);
    if (strnlen(r->job_sha256, sizeof r->job_sha256) == sizeof r->job_sha256)
        BROKEN("job_sha256 without its NUL", "");
    (void)sum;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    unsigned mode = data[0];
    const char *path;
    data++;
    size--;
    if (!(mode & 1)) {
        static const unsigned char sig[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
        if (!fuzz_hdf5 && memmem(data, size, sig, sizeof sig))
            return 0;
        put_file(in_h5, data, size, NULL, 0);
        path = in_h5;
    } else {
        unsigned char *j = malloc(JHDR + size + 1);
        size_t n = 0;
        if (mode & 2) {
            memset(j, 0, JHDR);
            memcpy(j, "PSJOURNAL1\n", 11);
            memcpy(j + 16, job_sha, 64);
            n = JHDR;
        }
        memcpy(j + n, data, size);
        n += size;
        if (mode & 4)
            fix_crcs(j, n);
        put_file(base_journal, j, n, NULL, 0);
        free(j);
        path = base_h5;
    }
    ps_results r;
    ps_err err;
    memset(&err, 0, sizeof err);
    /* the reader itself, without the guard of ps_results_read (a child process that reads the
     * file first, so that a libhdf5 crash becomes a refusal): a fork per input would slow the
     * fuzzer down and hide the library's crashes; tests/hardening covers the guard */
    int rc = ps_results_read_trusted(&r, path, &err);
    if (rc == 0) {
        check_results(&r);
        ps_results_free(&r);
    } else if (strncmp(err.msg, path, strlen(path)) != 0 || strchr(err.msg, '\n')) {
        BROKEN("the message is not one line starting with the file name", err.msg);
    }
    if (mode & 1)
        unlink(base_journal);
    return 0;
}
