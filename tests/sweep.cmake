# sweep: job files, plan, selection, queue (no MPI); the scheduling rules (no MPI, no HDF5);
# then `pairsweep run` end to end on jobs/tiny.yaml (1 and 3 ranks, interrupts, refusals,
# shards, deadline, bad job files); the results files are checked with h5py + pandas
# (tests/sweep/results.py).
if(TARGET ps_plan)
  ps_add_test(test_sweep SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_sweep.c LIBS ps_plan)
  ps_add_test(test_sched SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_sched.c LIBS ps_plan)
  ps_add_test(test_sched_race SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_sched_race.c LIBS ps_plan)
endif()
# hparams: the hyper-parameter list entry by entry (declaration, defaults, job keys and
# ranges, task ids, /grid column, docs/job-format.md's grid table).
if(TARGET ps_sweep AND TARGET ps_train AND TARGET ps_store)
  ps_add_test(test_hparams SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_hparams.c
              LIBS ps_sweep ps_train ps_store)
endif()
if(TARGET pairsweep AND TARGET ps_sweep)
  foreach(t tiny interrupt launchers kill_worker refuse diverge holdout shards_deadline_dry
          bad_jobs task_timeout)
    ps_add_script_test(sweep_${t} ${PS_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/sweep/e2e.py
                       ${t} ${MPIEXEC_EXECUTABLE})
    set_tests_properties(sweep_${t} PROPERTIES TIMEOUT 300)
  endforeach()
  # label launcher: the matrix of launchers x signals (plain, study.sh, mpirun; SIGINT, SIGTERM,
  # SIGUSR1 twice, Ctrl-C). Rank 0's stop and grace paths it reaches are also sweep_interrupt's,
  # which the sanitizer stage runs; this one (530 s there) runs in the Release stage only.
  set_tests_properties(sweep_launchers PROPERTIES LABELS launcher)
  # racing: 1 rank vs 3 ranks, SciPy's decisions, a kill mid-race, the audit
  ps_add_script_test(sweep_racing ${PS_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/sweep/e2e_racing.py
                     ${MPIEXEC_EXECUTABLE})
  set_tests_properties(sweep_racing PROPERTIES TIMEOUT 300)
endif()
