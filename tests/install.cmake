# Installation (issue 17): `cmake --install` into a temporary prefix and the installed program
# run from elsewhere (tests/install/test_install.sh); the bash completion, sourced and asked
# (tests/install/test_completion.sh). Label "install".
if(TARGET pairsweep)
  ps_add_script_test(install bash ${CMAKE_CURRENT_LIST_DIR}/install/test_install.sh
                     ${CMAKE_BINARY_DIR} ${CMAKE_CURRENT_BINARY_DIR}/install ${PS_DATADIR})
  # the test's own MNIST (PS_MNIST_DIR is what it unsets)
  set_property(TEST install APPEND PROPERTY ENVIRONMENT
               "PS_TEST_MNIST=${CMAKE_SOURCE_DIR}/data/mnist")
  ps_add_script_test(completion bash ${CMAKE_CURRENT_LIST_DIR}/install/test_completion.sh
                     $<TARGET_FILE:pairsweep> ${CMAKE_SOURCE_DIR}/completion/pairsweep.bash
                     ${CMAKE_CURRENT_BINARY_DIR}/completion)
  set_tests_properties(install completion PROPERTIES LABELS install TIMEOUT 120)
endif()
