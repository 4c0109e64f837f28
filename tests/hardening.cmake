# Hardening (issue 9): the bad-input catalogue and the fault tests, each running the real
# pairsweep binary (tests/hardening/*.sh; docs/hardening.md has the table). The sanitizer,
# valgrind and fuzzing stages are separate scripts (scripts/check-*.sh), not ctest tests.
if(TARGET pairsweep)
  foreach(t cli jobs mnist results paths writers)
    ps_add_script_test(hardening_${t} bash ${CMAKE_CURRENT_LIST_DIR}/hardening/bad_inputs.sh
                       ${t} $<TARGET_FILE:pairsweep> ${CMAKE_CURRENT_BINARY_DIR}/hardening)
    set_tests_properties(hardening_${t} PROPERTIES TIMEOUT 300 LABELS hardening)
  endforeach()
  if(TARGET ps_sweep)
    # issue 16: a full disk under mpirun; needs root (else SKIPPED, status 77)
    ps_add_script_test(hardening_full_disk bash ${CMAKE_CURRENT_LIST_DIR}/hardening/full_disk.sh
                       $<TARGET_FILE:pairsweep> ${CMAKE_CURRENT_BINARY_DIR}/hardening
                       ${MPIEXEC_EXECUTABLE})
    set_tests_properties(hardening_full_disk PROPERTIES TIMEOUT 600 LABELS hardening
                         SKIP_RETURN_CODE 77)
    # issue 16: SIGINT, SIGTERM and Ctrl-C (the process group) to a bare mpirun
    foreach(t mpirun_sigint mpirun_sigterm mpirun_ctrl_c)
      ps_add_script_test(hardening_${t} bash ${CMAKE_CURRENT_LIST_DIR}/hardening/signals.sh
                         ${t} $<TARGET_FILE:pairsweep> ${CMAKE_CURRENT_BINARY_DIR}/hardening
                         ${MPIEXEC_EXECUTABLE})
      set_tests_properties(hardening_${t} PROPERTIES TIMEOUT 300 LABELS hardening)
    endforeach()
    # label launcher: what Open MPI's mpirun does with SIGINT and with a process group's
    # Ctrl-C; rank 0 meets them on the path hardening_mpirun_sigterm takes (mpirun's SIGTERM),
    # so the sanitizer stage runs that one alone (scripts/check-sanitize.sh: -LE launcher)
    set_tests_properties(hardening_mpirun_sigint hardening_mpirun_ctrl_c PROPERTIES
                         LABELS "hardening;launcher")
    foreach(t kill_worker kill_master)
      ps_add_script_test(hardening_${t} bash ${CMAKE_CURRENT_LIST_DIR}/hardening/faults.sh
                         ${t} $<TARGET_FILE:pairsweep> ${CMAKE_CURRENT_BINARY_DIR}/hardening
                         ${MPIEXEC_EXECUTABLE})
      set_tests_properties(hardening_${t} PROPERTIES TIMEOUT 400 LABELS hardening)
    endforeach()
  endif()
endif()

# libFuzzer harnesses: only in the fuzzing build of scripts/check-fuzz.sh (clang,
# -DPS_FUZZ=ON, every library compiled with -fsanitize=fuzzer-no-link,address,undefined).
if(PS_FUZZ)
  set(PS_FUZZ_DIR ${CMAKE_CURRENT_LIST_DIR}/fuzz)
  add_executable(fuzz_job ${PS_FUZZ_DIR}/fuzz_job.c)
  target_link_libraries(fuzz_job PRIVATE ps_sweep)
  add_executable(fuzz_idx ${PS_FUZZ_DIR}/fuzz_idx.c)
  target_link_libraries(fuzz_idx PRIVATE ps_data)
  add_executable(fuzz_results ${PS_FUZZ_DIR}/fuzz_results.c
                 ${CMAKE_CURRENT_LIST_DIR}/test_store_fixture.c)
  target_include_directories(fuzz_results PRIVATE ${CMAKE_CURRENT_LIST_DIR})
  target_link_libraries(fuzz_results PRIVATE ps_store ZLIB::ZLIB)
  foreach(f fuzz_job fuzz_idx fuzz_results)
    target_include_directories(${f} PRIVATE ${PS_INCLUDE})
    target_link_options(${f} PRIVATE -fsanitize=fuzzer)
    set_target_properties(${f} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/fuzz)
  endforeach()
endif()
