# Installs the built project into a fresh prefix, then configures, builds and runs a consumer
# project that finds it with find_package(emkit) alone: a library program, and a user's family
# on the whole command line (examples/exponential_cli.cpp, run by examples/exponential_cli.sh).
# Then the library program against the build tree itself (the exported package, no install).
file(REMOVE_RECURSE ${WORK_DIR})
execute_process(COMMAND ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${WORK_DIR}/prefix
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "install failed")
endif()

function(build_and_run prefix dir examples)
  execute_process(COMMAND ${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/package/consumer -B ${dir}
                          -G ${GENERATOR} -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_BUILD_TYPE=Release
                          -DEXAMPLES_DIR=${examples}
                  RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "consumer configure failed (${prefix})")
  endif()
  execute_process(COMMAND ${CMAKE_COMMAND} --build ${dir} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "consumer build failed (${prefix})")
  endif()
  execute_process(COMMAND ${dir}/consumer RESULT_VARIABLE rc OUTPUT_VARIABLE out)
  message(STATUS "${out}")
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "consumer failed (${prefix})")
  endif()
  if(NOT examples)
    return()
  endif()
  execute_process(COMMAND bash ${SOURCE_DIR}/examples/exponential_cli.sh ${dir}/exponential_cli ${SOURCE_DIR}/data
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  message(STATUS "${out}${err}")
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "the user's command line failed (${prefix})")
  endif()
endfunction()

build_and_run(${WORK_DIR}/prefix ${WORK_DIR}/build ${SOURCE_DIR}/examples)
build_and_run(${BUILD_DIR} ${WORK_DIR}/build-tree "")  # the library program only: the CLI was built above
