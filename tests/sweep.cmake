# sweep: job files, plan, selection, queue (no MPI), then `pairsweep run` end to end on
# jobs/tiny.yaml (1 and 3 ranks, interrupts, refusals, shards, deadline, bad job files); the
# results files are checked with h5py + pandas (tests/sweep/results.py).
if(TARGET ps_sweep AND TARGET ps_train)
  ps_add_test(test_sweep SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_sweep.c
              LIBS ps_sweep ps_train)
endif()
if(TARGET pairsweep AND TARGET ps_sweep)
  foreach(t tiny interrupt kill_worker refuse diverge holdout shards_deadline_dry bad_jobs)
    ps_add_script_test(sweep_${t} ${PS_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/sweep/e2e.py
                       ${t} ${MPIEXEC_EXECUTABLE})
    set_tests_properties(sweep_${t} PROPERTIES TIMEOUT 300)
  endforeach()
endif()
