ps_add_test(test_data SOURCES test_data.c LIBS ps_data ps_common ZLIB::ZLIB)
