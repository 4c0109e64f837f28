/* pairsweep store — functions shared between the writer, the reader and merge. */
#ifndef PAIRSWEEP_STORE_INTERNAL_H
#define PAIRSWEEP_STORE_INTERNAL_H

#include <hdf5.h>

#include "pairsweep/store.h"

/* The current UTC time as "YYYY-MM-DDTHH:MM:SSZ". */
void ps__utc_now(char out[32]);

/* Creates in memory (ps__fapl_mem) a study file with root attributes and empty /tasks,
 * /selection, /curves and /weights; *fid is to be saved with ps__file_save(fid, tmp). tmp
 * is probed for creation so that a bad directory gets a clear message. */
int ps__file_create_mem(hid_t *fid, const char *tmp, const ps_store_meta *m, const char *sha,
                        const char *what, ps_err *err);

/* Appends one finished task as row `index` of /tasks and /curves, and its weights (when
 * n_views > 0) under /weights/<task id>. */
int ps__result_append(hid_t fid, hsize_t index, const ps_store_row *row,
                      const float *const curves[4], int32_t epochs, const ps_state_view *views,
                      int32_t n_views, const float *state, size_t n_state, const char *what,
                      ps_err *err);

/* Records or replaces the selection row of sel->model in /selection. */
int ps__selection_put(hid_t fid, const ps_store_selection *sel, const char *what, ps_err *err);

#endif
