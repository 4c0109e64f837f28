/* pairsweep store — merging the shard files of one study. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsio.h"
#include "h5io.h"
#include "store_internal.h"

int ps_store_merge(const char *out, const char *const *shards, int n_shards, int32_t *n_rows,
                   ps_err *err)
{
    (void)out; (void)shards; (void)n_shards; (void)n_rows;
    return ps_err_set(err, PS_ESTATE, "merge: not implemented yet");
}
