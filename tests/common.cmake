# common: the shared helpers of every module: the task-id set, error messages and exit
# statuses, the path checks (pairsweep/path.h).
if(TARGET ps_common)
  ps_add_test(test_common SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_common.c LIBS ps_common)
  set_tests_properties(test_common PROPERTIES TIMEOUT 60)
endif()
