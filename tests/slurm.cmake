# SLURM tests: a real one-node SLURM cluster (Debian's slurmctld, slurmd, munge) started by
# tests/slurm/cluster.sh for each test and stopped when it ends, whatever happens. Label
# "slurm" (ctest -L slurm). They run one at a time (RESOURCE_LOCK: they share the 2 cores and
# the requeue test depends on timing); slurm_mpi's results file is the reference of the array
# test (fixture slurm_reference: ctest runs slurm_mpi first, also with -R slurm_array).
set(PS_SLURM_TESTS slurm_mpi slurm_requeue slurm_array slurm_scancel)
foreach(t mpi requeue array scancel)
  ps_add_script_test(slurm_${t} bash ${CMAKE_CURRENT_SOURCE_DIR}/slurm/test_${t}.sh)
endforeach()
set_tests_properties(${PS_SLURM_TESTS} PROPERTIES LABELS slurm RESOURCE_LOCK slurm_cluster)
set_tests_properties(slurm_mpi PROPERTIES TIMEOUT 300 FIXTURES_SETUP slurm_reference)
set_tests_properties(slurm_requeue PROPERTIES TIMEOUT 700)
set_tests_properties(slurm_scancel PROPERTIES TIMEOUT 480)
set_tests_properties(slurm_array PROPERTIES TIMEOUT 480 FIXTURES_REQUIRED slurm_reference)
