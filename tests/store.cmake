# Tests of the results store (src/store): the C API round trip, resume and refusal, crash
# kills of a writer, full disk; Python checks of the layout with h5py.
if(TARGET ps_store)
  ps_add_test(test_store SOURCES test_store.c test_store_fixture.c LIBS ps_store ps_common)
  set_tests_properties(test_store PROPERTIES TIMEOUT 120)
endif()
