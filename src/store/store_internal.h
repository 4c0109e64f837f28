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

/* Writes the weights of row's task under /weights/<task id> (creating /weights), with the
 * group's attributes naming the task (ps__weights_tag); a group already there is kept. */
int ps__weights_put(hid_t fid, const ps_store_row *row, const ps_state_view *views,
                    int32_t n_views, const float *state, size_t n_state, const char *what,
                    ps_err *err);

/* Records or replaces the selection row of sel->model in /selection. */
int ps__selection_put(hid_t fid, const ps_store_selection *sel, const char *what, ps_err *err);

/* The file's format_version attribute; 1 when it has none (files written before it). */
int ps__format_version(hid_t fid, int32_t *version, const char *what, ps_err *err);

/* Converts an open file (writable) of an older format to PS_STORE_FORMAT in place: tables
 * re-created with the enum types, strings sized from the data and units; /curves described
 * (units, /curves/task_id); weight groups tagged; format_version set. Every stored value stays
 * as it was. A file already of PS_STORE_FORMAT (or newer) is left alone. */
int ps__layout_upgrade(hid_t fid, const char *what, ps_err *err);

#endif
