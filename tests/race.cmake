# race: the racing statistics against SciPy's values (hard-coded in the test).
if(TARGET ps_race)
  ps_add_test(test_race SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_race.c LIBS ps_race)
endif()
