# data: idx files and MNIST loading (test_data_idx); pooling, pairs, folds in memory
# (test_data_pairs).
ps_add_test(test_data_idx SOURCES test_data_idx.c LIBS ps_data ps_common ZLIB::ZLIB)
ps_add_test(test_data_pairs SOURCES test_data_pairs.c LIBS ps_data ps_common)
