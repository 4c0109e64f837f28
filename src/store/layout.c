/* pairsweep store — appending results and selections to an open study file. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h5io.h"
#include "store_internal.h"

int ps__result_append(hid_t fid, hsize_t index, const ps_store_row *row,
                      const float *const curves[4], int32_t epochs, const ps_state_view *views,
                      int32_t n_views, const float *state, size_t n_state, const char *what,
                      ps_err *err)
{
    int rc = ps__table_append(fid, &ps__tasks_table, 1, row, what, err);
    rc = rc ? rc : ps__curves_write(fid, index, curves, epochs, what, err);
    if (rc || n_views <= 0)
        return rc;
    char group[64];
    snprintf(group, sizeof group, "weights/%s", row->task_id);
    rc = ps__group_ensure(fid, "weights", what, err);
    if (rc || ps__exists(fid, group))
        return rc;
    return ps__weights_write(fid, group, views, n_views, state, n_state, what, err);
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
