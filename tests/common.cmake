# common: error messages and exit statuses, and the path checks (pairsweep/path.h).
ps_add_test(test_common SOURCES test_common.c LIBS ps_common)
set_tests_properties(test_common PROPERTIES TIMEOUT 60)
