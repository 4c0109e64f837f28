# common: the shared helpers of every module (the task-id set).
if(TARGET ps_common)
  ps_add_test(test_common SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_common.c LIBS ps_common)
endif()
