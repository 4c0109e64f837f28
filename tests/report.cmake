# Tests of `pairsweep report / status / merge` (src/report) on SYNTHETIC fixture studies
# written through the store API by test_report_fixture (no training is run).
if(TARGET ps_report)
  add_executable(test_report_fixture test_report_fixture.c test_store_fixture.c)
  target_include_directories(test_report_fixture PRIVATE ${PS_INCLUDE} ${CMAKE_CURRENT_SOURCE_DIR})
  target_link_libraries(test_report_fixture PRIVATE ps_store ps_common m)

  ps_add_test(test_report SOURCES test_report.c LIBS ps_report ps_store ps_common m)
  add_dependencies(test_report test_report_fixture pairsweep)
  set_tests_properties(test_report PROPERTIES TIMEOUT 120)

  # Independent recomputation of the tables with h5py/pandas/scipy, and the CLI end to end.
  ps_add_script_test(test_report_py ${PS_PYTHON}
    ${CMAKE_CURRENT_SOURCE_DIR}/report/test_report_tables.py
    $<TARGET_FILE:pairsweep> $<TARGET_FILE:test_report_fixture>)
  set_tests_properties(test_report_py PROPERTIES TIMEOUT 120)

  # Files of format 1 (made from a fixture by report/make_format1.py): report, status and merge.
  ps_add_script_test(test_report_format ${PS_PYTHON}
    ${CMAKE_CURRENT_SOURCE_DIR}/report/test_report_format.py
    $<TARGET_FILE:pairsweep> $<TARGET_FILE:test_report_fixture>)
  set_tests_properties(test_report_format PROPERTIES TIMEOUT 120)
endif()
