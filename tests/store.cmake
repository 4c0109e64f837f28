# Tests of the results store (src/store): the C API round trip, resume and refusal, merge, full
# disk (test_store); crash kills of a writer, a torn journal, group commit (test_store_crash);
# the file's format: self-description, files of format 1 read, resumed and merged
# (test_store_format); Python checks of the layout with h5py. They share test_store_fixture.c.
if(TARGET ps_store)
  foreach(t test_store test_store_crash test_store_format)
    ps_add_test(${t} SOURCES ${t}.c test_store_fixture.c LIBS ps_store ps_common)
    set_tests_properties(${t} PROPERTIES TIMEOUT 120)
  endforeach()
endif()
