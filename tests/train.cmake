# train: one task end to end on MNIST (determinism, learning, folds, divergence, stop).
if(TARGET ps_train)
  ps_add_test(test_train SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_train.c LIBS ps_train ps_models ps_nn ps_data ps_common)
endif()

# The CLI side: `pairsweep models` lists the Table I counts; `pairsweep train` runs, saves and
# refuses bad usage with status 2.
if(TARGET pairsweep AND TARGET ps_train)
  ps_add_script_test(cli_train sh ${CMAKE_CURRENT_LIST_DIR}/test_train_cli.sh
                     $<TARGET_FILE:pairsweep> ${CMAKE_CURRENT_BINARY_DIR})
endif()
