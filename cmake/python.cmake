# The Python of the tests (h5py, NumPy, pandas, SciPy, PyTorch: the PyTorch twins, the
# independent recomputation of the tables, the checks of results files). Give it with
# -DPython3_EXECUTABLE=/path/to/python3 (a module system's Python, a virtual environment);
# otherwise the first python3 on PATH, then /usr/bin/python3, that imports h5py and NumPy is
# taken (a PATH may put another interpreter first, e.g. pyenv's), else whatever FindPython3
# finds. Sets PS_PYTHON, the interpreter the tests run (ctest passes it on as $PS_PYTHON).
if(NOT Python3_EXECUTABLE)
  string(REPLACE ":" ";" ps_path "$ENV{PATH}")
  foreach(dir ${ps_path} /usr/bin)
    if(EXISTS "${dir}/python3" AND NOT IS_DIRECTORY "${dir}/python3")
      execute_process(COMMAND "${dir}/python3" -c "import h5py, numpy"
                      RESULT_VARIABLE ps_rc OUTPUT_QUIET ERROR_QUIET)
      if(ps_rc EQUAL 0)
        set(Python3_EXECUTABLE "${dir}/python3" CACHE FILEPATH
            "Python of the tests (needs h5py, NumPy, pandas, SciPy, PyTorch)")
        break()
      endif()
    endif()
  endforeach()
endif()
find_package(Python3 COMPONENTS Interpreter)
if(Python3_Interpreter_FOUND)
  set(PS_PYTHON "${Python3_EXECUTABLE}")
  execute_process(COMMAND "${PS_PYTHON}" -c "import h5py, numpy, pandas, scipy"
                  RESULT_VARIABLE ps_rc OUTPUT_QUIET ERROR_QUIET)
  if(NOT ps_rc EQUAL 0)
    message(WARNING "${PS_PYTHON} lacks h5py, NumPy, pandas or SciPy: the Python tests will "
            "fail (pass -DPython3_EXECUTABLE=... or install them: scripts/setup.sh --tests)")
  endif()
else()
  set(PS_PYTHON python3)
  message(WARNING "no Python 3 found: the Python tests will fail")
endif()
message(STATUS "Python of the tests: ${PS_PYTHON}")
