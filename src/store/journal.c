/* pairsweep store — the journal of finished results. */
#define _POSIX_C_SOURCE 200809L
#include "journal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>
#include <zlib.h>

#include "fsio.h"
#include "pairsweep/path.h"

#define MAGIC 0x4A525350u /* "PSRJ" little-endian */
#define HDR_TAG "PSJOURNAL1\n"

void ps__jrec_free(ps__jrec *r)
{
    for (int k = 0; k < 4; k++)
        free(r->curves[k]);
    free(r->views);
    free(r->out);
    if (!r->payload)
        free(r->state);
    free(r->payload);
    memset(r, 0, sizeof *r);
}

/* The journal is opened through path.h (a regular file, never a FIFO or a device: the
 * results file's name + ".journal" is the user's path too). */
#define WHAT "the journal of a results file"

int ps__journal_create(int *fd, const char *path, const char *sha, ps_err *err)
{
    int f;
    int rc = ps_path_open(&f, path, O_RDWR | O_CREAT | O_TRUNC, WHAT, err);
    if (rc)
        return rc;
    char hdr[PS__JOURNAL_HEADER];
    memset(hdr, 0, sizeof hdr);
    memcpy(hdr, HDR_TAG, strlen(HDR_TAG));
    memcpy(hdr + 16, sha, 64);
    int e = ps__write_all(f, hdr, sizeof hdr);
    if (!e && fsync(f) != 0)
        e = errno;
    if (e) {
        close(f);
        return ps__write_error(path, e, err);
    }
    *fd = f;
    return 0;
}

static int pread_all(int fd, void *dst, size_t n, off_t off)
{
    unsigned char *p = dst;
    while (n > 0) {
        ssize_t r = pread(fd, p, n, off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        p += r;
        n -= (size_t)r;
        off += r;
    }
    return 0;
}

/* Validates the record at off; returns its total length or 0. */
static off_t record_len(int fd, off_t off, off_t size, unsigned char **payload)
{
    uint32_t h[2];
    uint64_t len;
    if (off + 16 > size || pread_all(fd, h, 8, off) || pread_all(fd, &len, 8, off + 8))
        return 0;
    if (h[0] != MAGIC || h[1] < PS__J_RESULT || h[1] > PS__J_RACE ||
        len > (uint64_t)(size - off - 16) || (off_t)len + 20 > size - off)
        return 0;
    unsigned char *p = malloc(len ? len : 1);
    uint32_t crc;
    if (!p || pread_all(fd, p, len, off + 16) || pread_all(fd, &crc, 4, off + 16 + (off_t)len) ||
        crc != (uint32_t)crc32(0L, p, (uInt)len)) {
        free(p);
        return 0;
    }
    if (payload)
        *payload = p;
    else
        free(p);
    return 20 + (off_t)len;
}

int ps__journal_open(int *fd, off_t *end, int *hdr_ok, const char *path, const char *sha,
                     int writable, ps_err *err)
{
    int f;
    int rc = ps_path_open(&f, path, writable ? O_RDWR : O_RDONLY, WHAT, err);
    if (rc)
        return rc;
    off_t size = lseek(f, 0, SEEK_END);
    char hdr[PS__JOURNAL_HEADER];
    *hdr_ok = size >= PS__JOURNAL_HEADER && !pread_all(f, hdr, sizeof hdr, 0) &&
              !memcmp(hdr, HDR_TAG, strlen(HDR_TAG));
    if (*hdr_ok && memcmp(hdr + 16, sha, 64) != 0) {
        close(f);
        return ps_err_set(err, PS_ESTATE, "%s: journal of another job (remove it, or use "
                          "--restart)", path);
    }
    off_t off = PS__JOURNAL_HEADER, l;
    if (*hdr_ok)
        while ((l = record_len(f, off, size, NULL)) > 0)
            off += l;
    if (*hdr_ok && off < size && writable && (ftruncate(f, off) != 0 || fsync(f) != 0)) {
        close(f);
        return ps_err_set(err, PS_EIO, "%s: cannot cut the torn last record: %s", path,
                          strerror(errno));
    }
    *fd = f;
    *end = *hdr_ok ? off : PS__JOURNAL_HEADER;
    return 0;
}

int ps__journal_lock(int fd, const char *path, ps_err *err)
{
    struct flock fl;
    memset(&fl, 0, sizeof fl);
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    if (fcntl(fd, F_SETLK, &fl) != 0)
        return ps_err_set(err, PS_ESTATE, "%s: another pairsweep process is writing this study",
                          path);
    return 0;
}

enum { MAX_PIECES = 16 };

/* A record's payload as pieces pointing at the caller's data (nothing is copied). */
typedef struct pieces { struct iovec v[MAX_PIECES + 2]; int n; uint64_t len; } pieces;

static void piece(pieces *p, const void *src, size_t n)
{
    if (n == 0)
        return;
    p->v[1 + p->n].iov_base = (void *)(uintptr_t)src; /* writev does not write through it */
    p->v[1 + p->n].iov_len = n;
    p->n++;
    p->len += n;
}

/* Appends one record (header, the pieces, CRC) with one writev at *end; no sync. */
static int append(int fd, off_t *end, uint32_t type, pieces *p, const char *path, ps_err *err)
{
    struct { uint32_t magic, type; uint64_t len; } head = {MAGIC, type, p->len};
    uLong crc = crc32_z(0L, Z_NULL, 0);
    for (int i = 1; i <= p->n; i++)
        crc = crc32_z(crc, p->v[i].iov_base, p->v[i].iov_len);
    uint32_t crc32v = (uint32_t)crc;
    p->v[0].iov_base = &head;
    p->v[0].iov_len = sizeof head;
    p->v[p->n + 1].iov_base = &crc32v;
    p->v[p->n + 1].iov_len = 4;
    int e = lseek(fd, *end, SEEK_SET) < 0 ? errno : ps__writev_all(fd, p->v, p->n + 2);
    if (e) {
        /* cut back to the last good record, so the journal stays valid */
        if (ftruncate(fd, *end) != 0) { /* the CRC check drops the partial record anyway */ }
        if (e == ENOSPC || e == EFBIG || e == EDQUOT)
            return ps_err_set(err, PS_EIO, "%s: the disk is full or the file size limit is "
                              "reached (%s); every earlier result is kept", path, strerror(e));
        return ps__write_error(path, e, err);
    }
    *end += (off_t)(sizeof head + p->len + 4);
    return 0;
}

int ps__journal_sync(int fd, const char *path, ps_err *err)
{
    if (fdatasync(fd) != 0) {
        int e = errno;
        if (e == ENOSPC || e == EDQUOT)
            return ps_err_set(err, PS_EIO, "%s: the disk is full (%s)", path, strerror(e));
        return ps_err_set(err, PS_EIO, "%s: sync failed: %s", path, strerror(e));
    }
    return 0;
}

/* One view's description as stored in a RESULT record. */
typedef struct __attribute__((packed)) jview {
    char name[PS_NAME_MAX];
    int32_t ndim, shape[4];
    uint64_t offset, count;
    int32_t trainable;
} jview;
_Static_assert(sizeof(jview) == PS_NAME_MAX + 40, "a view's record layout has no padding");

int ps__journal_add_result(int fd, off_t *end, const ps_store_row *row,
                           const ps_train_result *res, const char *path, ps_err *err)
{
    int32_t ep = res->epochs > 0 ? res->epochs : 0;
    const float *cv[4] = {res->train_loss, res->train_acc, res->eval_loss, res->eval_acc};
    for (int k = 0; k < 4; k++)
        if (ep && !cv[k])
            return ps_err_set(err, PS_EINVAL, "task %s: the result has no curve %d",
                              row->task_id, k);
    int keep = res->status == PS_TASK_DONE && res->n_views > 0 && res->state;
    int32_t n_views = keep ? res->n_views : 0;
    uint64_t n_state = keep ? res->n_state : 0;
    jview *jv = NULL;
    if (n_views > 0) {
        jv = calloc((size_t)n_views, sizeof *jv);
        if (!jv)
            return ps_err_set(err, PS_ENOMEM, "%s: out of memory", path);
    }
    for (int32_t i = 0; i < n_views; i++) {
        const ps_state_view *v = &res->views[i];
        ps__scopy(jv[i].name, v->name, sizeof jv[i].name);
        jv[i].ndim = v->ndim;
        memcpy(jv[i].shape, v->shape, sizeof jv[i].shape);
        jv[i].offset = v->offset;
        jv[i].count = v->count;
        jv[i].trainable = v->trainable;
    }
    pieces p = {.n = 0, .len = 0};
    piece(&p, row, sizeof *row);
    piece(&p, &ep, 4);
    for (int k = 0; k < 4; k++)
        piece(&p, cv[k], (size_t)ep * sizeof(float));
    piece(&p, &n_views, 4);
    piece(&p, jv, (size_t)n_views * sizeof *jv);
    piece(&p, &n_state, 8);
    piece(&p, res->state, (size_t)n_state * sizeof(float));
    /* a raced task's outcomes end the same record: a kill cannot store one without the other */
    int32_t n_out = res->outcomes && res->n_outcomes > 0 ? res->n_outcomes : 0;
    if (n_out) {
        piece(&p, &n_out, 4);
        piece(&p, res->outcomes, (size_t)n_out);
    }
    int rc = append(fd, end, PS__J_RESULT, &p, path, err);
    free(jv);
    return rc;
}

int ps__journal_add_selection(int fd, off_t *end, const ps_store_selection *sel,
                              const char *path, ps_err *err)
{
    ps_store_selection s;
    memset(&s, 0, sizeof s);
    ps__scopy(s.model, sel->model, sizeof s.model);
    s.grid = sel->grid;
    s.cv_mean = sel->cv_mean;
    s.cv_std = sel->cv_std;
    s.n_folds = sel->n_folds;
    pieces p = {.n = 0, .len = 0};
    piece(&p, &s, sizeof s);
    return append(fd, end, PS__J_SELECTION, &p, path, err);
}

int ps__journal_add_stop(int fd, off_t *end, const char *why, const char *path, ps_err *err)
{
    pieces p = {.n = 0, .len = 0};
    piece(&p, why, strnlen(why, PS_STORE_STOPPED_MAX - 1));
    return append(fd, end, PS__J_STOP, &p, path, err);
}

int ps__journal_add_race(int fd, off_t *end, const ps_store_race_row *row, const char *path,
                         ps_err *err)
{
    ps_store_race_row r;
    memcpy(&r, row, sizeof r); /* the caller zeroed it, padding included */
    r.model[sizeof r.model - 1] = r.leader_model[sizeof r.leader_model - 1] = 0;
    r.test[sizeof r.test - 1] = 0;
    pieces p = {.n = 0, .len = 0};
    piece(&p, &r, sizeof r);
    return append(fd, end, PS__J_RACE, &p, path, err);
}

typedef struct rd { const unsigned char *p; size_t n, at; int bad; } rd;

static void get(rd *r, void *dst, size_t n)
{
    if (r->bad || r->n - r->at < n) {
        r->bad = 1;
        memset(dst, 0, n);
        return;
    }
    memcpy(dst, r->p + r->at, n);
    r->at += n;
}

/* The views of a RESULT record (kept when views is not NULL, else skipped). */
static int decode_views(rd *r, ps__jrec *rec, int keep)
{
    get(r, &rec->n_views, 4);
    if (r->bad || rec->n_views < 0 || (size_t)rec->n_views > r->n)
        return -1;
    if (!keep) {
        size_t skip = (size_t)rec->n_views * sizeof(jview);
        r->bad |= r->n - r->at < skip;
        r->at += r->bad ? 0 : skip;
        rec->n_views = 0;
        return r->bad ? -1 : 0;
    }
    rec->views = calloc((size_t)rec->n_views + 1, sizeof(ps_state_view));
    if (!rec->views)
        return -2;
    for (int32_t i = 0; i < rec->n_views; i++) {
        ps_state_view *v = &rec->views[i];
        uint64_t o, c;
        get(r, v->name, sizeof v->name);
        v->name[PS_NAME_MAX - 1] = 0;
        get(r, &v->ndim, 4);
        for (int j = 0; j < 4; j++)
            get(r, &v->shape[j], 4);
        get(r, &o, 8);
        get(r, &c, 8);
        get(r, &v->trainable, 4);
        v->offset = (size_t)o;
        v->count = (size_t)c;
    }
    return r->bad ? -1 : 0;
}

/* The outcomes that may end a RESULT record (none: n_out 0). */
static int decode_outcomes(rd *r, ps__jrec *rec)
{
    if (r->at == r->n)
        return 0;
    get(r, &rec->n_out, 4);
    if (r->bad || rec->n_out < 0 || (size_t)rec->n_out != r->n - r->at)
        return -1;
    rec->out = malloc((size_t)(rec->n_out ? rec->n_out : 1));
    if (!rec->out)
        return -2;
    get(r, rec->out, (size_t)rec->n_out);
    return r->bad ? -1 : 0;
}

/* A RESULT record: row, curves, views and state (with_state; else skipped), outcomes. Returns
 * 1 when the state points into the payload, 0, -1 (malformed) or -2 (out of memory). */
static int decode_result(rd *r, ps__jrec *rec, int with_state)
{
    get(r, &rec->row, sizeof rec->row);
    rec->row.task_id[PS_TASK_ID_LEN] = 0;
    rec->row.model[PS_NAME_MAX - 1] = 0;
    rec->row.reason[sizeof rec->row.reason - 1] = 0;
    get(r, &rec->epochs, 4);
    if (r->bad || rec->epochs < 0 || (size_t)rec->epochs * 16 > r->n - r->at)
        return -1;
    for (int k = 0; k < 4; k++) {
        rec->curves[k] = malloc((size_t)(rec->epochs ? rec->epochs : 1) * sizeof(float));
        if (!rec->curves[k])
            return -2;
        get(r, rec->curves[k], (size_t)rec->epochs * sizeof(float));
    }
    int rc = decode_views(r, rec, with_state);
    if (rc)
        return rc;
    uint64_t ns;
    get(r, &ns, 8);
    if (r->bad || ns > (r->n - r->at) / sizeof(float))
        return -1;
    size_t bytes = (size_t)ns * sizeof(float);
    int inside = 0;
    if (!with_state) {
        r->at += bytes;
    } else if (ns > 0 && ((uintptr_t)(r->p + r->at) % _Alignof(float)) == 0) {
        rec->state = (float *)(void *)(r->p + r->at); /* no copy: the caller keeps payload */
        r->at += bytes;
        inside = 1;
    } else {
        rec->state = malloc(bytes ? bytes : 1);
        if (!rec->state)
            return -2;
        get(r, rec->state, bytes);
    }
    rec->n_state = with_state ? (size_t)ns : 0;
    rc = decode_outcomes(r, rec);
    return rc ? rc : inside;
}

static int decode_race(rd *r, ps__jrec *rec)
{
    get(r, &rec->race, sizeof rec->race);
    rec->race.model[PS_NAME_MAX - 1] = 0;
    rec->race.leader_model[PS_NAME_MAX - 1] = 0;
    rec->race.test[sizeof rec->race.test - 1] = 0;
    return r->bad ? -1 : 0;
}

int ps__journal_next(int fd, off_t *off, off_t end, ps__jrec *rec, int with_state)
{
    memset(rec, 0, sizeof *rec);
    unsigned char *payload = NULL;
    off_t l = record_len(fd, *off, end, &payload);
    if (l == 0)
        return 0;
    uint32_t type;
    pread_all(fd, &type, 4, *off + 4);
    rd r = {payload, (size_t)(l - 20), 0, 0};
    int rc;
    rec->type = (int32_t)type;
    if (type == PS__J_RESULT) {
        rc = decode_result(&r, rec, with_state);
    } else if (type == PS__J_STOP) {
        size_t n = r.n < sizeof rec->why - 1 ? r.n : sizeof rec->why - 1;
        get(&r, rec->why, n);
        rc = 0;
    } else if (type == PS__J_RACE) {
        rc = decode_race(&r, rec);
    } else {
        get(&r, &rec->sel, sizeof rec->sel);
        rec->sel.model[PS_NAME_MAX - 1] = 0;
        rc = r.bad ? -1 : 0;
    }
    if (rc == 1) { /* the state points into the payload: the record keeps it */
        rec->payload = payload;
        rc = 0;
    } else {
        free(payload);
    }
    if (rc) {
        ps__jrec_free(rec);
        return rc == -2 ? -1 : 0;
    }
    *off += l;
    return 1;
}

int ps__journal_reset(int fd, off_t *end, const char *path, ps_err *err)
{
    if (ftruncate(fd, PS__JOURNAL_HEADER) != 0 || fsync(fd) != 0)
        return ps_err_set(err, PS_EIO, "%s: cannot reset the journal: %s", path, strerror(errno));
    *end = PS__JOURNAL_HEADER;
    return 0;
}
