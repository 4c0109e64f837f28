/* Tests of src/common: the task-id set (ps_idset), the path checks of pairsweep/path.h (special files refused without
 * blocking, outputs that are inputs under another name, existing outputs), ps_err_rename and
 * the exit-status table. */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "pairsweep/common.h"
#include "pairsweep/idset.h"
#include "pairsweep/path.h"

static char tmpdir[256];

static const char *tpath(const char *name)
{
    static char buf[8][512];
    static int k;
    k = (k + 1) % 8;
    snprintf(buf[k], sizeof buf[k], "%s/%s", tmpdir, name);
    return buf[k];
}

static void touch(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

/* rc is code and err names path and says what, on one line. */
static int refused(int rc, const ps_err *err, int code, const char *path, const char *what)
{
    if (rc != code || !strstr(err->msg, path) || !strstr(err->msg, what) ||
        strchr(err->msg, '\n')) {
        fprintf(stderr, "expected %d naming %s and '%s', got %d: %s\n", code, path, what, rc,
                err->msg);
        return 0;
    }
    return 1;
}

static void test_idset_put_get(void)
{
    ps_idset s;
    CHECK_EQ_INT(ps_idset_init(&s, 0), 0);
    CHECK_EQ_INT(ps_idset_get(&s, "0123456789abcdef"), -1);
    CHECK_EQ_INT(ps_idset_put(&s, "0123456789abcdef", 7), 0);
    CHECK_EQ_INT(ps_idset_put(&s, "t1", 0), 0);
    CHECK_EQ_INT(ps_idset_get(&s, "0123456789abcdef"), 7);
    CHECK_EQ_INT(ps_idset_get(&s, "t1"), 0);
    CHECK_EQ_INT(ps_idset_get(&s, "t"), -1);
    CHECK_EQ_INT(ps_idset_get(&s, "t12"), -1);
    /* a second put keeps the first index */
    CHECK_EQ_INT(ps_idset_put(&s, "t1", 3), 1);
    CHECK_EQ_INT(ps_idset_get(&s, "t1"), 0);
    CHECK_EQ_INT((int)s.n, 2);
    ps_idset_clear(&s);
    CHECK_EQ_INT(ps_idset_get(&s, "t1"), -1);
    CHECK_EQ_INT((int)s.n, 0);
    ps_idset_free(&s);
    CHECK_EQ_INT(ps_idset_get(&s, "t1"), -1); /* a freed set holds nothing */
}

/* Growing from the smallest room to thousands of ids keeps every index. */
static void test_idset_grow(void)
{
    ps_idset s;
    CHECK_EQ_INT(ps_idset_init(&s, 1), 0);
    char id[32];
    for (int i = 0; i < 5000; i++) {
        snprintf(id, sizeof id, "%016x", (unsigned)i * 2654435761u);
        CHECK_EQ_INT(ps_idset_put(&s, id, i), 0);
    }
    CHECK_EQ_INT((int)s.n, 5000);
    CHECK(s.cap >= 10000);
    for (int i = 0; i < 5000; i++) {
        snprintf(id, sizeof id, "%016x", (unsigned)i * 2654435761u);
        CHECK_EQ_INT(ps_idset_get(&s, id), i);
    }
    CHECK_EQ_INT(ps_idset_get(&s, "ffffffffffffffff"), -1);
    ps_idset_free(&s);
}

static void test_check_kinds(void)
{
    ps_err err = {0};
    const char *f = tpath("file"), *d = tpath("dir"), *p = tpath("fifo");
    touch(f, "x");
    mkdir(d, 0777);
    CHECK_EQ_INT(mkfifo(p, 0666), 0);
    CHECK_EQ_INT(ps_path_check(f, PS_PATH_FILE, "a file", &err), 0);
    CHECK_EQ_INT(ps_path_check(d, PS_PATH_DIR, "a dir", &err), 0);
    CHECK(refused(ps_path_check(d, PS_PATH_FILE, "the job", &err), &err, PS_EINVAL, d,
                  "is a directory, not a regular file (expected the job)"));
    CHECK(refused(ps_path_check(p, PS_PATH_FILE, "the job", &err), &err, PS_EINVAL, p, "FIFO"));
    CHECK(refused(ps_path_check(f, PS_PATH_DIR, "MNIST", &err), &err, PS_EINVAL, f,
                  "not a directory"));
    CHECK(refused(ps_path_check("/dev/null", PS_PATH_FILE, "x", &err), &err, PS_EINVAL,
                  "/dev/null", "character device"));
    CHECK(refused(ps_path_check(tpath("nope"), PS_PATH_FILE, "x", &err), &err, PS_EINVAL,
                  tpath("nope"), "does not exist"));
    CHECK_EQ_INT(ps_path_check(tpath("nope"), PS_PATH_FILE | PS_PATH_OPTIONAL, "x", &err), 1);
    CHECK(refused(ps_path_check(tpath("file/x"), PS_PATH_FILE, "x", &err), &err, PS_EINVAL,
                  tpath("file/x"), "does not exist"));
}

static void on_alarm(int sig)
{
    (void)sig;
    static const char msg[] = "test_common: blocked opening a FIFO\n";
    if (write(2, msg, sizeof msg - 1) < 0)
        _exit(3);
    _exit(2);
}

static void test_open_read(void)
{
    ps_err err = {0};
    int fd = -1;
    const char *f = tpath("read"), *p = tpath("fifo2");
    touch(f, "hello");
    CHECK_EQ_INT(ps_path_open_read(&fd, f, "x", &err), 0);
    char buf[8] = "";
    CHECK_EQ_INT(read(fd, buf, sizeof buf), 5);
    CHECK_EQ_INT(fcntl(fd, F_GETFL) & O_NONBLOCK, 0); /* blocking again */
    close(fd);
    /* a FIFO with no writer: a plain open would block forever */
    CHECK_EQ_INT(mkfifo(p, 0666), 0);
    signal(SIGALRM, on_alarm);
    alarm(10);
    fd = -1;
    CHECK(refused(ps_path_open_read(&fd, p, "an idx file", &err), &err, PS_EINVAL, p, "FIFO"));
    alarm(0);
    CHECK_EQ_INT(fd, -1);
    CHECK(refused(ps_path_open_read(&fd, tmpdir, "x", &err), &err, PS_EINVAL, tmpdir,
                  "is a directory"));
}

static void test_output(void)
{
    ps_err err = {0};
    const char *in = tpath("in.h5"), *sym = tpath("link.h5"), *hard = tpath("hard.h5");
    touch(in, "data");
    CHECK_EQ_INT(symlink(in, sym), 0);
    CHECK_EQ_INT(link(in, hard), 0);
    const char *inputs[] = {tpath("missing-input"), in};
    CHECK_EQ_INT(ps_path_check_output(tpath("new.h5"), inputs, 2, 0, "OUT", "--force", &err), 0);
    CHECK(refused(ps_path_check_output(tpath("no/new.h5"), inputs, 2, 0, "OUT", "--force", &err),
                  &err, PS_EINVAL, tpath("no/new.h5"), "does not exist"));
    const char *other = tpath("other.h5");
    touch(other, "x");
    CHECK(refused(ps_path_check_output(other, inputs, 2, 0, "OUT", "--force", &err), &err,
                  PS_EINVAL, other, "pass --force to replace it"));
    CHECK_EQ_INT(ps_path_check_output(other, inputs, 2, PS_PATH_REPLACE, "OUT", "-f", &err), 0);
    /* an input under another name is refused, even when replacing is allowed */
    char dotted[600];
    snprintf(dotted, sizeof dotted, "%s/./in.h5", tmpdir);
    const char *same[] = {in, sym, hard, dotted};
    for (int i = 0; i < 4; i++)
        CHECK(refused(ps_path_check_output(same[i], inputs, 2, PS_PATH_REPLACE, "OUT", "-f",
                                           &err), &err, PS_EINVAL, same[i], "is the input"));
    CHECK(refused(ps_path_check_output(tmpdir, inputs, 2, PS_PATH_REPLACE, "OUT", "-f", &err),
                  &err, PS_EINVAL, tmpdir, "is a directory"));
}

static void test_output_dir(void)
{
    ps_err err = {0};
    const char *d = tpath("out"), *f = tpath("out/table.csv");
    CHECK_EQ_INT(ps_path_check_output_dir(d, 0, "DIR", "--force", &err), 1);
    CHECK(refused(ps_path_check_output_dir(tpath("no/out"), 0, "DIR", "--force", &err), &err,
                  PS_EINVAL, tpath("no/out"), "does not exist"));
    mkdir(d, 0777);
    CHECK_EQ_INT(ps_path_check_output_dir(d, 0, "DIR", "--force", &err), 0);
    touch(f, "x");
    CHECK(refused(ps_path_check_output_dir(d, 0, "DIR", "--force", &err), &err, PS_EINVAL, d,
                  "is not empty"));
    CHECK_EQ_INT(ps_path_check_output_dir(d, PS_PATH_REPLACE, "DIR", "--force", &err), 0);
    CHECK(refused(ps_path_check_output_dir(f, 0, "DIR", "--force", &err), &err, PS_EINVAL, f,
                  "not a directory"));
}

static void test_err_rename(void)
{
    ps_err err = {0};
    ps_err_set(&err, PS_EIO, "r/x.h5.tmp: write failed: No space left on device");
    ps_err_rename(&err, "r/x.h5.tmp", "r/x.h5");
    CHECK_STR_CONTAINS(err.msg, "r/x.h5: write failed: No space left on device");
    CHECK(!strstr(err.msg, ".tmp"));
    ps_err_set(&err, PS_EIO, "r/x.h5: cannot rename r/x.h5.tmp over it: Is a directory");
    ps_err_rename(&err, "r/x.h5.tmp", "r/x.h5");
    CHECK_STR_CONTAINS(err.msg, "r/x.h5: cannot rename a temporary file over it: Is a directory");
    ps_err_set(&err, PS_EIO, "other: untouched");
    ps_err_rename(&err, "r/x.h5.tmp", "r/x.h5");
    CHECK_STR_CONTAINS(err.msg, "other: untouched");
    ps_err_rename(NULL, "a", "b"); /* harmless */
}

static void test_exit_status(void)
{
    CHECK_EQ_INT(ps_exit_status(PS_OK), PS_EXIT_OK);
    CHECK_EQ_INT(ps_exit_status(PS_EINVAL), PS_EXIT_USAGE);
    CHECK_EQ_INT(ps_exit_status(PS_EFORMAT), PS_EXIT_USAGE);
    CHECK_EQ_INT(ps_exit_status(PS_ESTATE), PS_EXIT_USAGE);
    CHECK_EQ_INT(ps_exit_status(PS_EIO), PS_EXIT_FAILURE);
    CHECK_EQ_INT(ps_exit_status(PS_ENOMEM), PS_EXIT_FAILURE);
    CHECK_EQ_INT(ps_exit_status(PS_EDIVERGED), PS_EXIT_FAILURE);
    CHECK_EQ_INT(ps_exit_status(PS_EINTR), PS_EXIT_STOPPED);
    CHECK_EQ_INT(PS_EXIT_OK, 0);
    CHECK_EQ_INT(PS_EXIT_FAILURE, 1);
    CHECK_EQ_INT(PS_EXIT_USAGE, 2);
    CHECK_EQ_INT(PS_EXIT_STOPPED, 3);
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/ps_test_common_XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    static const check_test tests[] = {
        T(test_idset_put_get), T(test_idset_grow), T(test_check_kinds), T(test_open_read), T(test_output), T(test_output_dir),
        T(test_err_rename), T(test_exit_status),
    };
    int rc = check_run(tests, (int)(sizeof tests / sizeof tests[0]));
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
    return rc;
}
