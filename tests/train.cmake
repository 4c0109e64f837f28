# train: one task end to end on MNIST (determinism, learning, folds, divergence, stop).
if(TARGET ps_train)
  ps_add_test(test_train SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_train.c LIBS ps_train ps_models ps_nn ps_data ps_common)
endif()

# The CLI side: `pairsweep models` lists the Table I counts; `pairsweep train` runs, saves and
# refuses bad usage with status 2.
if(TARGET pairsweep AND TARGET ps_train)
  ps_add_script_test(cli_models sh -c
    "out=$($<TARGET_FILE:pairsweep> models) && for m in 'cnn .* 59373' 'siamese .* 46033' 'siamese_aux .* 45937' 'siamese_v2 .* 46033' 'resnet .* 65666' 'resnet_ws .* 66260' 'resnet_ws_aux .* 66260' 'aux_A6_k5 '; do echo \"$out\" | grep -q \"^$m\" || { echo \"missing: $m\"; exit 1; }; done; test $(echo \"$out\" | wc -l) -eq 44")
  ps_add_script_test(cli_train sh -c
    "set -e; p=$<TARGET_FILE:pairsweep>; f=${CMAKE_CURRENT_BINARY_DIR}/cli_train.h5; rm -f $f; $p train --model shared_A1_k3 --seed 3 --epochs 2 --n-train 200 --n-test 100 --batch-size 50 --lr-step 1:0.1 --save $f > ${CMAKE_CURRENT_BINARY_DIR}/cli_train.out; grep -q '^epoch   2/2' ${CMAKE_CURRENT_BINARY_DIR}/cli_train.out; grep -q '^final test accuracy' ${CMAKE_CURRENT_BINARY_DIR}/cli_train.out; test -s $f; rc=0; $p train --model nope 2>/dev/null || rc=$?; test $rc -eq 2; rc=0; $p train --model cnn --bn maybe 2>/dev/null || rc=$?; test $rc -eq 2")
endif()
