/* The MPI master/worker run: see sweep.h. */
