# `mpirun -np 2 emkit fit DATA --distributed` writes the same model as `emkit fit DATA`
# (every line but the run time), and a failure in the job is a non-zero exit naming the error.
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}")

function(run_checked)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "failed (${status}): ${ARGN}\n${out}\n${err}")
  endif()
endfunction()

# The model file without its "seconds" line (the only field that depends on the run).
function(read_model path var)
  file(STRINGS "${path}" lines)
  list(FILTER lines EXCLUDE REGEX "\"seconds\"")
  set(${var} "${lines}" PARENT_SCOPE)
endfunction()

foreach(args "-k;3;--covariance;full;--restarts;3" "-k;4;--covariance;diag;--threads;2" "-k;2;--family;kmeans")
  string(MD5 tag "${args}")
  run_checked(${EMKIT} fit ${DATA} ${args} --seed 5 --quiet -o ${WORK}/one_${tag}.json)
  run_checked(${MPIEXEC} -n 2 ${EMKIT} fit ${DATA} ${args} --seed 5 --distributed -o ${WORK}/two_${tag}.json)
  read_model(${WORK}/one_${tag}.json one)
  read_model(${WORK}/two_${tag}.json two)
  if(NOT one STREQUAL two)
    message(FATAL_ERROR "emkit fit ${args}: two processes wrote a different model than one")
  endif()
  message(STATUS "same model on 1 and 2 processes: ${args}")
endforeach()

# A bad option ends the whole job with a non-zero status and the error on stderr.
execute_process(COMMAND ${MPIEXEC} -n 2 ${EMKIT} fit ${DATA} -k 0 --distributed -o ${WORK}/bad.json
  RESULT_VARIABLE status ERROR_VARIABLE err OUTPUT_VARIABLE out)
if(status EQUAL 0 OR NOT err MATCHES "emkit: error:" OR EXISTS ${WORK}/bad.json)
  message(FATAL_ERROR "a failing distributed fit: status ${status}, stderr:\n${err}")
endif()
