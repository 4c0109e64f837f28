# sweep: job files, plan, selection, queue (no MPI), then the study end to end (MPI, HDF5).
if(TARGET ps_sweep AND TARGET ps_train)
  ps_add_test(test_sweep SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_sweep.c
              LIBS ps_sweep ps_train)
endif()
