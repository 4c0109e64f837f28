# Sourced by the scripts: Open MPI defaults for these machines, so that nobody has to think of
# them. Each is only set when the user has not set it.
#  - Open MPI 4.1 refuses to run as root without these two (CI and containers run as root).
#  - More ranks than cores (mpirun -np 3 on 2 cores: 1 master + 2 workers) needs oversubscribe.
#  - The ob1 PML with shared memory skips a slow UCX probe (0.35 s -> 0.15 s per start).
#  - Each rank runs OpenBLAS single-threaded: the ranks are the parallelism.
if [ "$(id -u)" -eq 0 ]; then
  export OMPI_ALLOW_RUN_AS_ROOT=${OMPI_ALLOW_RUN_AS_ROOT:-1}
  export OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=${OMPI_ALLOW_RUN_AS_ROOT_CONFIRM:-1}
fi
export OMPI_MCA_rmaps_base_oversubscribe=${OMPI_MCA_rmaps_base_oversubscribe:-1}
export OMPI_MCA_pml=${OMPI_MCA_pml:-ob1}
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}
