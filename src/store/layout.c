/* pairsweep store — the study file's layout: appending results and selections to an open file,
 * and converting a file of an older format to PS_STORE_FORMAT. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h5io.h"
#include "store_internal.h"

int ps__weights_put(hid_t fid, const ps_store_row *row, const ps_state_view *views,
                    int32_t n_views, const float *state, size_t n_state, const char *what,
                    ps_err *err)
{
    char group[64];
    snprintf(group, sizeof group, "weights/%s", row->task_id);
    int rc = ps__group_ensure(fid, "weights", what, err);
    if (rc || ps__exists(fid, group))
        return rc;
    rc = ps__weights_write(fid, group, views, n_views, state, n_state, what, err);
    return rc ? rc : ps__weights_tag(fid, row, what, err);
}

int ps__result_append(hid_t fid, hsize_t index, const ps_store_row *row,
                      const float *const curves[4], int32_t epochs, const ps_state_view *views,
                      int32_t n_views, const float *state, size_t n_state, const char *what,
                      ps_err *err)
{
    int rc = ps__table_append(fid, &ps__tasks_table, 1, row, what, err);
    rc = rc ? rc : ps__curves_write_rows(fid, index, 1, epochs, curves, row, what, err);
    if (rc || n_views <= 0)
        return rc;
    return ps__weights_put(fid, row, views, n_views, state, n_state, what, err);
}

int ps__selection_put(hid_t fid, const ps_store_selection *sel, const char *what, ps_err *err)
{
    ps_store_selection *rows = NULL;
    int32_t n = 0;
    int rc = ps__table_read(fid, &ps__sel_table, (void **)&rows, &n, 1, what, err);
    if (rc)
        return rc;
    int32_t at = -1;
    for (int32_t i = 0; i < n; i++)
        if (!strcmp(rows[i].model, sel->model))
            at = i;
    free(rows);
    if (!ps__exists(fid, ps__sel_table.dset))
        return ps__table_create(fid, &ps__sel_table, 1, sel, what, err);
    if (at >= 0)
        return ps__table_write_row(fid, &ps__sel_table, (hsize_t)at, sel, what, err);
    return ps__table_append(fid, &ps__sel_table, 1, sel, what, err);
}

int ps__format_version(hid_t fid, int32_t *version, const char *what, ps_err *err)
{
    *version = 1;
    if (H5Aexists(fid, "format_version") <= 0)
        return 0;
    return ps__attr_get_i32(fid, "format_version", version, what, err);
}

/* Rewrites table t (when present) with the current types: the same rows, re-created. */
static int rewrite_table(hid_t fid, const ps__table *t, const char *what, ps_err *err)
{
    void *rows = NULL;
    int32_t n = 0;
    if (!ps__exists(fid, t->dset))
        return 0;
    int rc = ps__table_read(fid, t, &rows, &n, 0, what, err);
    if (!rc && H5Ldelete(fid, t->dset, H5P_DEFAULT) < 0)
        rc = ps_err_set(err, PS_EIO, "%s: cannot replace the table /%s", what, t->dset);
    rc = rc ? rc : ps__table_create(fid, t, (hsize_t)n, rows, what, err);
    free(rows);
    return rc;
}

int ps__layout_upgrade(hid_t fid, const char *what, ps_err *err)
{
    int32_t version;
    int rc = ps__format_version(fid, &version, what, err);
    if (rc || version >= PS_STORE_FORMAT)
        return rc;
    /* format 1: integer phase and status, fixed string sizes, no units, untold curve rows,
     * untagged weights */
    const ps__table *tables[] = {&ps__tasks_table, &ps__sel_table, &ps__grid_table,
                                 &ps__models_table, &ps__plan_table};
    for (size_t i = 0; i < sizeof tables / sizeof tables[0] && !rc; i++)
        rc = rewrite_table(fid, tables[i], what, err);
    ps_store_row *rows = NULL;
    int32_t n = 0;
    rc = rc ? rc : ps__table_read(fid, &ps__tasks_table, (void **)&rows, &n, 0, what, err);
    rc = rc ? rc : ps__curves_describe(fid, rows, n, what, err);
    for (int32_t i = 0; i < n && !rc; i++) {
        char group[64];
        snprintf(group, sizeof group, "weights/%s", rows[i].task_id);
        if (ps__exists(fid, "weights") && ps__exists(fid, group))
            rc = ps__weights_tag(fid, &rows[i], what, err);
    }
    free(rows);
    return rc ? rc : ps__attr_set_i32(fid, "format_version", PS_STORE_FORMAT, what, err);
}
