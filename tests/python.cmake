# The Python package (python/pairsweep): its tables against `pairsweep report`, the stored
# models in PyTorch on the exact pairs `pairsweep export` writes, and `pip install` of it.
# python3-torch, -h5py, -pandas and -scipy for the Python of PS_PYTHON, as the other Python tests.
if(TARGET pairsweep)
  set(ps_py_dir ${CMAKE_CURRENT_BINARY_DIR}/python)
  ps_add_script_test(python_study sh ${CMAKE_CURRENT_LIST_DIR}/python/run_study.sh
                     $<TARGET_FILE:pairsweep> ${ps_py_dir})
  set_tests_properties(python_study PROPERTIES FIXTURES_SETUP ps_python_study TIMEOUT 300)
  foreach(t results torch)
    ps_add_script_test(python_${t} ${PS_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/python/test_${t}.py
                       $<TARGET_FILE:pairsweep> ${ps_py_dir})
    set_tests_properties(python_${t} PROPERTIES FIXTURES_REQUIRED ps_python_study TIMEOUT 300)
  endforeach()
  ps_add_script_test(python_install sh ${CMAKE_CURRENT_LIST_DIR}/python/test_install.sh
                     ${CMAKE_SOURCE_DIR}/python ${ps_py_dir}/install)
  set_tests_properties(python_install PROPERTIES TIMEOUT 120)
endif()
